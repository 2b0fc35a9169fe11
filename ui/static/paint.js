// The page's one pixel painter: an image onto a canvas whose width and height are the image's.

const IMAGES = new WeakMap();  // canvas -> its ImageData, made once per size

// src: Float32Array in [0, 1] (a decode, rounded like ui.widgets.to_uint8): grey (h * w) or
// colour planes (3, h, w), PyTorch's layout; or uint8 grey (h * w), or uint8 RGB (h * w * 3,
// interleaved: an error map)
export function paint(canvas, src, w, h) {
  const ctx = canvas.getContext("2d");
  let img = IMAGES.get(canvas);
  if (!img || img.width !== w || img.height !== h) {
    img = ctx.createImageData(w, h);
    IMAGES.set(canvas, img);
  }
  const d = img.data, n = w * h, rgb = src.length === 3 * n, float = src instanceof Float32Array;
  const byte = (v) => (Math.min(1, Math.max(0, v)) * 255 + 0.5) | 0;
  for (let i = 0; i < n; i++) {
    let r, g, b;
    if (float && rgb) { r = byte(src[i]); g = byte(src[n + i]); b = byte(src[2 * n + i]); }
    else if (float) r = g = b = byte(src[i]);
    else if (rgb) { r = src[3 * i]; g = src[3 * i + 1]; b = src[3 * i + 2]; }
    else r = g = b = src[i];
    d[4 * i] = r; d[4 * i + 1] = g; d[4 * i + 2] = b; d[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
