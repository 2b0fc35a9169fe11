// Small DOM helpers shared by the parts.

// an element with attributes ("text": its text, "style": its inline style), appended to parent
export function el(tag, attrs = {}, parent = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}

// A polite live region (visually hidden) for a screen reader: say(text) sets it at most once
// every `ms`, and the last text of a burst always lands, so a drag is read once, not per frame.
export function announcer(parent, ms = 1200) {
  const region = el("div", { class: "ae-sr", "aria-live": "polite", "aria-atomic": "true" }, parent);
  let last = 0, timer = 0, pending = null;
  const flush = () => {
    timer = 0;
    if (pending !== null && pending !== region.textContent) region.textContent = pending;
    pending = null;
    last = performance.now();
  };
  return {
    region,
    say(text) {
      pending = text;
      if (timer) return;
      timer = setTimeout(flush, Math.max(0, last + ms - performance.now()));
    },
    destroy() { clearTimeout(timer); },
  };
}
