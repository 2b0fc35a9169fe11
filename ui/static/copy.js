// The copy box (ui/copy_link.py's copy_box): a link as selectable text and a Copy button. The
// clipboard API exists only in a secure context (https, localhost); a class server on a LAN
// address over plain http has none: then the text is selected for Ctrl+C / a long press.

import { el } from "./dom.js";

function build(parent) {
  const box = el("div", { class: "ae-link", "data-testid": "aeCopyLink" }, parent);
  const text = el("span", { class: "ae-link-text" }, box);
  const button = el("button", { type: "button", class: "ae-link-copy", text: "Copy" }, box);
  const note = el("span", { class: "ae-link-note", role: "status", "aria-live": "polite" }, box);
  return { text, button, note };
}

async function copy(url, text) {
  try {
    await navigator.clipboard.writeText(url);
    return true;
  } catch (e) {
    const range = document.createRange();
    range.selectNodeContents(text);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { return document.execCommand("copy"); } catch (e2) { return false; }
  }
}

const BOXES = new WeakMap();  // parentElement -> its box

export default function ({ data, parentElement }) {
  let box = BOXES.get(parentElement);
  if (!box) { box = build(parentElement); BOXES.set(parentElement, box); }
  const { text, button, note } = box;
  text.textContent = data.url;
  button.setAttribute("aria-label", data.label);
  button.onclick = async () => {
    const copied = await copy(data.url, text);
    note.textContent = copied ? "Copied." : "Selected: press Ctrl+C (or Cmd+C) to copy.";
    clearTimeout(box.timer);
    box.timer = setTimeout(() => { note.textContent = ""; }, 2500);
  };
}
