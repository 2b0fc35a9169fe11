// The decoder's forward pass in the page: what aecore/export.py's payload describes, in
// Float32Array, for one code at a time. Hand-written for the few layer kinds our decoders use
// (Linear, activations, reshape, nearest Upsample, Conv2d, ConvTranspose2d), so nothing is
// fetched and nothing is built. Touches no DOM.
//
// Layouts are PyTorch's: Linear weight (out, in); Conv2d weight (cout, cin, kh, kw);
// ConvTranspose2d weight (cin, cout, kh, kw); activations (C, H, W) row-major. A decode ends in
// the payload's output activation as pixels in [0, 1], as aecore.losses.output_image does.

import { floats, int8s } from "./bytes.js";

export const FORMAT = 1;

function weights(rec) {
  // float32 weights, or int8 rows times one float32 scale each (exact: see aecore/export.py)
  if (rec.w) return floats(rec.w);
  const q = int8s(rec.wq), s = floats(rec.ws), n = q.length, per = n / s.length;
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = q[i] * s[(i / per) | 0];  // stored as float32: q * s is exact
  return w;
}

function erf(x) {
  // Numerical Recipes' erfc (Chebyshev fit): relative error < 1.2e-7, ample for 1e-4 parity
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

// each layer kind: prepare(record, inShape) -> {outShape, run(input Float32Array) -> Float32Array}
const LAYERS = {
  linear(rec, shape) {
    const w = weights(rec), b = floats(rec.b), nIn = rec.in, nOut = rec.out;
    const out = new Float32Array(nOut);
    return { shape: [nOut], run(x) {
      for (let o = 0; o < nOut; o++) {
        let s = 0, base = o * nIn;
        for (let i = 0; i < nIn; i++) s += w[base + i] * x[i];
        out[o] = s + b[o];
      }
      return out;
    } };
  },
  relu: (rec, shape) => elementwise(shape, (v) => (v > 0 ? v : 0)),
  leaky_relu: (rec, shape) => elementwise(shape, (v) => (v > 0 ? v : v * rec.slope)),
  elu: (rec, shape) => elementwise(shape, (v) => (v > 0 ? v : rec.alpha * (Math.exp(v) - 1))),
  gelu: (rec, shape) => elementwise(shape, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  gelu_tanh: (rec, shape) => elementwise(shape, (v) =>
    0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))),
  sigmoid: (rec, shape) => elementwise(shape, (v) => 1 / (1 + Math.exp(-v))),
  tanh: (rec, shape) => elementwise(shape, Math.tanh),
  identity: (rec, shape) => ({ shape, run: (x) => x }),
  reshape: (rec, shape) => ({ shape: rec.shape, run: (x) => x }),
  upsample(rec, shape) {
    const [c, h, w] = shape, s = rec.scale, oh = h * s, ow = w * s;
    const out = new Float32Array(c * oh * ow);
    return { shape: [c, oh, ow], run(x) {
      let k = 0;
      for (let ci = 0; ci < c; ci++) {
        for (let y = 0; y < oh; y++) {
          const row = ci * h * w + Math.floor(y / s) * w;
          for (let xx = 0; xx < ow; xx++) out[k++] = x[row + Math.floor(xx / s)];
        }
      }
      return out;
    } };
  },
  conv2d(rec, shape) {
    const [cin, h, w] = shape, cout = rec.cout, [kh, kw] = rec.k;
    const [sh, sw] = rec.stride, [ph, pw] = rec.padding;
    const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
    const wt = weights(rec), b = floats(rec.b), out = new Float32Array(cout * oh * ow);
    const plane = oh * ow;
    return { shape: [cout, oh, ow], run(x) {
      for (let co = 0; co < cout; co++) out.fill(b[co], co * plane, (co + 1) * plane);
      // loop order: weight outermost, then output rows, then a contiguous run of output
      // columns: the inner loop is a plain multiply-add over two arrays (fast in any JIT)
      for (let co = 0; co < cout; co++) {
        const ob = co * plane;
        for (let ci = 0; ci < cin; ci++) {
          const ib = ci * h * w;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const wv = wt[((co * cin + ci) * kh + ky) * kw + kx];
              if (wv === 0) continue;
              // output columns whose input column ox*sw + kx - pw lies inside [0, w)
              const x0 = Math.max(0, Math.ceil((pw - kx) / sw));
              const x1 = Math.min(ow - 1, Math.floor((w - 1 + pw - kx) / sw));
              for (let oy = 0; oy < oh; oy++) {
                const iy = oy * sh + ky - ph;
                if (iy < 0 || iy >= h) continue;
                const orow = ob + oy * ow, irow = ib + iy * w + kx - pw;
                if (sw === 1) {
                  for (let ox = x0; ox <= x1; ox++) out[orow + ox] += wv * x[irow + ox];
                } else {
                  for (let ox = x0; ox <= x1; ox++) out[orow + ox] += wv * x[irow + ox * sw];
                }
              }
            }
          }
        }
      }
      return out;
    } };
  },
  conv_transpose2d(rec, shape) {
    const [cin, h, w] = shape, cout = rec.cout, [kh, kw] = rec.k;
    const [sh, sw] = rec.stride, [ph, pw] = rec.padding;
    // output_padding only adds rows/columns at the far edge that no input reaches (bias only)
    const opad = rec.output_padding || [0, 0];
    const oh = (h - 1) * sh - 2 * ph + kh + opad[0], ow = (w - 1) * sw - 2 * pw + kw + opad[1];
    const wt = weights(rec), b = floats(rec.b), out = new Float32Array(cout * oh * ow);
    const plane = oh * ow;
    return { shape: [cout, oh, ow], run(x) {
      for (let co = 0; co < cout; co++) out.fill(b[co], co * plane, (co + 1) * plane);
      for (let ci = 0; ci < cin; ci++) {
        const ib = ci * h * w;
        for (let co = 0; co < cout; co++) {
          const ob = co * plane;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const wv = wt[((ci * cout + co) * kh + ky) * kw + kx];
              if (wv === 0) continue;
              for (let iy = 0; iy < h; iy++) {
                const oy = iy * sh - ph + ky;
                if (oy < 0 || oy >= oh) continue;
                const orow = ob + oy * ow, irow = ib + iy * w;
                for (let ix = 0; ix < w; ix++) {
                  const ox = ix * sw - pw + kx;
                  if (ox >= 0 && ox < ow) out[orow + ox] += wv * x[irow + ix];
                }
              }
            }
          }
        }
      }
      return out;
    } };
  },
};

function elementwise(shape, f) {
  // an elementwise activation, into its own buffer (the input may be reused by its layer)
  const n = shape.reduce((a, b) => a * b, 1), out = new Float32Array(n);
  return { shape, run(x) { for (let i = 0; i < n; i++) out[i] = f(x[i]); return out; } };
}

// the decoder's last activation -> pixels in [0, 1] (aecore.losses.output_image): a tanh output
// was trained against pixels scaled to [-1, 1], a linear one is clipped
const OUTPUTS = {
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: (v) => (Math.tanh(v) + 1) / 2,
  linear: (v) => Math.min(1, Math.max(0, v)),
};

// Build a decoder from a payload: {decode(code[, label]) -> Float32Array(C * H * W) in [0, 1]}.
// The returned array is reused by the next call: copy it to keep it.
export function makeDecoder(payload) {
  if (payload.format !== FORMAT) {
    throw new Error(`decoder payload format ${payload.format}, this page reads ${FORMAT}`);
  }
  const k = payload.latent_dim, nc = payload.n_classes || 0;
  let shape = [k + nc];
  const steps = payload.layers.map((rec) => {
    const make = LAYERS[rec.op];
    if (!make) throw new Error(`the page cannot run a ${rec.op} layer`);
    const step = make(rec, shape);
    shape = step.shape;
    return step;
  });
  const out = OUTPUTS[payload.output || "sigmoid"];
  if (!out) throw new Error(`the page cannot apply a ${payload.output} output`);
  const shapeOut = payload.out_shape || [1, 28, 28];  // (C, H, W)
  const n = shapeOut.reduce((a, b) => a * b, 1);
  const input = new Float32Array(k + nc), pixels = new Float32Array(n);
  return {
    id: payload.id, latentDim: k, nClasses: nc,
    channels: shapeOut[0], height: shapeOut[1], width: shapeOut[2],
    decode(code, label) {
      for (let i = 0; i < k; i++) input[i] = code[i];
      if (nc) { input.fill(0, k); input[k + label] = 1; }
      let h = input;
      for (const s of steps) h = s.run(h);
      for (let i = 0; i < n; i++) pixels[i] = out(h[i]);
      return pixels;
    },
  };
}
