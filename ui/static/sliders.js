// Native Streamlit sliders, found by their widget key: Streamlit puts the class st-key-<key> on
// a keyed element's container (characters outside [a-zA-Z0-9_-] become "-"). The native slider
// stays the control (keyboard, screen readers, the URL on release); a drag moves its thumb,
// which React re-renders (its value and aria-valuetext): one observer of the page sees that.

export function keyClass(key) {
  return `st-key-${key.trim().replace(/[^a-zA-Z0-9_-]/g, "-")}`;
}

function thumb(key) {
  const box = key ? document.querySelector(`.${keyClass(key)}`) : null;
  return box ? box.querySelector('input[type="range"], [role="slider"]') : null;
}

// the thumb's value now (also during a drag), or null when the slider is not on the page
export function sliderValue(key) {
  // Streamlit 1.67's thumb is an <input type="range"> (react-aria) whose value follows the drag
  const t = thumb(key);
  if (!t) return null;
  const v = parseFloat(t.value !== undefined && t.value !== "" ? t.value : t.getAttribute("aria-valuenow"));
  return Number.isFinite(v) ? v : null;
}

const watchers = new Set();  // {selector, onChange}
let observer = null;

function changed(records) {
  for (const w of watchers) {
    if (records.some((r) => r.target.closest && r.target.closest(w.selector))) w.onChange();
  }
}

function start() {
  // one observer for the page, on the attributes a moving thumb changes only: it survives
  // Streamlit re-creating a slider, with no timer
  observer = new MutationObserver(changed);
  observer.observe(document.body, { subtree: true, attributes: true,
    attributeFilter: ["aria-valuenow", "aria-valuetext", "value"] });
  document.addEventListener("input", (ev) => changed([{ target: ev.target }]), true);
}

// call onChange() whenever the thumb of any slider in `keys` moves; returns {destroy()}
export function watchSliders(keys, onChange) {
  const sel = keys.filter(Boolean).map((k) => `.${keyClass(k)}`).join(", ");
  if (!sel) return { destroy() {} };
  if (!observer) start();
  const w = { selector: sel, onChange };
  watchers.add(w);
  return { destroy() { watchers.delete(w); } };
}
