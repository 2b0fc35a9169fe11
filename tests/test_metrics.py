"""Tests for aecore.metrics against hand-computed values and an independent SSIM."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aecore.errors import ConfigError
from aecore.metrics import (
    PSNR_CAP_DB,
    auroc,
    knn_accuracy,
    logistic_accuracy,
    mse,
    psnr,
    roc_curve,
    sse,
    ssim,
    threshold_stats,
)

# ----------------------------------------------------------------------------- mse / sse / psnr


def test_mse_sse_psnr_by_hand() -> None:
    a = torch.tensor([[0.0, 0.5], [1.0, 1.0]])  # (2, 2)
    b = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    # sample 0: errors (0, 0.5) -> sse 0.25, mse 0.125; sample 1: (1, 0) -> sse 1, mse 0.5
    assert torch.allclose(sse(a, b), torch.tensor([0.25, 1.0]))
    assert torch.allclose(mse(a, b), torch.tensor([0.125, 0.5]))
    expected = torch.tensor([10 * math.log10(1 / 0.125), 10 * math.log10(1 / 0.5)])
    assert torch.allclose(psnr(a, b), expected)
    # data_range scales the peak: 255-range data with the same relative error gives the same PSNR
    assert torch.allclose(psnr(a * 255, b * 255, data_range=255.0), expected, atol=1e-4)


def test_mse_reduces_all_non_batch_dims() -> None:
    a = torch.zeros(3, 1, 4, 4)
    b = torch.zeros(3, 1, 4, 4)
    b[1, 0, 0, 0] = 2.0  # one pixel of 16 off by 2 -> sse 4, mse 0.25
    assert mse(a, b).shape == (3,)
    assert torch.allclose(mse(a, b), torch.tensor([0.0, 0.25, 0.0]))
    assert torch.allclose(sse(a, b), torch.tensor([0.0, 4.0, 0.0]))


def test_psnr_identical_images_is_capped() -> None:
    x = torch.rand(2, 1, 5, 5, generator=torch.Generator().manual_seed(0))
    out = psnr(x, x.clone())
    assert torch.isfinite(out).all()
    assert torch.equal(out, torch.full((2,), PSNR_CAP_DB))


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        mse(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ConfigError):
        psnr(torch.zeros(2, 3), torch.zeros(2, 3), data_range=0.0)


# ----------------------------------------------------------------------------- ssim


def _ssim_numpy(x: np.ndarray, y: np.ndarray, data_range: float = 1.0) -> float:
    """Straightforward SSIM with explicit loops over the valid window positions (float64)."""
    size, sigma = 11, 1.5
    r = np.arange(size) - (size - 1) / 2
    g1 = np.exp(-r**2 / (2 * sigma**2))
    w = np.outer(g1, g1)
    w /= w.sum()
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    h, wd = x.shape
    vals = []
    for i in range(h - size + 1):
        for j in range(wd - size + 1):
            px = x[i:i + size, j:j + size]
            py = y[i:i + size, j:j + size]
            mx = np.sum(w * px)
            my = np.sum(w * py)
            vx = np.sum(w * (px - mx) ** 2)
            vy = np.sum(w * (py - my) ** 2)
            cxy = np.sum(w * (px - mx) * (py - my))
            vals.append(((2 * mx * my + c1) * (2 * cxy + c2))
                        / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(vals))


def test_ssim_identical_is_one() -> None:
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(ssim(x, x), torch.ones(3), atol=1e-6)


def test_ssim_decreases_with_noise() -> None:
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(1, 1, 28, 28, generator=gen)
    noise = torch.randn(1, 1, 28, 28, generator=gen)
    values = [float(ssim(x, x + s * noise)) for s in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8)]
    assert all(a > b for a, b in zip(values, values[1:])), values


def test_ssim_matches_independent_numpy() -> None:
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(28, 28, generator=gen, dtype=torch.float64)
    y = (x + 0.2 * torch.randn(28, 28, generator=gen, dtype=torch.float64)).clamp(0, 1)
    ref = _ssim_numpy(x.numpy(), y.numpy())
    # all three accepted layouts give the same number
    assert abs(float(ssim(x, y)[0]) - ref) < 1e-5
    assert abs(float(ssim(x[None], y[None])[0]) - ref) < 1e-5
    assert abs(float(ssim(x[None, None].float(), y[None, None].float())[0]) - ref) < 1e-5


def test_ssim_is_per_sample_and_checks_size() -> None:
    gen = torch.Generator().manual_seed(4)
    x = torch.rand(2, 1, 16, 16, generator=gen)
    y = x.clone()
    y[1] = torch.rand(1, 16, 16, generator=gen)
    out = ssim(x, y)
    assert out.shape == (2,)
    assert abs(float(out[0]) - 1.0) < 1e-6 and float(out[1]) < 0.5
    with pytest.raises(ConfigError):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))


# ----------------------------------------------------------------------------- auroc / roc


def test_auroc_hand_example() -> None:
    # positives 0.35, 0.8 vs negatives 0.1, 0.4: (0.35>0.1) + (0.8>0.1) + (0.8>0.4) = 3 of 4 pairs
    assert auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_auroc_ties_count_half() -> None:
    # pairs: pos 0.5 vs neg 0.5 (tie, 1/2), pos 0.5 vs neg 0.2 (1), pos 0.9 vs both (2) -> 3.5 / 4
    assert auroc([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1]) == pytest.approx(0.875)
    # all scores equal -> chance
    assert auroc(np.ones(6), np.array([0, 1, 0, 1, 1, 0])) == pytest.approx(0.5)


def test_auroc_extremes_and_input_types() -> None:
    s = torch.tensor([0.1, 0.2, 0.8, 0.9])
    lab = torch.tensor([False, False, True, True])
    assert auroc(s, lab) == 1.0
    assert auroc(-s, lab) == 0.0
    assert auroc(s.numpy(), lab.numpy().astype(int)) == 1.0


def test_auroc_one_class_raises() -> None:
    with pytest.raises(ValueError):
        auroc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError):
        auroc([0.1, 0.2], [0, 2])  # not a 0/1 label


def test_roc_curve_endpoints_and_area() -> None:
    scores = np.array([0.1, 0.4, 0.35, 0.8, 0.4, 0.05])
    labels = np.array([0, 0, 1, 1, 1, 0])
    fpr, tpr, thr = roc_curve(scores, labels)
    assert (fpr[0], tpr[0]) == (0.0, 0.0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(thr) < 0)  # strictly descending
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert len(thr) == len(np.unique(scores)) + 1
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoid rule
    assert area == pytest.approx(auroc(scores, labels))
    # every point is the "score > threshold" rule of threshold_stats
    for f, t, th in zip(fpr, tpr, thr):
        st = threshold_stats(scores, labels, th)
        assert st["fp"] / 3 == pytest.approx(f) and st["tp"] / 3 == pytest.approx(t)


def test_threshold_stats_hand_counted() -> None:
    scores = [0.9, 0.8, 0.3, 0.6, 0.2, 0.5]
    labels = [1, 0, 1, 1, 0, 0]
    st = threshold_stats(scores, labels, 0.55)
    # flagged (> 0.55): 0.9 (pos), 0.8 (neg), 0.6 (pos); missed pos 0.3; negatives kept 0.2, 0.5
    assert (st["tp"], st["fp"], st["tn"], st["fn"]) == (2, 1, 2, 1)
    assert st["precision"] == pytest.approx(2 / 3)
    assert st["recall"] == pytest.approx(2 / 3)
    assert st["f1"] == pytest.approx(2 / 3)
    assert st["accuracy"] == pytest.approx(4 / 6)
    # a score equal to the threshold is not flagged; nothing flagged -> precision 0, not NaN
    none = threshold_stats(scores, labels, 0.9)
    assert none["tp"] == 0 and none["fp"] == 0
    assert none["precision"] == 0.0 and none["f1"] == 0.0


# ----------------------------------------------------------------------------- knn / logistic


def test_knn_obvious_clusters() -> None:
    train = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    ytr = torch.tensor([0, 0, 0, 1, 1, 1])
    test = torch.tensor([[0.05, 0.05], [4.9, 5.2]])
    assert knn_accuracy(train, ytr, test, torch.tensor([0, 1]), k=3) == 1.0
    assert knn_accuracy(train, ytr, test, torch.tensor([1, 1]), k=3) == 0.5


def test_knn_vote_overrules_nearest_neighbour() -> None:
    # query at 0: nearest is a lone label-7 point at 0.1, then three label-3 points further off
    train = np.array([[0.1], [0.5], [-0.6], [0.7], [9.0]])
    ytr = np.array([7, 3, 3, 3, 7])
    q, yq = np.array([[0.0]]), np.array([3])
    assert knn_accuracy(train, ytr, q, np.array([7]), k=1) == 1.0  # 1-NN follows the nearest
    assert knn_accuracy(train, ytr, q, yq, k=3) == 1.0  # 3-NN: two 3s outvote one 7
    # k=2 ties one 7 and one 3: the nearest neighbour (7) wins the tie
    assert knn_accuracy(train, ytr, q, np.array([7]), k=2) == 1.0


def test_knn_chunking_does_not_change_result() -> None:
    gen = torch.Generator().manual_seed(5)
    xtr = torch.randn(200, 3, generator=gen)
    ytr = (xtr[:, 0] > 0).long()
    xte = torch.randn(57, 3, generator=gen)
    yte = (xte[:, 0] > 0).long()
    full = knn_accuracy(xtr, ytr, xte, yte, k=5, chunk=1024)
    assert knn_accuracy(xtr, ytr, xte, yte, k=5, chunk=7) == full
    assert full > 0.8
    with pytest.raises(ConfigError):
        knn_accuracy(xtr, ytr, xte, yte, k=0)


def test_logistic_separable_toy_is_deterministic() -> None:
    gen = torch.Generator().manual_seed(6)
    centres = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    ytr = torch.randint(0, 3, (300,), generator=gen)
    xtr = centres[ytr] + 0.5 * torch.randn(300, 2, generator=gen)
    yte = torch.randint(0, 3, (100,), generator=gen)
    xte = centres[yte] + 0.5 * torch.randn(100, 2, generator=gen)
    acc = logistic_accuracy(xtr, ytr, xte, yte, epochs=20)
    assert acc > 0.97
    assert logistic_accuracy(xtr, ytr, xte, yte, epochs=20) == acc


def test_logistic_on_mnist_pixels_subset() -> None:
    from aecore.data import load_mnist

    train, test = load_mnist()
    xtr = train.float_images(slice(0, 5000)).reshape(5000, -1)  # (5000, 784)
    xte = test.float_images(slice(0, 1000)).reshape(1000, -1)
    acc = logistic_accuracy(xtr, train.labels[:5000], xte, test.labels[:1000], epochs=20)
    assert acc > 0.83  # ~0.87 on 5k train digits; the full 60k reaches ~0.926
