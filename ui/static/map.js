// The live latent map ("map" parts): the test codes as dots; the code under the pointer (or the
// keyboard's cursor) is decoded every animation frame. A click, Enter or the release of an arrow
// key pins a code: setStateValue("pin"), one script run. The pinned ring shows the page's z pair
// (the session state's z sliders), which the server sends as a "pin" part: data flows one way,
// server -> page, and the map never reads the sliders.

import { whenDecoder } from "./carry.js";
import { liveFrame, pinned, timedDecode } from "./debug.js";
import { announcer, el } from "./dom.js";
import { center, drawDots, drawLegend, drawMarks, fromFraction, moved, snapped } from "./mapdraw.js";
import { paint } from "./paint.js";
import { bytes, floats } from "./bytes.js";

const maps = new Map();  // map id -> LatentMap on the page
const pins = new Map();  // map id -> [z1, z2] the server last sent

const fmt = (z) => `(${z[0].toFixed(2)}, ${z[1].toFixed(2)})`;

// "pin" parts: the server's z pair for the map `data.map`
export class MapPin {
  constructor(root) { this.root = root; }
  update(data) {
    pins.set(data.map, data.z);
    const map = maps.get(data.map);
    if (map) map.setPin(data.z);
  }
  destroy() {}
}

export class LatentMap {
  constructor(root) {
    this.root = root;
    this.hover = null;   // [z1, z2] under the pointer, or null
    this.pin = null;     // [z1, z2] pinned: the server's z pair, or a pin not yet answered
    this.cursor = null;  // [z1, z2] moved by the keyboard before it is sent
    this.raf = 0;
    const wrap = el("div", { class: "ae-map" }, root);
    const left = (this.left = el("div", { class: "ae-map-left" }, wrap));
    this.legend = el("div", { class: "ae-legend", "aria-hidden": "true" }, left);
    this.box = el("div", { class: "ae-map-box", tabindex: "0", role: "application",
      "data-testid": "aeLiveMap" }, left);
    this.base = el("canvas", { class: "ae-map-base", role: "img" }, this.box);
    this.over = el("canvas", { class: "ae-map-over", "aria-hidden": "true" }, this.box);
    this.axes = el("div", { class: "ae-axes", "aria-hidden": "true" }, left);
    const right = el("div", { class: "ae-map-right" }, wrap);
    this.digit = el("canvas", { class: "ae-digit", width: "28", height: "28", role: "img",
      "aria-label": "decoded digit (waiting for the decoder)", "data-testid": "aeLiveDigit" }, right);
    this.zText = el("div", { class: "ae-ztext", "data-testid": "aeLiveZ" }, right);
    this.help = el("div", { class: "ae-help" }, right);
    this.status = announcer(right);
    this.bind();
    this.resize = new ResizeObserver(() => {
      if (this.d && this.fitSize() !== this.drawnSize) { this.drawBase(); this.request(); }
    });
    this.resize.observe(root);
  }

  bind() {
    const box = this.box;
    box.addEventListener("pointermove", (ev) => { this.hover = this.at(ev); this.request(); });
    box.addEventListener("pointerdown", (ev) => { this.hover = this.at(ev); this.request(); });
    box.addEventListener("pointerleave", () => { this.hover = null; this.request(); });
    box.addEventListener("click", (ev) => { const z = this.at(ev); if (z) this.send(z); });
    box.addEventListener("keydown", (ev) => this.key(ev));
    box.addEventListener("keyup", (ev) => {
      if (ev.key.startsWith("Arrow") && this.cursor) this.send(this.cursor);
    });
    box.addEventListener("blur", () => { if (this.cursor) this.send(this.cursor); });
  }

  // the code under a pointer event, or null outside the plane
  at(ev) {
    const r = this.box.getBoundingClientRect();
    return fromFraction((ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height, this.d);
  }

  key(ev) {
    const step = this.d.step * (ev.shiftKey ? 10 : 1);
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[ev.key]) {
      ev.preventDefault();
      this.cursor = moved(this.cursor || this.pin || center(this.d), moves[ev.key], this.d);
      this.hover = null;
      this.request();
    } else if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      this.send(this.cursor || this.hover || this.pin || center(this.d));
    }
  }

  send(z) {
    const p = snapped(z, this.d.step, this.d);
    this.cursor = null;
    this.pin = p;  // shown at once; the server's pin part confirms it
    pinned();
    this.status.say(`Pinned z = ${fmt(p)}`);
    this.request();
    if (this.setState) this.setState("pin", { z1: p[0], z2: p[1], at: Date.now() });
  }

  setPin(z) {
    if (!this.pin || this.pin[0] !== z[0] || this.pin[1] !== z[1]) { this.pin = z; this.request(); }
  }

  update(data, setStateValue) {
    this.setState = setStateValue;
    const same = this.d && this.d.rev === data.rev;
    if (this.d && this.d.id !== data.id) maps.delete(this.d.id);
    this.d = data;
    maps.set(data.id, this);
    if (!same) {
      this.codes = floats(data.codes);  // (N, 2)
      this.labels = bytes(data.labels);  // (N,)
      this.drawBase();
      drawLegend(this.legend, el, data.names);
      this.axes.textContent = `z1 from ${data.lo[0].toFixed(2)} (left) to ${data.hi[0].toFixed(2)} (right); ` +
        `z2 from ${data.lo[1].toFixed(2)} (bottom) to ${data.hi[1].toFixed(2)} (top)`;
      this.help.textContent = data.help || "";
      this.box.setAttribute("aria-label", data.aria || "Latent map");
      const item = data.item || "digit";
      this.digit.setAttribute("aria-label", `decoded ${item} (waiting for the decoder)`);
      this.base.setAttribute("aria-label", `${this.labels.length} test ${data.items || "digits"} as dots on the plane, ` +
        `coloured by their class; ${data.yours ? `your ${item} as a white star` : `no ${item} of yours`}`);
      this.dec = null;
      whenDecoder(data.model).then((dec) => {
        if (this.d.model !== dec.id) return;
        this.dec = dec;
        this.digit.width = dec.width; this.digit.height = dec.height;  // 28x28 grey, 32x32 colour...
        this.request();
      });
    }
    if (pins.has(data.id)) this.setPin(pins.get(data.id));
    this.request();
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
    this.dpr = dpr;
    for (const c of [this.base, this.over]) {
      c.width = Math.round(size * dpr); c.height = Math.round(size * dpr);
    }
    this.box.style.width = `${size}px`; this.box.style.height = `${size}px`;
    this.left.style.width = `${size}px`;  // the legend and axis text wrap under the map
    drawDots(this.base.getContext("2d"), this.codes, this.labels, this.d, this.d.yours, dpr);
  }

  request() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.frame(); });
  }

  frame() {
    if (!this.d) return;
    const live = this.hover || this.cursor, z = live || this.pin;
    drawMarks(this.over.getContext("2d"), this.pin, live, this.d, this.dpr);
    if (!z || !this.dec) return;
    paint(this.digit, timedDecode(this.dec, z), this.dec.width, this.dec.height);
    liveFrame();
    const where = this.hover ? "under the pointer" : this.cursor ? "arrow keys (release to pin)" : "pinned";
    const said = `decoded ${this.d.item || "digit"} at z = ${fmt(z)}`;
    this.zText.textContent = `z = ${fmt(z)} · ${where}`;
    this.digit.setAttribute("aria-label", said);
    this.box.setAttribute("data-z", `${z[0].toFixed(4)},${z[1].toFixed(4)}`);
    if (live) this.status.say(said);
  }

  destroy() {
    if (this.d && maps.get(this.d.id) === this) maps.delete(this.d.id);
    this.resize.disconnect();
    this.status.destroy();
    cancelAnimationFrame(this.raf);
  }
}
