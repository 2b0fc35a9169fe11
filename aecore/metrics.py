"""Reconstruction, anomaly-detection and representation metrics.

Image metrics (:func:`mse`, :func:`sse`, :func:`psnr`, :func:`ssim`) work on batches and return one
value per sample, shape (B,), so a page can show a per-digit table or average them itself.
Anomaly metrics (:func:`auroc`, :func:`roc_curve`, :func:`threshold_stats`) take a score per sample
(higher = more anomalous) and a 0/1 label (1 = anomalous). Representation metrics
(:func:`knn_accuracy`, :func:`logistic_accuracy`) score how well a latent code separates classes.

The anomaly and representation metrics run on scikit-learn (``roc_auc_score``, ``roc_curve``,
``NearestNeighbors``, ``LogisticRegression``), imported inside each function: the app's pages
that never call them do not pay its import (about half a second). tests/test_metrics.py checks
each against the hand-rolled version it replaced, on the same data. SSIM stays ours (a banded
matmul, much faster on 10,000 digits than a library's convolution); the same test checks it
against torchmetrics' SSIM where that is installed. Nothing here imports the UI.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .errors import ConfigError

__all__ = [
    "PSNR_CAP_DB",
    "auroc",
    "knn_accuracy",
    "logistic_accuracy",
    "mse",
    "psnr",
    "roc_curve",
    "sse",
    "ssim",
    "threshold_stats",
]

# PSNR of identical images is +inf; we report this finite cap instead so that tables, means and
# plots stay finite (a float32 MSE of 1e-10 on [0, 1] data is already exactly 100 dB).
PSNR_CAP_DB = 100.0

# SSIM constants from Wang, Bovik, Sheikh & Simoncelli (2004), "Image quality assessment: from
# error visibility to structural similarity", IEEE TIP 13(4).
_SSIM_WIN = 11
_SSIM_SIGMA = 1.5
_SSIM_K1 = 0.01
_SSIM_K2 = 0.03


# ----------------------------------------------------------------------------- image metrics


def _pair(a: Tensor, b: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """Check that two batches match in shape and make them floating point (ints -> float32)."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise ConfigError(f"{name}: expected two torch tensors, got {type(a).__name__} and "
                          f"{type(b).__name__}")
    if a.shape != b.shape:
        raise ConfigError(f"{name}: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")
    if a.ndim < 1 or a.shape[0] == 0:
        raise ConfigError(f"{name}: expected a non-empty batch (B, ...), got shape "
                          f"{tuple(a.shape)}")
    dtype = torch.promote_types(a.dtype, b.dtype)
    if not dtype.is_floating_point:
        dtype = torch.float32
    return a.to(dtype), b.to(dtype)


def sse(a: Tensor, b: Tensor) -> Tensor:
    """Per-sample sum of squared errors over all non-batch dimensions.

    ``a`` and ``b`` have the same shape (B, ...); the result has shape (B,). Integer inputs are
    compared as float32. For MNIST images in [0, 1] this is the "squared error per image" that
    papers quote (e.g. PCA with 30 components: about 13.9).
    """
    a, b = _pair(a, b, "sse")
    return (a - b).square().reshape(a.shape[0], -1).sum(dim=1)  # (B,)


def mse(a: Tensor, b: Tensor) -> Tensor:
    """Per-sample mean squared error over all non-batch dimensions.

    ``a`` and ``b`` have the same shape (B, ...); the result has shape (B,): for (B, 1, 28, 28)
    images it is the mean over the 784 pixels of each image. Integer inputs are compared as
    float32.
    """
    a, b = _pair(a, b, "mse")
    return (a - b).square().reshape(a.shape[0], -1).mean(dim=1)  # (B,)


def psnr(a: Tensor, b: Tensor, data_range: float = 1.0) -> Tensor:
    """Per-sample peak signal-to-noise ratio in dB, ``10 log10(data_range**2 / mse)``, shape (B,).

    ``data_range`` is the span of the pixel values (1.0 for images in [0, 1], 255 for uint8).
    Identical images have an infinite PSNR; it is capped at :data:`PSNR_CAP_DB` (100 dB) so that
    the result is always finite and can be averaged. Computed in float64 so that tiny errors do
    not underflow, then returned in the inputs' float dtype.
    """
    if not data_range > 0:
        raise ConfigError(f"psnr: data_range must be positive, got {data_range}")
    a, b = _pair(a, b, "psnr")
    err = mse(a.double(), b.double())  # (B,)
    # err == 0 would give log10(inf); clamp_min keeps it finite, the min() applies the cap
    db = 10.0 * torch.log10(data_range**2 / err.clamp_min(1e-300))
    return db.clamp(max=PSNR_CAP_DB).to(a.dtype)


@functools.lru_cache(maxsize=8)
def _band(n: int) -> Tensor:
    """(n, n - 10) float64 matrix whose column j holds SSIM's 1-D Gaussian at rows j..j+10:
    ``x @ _band(W)`` filters the rows of (..., H, W) images to their 'valid' part (..., H, W-10).
    Cached per size and shared: only ever read."""
    g = torch.arange(_SSIM_WIN, dtype=torch.float64) - (_SSIM_WIN - 1) / 2.0
    g = torch.exp(-(g**2) / (2.0 * _SSIM_SIGMA**2))
    g = g / g.sum()
    m = torch.zeros(n, n - _SSIM_WIN + 1, dtype=torch.float64)
    for j in range(n - _SSIM_WIN + 1):
        m[j:j + _SSIM_WIN, j] = g
    return m


def ssim(a: Tensor, b: Tensor, data_range: float = 1.0) -> Tensor:
    """Per-sample structural similarity (Wang et al. 2004), shape (B,).

    Uses the reference settings: an 11x11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03,
    ``C1 = (K1 L)**2``, ``C2 = (K2 L)**2`` with ``L = data_range``, local (co)variances from the
    weighted window, and the mean of the SSIM map over the 'valid' region (no padding: an 18x18
    map for a 28x28 image). Inputs are (B, C, H, W) (per-channel maps are averaged), (B, H, W), or a
    single image (H, W), which is treated as a batch of one and gives shape (1,). H and W must be
    at least 11. Computed in float64 and returned in the inputs' float dtype.
    """
    if not data_range > 0:
        raise ConfigError(f"ssim: data_range must be positive, got {data_range}")
    a, b = _pair(a, b, "ssim")
    out_dtype = a.dtype
    if a.ndim == 2:
        a, b = a[None, None], b[None, None]  # (1, 1, H, W)
    elif a.ndim == 3:
        a, b = a[:, None], b[:, None]  # (B, 1, H, W)
    elif a.ndim != 4:
        raise ConfigError(f"ssim: expected (B, 1, H, W), (B, H, W) or (H, W) images, got shape "
                          f"{tuple(a.shape)}")
    n, c, h, w = a.shape
    if h < _SSIM_WIN or w < _SSIM_WIN:
        raise ConfigError(f"ssim: images must be at least {_SSIM_WIN}x{_SSIM_WIN} pixels, "
                          f"got {h}x{w}")
    # float64: sigma^2 = E[x^2] - E[x]^2 cancels badly in float32 on flat regions
    a, b = a.double(), b.double()
    # The window is separable (the outer product of a 1-D Gaussian with itself), so the 'valid'
    # filtering is two matrix products with banded matrices, over all five images at once:
    # float64 convolutions are slow on a CPU (benchmarks/quality.py scores 10,000 digits this way)
    stack = torch.stack([a, b, a * a, b * b, a * b])  # (5, B, C, H, W)
    stack = _band(h).T @ (stack @ _band(w))  # (5, B, C, H-10, W-10)
    mu_a, mu_b, e_aa, e_bb, e_ab = stack
    var_a = e_aa - mu_a**2
    var_b = e_bb - mu_b**2
    cov = e_ab - mu_a * mu_b
    c1 = (_SSIM_K1 * data_range) ** 2
    c2 = (_SSIM_K2 * data_range) ** 2
    smap = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))  # (B, C, H-10, W-10)
    return smap.reshape(n, -1).mean(dim=1).to(out_dtype)  # (B,)


# ----------------------------------------------------------------------------- anomaly metrics


def _as_numpy_1d(x: Any, name: str) -> np.ndarray:
    """A 1-D numpy view of a numpy array, torch tensor or sequence (tensors are detached)."""
    if isinstance(x, Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim > 1 and sum(n > 1 for n in arr.shape) <= 1:
        arr = arr.reshape(-1)  # a column (N, 1) or row (1, N) of values is accepted as (N,)
    if arr.ndim != 1:
        raise ConfigError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _scores_labels(scores: Any, labels: Any, name: str,
                   both: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (scores, labels) pair; returns float64 scores and bool labels, both (N,).
    ``both``: both classes must be present (an ROC and its area are undefined otherwise)."""
    s = _as_numpy_1d(scores, "scores").astype(np.float64)
    lab = _as_numpy_1d(labels, "labels")
    if s.shape != lab.shape:
        raise ConfigError(f"{name}: {s.shape[0]} scores but {lab.shape[0]} labels")
    if s.size == 0:
        raise ConfigError(f"{name}: no samples")
    if not np.all(np.isfinite(s)):
        raise ConfigError(f"{name}: scores contain NaN or infinite values")
    if lab.dtype != np.bool_:
        if not np.all((lab == 0) | (lab == 1)):
            raise ConfigError(f"{name}: labels must be 0/1 or bool (1 = anomalous)")
        lab = lab == 1
    n_pos = int(lab.sum())
    if both and (n_pos == 0 or n_pos == lab.size):
        raise ConfigError(f"{name}: needs both normal (0) and anomalous (1) samples; "
                          f"got {n_pos} anomalous and {lab.size - n_pos} normal")
    return s, lab


def auroc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random negative.

    ``labels`` are 1/True for anomalous (positive) samples and 0/False for normal ones; ``scores``
    are higher for more anomalous samples. Either may be a numpy array, torch tensor or list.
    Exact (scikit-learn's ``roc_auc_score``: the trapezoidal area, which equals the Mann-Whitney
    U statistic over n_pos * n_neg), so a tie between a positive and a negative counts one half. Raises ``ValueError`` (:class:`ConfigError`) when
    only one class is present, since the area is then undefined.
    """
    s, lab = _scores_labels(scores, labels, "auroc", both=True)
    from sklearn.metrics import roc_auc_score  # lazy: see the module docstring

    return float(roc_auc_score(lab, s))  # the Mann-Whitney U / (n_pos n_neg), ties count half


def roc_curve(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve as ``(fpr, tpr, thresholds)``, with thresholds in descending order.

    Point ``i`` is the operating point of the rule "positive if score > thresholds[i]" (the same
    rule as :func:`threshold_stats`, so a threshold picked here can be passed there). The
    thresholds are the distinct scores from highest to lowest followed by ``-inf``: the first point
    is therefore (0, 0) (nothing flagged) and the last is (1, 1) (everything flagged). The
    trapezoidal area under the curve equals :func:`auroc`. Needs both classes present.
    """
    s, lab = _scores_labels(scores, labels, "roc_curve", both=True)
    from sklearn.metrics import roc_curve as _sk_roc_curve  # lazy: see the module docstring

    # scikit-learn's points are "score >= t" for t = +inf, then each distinct score from the top;
    # point i of ours flags the same set with "score > t" for the next lower distinct score
    fpr, tpr, sk_thr = _sk_roc_curve(lab, s, drop_intermediate=False)  # (U + 1,) each
    thresholds = np.r_[sk_thr[1:], -np.inf]
    return fpr.astype(np.float64), tpr.astype(np.float64), thresholds


def threshold_stats(scores: Any, labels: Any, threshold: float) -> dict[str, float]:
    """Confusion counts and rates of the rule "anomalous if score > threshold".

    Returns a dict with integer counts ``tp``, ``fp``, ``tn``, ``fn`` and float ``precision``
    (tp / predicted positives), ``recall`` (tp / actual positives), ``f1`` (their harmonic mean)
    and ``accuracy``. A ratio whose denominator is zero (e.g. precision when nothing is flagged)
    is reported as 0.0 rather than NaN. Unlike :func:`auroc`, one class alone is allowed.
    """
    s, lab = _scores_labels(scores, labels, "threshold_stats")
    pred = s > float(threshold)
    tp = int(np.sum(pred & lab))
    fp = int(np.sum(pred & ~lab))
    fn = int(np.sum(~pred & lab))
    tn = int(np.sum(~pred & ~lab))

    def ratio(num: float, den: float) -> float:
        return float(num / den) if den > 0 else 0.0

    precision = ratio(tp, tp + fp)
    recall = ratio(tp, tp + fn)
    return {
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": ratio(2 * precision * recall, precision + recall),
        "accuracy": ratio(tp + tn, lab.size),
    }


# ----------------------------------------------------------------------------- latent-code probes


def _codes_labels(codes: Any, labels: Any, name: str) -> tuple[Tensor, Tensor]:
    """(N, d) float32 codes and (N,) int64 labels from numpy/torch inputs; (N,) codes -> (N, 1)."""
    c = codes.detach() if isinstance(codes, Tensor) else torch.as_tensor(np.asarray(codes))
    y = labels.detach() if isinstance(labels, Tensor) else torch.as_tensor(np.asarray(labels))
    c = c.cpu().float()
    if c.ndim == 1:
        c = c[:, None]
    c = c.reshape(c.shape[0], -1)  # (N, d)
    y = y.cpu().reshape(-1).long()  # (N,)
    if c.shape[0] != y.shape[0]:
        raise ConfigError(f"{name}: {c.shape[0]} codes but {y.shape[0]} labels")
    if c.shape[0] == 0:
        raise ConfigError(f"{name}: no samples")
    return c, y


def knn_accuracy(train_codes: Any, train_labels: Any, test_codes: Any, test_labels: Any,
                 k: int = 5, chunk: int = 1024) -> float:
    """Test accuracy of a k-nearest-neighbour classifier on latent codes, a fraction in [0, 1].

    Each test code takes the majority label of its ``k`` nearest train codes (Euclidean distance),
    found by scikit-learn's ``NearestNeighbors`` (a k-d tree for small codes, brute force for wide
    ones). A tied vote goes to the tied class that has the nearest neighbour, which is the label
    of the nearest neighbour itself whenever that label is among the tied ones (scikit-learn's
    classifier would take the smallest label instead). Neighbours are looked up ``chunk`` test
    rows at a time, so memory stays bounded. Codes may be numpy or torch, (N, d) or (N,); labels
    any integers.
    """
    xtr, ytr = _codes_labels(train_codes, train_labels, "knn_accuracy (train)")
    xte, yte = _codes_labels(test_codes, test_labels, "knn_accuracy (test)")
    if xtr.shape[1] != xte.shape[1]:
        raise ConfigError(f"knn_accuracy: train codes have {xtr.shape[1]} dimensions, test codes "
                          f"{xte.shape[1]}")
    if not 1 <= k <= xtr.shape[0]:
        raise ConfigError(f"knn_accuracy: k must be between 1 and the number of train codes "
                          f"({xtr.shape[0]}), got {k}")
    if chunk < 1:
        raise ConfigError(f"knn_accuracy: chunk must be at least 1, got {chunk}")
    from sklearn.neighbors import NearestNeighbors  # lazy: see the module docstring

    classes, ytr_idx = torch.unique(ytr, return_inverse=True)  # votes over 0..n_cls-1
    n_cls = int(classes.shape[0])
    index = NearestNeighbors(n_neighbors=k).fit(xtr.numpy())
    # rank weight: a class's first appearance among the sorted neighbours breaks vote ties
    pos_bonus = torch.arange(k, 0, -1, dtype=torch.float32)  # (k,) k for the nearest .. 1
    correct = 0
    for i in range(0, xte.shape[0], chunk):
        nn = torch.from_numpy(index.kneighbors(xte[i:i + chunk].numpy(), return_distance=False))
        nl = ytr_idx[nn]  # (b, k) neighbour class indices
        onehot = torch.nn.functional.one_hot(nl, n_cls).float()  # (b, k, n_cls)
        votes = onehot.sum(dim=1)  # (b, n_cls)
        # earliest position of each class among the neighbours, as a bonus in (0, 1)
        first = (onehot * pos_bonus[None, :, None]).amax(dim=1) / (k + 1)  # (b, n_cls)
        pred = classes[(votes + first).argmax(dim=1)]  # (b,)
        correct += int((pred == yte[i:i + chunk]).sum())
    return correct / xte.shape[0]


def logistic_accuracy(train_codes: Any, train_labels: Any, test_codes: Any, test_labels: Any,
                      epochs: int = 30, seed: int = 0, weight_decay: float = 1e-4) -> float:
    """Test accuracy of a multinomial logistic regression (linear probe) on latent codes.

    Codes are standardised with the train mean and standard deviation (constant dimensions are
    left at zero), then scikit-learn's ``LogisticRegression`` (multinomial, L-BFGS) fits a softmax
    classifier for at most ``epochs`` iterations, minimising the mean cross-entropy plus
    ``weight_decay * ||W||^2`` (scikit-learn's ``C = 1 / (2 weight_decay N)``; the bias is not
    penalised). The loss is convex and the start is zero, so the result is deterministic
    (``seed`` is kept for callers; it no longer changes anything). On raw MNIST pixels (784-d) it
    reaches about 92% with the default 30 iterations. Labels are any integers; test labels
    unseen in training count as errors.
    """
    xtr, ytr = _codes_labels(train_codes, train_labels, "logistic_accuracy (train)")
    xte, yte = _codes_labels(test_codes, test_labels, "logistic_accuracy (test)")
    if xtr.shape[1] != xte.shape[1]:
        raise ConfigError(f"logistic_accuracy: train codes have {xtr.shape[1]} dimensions, test "
                          f"codes {xte.shape[1]}")
    if epochs < 1:
        raise ConfigError(f"logistic_accuracy: epochs must be at least 1, got {epochs}")
    classes, ytr_idx = torch.unique(ytr, return_inverse=True)
    n_cls = int(classes.shape[0])
    if n_cls < 2:
        raise ConfigError("logistic_accuracy: the train labels must contain at least two classes")
    mean = xtr.mean(dim=0)  # (d,)
    std = xtr.std(dim=0)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))  # e.g. MNIST's always-black corners
    ztr = (xtr - mean) / std  # (Ntr, d)
    zte = (xte - mean) / std  # (Nte, d)

    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression  # lazy: see the module docstring

    c = 1.0 / (2.0 * weight_decay * ztr.shape[0]) if weight_decay > 0 else 1e12  # 0: no penalty
    clf = LogisticRegression(C=c, max_iter=epochs, tol=1e-6)
    with warnings.catch_warnings():  # a capped iteration count is the point, not a problem
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(ztr.numpy(), ytr_idx.numpy())
    pred = classes[torch.from_numpy(clf.predict(zte.numpy())).long()]  # (Nte,)
    acc = float((pred == yte).float().mean())
    return acc if math.isfinite(acc) else 0.0


# ----------------------------------------------------------------------------- precision-recall


def average_precision(scores: Any, labels: Any) -> float:
    """Area under the precision-recall curve as scikit-learn's ``average_precision_score`` sums
    it (precision at each recall step). Chance level is the share of positives, so it suits rare
    anomalies (1% fraud) better than AUROC. Needs both classes present."""
    s, lab = _scores_labels(scores, labels, "average_precision", both=True)
    from sklearn.metrics import average_precision_score  # lazy: see the module docstring

    return float(average_precision_score(lab, s))


def pr_curve(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision-recall curve as ``(precision, recall, thresholds)`` (scikit-learn's, whose
    points flag "score >= threshold"; the last point is precision 1 at recall 0)."""
    s, lab = _scores_labels(scores, labels, "pr_curve", both=True)
    from sklearn.metrics import precision_recall_curve

    p, r, t = precision_recall_curve(lab, s)
    return p.astype(np.float64), r.astype(np.float64), t.astype(np.float64)
