// Prior samples decoded in the page ("samples" parts): z = temperature * eps, the first `count`
// rows of eps (n_max, k), following the native count and temperature sliders while they are
// dragged.

import { floats } from "./bytes.js";
import { whenDecoder } from "./carry.js";
import { flipped, timedDecode } from "./debug.js";
import { announcer, el } from "./dom.js";
import { paint } from "./paint.js";
import { sliderValue, watchSliders } from "./sliders.js";

export class Samples {
  constructor(root) {
    this.root = root;
    this.wrap = el("div", { class: "ae-samples", "data-testid": "aeLiveSamples" }, root);
    this.grid = el("div", { class: "ae-grid", role: "group" }, this.wrap);
    this.cap = el("div", { class: "ae-note" }, this.wrap);
    this.status = announcer(this.wrap);
    this.shown = null;
    this.raf = 0;
  }

  update(data) {
    const same = this.d && this.d.rev === data.rev;
    this.d = data;
    if (!same) {
      this.eps = floats(data.eps);  // (n_max, k)
      this.grid.replaceChildren();
      this.cells = [];
      this.shown = null;
      if (this.watch) this.watch.destroy();
      this.watch = watchSliders([data.count_slider, data.temp_slider], () => this.request());
      this.dec = null;
      whenDecoder(data.model).then((dec) => { if (this.d.model === dec.id) { this.dec = dec; this.request(); } });
    }
    this.request();
  }

  request() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.frame(); });
  }

  frame() {
    if (!this.dec) return;
    const d = this.d;
    const n = Math.round(sliderValue(d.count_slider) ?? d.count);
    const tr = Math.round((sliderValue(d.temp_slider) ?? d.temperature) * 1e6) / 1e6;  // 0.1 steps, no float dust
    const key = `${n}/${tr}`;
    if (key === this.shown) return;
    this.shown = key;
    const k = d.k, z = new Float32Array(k), t0 = performance.now();
    const w = this.dec.width, h = this.dec.height;  // 28x28 grey, 32x32 colour...
    while (this.cells.length < n) {
      const cv = el("canvas", { width: String(w), height: String(h), role: "img" }, this.grid);
      cv.style.width = `${w * d.scale}px`;
      this.cells.push(cv);
    }
    this.cells.forEach((cv, i) => { cv.style.display = i < n ? "" : "none"; });
    const text = d.caption.replace("{count}", String(n)).replace("{temperature}", tr.toFixed(1));
    for (let i = 0; i < n; i++) {
      // z = T * eps in float32, exactly as the server computes it (aecore.latent.prior_samples)
      for (let j = 0; j < k; j++) z[j] = Math.fround(tr) * this.eps[i * k + j];
      paint(this.cells[i], timedDecode(this.dec, z), w, h);
      this.cells[i].setAttribute("aria-label", `sample ${i + 1} of ${n}, temperature ${tr.toFixed(1)}`);
    }
    flipped(this.wrap, performance.now() - t0);
    this.cap.textContent = text;
    this.grid.setAttribute("aria-label", d.aria.replace("{count}", String(n)).replace("{temperature}", tr.toFixed(1)));
    this.status.say(text);
    this.wrap.setAttribute("data-shown", key);
  }

  destroy() {
    if (this.watch) this.watch.destroy();
    this.status.destroy();
    cancelAnimationFrame(this.raf);
  }
}
