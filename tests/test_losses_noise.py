"""Losses against hand-computed values; noise reproducible by seed and in range."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from aecore.errors import ConfigError
from aecore.losses import (bce_with_logits_sum, kl_normal, kl_per_dim, kl_sparsity, l1_activity,
                           recon_loss)
from aecore.noise import KINDS, add_noise


def test_bce_with_logits_by_hand():
    logits = torch.tensor([[0.0, 2.0]])
    target = torch.tensor([[1.0, 0.0]])
    # -log(sigmoid(0)) = log 2; -log(1 - sigmoid(2)) = log(1 + e^2)
    expected = (math.log(2) + math.log(1 + math.e ** 2)) / 2
    assert recon_loss(logits, target, "bce").item() == pytest.approx(expected, rel=1e-6)
    assert recon_loss(logits, target, "bce", per_image_sum=True).item() == pytest.approx(2 * expected, rel=1e-6)


def test_mse_compares_sigmoid_of_logits():
    logits = torch.tensor([[0.0, 0.0]])  # sigmoid = 0.5
    target = torch.tensor([[1.0, 0.5]])
    assert recon_loss(logits, target, "mse").item() == pytest.approx(0.125)
    with pytest.raises(ConfigError):
        recon_loss(logits, target, "hinge")


def test_kl_normal_by_hand():
    mu = torch.tensor([[0.0, 1.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)]])
    # dim 1: 0; dim 2: -1/2 (1 + log 4 - 1 - 4) = (4 - log 4) / 2 ... = 1.5 + ... computed:
    expected = -0.5 * ((1 + 0 - 0 - 1) + (1 + math.log(4) - 1 - 4))
    assert kl_normal(mu, logvar).item() == pytest.approx(expected)
    assert kl_per_dim(mu, logvar).tolist() == pytest.approx([0.0, expected])


def test_sparsity_penalties_by_hand():
    h = torch.tensor([[0.1, -0.3], [0.5, 0.1]])
    assert l1_activity(h).item() == pytest.approx((0.1 + 0.3 + 0.5 + 0.1) / 4)
    hs = torch.tensor([[0.2, 0.05], [0.2, 0.05]])
    rho = 0.05
    kl = lambda r, q: r * math.log(r / q) + (1 - r) * math.log((1 - r) / (1 - q))  # noqa: E731
    assert kl_sparsity(hs, rho).item() == pytest.approx(kl(rho, 0.2) + 0.0, rel=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_noise_is_reproducible_in_range_and_grows_with_level(kind):
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    a = add_noise(x, kind, 0.3, torch.Generator().manual_seed(5))
    b = add_noise(x, kind, 0.3, torch.Generator().manual_seed(5))
    c = add_noise(x, kind, 0.3, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    weak = (add_noise(x, kind, 0.1, torch.Generator().manual_seed(1)) - x).pow(2).mean()
    strong = (add_noise(x, kind, 0.6, torch.Generator().manual_seed(1)) - x).pow(2).mean()
    assert strong > weak > 0


def test_masking_drops_the_asked_fraction_and_salt_pepper_sets_extremes():
    x = torch.full((1, 1, 100, 100), 0.5)
    m = add_noise(x, "masking", 0.3, torch.Generator().manual_seed(0))
    assert (m == 0).float().mean().item() == pytest.approx(0.3, abs=0.02)
    sp = add_noise(x, "salt_pepper", 0.2, torch.Generator().manual_seed(0))
    assert (sp == 0).float().mean().item() == pytest.approx(0.1, abs=0.015)
    assert (sp == 1).float().mean().item() == pytest.approx(0.1, abs=0.015)


def test_mixed_noise_and_bad_levels():
    x = torch.rand(64, 1, 28, 28)
    y = add_noise(x, "mixed", 0.5, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and not torch.equal(x, y)
    with pytest.raises(ConfigError):
        add_noise(x, "gaussian", 5.0)
    with pytest.raises(ConfigError):
        add_noise(x, "thermal", 0.1)


def test_fast_bce_gives_torchs_values_and_gradients_even_at_extreme_logits():
    g = torch.Generator().manual_seed(0)
    logits = torch.cat([torch.randn(6, 784, generator=g) * 8,
                        torch.tensor([[-200.0, -30.0, -1e-4, 0.0, 1e-4, 30.0, 200.0] * 112])])
    target = torch.rand(7, 784, generator=g)
    target[0, :100] = 0.0  # binarised pixels too
    target[1, :100] = 1.0
    ours_x = logits.clone().requires_grad_(True)
    ours_y = target.clone().requires_grad_(True)
    ref_x = logits.clone().requires_grad_(True)
    ref_y = target.clone().requires_grad_(True)
    ours = bce_with_logits_sum(ours_x, ours_y)
    ref = F.binary_cross_entropy_with_logits(ref_x, ref_y, reduction="sum")
    assert ours.item() == pytest.approx(ref.item(), rel=1e-5)
    (ours * 0.5).backward()
    (ref * 0.5).backward()
    assert torch.allclose(ours_x.grad, ref_x.grad, atol=1e-6)
    assert torch.allclose(ours_y.grad, ref_y.grad, atol=1e-5)  # a target may carry gradients too
    assert torch.isfinite(ours_x.grad).all()
