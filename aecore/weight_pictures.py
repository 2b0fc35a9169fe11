"""A model's weights as pictures: what its first layer looks for and what its last layer paints.

A dense encoder's first layer has one weight per pixel for each hidden unit: reshaped to the
image, each row is a "basis vector", the pattern that unit responds to (a sparse AE's look like
strokes and edges, PCA's components like blurred digits). A conv encoder's first layer is a bank
of small filters, and its feature maps show where each one fired on an input. The decoder's last
layer is the mirror: each column is the stroke a unit adds to the output.

Every function returns plain numpy arrays; :func:`tile` lays them out as one RGB picture, blue
for negative weights, white for zero and red for positive (per-picture scale).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .models import Autoencoder


def _layers(model: Autoencoder) -> list[nn.Module]:
    """The model's Linear and Conv2d layers in registration order: encoder first, decoder last
    (every image model registers its encoder before its decoder)."""
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def _image_shape(model: Autoencoder) -> tuple[int, ...]:
    return tuple(getattr(model, "in_shape", (1, 28, 28)))


def first_layer(model: Autoencoder) -> tuple[np.ndarray, str] | None:
    """The first layer's weights as pictures, (n, C, h, w) float32, and what they are; None for
    a model whose input is not an image (the sequence AE)."""
    if model.data_kind not in ("image", "photo"):
        return None
    layer = _layers(model)[0]
    w = layer.weight.detach().float().cpu()
    if isinstance(layer, nn.Conv2d):  # (c_out, c_in, kh, kw): already pictures
        return w.numpy(), f"{w.shape[0]} conv filters of {w.shape[2]}x{w.shape[3]} pixels"
    c, h, wd = _image_shape(model)
    pixels = c * h * wd
    rows = w[:, :pixels]  # a conditional VAE's label inputs follow the pixels: not a picture
    return (rows.reshape(-1, c, h, wd).numpy(),
            f"{rows.shape[0]} hidden units, each a weight for every pixel")


def last_layer(model: Autoencoder) -> tuple[np.ndarray, str] | None:
    """The decoder's last layer as pictures, (n, C, h, w): a dense decoder's columns (the stroke
    each unit adds to the output), or a conv decoder's last filters; None for non-images."""
    if model.data_kind not in ("image", "photo"):
        return None
    layer = _layers(model)[-1]
    w = layer.weight.detach().float().cpu()
    if isinstance(layer, nn.Conv2d):  # (c_out, c_in, kh, kw): one picture per input channel
        return (w.transpose(0, 1).numpy(),
                f"{w.shape[1]} filters of {w.shape[2]}x{w.shape[3]} pixels into the output")
    c, h, wd = _image_shape(model)
    return (w.T.reshape(-1, c, h, wd).numpy(),
            f"{w.shape[1]} units, each adding this pattern to the output")


@torch.inference_mode()
def feature_maps(model: Autoencoder, x: torch.Tensor) -> list[tuple[str, np.ndarray]]:
    """Each conv layer's output for one input ``x`` (1, C, H, W): ``[(name, (c, h, w))]``, after
    its activation; empty for a model without an ``encoder`` of conv layers."""
    enc = getattr(model, "encoder", None)
    if not isinstance(enc, nn.Sequential):
        return []
    out, h = [], x
    mods = list(enc)
    for i, m in enumerate(mods):
        h = m(h)
        nxt = mods[i + 1] if i + 1 < len(mods) else None
        conv_done = isinstance(m, nn.Conv2d) and not _is_activation(nxt)
        if conv_done or (_is_activation(m) and isinstance(mods[i - 1], nn.Conv2d)):
            n = sum(1 for name, _ in out) + 1
            out.append((f"conv {n}: {h.shape[1]} maps of {h.shape[2]}x{h.shape[3]}",
                        h[0].float().cpu().numpy()))
    return out


def _is_activation(m: nn.Module | None) -> bool:
    return m is not None and not isinstance(m, (nn.Conv2d, nn.Linear, nn.Flatten, nn.Unflatten))


def _diverging(v: np.ndarray) -> np.ndarray:
    """Values in [-1, 1], (h, w), as RGB in [0, 1]: blue below zero, white at zero, red above."""
    pos, neg = np.clip(v, 0, 1), np.clip(-v, 0, 1)
    return np.stack([1 - neg, 1 - pos - neg, 1 - pos], axis=-1).clip(0, 1)


def picture(w: np.ndarray, signed: bool = True) -> np.ndarray:
    """One weight picture (C, h, w) as RGB (h, w, 3) in [0, 1]: grey ones signed (diverging
    colours, scaled by their largest magnitude) or not (min-max grey); colour ones min-max per
    picture."""
    if w.shape[0] == 1:
        g = w[0]
        if signed:
            return _diverging(g / max(float(np.abs(g).max()), 1e-12))
        lo, hi = float(g.min()), float(g.max())
        g = (g - lo) / max(hi - lo, 1e-12)
        return np.repeat(g[..., None], 3, axis=-1)
    c = np.moveaxis(w[:3], 0, -1)
    lo, hi = float(c.min()), float(c.max())
    return (c - lo) / max(hi - lo, 1e-12)


def tile(pictures: np.ndarray, cols: int | None = None, limit: int = 64, scale: int = 1,
         signed: bool = True, gap: int = 1) -> np.ndarray:
    """Up to ``limit`` pictures (n, C, h, w) in a grid with ``cols`` columns, as one uint8 RGB
    image (H, W, 3), each picture ``scale`` times enlarged, with white gaps between them."""
    n = min(len(pictures), limit)
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    h, w = pictures.shape[2] * scale, pictures.shape[3] * scale
    out = np.ones((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), dtype=np.float32)
    for i in range(n):
        img = picture(pictures[i], signed)
        img = img.repeat(scale, axis=0).repeat(scale, axis=1)
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = img
    return (out * 255).round().astype(np.uint8)
