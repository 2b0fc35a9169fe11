// The live parts of the pages, as one Streamlit Components v2 module (ui/live.py mounts it;
// decoder.js is prepended to this text). Everything here runs in the page: pointer moves and
// slider drags redraw without asking the server; only a pin (click, Enter, the end of a key
// step) calls setStateValue, which is one script run.
//
// data.kind picks the part:
//   "carry"   a decoder payload (aecore/export.py), sent once per model; others find it by id
//   "map"     the 2-D latent map: test codes as dots, the code under the pointer decoded live
//   "stops"   panels precomputed by the server at every stop of a native slider; the page
//             follows the slider's thumb while it is dragged and flips between them
//   "samples" prior samples decoded in the page: z = temperature * eps, first `count` rows
//   "rows"    one such panel and no slider: rows of labelled, captioned images as one element
//
// The native Streamlit slider stays the control (keyboard, screen readers, the URL on release):
// a drag moves its thumb, whose aria-valuenow we watch; the slider itself sends its value to the
// server only when the pointer is released.

const AE = (globalThis.__aeLive = globalThis.__aeLive || {
  decoders: new Map(),   // payload id -> decoder
  waiting: new Map(),    // payload id -> [resolve]
  stats: { decodes: 0, frames: 0, decodeMs: [], flips: 0, firstLiveAt: null, pins: 0 },
});
const CONTROLLERS = new WeakMap();  // parentElement -> controller
const COLORS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
  "#CC79A7", "#999999", "#882255"];  // ui/charts.py's DIGIT_COLORS (Okabe-Ito, extended)

function aeWhenDecoder(id) {
  if (AE.decoders.has(id)) return Promise.resolve(AE.decoders.get(id));
  return new Promise((resolve) => {
    const list = AE.waiting.get(id) || [];
    list.push(resolve);
    AE.waiting.set(id, list);
  });
}

function aeTimedDecode(dec, z, label) {
  const t0 = performance.now();
  const px = dec.decode(z, label);
  const ms = performance.now() - t0;
  const s = AE.stats;
  s.decodes++;
  if (s.decodeMs.length >= 5000) s.decodeMs.shift();
  s.decodeMs.push(ms);
  return px;
}

function aeLiveFrame() {
  AE.stats.frames++;
  if (AE.stats.firstLiveAt === null) AE.stats.firstLiveAt = performance.now();
}

function aeFlipped(wrap, ms) {
  // one update of a live slider's panels: counted on the page and on the part itself
  const s = AE.stats;
  s.flips++;
  s.flipMs = s.flipMs || [];
  if (s.flipMs.length >= 5000) s.flipMs.shift();
  s.flipMs.push(ms);
  wrap.dataset.flips = String(Number(wrap.dataset.flips || 0) + 1);
  aeLiveFrame();
}

function el(tag, attrs = {}, parent = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}

function b64bytes(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function paintPixels(canvas, bytes, w, h) {
  // uint8 pixels onto a canvas of that size: grey (h * w), or RGB (h * w * 3: an error map)
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h), d = img.data;
  const rgb = bytes.length === 3 * w * h;
  for (let i = 0; i < w * h; i++) {
    const j = rgb ? 3 * i : i, k = rgb ? 1 : 0;
    d[4 * i] = bytes[j]; d[4 * i + 1] = bytes[j + k]; d[4 * i + 2] = bytes[j + 2 * k];
    d[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// a native Streamlit slider on the page, found by its label; null when absent
function aeFindSlider(label) {
  for (const box of document.querySelectorAll('[data-testid="stSlider"]')) {
    const lab = box.querySelector('[data-testid="stWidgetLabel"]');
    if (lab && lab.textContent.trim() === label) return box.querySelector('input[type="range"], [role="slider"]');
  }
  return null;
}

// Watch native sliders' thumbs: calls onChange() whenever any of them moves (during a drag too).
// Re-finds the thumbs when Streamlit re-creates them (a rerun may).
class SliderWatch {
  constructor(labels, onChange) {
    this.labels = labels.filter(Boolean);
    this.onChange = () => onChange();
    this.thumbs = [];
    this.obs = new MutationObserver(() => this.onChange());
    this.timer = setInterval(() => this.attach(), 400);
    this.attach();
    this.ready = true;  // the owner reads the thumbs itself right after constructing this
  }
  attach() {
    const found = this.labels.map(aeFindSlider);
    if (found.every((t, i) => t === this.thumbs[i])) return;
    this.obs.disconnect();
    this.thumbs = found;
    for (const t of found) {
      if (!t) continue;
      this.obs.observe(t, { attributes: true, attributeFilter: ["aria-valuenow", "aria-valuetext", "value"] });
      t.addEventListener("input", this.onChange);
    }
    if (this.ready) this.onChange();
  }
  value(i) {
    // Streamlit 1.67's slider thumb is an <input type="range"> (react-aria) whose value follows
    // the drag; older baseweb thumbs carry aria-valuenow instead
    const t = this.thumbs[i];
    if (!t || !t.isConnected) return null;
    const v = parseFloat(t.value !== undefined && t.value !== "" ? t.value : t.getAttribute("aria-valuenow"));
    return Number.isFinite(v) ? v : null;
  }
  text(i) {
    const t = this.thumbs[i];
    return t && t.isConnected ? t.getAttribute("aria-valuetext") : null;
  }
  destroy() { this.obs.disconnect(); clearInterval(this.timer); }
}

// ---------------------------------------------------------------- carry: a decoder payload
class Carry {
  constructor(root) { this.root = root; }
  update(data) {
    const p = data.payload;
    if (!AE.decoders.has(p.id)) {
      AE.decoders.set(p.id, aeDecoder(p));
      for (const resolve of AE.waiting.get(p.id) || []) resolve(AE.decoders.get(p.id));
      AE.waiting.delete(p.id);
    }
    this.root.setAttribute("data-model", p.id);
  }
  destroy() {}
}

// ---------------------------------------------------------------- map: the live latent map
class LatentMap {
  constructor(root) {
    this.root = root;
    this.hover = null;      // [z1, z2] under the pointer, or null
    this.pin = null;        // [z1, z2] pinned (the server's z sliders)
    this.cursor = null;     // [z1, z2] moved by the keyboard before it is sent
    this.dirty = false;
    this.raf = 0;
    const wrap = el("div", { class: "ae-map" }, root);
    const left = (this.left = el("div", { class: "ae-map-left" }, wrap));
    this.legend = el("div", { class: "ae-legend", "aria-hidden": "true" }, left);
    this.box = el("div", { class: "ae-map-box", tabindex: "0", role: "application",
      "data-testid": "aeLiveMap" }, left);
    this.base = el("canvas", { class: "ae-map-base" }, this.box);
    this.over = el("canvas", { class: "ae-map-over" }, this.box);
    this.axes = el("div", { class: "ae-axes", "aria-hidden": "true" }, left);
    const right = el("div", { class: "ae-map-right" }, wrap);
    this.digit = el("canvas", { class: "ae-digit", width: "28", height: "28", role: "img",
      "data-testid": "aeLiveDigit" }, right);
    this.zText = el("div", { class: "ae-ztext", "data-testid": "aeLiveZ" }, right);
    this.help = el("div", { class: "ae-help" }, right);
    this.status = el("div", { class: "ae-sr", "aria-live": "polite" }, right);
    this.imgData = this.digit.getContext("2d").createImageData(28, 28);
    this.bind();
    this.resize = new ResizeObserver(() => {
      if (this.d && this.fitSize() !== this.drawnSize) { this.drawBase(); this.request(); }
    });
    this.resize.observe(root);
  }

  bind() {
    const box = this.box;
    const at = (ev) => {
      const r = box.getBoundingClientRect();
      const fx = (ev.clientX - r.left) / r.width, fy = (ev.clientY - r.top) / r.height;
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
      const { lo, hi } = this.d;
      return [lo[0] + fx * (hi[0] - lo[0]), hi[1] - fy * (hi[1] - lo[1])];  // z2 grows upwards
    };
    box.addEventListener("pointermove", (ev) => { this.hover = at(ev); this.request(); });
    box.addEventListener("pointerdown", (ev) => { this.hover = at(ev); this.request(); });
    box.addEventListener("pointerleave", () => { this.hover = null; this.request(); });
    box.addEventListener("click", (ev) => { const z = at(ev); if (z) this.send(z); });
    box.addEventListener("keydown", (ev) => this.key(ev));
    box.addEventListener("keyup", (ev) => {
      if (ev.key.startsWith("Arrow") && this.cursor) this.send(this.cursor);
    });
    box.addEventListener("blur", () => { if (this.cursor) this.send(this.cursor); });
  }

  key(ev) {
    const step = this.d.step * (ev.shiftKey ? 10 : 1);
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[ev.key]) {
      ev.preventDefault();
      const from = this.cursor || this.pin || this.center();
      const { lo, hi } = this.d;
      this.cursor = [0, 1].map((i) => Math.min(hi[i], Math.max(lo[i], from[i] + moves[ev.key][i])));
      this.hover = null;
      this.request();
    } else if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      this.send(this.cursor || this.hover || this.pin || this.center());
    }
  }

  center() { const { lo, hi } = this.d; return [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2]; }

  snap(z) {
    const s = this.d.step, { lo, hi } = this.d;
    return z.map((v, i) => {
      const q = Math.round(v / s) * s;
      return Math.min(hi[i], Math.max(lo[i], parseFloat(q.toFixed(6))));
    });
  }

  send(z) {
    const p = this.snap(z);
    this.cursor = null;
    this.pin = p;
    AE.stats.pins++;
    this.status.textContent = `Pinned z = (${p[0].toFixed(2)}, ${p[1].toFixed(2)})`;
    this.request();
    if (this.setState) this.setState("pin", { z1: p[0], z2: p[1], at: Date.now() });
  }

  update(data, setStateValue) {
    this.setState = setStateValue;
    const same = this.d && this.d.rev === data.rev;
    this.d = data;
    if (!same) {
      this.codes = new Float32Array(b64bytes(data.codes).buffer);
      this.labels = b64bytes(data.labels);
      this.drawBase();
      this.legend.innerHTML = "";
      // a data set's class names (text nodes: a user's folder names stay text), else 0-9
      (data.names || COLORS.map((_, i) => String(i))).forEach((name, i) => {
        const item = el("span", { class: "ae-key" }, this.legend);
        el("span", { class: "ae-dot", style: `background:${COLORS[i % COLORS.length]}` }, item);
        item.appendChild(document.createTextNode(name));
      });
      this.axes.textContent = `z1 from ${data.lo[0].toFixed(2)} (left) to ${data.hi[0].toFixed(2)} (right); ` +
        `z2 from ${data.lo[1].toFixed(2)} (bottom) to ${data.hi[1].toFixed(2)} (top)`;
      this.help.textContent = data.help || "";
      this.box.setAttribute("aria-label", data.aria || "Latent map");
      this.digit.setAttribute("aria-label", "Decoded digit");
      if (this.watch) this.watch.destroy();
      this.watch = new SliderWatch(data.sliders || [], () => this.fromSliders());
      this.dec = null;
      aeWhenDecoder(data.model).then((dec) => { if (this.d.model === dec.id) { this.dec = dec; this.request(); } });
    }
    if (data.pin && (!this.watch || this.watch.value(0) === null)) this.pin = data.pin;
    this.fromSliders();
    this.request();
  }

  fromSliders() {
    const a = this.watch && this.watch.value(0), b = this.watch && this.watch.value(1);
    if (a !== null && b !== null && a !== undefined && b !== undefined) {
      if (!this.pin || this.pin[0] !== a || this.pin[1] !== b) { this.pin = [a, b]; this.request(); }
    }
  }

  fitSize() {
    // as large as asked, but leaving room for the decoded digit beside it (it wraps below on
    // a narrow column or a phone)
    const avail = this.root.getBoundingClientRect().width || this.d.size;
    const beside = avail - 16 * 11 - 24;  // the digit's column (11rem) and the gap
    return Math.round(beside >= 280 ? Math.min(this.d.size, beside) : Math.min(this.d.size, avail));
  }

  drawBase() {
    const size = this.fitSize(), dpr = Math.min(2, window.devicePixelRatio || 1);
    this.drawnSize = size;
    for (const c of [this.base, this.over]) {
      c.width = Math.round(size * dpr); c.height = Math.round(size * dpr);
    }
    this.box.style.width = `${size}px`; this.box.style.height = `${size}px`;
    this.left.style.width = `${size}px`;  // the legend and axis text wrap under the map
    this.dpr = dpr;
    const ctx = this.base.getContext("2d"), W = this.base.width, H = this.base.height;
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W, H);
    const { lo, hi } = this.d, n = this.labels.length, r = Math.max(1.5, 2 * dpr);
    ctx.globalAlpha = 0.7;
    for (let d = 0; d < 10; d++) {  // one colour at a time: 10 fillStyle changes, not 10,000
      ctx.fillStyle = COLORS[d];
      for (let i = 0; i < n; i++) {
        if (this.labels[i] !== d) continue;
        const x = (this.codes[2 * i] - lo[0]) / (hi[0] - lo[0]) * W;
        const y = (hi[1] - this.codes[2 * i + 1]) / (hi[1] - lo[1]) * H;
        ctx.fillRect(x - r / 2, y - r / 2, r, r);
      }
    }
    ctx.globalAlpha = 1;
    if (this.d.yours) this.star(ctx, this.d.yours, W, H);
    ctx.strokeStyle = "#bbbbbb"; ctx.lineWidth = 1; ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
  }

  star(ctx, z, W, H) {
    const { lo, hi } = this.d;
    const x = (z[0] - lo[0]) / (hi[0] - lo[0]) * W, y = (hi[1] - z[1]) / (hi[1] - lo[1]) * H;
    const R = 10 * this.dpr;
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? R * 0.45 : R;
      ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath(); ctx.fillStyle = "#ffffff"; ctx.fill();
    ctx.strokeStyle = "#000000"; ctx.lineWidth = 1.5 * this.dpr; ctx.stroke();
  }

  request() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.frame(); });
  }

  frame() {
    if (!this.d) return;
    const z = this.hover || this.cursor || this.pin;
    const ctx = this.over.getContext("2d"), W = this.over.width, H = this.over.height;
    ctx.clearRect(0, 0, W, H);
    const { lo, hi } = this.d;
    const px = (v) => [(v[0] - lo[0]) / (hi[0] - lo[0]) * W, (hi[1] - v[1]) / (hi[1] - lo[1]) * H];
    if (this.pin) {  // the pinned code: a vermillion ring, as the server's locator draws it
      const [x, y] = px(this.pin);
      ctx.beginPath(); ctx.arc(x, y, 8 * this.dpr, 0, 2 * Math.PI);
      ctx.strokeStyle = "#D55E00"; ctx.lineWidth = 3 * this.dpr; ctx.stroke();
    }
    const live = this.hover || this.cursor;
    if (live) {  // the code under the pointer (or the keyboard's cursor): a crosshair
      const [x, y] = px(live);
      ctx.strokeStyle = "rgba(0,0,0,0.55)"; ctx.lineWidth = this.dpr; ctx.setLineDash([3 * this.dpr, 3 * this.dpr]);
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.moveTo(x, 0); ctx.lineTo(x, H); ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath(); ctx.arc(x, y, 5 * this.dpr, 0, 2 * Math.PI);
      ctx.fillStyle = "#000000"; ctx.fill();
    }
    if (z && this.dec) {
      const pixels = aeTimedDecode(this.dec, z);
      this.digit.getContext("2d").putImageData(aePaint(pixels, this.imgData), 0, 0);
      aeLiveFrame();
      const where = this.hover ? "under the pointer" : this.cursor ? "arrow keys (release to pin)" : "pinned";
      this.zText.textContent = `z = (${z[0].toFixed(2)}, ${z[1].toFixed(2)}) · ${where}`;
      this.digit.setAttribute("aria-label", `Digit decoded at z = (${z[0].toFixed(2)}, ${z[1].toFixed(2)})`);
      this.box.setAttribute("data-z", `${z[0].toFixed(4)},${z[1].toFixed(4)}`);
    }
  }

  destroy() {
    if (this.watch) this.watch.destroy();
    if (this.resize) this.resize.disconnect();
    cancelAnimationFrame(this.raf);
  }
}

// ---------------------------------------------------------------- stops: a live native slider
class Stops {
  constructor(root) {
    this.root = root;
    this.wrap = el("div", { class: "ae-stops", "data-testid": "aeLiveStops" }, root);
    this.index = -1;
  }
  update(data) {
    const same = this.d && this.d.rev === data.rev;
    this.d = data;
    if (!same) {
      this.wrap.innerHTML = "";
      this.heading = el("div", { class: "ae-heading", role: "heading", "aria-level": "3" }, this.wrap);
      this.rows = el("div", { class: "ae-rows" }, this.wrap);
      this.note = el("div", { class: "ae-note" }, this.wrap);
      this.curve = data.curve ? el("div", { class: "ae-curve" }, this.wrap) : null;
      this.built = null;
      this.index = -1;
      if (this.watch) this.watch.destroy();
      this.watch = data.slider ? new SliderWatch([data.slider], () => this.follow()) : null;
    }
    this.follow(true);
  }
  stopIndex() {
    if (!this.watch) return this.d.index;
    const d = this.d, v = this.watch.value(0);
    if (v === null) return d.index;
    if (d.by_index) return Math.max(0, Math.min(d.stops.length - 1, Math.round(v)));
    let best = 0;
    d.values.forEach((x, i) => { if (Math.abs(x - v) < Math.abs(d.values[best] - v)) best = i; });
    return best;
  }
  follow(force = false) {
    const i = this.stopIndex();
    if (i === this.index && !force) return;
    if (i === this.index && this.built) return;
    this.index = i;
    const t0 = performance.now();
    this.show(i);
    aeFlipped(this.wrap, performance.now() - t0);
  }
  show(i) {
    const s = this.d.stops[i];
    this.heading.textContent = s.heading || "";
    this.heading.style.display = s.heading ? "" : "none";
    this.note.textContent = s.note || "";
    this.wrap.setAttribute("data-stop", String(i));
    this.wrap.setAttribute("data-value", String(this.d.values[i]));
    // rows of images: build the elements once, then only repaint and re-caption them
    const shape = s.rows.map((r) => r.cells.length).join(",");
    if (this.built !== shape) {
      this.rows.innerHTML = "";
      this.cells = s.rows.map((r) => {
        const row = el("div", { class: "ae-row" }, this.rows);
        const lab = el("div", { class: "ae-row-label" }, row);
        const cells = r.cells.map(() => {
          const fig = el("figure", { class: "ae-cell" }, row);
          fig.style.width = `${this.d.w * this.d.scale}px`;  // a long caption wraps: columns align
          const title = el("div", { class: "ae-cell-title" }, fig);
          const cv = el("canvas", { width: String(this.d.w), height: String(this.d.h), role: "img" }, fig);
          cv.style.width = `${this.d.w * this.d.scale}px`;
          const cap = el("figcaption", {}, fig);
          return { title, cv, cap };
        });
        return { lab, cells };
      });
      this.built = shape;
    }
    s.rows.forEach((r, ri) => {
      const row = this.cells[ri];
      row.lab.textContent = r.label || "";
      row.lab.style.display = r.label ? "" : "none";
      r.cells.forEach((c, ci) => {
        const cell = row.cells[ci];
        cell.title.textContent = c.title || "";
        cell.title.style.display = c.title ? "" : "none";
        paintPixels(cell.cv, b64bytes(this.d.images[c.img]), this.d.w, this.d.h);
        const what = [(r.label || "").split("\n")[0], c.caption].filter(Boolean).join(": ");
        cell.cv.setAttribute("aria-label", c.alt || c.title || what || "image");
        cell.cap.textContent = c.caption || "";
      });
    });
    if (this.curve) this.drawCurve(this.d.curve, this.d.values[i]);
  }
  drawCurve(c, x) {
    // a small line chart (mean PSNR against the level) with a marker at the slider's level
    const W = 640, H = 300, L = 56, R = 16, T = 36, B = 44;
    const xs = c.x, names = Object.keys(c.series);
    const all = names.flatMap((n) => c.series[n]).filter(Number.isFinite);
    const y0 = Math.floor(Math.min(...all) - 1), y1 = Math.ceil(Math.max(...all) + 1);
    const x0 = c.xmin, x1 = c.xmax;
    const sx = (v) => L + (v - x0) / (x1 - x0) * (W - L - R), sy = (v) => H - B - (v - y0) / (y1 - y0) * (H - T - B);
    const colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#999999"];
    const f = c.big ? 1.4 : 1;  // presenter mode: type 1.4 x larger, as charts.apply_presenter
    let svg = `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${c.aria || "curve"}">`;
    svg += `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/>`;
    svg += `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/>`;
    for (let k = 0; k <= 4; k++) {
      const yv = y0 + (y1 - y0) * k / 4, xv = x0 + (x1 - x0) * k / 4;
      svg += `<text x="${L - 6}" y="${sy(yv) + 4}" text-anchor="end" font-size="${11 * f}">${yv.toFixed(0)}</text>`;
      svg += `<text x="${sx(xv)}" y="${H - B + 16}" text-anchor="middle" font-size="${11 * f}">${+xv.toFixed(3)}</text>`;
    }
    svg += `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="${12 * f}">${c.xlabel}</text>`;
    svg += `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" font-size="${12 * f}" transform="rotate(-90 14 ${(T + H - B) / 2})">${c.ylabel}</text>`;
    names.forEach((n, k) => {
      const pts = xs.map((xv, j) => `${sx(xv).toFixed(1)},${sy(c.series[n][j]).toFixed(1)}`).join(" ");
      const col = colors[k % colors.length];
      svg += `<polyline points="${pts}" fill="none" stroke="${col}" stroke-width="2"/>`;
      svg += `<rect x="${L + k * 150}" y="8" width="12" height="4" fill="${col}"/>`;
      svg += `<text x="${L + 16 + k * 150}" y="14" font-size="${12 * f}">${n}</text>`;
    });
    svg += `<line x1="${sx(x)}" y1="${T}" x2="${sx(x)}" y2="${H - B}" stroke="#999" stroke-dasharray="4 3" data-testid="aeLevelMarker"/>`;
    svg += `<text x="${sx(x) + 4}" y="${T + 10}" font-size="${11 * f}" fill="#666">your level</text></svg>`;
    this.curve.innerHTML = svg;
    this.curve.setAttribute("data-marker-x", String(x));
  }
  destroy() { if (this.watch) this.watch.destroy(); }
}

// ---------------------------------------------------------------- samples: prior samples
class Samples {
  constructor(root) {
    this.root = root;
    this.wrap = el("div", { class: "ae-samples", "data-testid": "aeLiveSamples" }, root);
    this.grid = el("div", { class: "ae-grid" }, this.wrap);
    this.cap = el("div", { class: "ae-note" }, this.wrap);
    this.shown = null;
    this.raf = 0;
  }
  update(data) {
    const same = this.d && this.d.rev === data.rev;
    this.d = data;
    if (!same) {
      this.eps = new Float32Array(b64bytes(data.eps).buffer);  // (n_max, k)
      this.grid.innerHTML = "";
      this.cells = [];
      this.shown = null;
      if (this.watch) this.watch.destroy();
      this.watch = new SliderWatch([data.count_slider, data.temp_slider], () => this.request());
      this.dec = null;
      aeWhenDecoder(data.model).then((dec) => { if (this.d.model === dec.id) { this.dec = dec; this.request(); } });
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
    const n = Math.round(this.watch.value(0) ?? d.count), t = this.watch.value(1) ?? d.temperature;
    const tr = Math.round(t * 1e6) / 1e6;  // the slider's 0.1 steps, without float dust
    const key = `${n}/${tr}`;
    if (key === this.shown) return;
    this.shown = key;
    const k = d.k, z = new Float32Array(k), t0 = performance.now();
    while (this.cells.length < n) {
      const cv = el("canvas", { width: "28", height: "28", role: "img" }, this.grid);
      cv.style.width = `${28 * d.scale}px`;
      this.cells.push({ cv, img: cv.getContext("2d").createImageData(28, 28) });
    }
    this.cells.forEach((c, i) => { c.cv.style.display = i < n ? "" : "none"; });
    for (let i = 0; i < n; i++) {
      // z = T * eps in float32, exactly as the server computes it (aecore.latent.prior_samples)
      for (let j = 0; j < k; j++) z[j] = Math.fround(tr) * this.eps[i * k + j];
      const px = aeTimedDecode(this.dec, z);
      this.cells[i].cv.getContext("2d").putImageData(aePaint(px, this.cells[i].img), 0, 0);
      this.cells[i].cv.setAttribute("aria-label", `sample ${i + 1}`);
    }
    aeFlipped(this.wrap, performance.now() - t0);
    this.cap.textContent = d.caption.replace("{count}", String(n)).replace("{temperature}", tr.toFixed(1));
    this.wrap.setAttribute("data-shown", key);
  }
  destroy() { if (this.watch) this.watch.destroy(); cancelAnimationFrame(this.raf); }
}

// ---------------------------------------------------------------- rows: one panel, no slider
class Rows extends Stops {
  constructor(root) {
    super(root);
    this.wrap.setAttribute("data-testid", "aeRows");
  }
}

const KINDS = { carry: Carry, map: LatentMap, stops: Stops, samples: Samples, rows: Rows };

export default function (args) {
  const { data, parentElement, setStateValue } = args;
  if (!data || !KINDS[data.kind]) return undefined;
  let ctl = CONTROLLERS.get(parentElement);
  if (!ctl || ctl.constructor !== KINDS[data.kind]) {
    if (ctl) ctl.destroy();
    const root = parentElement.querySelector(".ae-root") || el("div", { class: "ae-root" }, parentElement);
    root.innerHTML = "";
    ctl = new KINDS[data.kind](root);
    CONTROLLERS.set(parentElement, ctl);
  }
  const marks = (AE.stats.marks = AE.stats.marks || {});  // when each part first ran (ms)
  if (marks[data.kind] === undefined) marks[data.kind] = performance.now();
  ctl.update(data, setStateValue);
  if (data.kind === "carry" && marks.decoder === undefined) marks.decoder = performance.now();
  return () => { ctl.destroy(); CONTROLLERS.delete(parentElement); };
}
