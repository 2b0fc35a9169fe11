"""Everything a slider can show, computed at all its stops in one batch.

The pages send these batches to the browser once (``ui/live.py``), and the page flips between
them while a slider is dragged, with no server round trip. Each batch function has a one-stop
twin, the path the server took for one value before; the tests check that stop i of the batch
equals the twin at value i.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch

from .metrics import psnr, ssim
from .models import Autoencoder
from .noise import add_noise

Denoiser = Callable[[torch.Tensor], torch.Tensor]  # (B, C, H, W) -> (B, C, H, W)


# denoise: the noisy input and every method's output at each noise level

def denoise_at(clean: torch.Tensor, kind: str, level: float, seed: int,
               fns: Mapping[str, Denoiser]) -> dict[str, tuple[torch.Tensor, float, float]]:
    """One level: ``{panel: (image (1, C, H, W), PSNR dB, SSIM)}`` for the noisy input and each
    method in ``fns``, clipped to [0, 1], scored against ``clean`` (1, C, H, W): a grey digit
    (1, 1, 28, 28) or a colour patch (1, 3, 32, 32), noised per channel."""
    noisy = add_noise(clean, kind, level, torch.Generator().manual_seed(seed))
    with torch.inference_mode():
        panels = {"noisy input": noisy, **{n: fn(noisy).clamp(0.0, 1.0) for n, fn in fns.items()}}
        return {n: (img, float(psnr(img, clean)[0]), float(ssim(img, clean)[0]))
                for n, img in panels.items()}


def denoise_stops(clean: torch.Tensor, kind: str, levels: Sequence[float], seed: int,
                  fns: Mapping[str, Denoiser]) -> dict[str, tuple[torch.Tensor, list, list]]:
    """Every level at once: ``{panel: (images (L, C, H, W), PSNRs (L,), SSIMs (L,))}`` for
    ``clean`` (1, C, H, W).

    Each level's noise is drawn from its own generator seeded with ``seed``, exactly as
    :func:`denoise_at` draws it; the methods then run on all L noisy digits in one batch.
    """
    noisy = torch.cat([add_noise(clean, kind, float(lv), torch.Generator().manual_seed(seed))
                       for lv in levels])  # (L, C, H, W)
    ref = clean.expand_as(noisy)
    with torch.inference_mode():
        panels = {"noisy input": noisy, **{n: fn(noisy).clamp(0.0, 1.0) for n, fn in fns.items()}}
        return {n: (img, psnr(img, ref).tolist(), ssim(img, ref).tolist())
                for n, img in panels.items()}


# generate: prior samples, the same draws at every count and temperature

def prior_eps(n_max: int, k: int, seed: int) -> torch.Tensor:
    """Standard normal draws (n_max, k) from a generator seeded with ``seed``: sample i at any
    count and temperature is decoded from ``temperature * eps[i]``, so a count slider shows the
    first n of the same digits and a temperature slider scales the same codes."""
    return torch.randn(n_max, k, generator=torch.Generator().manual_seed(seed))


def prior_samples(model: Autoencoder, eps: torch.Tensor, count: int,
                  temperature: float) -> torch.Tensor:
    """Images (count, 1, 28, 28) decoded from ``temperature * eps[:count]`` (float32)."""
    with torch.inference_mode():
        return model.decode(temperature * eps[:count])
