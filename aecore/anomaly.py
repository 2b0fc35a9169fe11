"""Anomaly detection by reconstruction error: scores, error maps, out-of-distribution samples.

An autoencoder trained on normal data only rebuilds normal inputs well and anything else badly,
so the per-input reconstruction error is an anomaly score (higher = more anomalous). This module
holds the pure pieces the anomaly page and ``benchmarks/anomaly.py`` share:

* :func:`recon_errors` / :func:`error_maps`: per-image MSE and the map |x - x_hat|;
* :func:`noise_images`, :func:`shape_images`, :func:`ood_images`: out-of-distribution inputs
  drawn from an explicit ``torch.Generator``;
* :func:`one_class_labels`, :func:`one_class_data`: the one-class protocol of Ruff et al. (ICML
  2018): train on one digit's training images, call every other digit anomalous;
  :func:`submit_one_class` queues that training on the app's job manager;
* :func:`series_scores`: a sequence AE slid over a sensor series, per-window and per-step errors.

The metrics themselves (AUROC, ROC curve, threshold statistics) live in :mod:`aecore.metrics`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import Tensor

from .errors import ConfigError
from .evaluate import CHUNK, reconstruct_all
from .models import Autoencoder
from .sensors import make_windows
from .train import TrainData

OOD_KINDS = ("uniform noise", "gaussian blobs", "rectangles", "ellipses")
MAX_OOD = 10_000


# ----------------------------------------------------------------------------- scores


def reconstructions(model: Autoencoder, x: Tensor, y: Tensor | None = None,
                    chunk: int = CHUNK) -> Tensor:
    """Reconstructions of ``x`` (N, 1, 28, 28) in [0, 1], in chunks; same shape as ``x``."""
    if x.ndim != 4 or x.shape[0] == 0:
        raise ConfigError(f"expected a non-empty batch of images (N, 1, 28, 28), got {tuple(x.shape)}")
    return reconstruct_all(model, x, y, chunk).clamp(0.0, 1.0)


def recon_errors(model: Autoencoder, x: Tensor, y: Tensor | None = None,
                 chunk: int = CHUNK) -> Tensor:
    """Anomaly score of each image: mean squared reconstruction error over its pixels, (N,)."""
    rec = reconstructions(model, x, y, chunk)
    return (rec - x).square().flatten(1).mean(1)


def error_maps(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``(x_hat, |x - x_hat|)``, both (N, 1, 28, 28): where each reconstruction fails."""
    rec = reconstructions(model, x, y)
    return rec, (x - rec).abs()


def quantile_threshold(normal_scores: np.ndarray | Tensor, q: float = 0.95) -> float:
    """The ``q`` quantile of the normal scores: flag what scores above ``q`` of normal data
    (a false-positive rate of about 1 - q on data like the normal set)."""
    s = np.asarray(normal_scores.detach().cpu() if isinstance(normal_scores, Tensor)
                   else normal_scores, dtype=np.float64).reshape(-1)
    if s.size == 0:
        raise ConfigError("quantile_threshold: no normal scores")
    if not 0.0 <= q <= 1.0:
        raise ConfigError(f"quantile must be between 0 and 1, got {q}")
    return float(np.quantile(s, q))


# ----------------------------------------------------------------------------- OOD generators


def _check_n(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_OOD:
        raise ConfigError(f"number of images must be between 1 and {MAX_OOD}, got {n!r}")
    return n


def noise_images(n: int, gen: torch.Generator, kind: str = "uniform noise") -> Tensor:
    """``n`` noise images (n, 1, 28, 28) in [0, 1]: i.i.d. uniform pixels, or a few blurred
    Gaussian blobs (smooth, digit-sized structure that is still no digit)."""
    _check_n(n)
    if kind == "uniform noise":
        return torch.rand(n, 1, 28, 28, generator=gen)
    if kind == "gaussian blobs":
        yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")  # (28, 28)
        k = 3
        c = 4 + 20 * torch.rand(n, k, 2, generator=gen)  # centres (n, k, 2)
        s = 1.5 + 3.5 * torch.rand(n, k, 1, 1, generator=gen)  # widths
        d2 = (yy - c[..., 0, None, None]) ** 2 + (xx - c[..., 1, None, None]) ** 2  # (n, k, 28, 28)
        img = torch.exp(-d2 / (2 * s**2)).sum(1, keepdim=True)  # (n, 1, 28, 28)
        return img.clamp(0.0, 1.0)
    raise ConfigError(f"unknown noise kind {kind!r}; choose 'uniform noise' or 'gaussian blobs'")


def shape_images(n: int, gen: torch.Generator, kind: str = "rectangles") -> Tensor:
    """``n`` images (n, 1, 28, 28) of one to three bright rectangles or ellipses (outlined or
    filled) on black, drawn with PIL at positions and sizes from ``gen``."""
    _check_n(n)
    if kind not in ("rectangles", "ellipses"):
        raise ConfigError(f"unknown shape kind {kind!r}; choose 'rectangles' or 'ellipses'")
    r = torch.rand(n, 3, 6, generator=gen).numpy()  # per shape: x0, y0, w, h, fill, present
    out = np.zeros((n, 28, 28), dtype=np.uint8)
    for i in range(n):
        im = Image.new("L", (28, 28), 0)
        d = ImageDraw.Draw(im)
        for j in range(3):
            if j > 0 and r[i, j, 5] < 0.5:
                continue
            x0, y0 = 2 + 14 * r[i, j, 0], 2 + 14 * r[i, j, 1]
            x1, y1 = min(26.0, x0 + 5 + 15 * r[i, j, 2]), min(26.0, y0 + 5 + 15 * r[i, j, 3])
            filled = r[i, j, 4] < 0.4
            draw = d.rectangle if kind == "rectangles" else d.ellipse
            draw([x0, y0, x1, y1], fill=255 if filled else None, outline=255, width=2)
        out[i] = np.asarray(im)
    return torch.from_numpy(out).float().div_(255.0).unsqueeze(1)


def ood_images(n_per_kind: int, gen: torch.Generator,
               kinds: Sequence[str] = OOD_KINDS) -> tuple[Tensor, list[str]]:
    """``n_per_kind`` images of each out-of-distribution kind, (n * len(kinds), 1, 28, 28), and
    the kind of each image (a list of the same length)."""
    imgs, names = [], []
    for kind in kinds:
        if kind in ("uniform noise", "gaussian blobs"):
            imgs.append(noise_images(n_per_kind, gen, kind))
        elif kind in ("rectangles", "ellipses"):
            imgs.append(shape_images(n_per_kind, gen, kind))
        else:
            raise ConfigError(f"unknown out-of-distribution kind {kind!r}; choose from "
                              f"{', '.join(OOD_KINDS)}")
        names += [kind] * n_per_kind
    if not imgs:
        raise ConfigError("choose at least one kind of out-of-distribution input")
    return torch.cat(imgs), names


# ----------------------------------------------------------------------------- one-class protocol


def _digits(normal: int | Sequence[int]) -> list[int]:
    ds = [normal] if isinstance(normal, int) else list(normal)
    if not ds or any(not isinstance(d, int) or not 0 <= d <= 9 for d in ds):
        raise ConfigError(f"normal classes must be digits 0 to 9, got {normal!r}")
    return ds


def one_class_labels(labels: Tensor, normal: int | Sequence[int]) -> Tensor:
    """Anomaly labels (N,) bool for digit labels (N,): False for the normal class(es), True for
    every other digit (the one-class MNIST protocol of Ruff et al., 2018)."""
    return ~torch.isin(labels.long(), torch.tensor(_digits(normal)))


def submit_one_class(manager: Any, images: Tensor, labels: Tensor, normal: int, epochs: int,
                     on_result: Any = None, dataset: str = "mnist") -> Any:
    """Queue the one-class detector of class ``normal`` of ``dataset`` (a name of
    :mod:`aecore.datasets`; preset ``one_class`` of :data:`aecore.presets.DEMOS`, ``epochs``
    epochs, its input shape and card set to that data set) on ``manager`` (an
    :class:`aecore.jobs.JobManager`) with :func:`one_class_data` of the training split ``images``
    (N, [C,] H, W) uint8 / ``labels`` (N,); returns the :class:`~aecore.jobs.Job`."""
    from .config import replace
    from .datasets import get_dataset, retarget
    from .presets import DEMOS, submit_demo

    p = DEMOS["one_class"]
    d = get_dataset(dataset)
    model_cfg, train_cfg = retarget(p.model, p.train, dataset)
    what = f"digit {normal}" if dataset == "mnist" else f"{d.label} class {d.class_name(normal)}"
    data = one_class_data(images, labels, normal, val_size=p.train.val_size, seed=p.train.seed)
    name = f"one_class_{normal}" if dataset == "mnist" else f"one_class_{dataset}_{normal}"
    return submit_demo(manager, replace(p, model=model_cfg, train=train_cfg,
                                        title=f"Anomaly detector for {what}"),
                       data, epochs, name=name, on_result=on_result)


def one_class_data(images: Tensor, labels: Tensor, normal: int | Sequence[int], *,
                   subset: int = 0, val_size: int = 500, seed: int = 0) -> TrainData:
    """Training data of the normal class(es) only: images (N, [C,] H, W) uint8 of that class,
    shuffled by ``seed``, the first ``val_size`` held out for validation, the training part cut
    to ``subset`` images when given (0 = all)."""
    idx = torch.nonzero(~one_class_labels(labels, normal)).flatten()
    if idx.numel() <= val_size:
        raise ConfigError(f"only {idx.numel()} images of the normal class(es): fewer than the "
                          f"{val_size} held out for validation")
    perm = idx[torch.randperm(idx.numel(), generator=torch.Generator().manual_seed(seed))]
    val, tr = perm[:val_size], perm[val_size:]
    if subset:
        tr = tr[:subset]
    return TrainData(images[tr], labels[tr], images[val], labels[val])


# ----------------------------------------------------------------------------- sensor series


@dataclass(frozen=True, eq=False)
class SeriesScores:
    """A sequence AE slid over one series (T, C) window by window."""

    recon: Tensor        # (T, C) reconstruction: overlapping windows averaged
    step_error: Tensor   # (T,) squared error per step (mean over channels), windows averaged
    window_error: Tensor  # (N,) mean squared error of each window
    starts: Tensor       # (N,) first step of each window


@torch.inference_mode()
def series_scores(model: Autoencoder, x: Tensor, stride: int | None = None) -> SeriesScores:
    """Slide a sequence AE over ``x`` (T, C): windows of the model's ``seq_len`` every
    ``stride`` steps (default a quarter window), each reconstructed and scored; per-step values
    average every window covering the step (steps no window covers get the nearest window's)."""
    if getattr(model, "data_kind", "image") != "series":
        raise ConfigError("series scores need a sequence autoencoder")
    win = int(model.cfg.seq_len)
    stride = stride or max(1, win // 4)
    if x.ndim != 2 or x.shape[1] != model.cfg.channels:
        raise ConfigError(f"expected a series (T, {model.cfg.channels}), got {tuple(x.shape)}")
    w = make_windows(x.float(), win, stride)  # (N, win, C)
    rec = model.reconstruct(w)  # (N, win, C)
    err = (rec - w).square()  # (N, win, C)
    t, c = x.shape
    starts = torch.arange(w.shape[0]) * stride
    rec_sum, err_sum = torch.zeros(t, c), torch.zeros(t)
    count = torch.zeros(t)
    for i, s in enumerate(starts.tolist()):
        rec_sum[s:s + win] += rec[i]
        err_sum[s:s + win] += err[i].mean(1)
        count[s:s + win] += 1
    last = int(starts[-1]) + win
    if last < t:  # an uncovered tail: score it with a window ending at the series' end
        tail = model.reconstruct(x[None, t - win:].float())[0]
        rec_sum[last:] = tail[win - (t - last):]
        err_sum[last:] = (tail - x[t - win:]).square().mean(1)[win - (t - last):]
        count[last:] = 1
    return SeriesScores(rec_sum / count[:, None], err_sum / count, err.mean((1, 2)), starts)


def flagged_spans(flags: Tensor) -> list[tuple[int, int]]:
    """Runs of True in a (T,) bool mask as (start, end) pairs, end exclusive."""
    f = flags.bool().int()
    edges = torch.diff(torch.cat([torch.zeros(1, dtype=torch.int), f, torch.zeros(1, dtype=torch.int)]))
    starts = torch.nonzero(edges == 1).flatten().tolist()
    ends = torch.nonzero(edges == -1).flatten().tolist()
    return list(zip(starts, ends))
