// Panels the server computed at every stop of a native slider ("stops" parts): the page shows
// the stop at the slider's thumb, also while it is dragged, and flips between them. "rows": one
// such panel and no slider (rows of labelled, captioned images as one element).

import { bytes } from "./bytes.js";
import { flipped } from "./debug.js";
import { announcer, el } from "./dom.js";
import { paint } from "./paint.js";
import { sliderValue, watchSliders } from "./sliders.js";

export class Stops {
  constructor(root) {
    this.root = root;
    this.wrap = el("div", { class: "ae-stops", "data-testid": "aeLiveStops" }, root);
    this.index = -1;
  }

  update(data) {
    const same = this.d && this.d.rev === data.rev;
    this.d = data;
    if (!same) {
      this.wrap.replaceChildren();
      this.heading = el("div", { class: "ae-heading", role: "heading", "aria-level": "3" }, this.wrap);
      this.rows = el("div", { class: "ae-rows" }, this.wrap);
      this.note = el("div", { class: "ae-note" }, this.wrap);
      if (this.status) this.status.destroy();
      this.status = data.stops.some((s) => s.say) ? announcer(this.wrap) : null;
      this.built = null;
      this.index = -1;
      if (this.watch) this.watch.destroy();
      this.watch = data.slider ? watchSliders([data.slider], () => this.follow()) : null;
    }
    this.follow(true);
  }

  stopIndex() {
    const d = this.d, v = d.slider ? sliderValue(d.slider) : null;
    if (v === null) return d.index;
    if (d.by_index) return Math.max(0, Math.min(d.stops.length - 1, Math.round(v)));
    let best = 0;
    d.values.forEach((x, i) => { if (Math.abs(x - v) < Math.abs(d.values[best] - v)) best = i; });
    return best;
  }

  follow(force = false) {
    const i = this.stopIndex();
    if (i === this.index && (!force || this.built)) return;
    this.index = i;
    const t0 = performance.now();
    this.show(i);
    flipped(this.wrap, performance.now() - t0);
  }

  // the cells' elements, built once per shape (cells per row), then only repainted
  build(s) {
    this.rows.replaceChildren();
    const { w, h, scale } = this.d;
    this.cells = s.rows.map((r) => {
      const row = el("div", { class: "ae-row" }, this.rows);
      const lab = el("div", { class: "ae-row-label" }, row);
      const cells = r.cells.map(() => {
        const fig = el("figure", { class: "ae-cell" }, row);
        fig.style.width = `${w * scale}px`;  // a long caption wraps: columns align
        const title = el("div", { class: "ae-cell-title" }, fig);
        const cv = el("canvas", { width: String(w), height: String(h), role: "img" }, fig);
        cv.style.width = `${w * scale}px`;
        const cap = el("figcaption", {}, fig);
        return { title, cv, cap };
      });
      return { lab, cells };
    });
  }

  show(i) {
    const s = this.d.stops[i];
    this.heading.textContent = s.heading || "";
    this.heading.style.display = s.heading ? "" : "none";
    this.note.textContent = s.note || "";
    this.wrap.setAttribute("data-stop", String(i));
    this.wrap.setAttribute("data-value", String(this.d.values[i]));
    const shape = s.rows.map((r) => r.cells.length).join(",");
    if (this.built !== shape) { this.build(s); this.built = shape; }
    s.rows.forEach((r, ri) => {
      const row = this.cells[ri];
      row.lab.textContent = r.label || "";
      row.lab.style.display = r.label ? "" : "none";
      r.cells.forEach((c, ci) => {
        const cell = row.cells[ci];
        cell.title.textContent = c.title || "";
        cell.title.style.display = c.title ? "" : "none";
        paint(cell.cv, bytes(this.d.images[c.img]), this.d.w, this.d.h);
        const what = [(r.label || "").split("\n")[0], c.title, c.caption].filter(Boolean).join(": ");
        cell.cv.setAttribute("aria-label", (c.alt || what || "image").replace(/\n/g, ", "));
        cell.cap.textContent = c.caption || "";
      });
    });
    // the stop's numbers (e.g. PSNR and SSIM) for a screen reader, once a drag settles
    if (this.status && s.say) this.status.say(s.say);
  }

  destroy() {
    if (this.watch) this.watch.destroy();
    if (this.status) this.status.destroy();
  }
}

export class Rows extends Stops {
  constructor(root) {
    super(root);
    this.wrap.setAttribute("data-testid", "aeRows");
  }
}
