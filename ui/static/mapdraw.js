// The latent map's geometry and drawing: codes <-> pixels on the plane = {lo, hi}, the test codes
// (drawn once per size) and the marks over them (every frame). Plain functions, no state.

export const COLORS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
  "#CC79A7", "#999999", "#882255"];  // ui/charts.py's DIGIT_COLORS (Okabe-Ito, extended)

// a code [z1, z2] as canvas pixels [x, y] (z2 grows upwards)
export function toPixel(z, { lo, hi }, W, H) {
  return [(z[0] - lo[0]) / (hi[0] - lo[0]) * W, (hi[1] - z[1]) / (hi[1] - lo[1]) * H];
}

// the code at fractions [fx, fy] of the plane from its top left corner, or null outside it
export function fromFraction(fx, fy, { lo, hi }) {
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
  return [lo[0] + fx * (hi[0] - lo[0]), hi[1] - fy * (hi[1] - lo[1])];
}

export function center({ lo, hi }) {
  return [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
}

// z moved by d, kept on the plane
export function moved(z, d, { lo, hi }) {
  return [0, 1].map((i) => Math.min(hi[i], Math.max(lo[i], z[i] + d[i])));
}

// z on the sliders' grid of `step` (as the z sliders hold it), kept on the plane
export function snapped(z, step, { lo, hi }) {
  return z.map((v, i) => Math.min(hi[i], Math.max(lo[i], parseFloat((Math.round(v / step) * step).toFixed(6)))));
}

// codes (N * 2 floats) as dots coloured by labels (N), the user's code as a star, a frame
export function drawDots(ctx, codes, labels, plane, yours, dpr) {
  const W = ctx.canvas.width, H = ctx.canvas.height, n = labels.length, r = Math.max(1.5, 2 * dpr);
  ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W, H);
  ctx.globalAlpha = 0.7;
  for (let d = 0; d < 10; d++) {  // one colour at a time: 10 fillStyle changes, not 10,000
    ctx.fillStyle = COLORS[d];
    for (let i = 0; i < n; i++) {
      if (labels[i] !== d) continue;
      const [x, y] = toPixel([codes[2 * i], codes[2 * i + 1]], plane, W, H);
      ctx.fillRect(x - r / 2, y - r / 2, r, r);
    }
  }
  ctx.globalAlpha = 1;
  if (yours) drawStar(ctx, toPixel(yours, plane, W, H), 10 * dpr, dpr);
  ctx.strokeStyle = "#bbbbbb"; ctx.lineWidth = 1; ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
}

function drawStar(ctx, [x, y], R, dpr) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? R * 0.45 : R;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath(); ctx.fillStyle = "#ffffff"; ctx.fill();
  ctx.strokeStyle = "#000000"; ctx.lineWidth = 1.5 * dpr; ctx.stroke();
}

// the pinned code as a vermillion ring (as the server's locator draws it) and the live code
// (pointer or keyboard cursor) as a crosshair; either may be null
export function drawMarks(ctx, pin, live, plane, dpr) {
  const W = ctx.canvas.width, H = ctx.canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (pin) {
    const [x, y] = toPixel(pin, plane, W, H);
    ctx.beginPath(); ctx.arc(x, y, 8 * dpr, 0, 2 * Math.PI);
    ctx.strokeStyle = "#D55E00"; ctx.lineWidth = 3 * dpr; ctx.stroke();
  }
  if (live) {
    const [x, y] = toPixel(live, plane, W, H);
    ctx.strokeStyle = "rgba(0,0,0,0.55)"; ctx.lineWidth = dpr; ctx.setLineDash([3 * dpr, 3 * dpr]);
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.moveTo(x, 0); ctx.lineTo(x, H); ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath(); ctx.arc(x, y, 5 * dpr, 0, 2 * Math.PI);
    ctx.fillStyle = "#000000"; ctx.fill();
  }
}

// the legend: one key per class, its colour and its name (a data set's class names as text
// nodes, else 0-9: not the colour alone)
export function drawLegend(legend, el, names) {
  legend.replaceChildren();
  (names || COLORS.map((_, i) => String(i))).forEach((name, i) => {
    const item = el("span", { class: "ae-key" }, legend);
    el("span", { class: "ae-dot", style: `background:${COLORS[i % COLORS.length]}` }, item);
    item.appendChild(document.createTextNode(name));
  });
}
