"""Walks through a latent space: decoded grids, interpolations, traversals, prior statistics.

Pure functions over a trained model (never trained or mutated here; every call runs under
``torch.inference_mode()``). Images are (B, 1, 28, 28) floats in [0, 1]; codes are (B, k).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from .errors import ConfigError
from .models import Autoencoder

MAX_GRID = 40    # a 40 x 40 manifold is 1,600 decodes and a 1120-pixel square: plenty to look at
MAX_STEPS = 64   # interpolation / traversal strips longer than this stop being readable


# helpers
def _as_batch(x: torch.Tensor, shape: Sequence[int] = (1, 28, 28)) -> torch.Tensor:
    """One image of ``shape`` (C, H, W) as (1, C, H, W), from any layout with its numbers: a grey
    (28, 28), (1, 28, 28) or (1, 1, 28, 28), a colour (3, 32, 32) or (1, 3, 32, 32)."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.numel() != math.prod(shape):
        raise ConfigError(f"expected one {'x'.join(map(str, shape))} image, got a tensor of "
                          f"shape {tuple(x.shape)}")
    return x.reshape(1, *shape)


def _pair(v: float | Sequence[float]) -> tuple[float, float]:
    """A bound for both axes: a number (same for z1 and z2) or a (z1, z2) pair."""
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    if a.size == 1:
        return float(a[0]), float(a[0])
    if a.size == 2:
        return float(a[0]), float(a[1])
    raise ConfigError(f"a 2-D bound needs one or two numbers, got {a.size}")


def _check_steps(steps: int) -> int:
    if not 2 <= int(steps) <= MAX_STEPS:
        raise ConfigError(f"steps must be between 2 and {MAX_STEPS}, got {steps}")
    return int(steps)


# ranges and grids
def latent_range(codes: np.ndarray | torch.Tensor, lo_pct: float = 1.0, hi_pct: float = 99.0,
                 pad: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension range covering the bulk of ``codes`` (N, k): the ``lo_pct``..``hi_pct``
    percentiles widened by ``pad`` times their span on each side. Returns (lo, hi), each (k,).

    Percentiles rather than min/max, so that a few outlying codes do not shrink the interesting
    part of the map into a corner.
    """
    c = np.asarray(codes, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] == 0:
        raise ConfigError(f"codes must be a non-empty (N, k) array, got shape {c.shape}")
    lo, hi = np.percentile(c, [lo_pct, hi_pct], axis=0)
    span = np.maximum(hi - lo, 1e-3)  # a collapsed dimension still gets a usable range
    return lo - pad * span, hi + pad * span


def _nice_step(span: float) -> float:
    """About a hundredth of ``span``, rounded to 1, 2 or 5 times a power of ten."""
    raw = span / 100
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def slider_grid(lo: np.ndarray, hi: np.ndarray) -> tuple[float, list[float], list[float]]:
    """Step and ends of the z sliders: the map's range widened to whole steps."""
    step = _nice_step(float(min(hi - lo)))
    return (step, [round(math.floor(v / step) * step, 6) for v in lo],
            [round(math.ceil(v / step) * step, 6) for v in hi])


def grid_codes(n: int, lo: float | Sequence[float], hi: float | Sequence[float]) -> torch.Tensor:
    """The (n * n, 2) codes of an n x n grid over [lo, hi] in z1 and z2, in reading order: row 0
    is the top of the picture (largest z2), column 0 the left (smallest z1), like a plot's axes."""
    if not 1 <= int(n) <= MAX_GRID:
        raise ConfigError(f"the grid size must be between 1 and {MAX_GRID}, got {n}")
    (lo1, lo2), (hi1, hi2) = _pair(lo), _pair(hi)
    z1 = torch.linspace(lo1, hi1, int(n))
    z2 = torch.linspace(hi2, lo2, int(n))  # top row = largest z2
    rows, cols = torch.meshgrid(z2, z1, indexing="ij")
    return torch.stack([cols.reshape(-1), rows.reshape(-1)], dim=1)


def tile(images: torch.Tensor, cols: int, gap: int = 0, fill: float = 1.0) -> np.ndarray:
    """Images (B, C, H, W) stitched row by row into one float array in [0, 1] of shape
    (rows * (H + gap) - gap, cols * (W + gap) - gap), with a last axis of 3 for colour images;
    empty cells and gaps get ``fill``.

    torchvision's ``make_grid`` lays the cells out; it also pads the outer border, which is cut
    off here. Imported on first use: torchvision takes about a second to import."""
    from torchvision.utils import make_grid

    b = images.shape[0]
    if b == 0 or cols < 1:
        raise ConfigError("nothing to tile")
    shape = images.shape[-3:] if images.dim() == 4 else (1, 28, 28)
    imgs = images.detach().cpu().float().reshape(b, *shape).clamp(0, 1)
    grid = make_grid(imgs, nrow=min(int(cols), b), padding=gap, pad_value=fill)  # (3, H+2g, W+2g)
    cut = gap if b > 1 else 0  # one image comes back as it is, (1, 28, 28), with no border
    h, w = grid.shape[1:]
    grid = grid[:, cut:h - cut, cut:w - cut]
    out = grid.permute(1, 2, 0) if shape[0] == 3 else grid[0]  # (H', W', 3) colour, else (H', W')
    return out.contiguous().numpy().astype(np.float32, copy=False)


@torch.inference_mode()
def decode_codes(model: Autoencoder, z: np.ndarray | torch.Tensor | Sequence,
                 y: torch.Tensor | None = None) -> torch.Tensor:
    """Decode codes given as any array-like (B, k) or one code (k,); returns (B, 1, 28, 28)."""
    z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, model.latent_dim)
    return model.decode(z, y)


@torch.inference_mode()
def manifold_grid(model: Autoencoder, n: int, lo: float | Sequence[float],
                  hi: float | Sequence[float], y: torch.Tensor | None = None) -> np.ndarray:
    """The decoded manifold of a 2-D code: the digits decoded at every point of an n x n grid
    over [lo, hi] (see :func:`grid_codes`), stitched into one (n * 28, n * 28) array in [0, 1].

    Kingma & Welling (2014), figure 4: a map of what the decoder draws everywhere in the plane.
    """
    if model.latent_dim != 2:
        raise ConfigError(f"the manifold grid needs a 2-D code; this model's code has "
                          f"{model.latent_dim} numbers")
    z = grid_codes(n, lo, hi)
    yy = None if y is None else y.reshape(1).expand(z.shape[0])
    return tile(model.decode(z, yy), int(n))


# paths through the code space
def interpolate_codes(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` codes evenly spaced on the straight line from ``z0`` to ``z1`` (both (k,) or
    (1, k)), endpoints included: (steps, k)."""
    t = torch.linspace(0.0, 1.0, _check_steps(steps)).unsqueeze(1)
    return (1 - t) * z0.reshape(1, -1) + t * z1.reshape(1, -1)


@torch.inference_mode()
def interpolate_latent(model: Autoencoder, x0: torch.Tensor, x1: torch.Tensor, steps: int,
                       y0: torch.Tensor | None = None, y1: torch.Tensor | None = None
                       ) -> torch.Tensor:
    """Morph one digit into another through the code: encode both, walk the straight line
    between the codes, decode every step. Returns (steps, 1, 28, 28); the ends are the two
    reconstructions. A conditional model needs the labels ``y0``, ``y1`` (the first half of the
    walk is decoded with ``y0``, the second with ``y1``)."""
    a, b = _as_batch(x0, model.in_shape), _as_batch(x1, model.in_shape)
    za = model.encode(a, None if y0 is None else y0.reshape(1))
    zb = model.encode(b, None if y1 is None else y1.reshape(1))
    z = interpolate_codes(za, zb, steps)
    y = None
    if y0 is not None and y1 is not None:
        half = torch.arange(z.shape[0]) >= z.shape[0] / 2
        y = torch.where(half, y1.reshape(()), y0.reshape(()))
    return model.decode(z, y)


def interpolate_pixels(x0: torch.Tensor, x1: torch.Tensor, steps: int) -> torch.Tensor:
    """The naive morph for comparison: a cross-fade of the pixels, (1 - t) x0 + t x1, for
    ``steps`` values of t from 0 to 1. Returns (steps, C, H, W); the ends are the inputs (two
    images of one shape, (C, H, W) or (1, C, H, W))."""
    x0 = torch.as_tensor(x0, dtype=torch.float32)
    shape = tuple(x0.shape[-3:]) if x0.dim() >= 3 else (1, *x0.shape)  # (C, H, W)
    a, b = _as_batch(x0, shape), _as_batch(x1, shape)
    t = torch.linspace(0.0, 1.0, _check_steps(steps)).reshape(-1, 1, 1, 1)
    return (1 - t) * a + t * b  # t = 0 and 1 are exact, so the ends equal the inputs


@torch.inference_mode()
def traverse(model: Autoencoder, z0: torch.Tensor, dim: int, values: Sequence[float] | torch.Tensor,
             y: torch.Tensor | None = None) -> torch.Tensor:
    """Move along one latent dimension with the others fixed: ``z0`` (k,) with ``z0[dim]``
    replaced by each of ``values`` in turn, decoded. Returns (len(values), 1, 28, 28)."""
    k = model.latent_dim
    if not 0 <= int(dim) < k:
        raise ConfigError(f"dimension {dim} does not exist: the code has {k} dimensions "
                          f"(0..{k - 1})")
    vals = torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(-1)
    if not 1 <= vals.numel() <= MAX_STEPS:
        raise ConfigError(f"between 1 and {MAX_STEPS} values, got {vals.numel()}")
    z = torch.as_tensor(z0, dtype=torch.float32).reshape(1, k).repeat(vals.numel(), 1)
    z[:, int(dim)] = vals
    yy = None if y is None else y.reshape(1).expand(vals.numel())
    return model.decode(z, yy)


# statistics of a VAE's posterior
@torch.inference_mode()
def kl_per_dim(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
               chunk: int = 2000) -> torch.Tensor:
    """Mean KL(q(z_d|x) || N(0, 1)) per latent dimension over ``x`` (B, 1, 28, 28), in nats:
    (k,). A dimension near 0 is unused (its posterior is the prior whatever the input), which
    is why traversing it changes nothing; Burda et al. (2016) call the others "active units"."""
    if not getattr(model, "variational", False):
        raise ConfigError("KL divergence is defined only for a variational autoencoder")
    total = torch.zeros(model.latent_dim, dtype=torch.float64)
    for i in range(0, x.shape[0], chunk):
        mu, logvar = model.encode_dist(x[i:i + chunk], None if y is None else y[i:i + chunk])
        total += (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(0).double()
    return (total / max(1, x.shape[0])).float()


def mean_kl(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
            chunk: int = 2000) -> float:
    """Mean KL(q(z|x) || N(0, I)) per image over ``x`` (B, 1, 28, 28), in nats: how much
    information the code carries about each input, the term beta weighs in a beta-VAE."""
    return float(kl_per_dim(model, x, y, chunk).sum())
