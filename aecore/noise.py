"""Input corruptions for denoising, reproducible by an explicit ``torch.Generator``.

Every function takes images in [0, 1] of any shape (B, ...) and returns a new tensor in [0, 1].
Levels: Gaussian and speckle take a standard deviation, salt-and-pepper and masking a fraction
of pixels.
"""
from __future__ import annotations

import torch

from .errors import ConfigError

KINDS = ("gaussian", "salt_pepper", "masking", "speckle")
LABELS = {"gaussian": "Gaussian", "salt_pepper": "Salt and pepper", "masking": "Masking",
          "speckle": "Speckle"}
MAX_LEVEL = {"gaussian": 1.0, "salt_pepper": 1.0, "masking": 1.0, "speckle": 2.0}


Level = float | torch.Tensor  # a float, or a tensor broadcastable to x (one level per sample)


def _uniform(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape, generator=gen, device=x.device, dtype=x.dtype)


def _normal(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    return torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)


def gaussian(x: torch.Tensor, sigma: Level, gen: torch.Generator | None = None) -> torch.Tensor:
    """x + sigma * N(0, 1), clipped to [0, 1]."""
    return (x + sigma * _normal(x, gen)).clamp_(0.0, 1.0)


def salt_pepper(x: torch.Tensor, p: Level, gen: torch.Generator | None = None) -> torch.Tensor:
    """A fraction p of pixels set to 0 or 1 with equal chance."""
    u = _uniform(x, gen)
    return torch.where(u < p / 2, 0.0, torch.where(u < p, 1.0, x))


def masking(x: torch.Tensor, p: Level, gen: torch.Generator | None = None) -> torch.Tensor:
    """A fraction p of pixels dropped to 0 (the masking noise of Vincent et al., 2010)."""
    return x * (_uniform(x, gen) >= p).to(x.dtype)


def speckle(x: torch.Tensor, sigma: Level, gen: torch.Generator | None = None) -> torch.Tensor:
    """Multiplicative noise x * (1 + sigma * N(0, 1)), clipped to [0, 1]."""
    return (x * (1 + sigma * _normal(x, gen))).clamp_(0.0, 1.0)


_FUNCS = {"gaussian": gaussian, "salt_pepper": salt_pepper, "masking": masking, "speckle": speckle}


def add_noise(x: torch.Tensor, kind: str, level: float,
              gen: torch.Generator | None = None) -> torch.Tensor:
    """Corrupt ``x`` with one noise ``kind`` at ``level``; ``"none"`` returns a copy.

    ``"mixed"`` draws, per sample, one of the four kinds and a level uniform in [0, level]:
    the training corruption of the zoo's denoising AE.
    """
    if kind == "none" or level == 0:
        return x.clone()
    if kind == "mixed":
        return mixed(x, level, gen)
    if kind not in _FUNCS:
        raise ConfigError(f"unknown noise {kind!r}; choose one of {', '.join(KINDS)}")
    if not (0.0 <= level <= MAX_LEVEL[kind]):
        raise ConfigError(f"{LABELS[kind]} noise level must be between 0 and {MAX_LEVEL[kind]:g}, "
                          f"got {level!r}")
    return _FUNCS[kind](x, level, gen)


def mixed(x: torch.Tensor, max_level: float, gen: torch.Generator | None = None) -> torch.Tensor:
    """Per sample of x (B, ...): a random kind and a random level in [0, max_level]."""
    b = x.shape[0]
    kind_idx = torch.randint(len(KINDS), (b,), generator=gen, device=x.device)
    levels = torch.rand(b, generator=gen, device=x.device, dtype=x.dtype) * max_level
    out = x.clone()
    for i, kind in enumerate(KINDS):
        sel = kind_idx == i
        if sel.any():
            lv = levels[sel].view((-1,) + (1,) * (x.dim() - 1))  # (b_i, 1, ...) broadcasts
            out[sel] = _FUNCS[kind](x[sel], lv, gen)
    return out
