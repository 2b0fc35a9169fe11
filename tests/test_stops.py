"""Slider stops computed in one batch (aecore/stops.py) equal what the server computes for one
value, at every stop: images (as the page shows them, uint8) and the PSNR / SSIM captions."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from aecore.data import load_split
from aecore.noise import KINDS, MAX_LEVEL
from aecore.pca import mnist_pca
from aecore.stops import denoise_at, denoise_stops, prior_eps, prior_samples
from aecore.zoo import load_zoo_model


def _u8(img) -> np.ndarray:
    return (np.clip(img.numpy(), 0, 1) * 255 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def fns():
    plain, _ = load_zoo_model("ae_k32")
    dae, _ = load_zoo_model("dae_conv")
    pca = mnist_pca()
    return {"plain AE": plain.reconstruct, "denoising AE": dae.reconstruct,
            "PCA, k = 32": functools.partial(pca.reconstruct, k=32, clip=True)}


@pytest.mark.parametrize("kind", KINDS)
def test_every_denoise_stop_equals_the_one_level_path(fns, kind):
    clean = load_split("test").float_images([3])  # (1, 1, 28, 28)
    levels = [MAX_LEVEL[kind] * i / 40 for i in range(41)]
    batch = denoise_stops(clean, kind, levels, seed=5, fns=fns)
    assert set(batch) == {"noisy input", *fns}
    for i, lv in enumerate(levels):
        one = denoise_at(clean, kind, lv, 5, fns)
        for name, (img, p, s) in one.items():
            imgs, ps, ss = batch[name]
            assert np.abs(_u8(imgs[i]).astype(int) - _u8(img[0]).astype(int)).max() <= 1, (name, lv)
            assert f"{ps[i]:.1f}" == f"{p:.1f}" and f"{ss[i]:.2f}" == f"{s:.2f}", (name, lv)


def test_prior_samples_are_the_same_digits_at_every_count_and_temperature():
    vae, _ = load_zoo_model("vae_k2")
    eps = prior_eps(64, 2, seed=3)
    assert torch.equal(eps, prior_eps(64, 2, seed=3)) and not torch.equal(eps, prior_eps(64, 2, 4))
    all64 = prior_samples(vae, eps, 64, 0.7)
    first8 = prior_samples(vae, eps, 8, 0.7)
    assert torch.allclose(all64[:8], first8, atol=1e-6)
    hot = prior_samples(vae, eps, 8, 1.5)
    assert (hot - first8).abs().max() > 0.05  # the temperature changes them
