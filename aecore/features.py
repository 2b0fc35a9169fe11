"""What a code is good for, and the diagnostics that tell autoencoder types apart.

* :func:`probe_codes`: 5-NN and logistic-regression test accuracy of codes (features page);
* :func:`activation_stats`: how many code units are (near) zero (sparse AEs);
* :func:`code_sensitivity`: encoder Jacobian norm and how far codes move under small input noise,
  both relative to the spread of the codes, so different code scales compare (contractive AE);
* :func:`linear_map`: the end-to-end matrix of a one-layer linear AE (does it copy its input?);
* :func:`submit_stacked_demo`: a tiny stacked AE trained live on the job manager, its per-stage
  curves in the job's history.
All pure functions over models and tensors; nothing here imports the UI.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .errors import ConfigError
from .evaluate import encode_all
from .metrics import knn_accuracy, logistic_accuracy
from .models import Autoencoder, jacobian_norm
from .train import TrainData


def probe_codes(train_codes: Tensor | np.ndarray, train_labels: Tensor, test_codes: Tensor | np.ndarray,
                test_labels: Tensor, knn_k: int = 5, logistic_epochs: int = 30) -> dict[str, float]:
    """Test accuracy (fractions) of a ``knn_k``-NN classifier and of a logistic regression fitted
    on the train codes: ``{"knn": .., "logistic": ..}``."""
    return {"knn": knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=knn_k),
            "logistic": logistic_accuracy(train_codes, train_labels, test_codes, test_labels,
                                          epochs=logistic_epochs)}


@dataclass(frozen=True)
class ActivationStats:
    """Code activations of a set of inputs."""

    values: np.ndarray       # (N * k,) every activation, for a histogram
    near_zero: float         # fraction of activations with |h| below tol
    dead_units: int          # units near zero for every input
    tol: float


def activation_stats(model: Autoencoder, x: Tensor, rel_tol: float = 0.05) -> ActivationStats:
    """Activations of the code units over ``x`` (N, 1, 28, 28). An activation counts as near zero
    when ``|h| < rel_tol * max |h|`` (relative, since code scales differ between models)."""
    h = encode_all(model, x).float()  # (N, k)
    tol = rel_tol * float(h.abs().max().clamp_min(1e-12))
    small = h.abs() < tol
    return ActivationStats(h.flatten().numpy(), float(small.float().mean()),
                           int(small.all(0).sum()), tol)


def code_sensitivity(model: Autoencoder, x: Tensor, sigma: float = 0.05,
                     gen: torch.Generator | None = None) -> dict[str, float]:
    """How much the code moves for small input changes, relative to how far codes of different
    inputs lie apart (``spread``: RMS distance of codes to their mean).

    ``jacobian``: mean exact Frobenius norm of d code / d input over ``x``, divided by ``spread``;
    ``shift``: mean ||f(x + sigma * eps) - f(x)|| over Gaussian ``eps``, divided by ``spread``.
    """
    if not 0 < sigma <= 1:
        raise ConfigError(f"sigma must be in (0, 1], got {sigma}")
    with torch.inference_mode():
        z = model.encode(x)  # (N, k)
        noisy = (x + sigma * torch.randn(x.shape, generator=gen)).clamp(0, 1)
        dz = (model.encode(noisy) - z).norm(dim=1)  # (N,)
    spread = float((z - z.mean(0)).square().sum(1).mean().sqrt().clamp_min(1e-12))
    j = jacobian_norm(model, x.clone())  # (N,)
    return {"jacobian": float(j.mean()) / spread, "shift": float(dz.mean()) / spread,
            "spread": spread, "jacobian_raw": float(j.mean())}


def linear_map(model: Autoencoder) -> Tensor:
    """The end-to-end matrix W_dec W_enc (784, 784) of a dense AE with no hidden layers (its
    logits are W_dec W_enc x + b). Near the identity (times a gain) means it copies its input."""
    enc, dec = getattr(model, "enc", None), getattr(model, "dec", None)
    if enc is None or len(enc) != 1 or len(dec) != 1 or getattr(model, "code_act", None):
        raise ConfigError("linear_map needs a one-layer dense AE with a linear code")
    with torch.no_grad():
        return dec[0].weight @ enc[0].weight


def identity_likeness(w: Tensor) -> dict[str, float]:
    """Mean diagonal and mean |off-diagonal| entry of a square matrix, and their ratio."""
    d = torch.diagonal(w)
    off = (w.abs().sum() - d.abs().sum()) / (w.numel() - d.numel())
    return {"diag": float(d.mean()), "offdiag": float(off), "ratio": float(d.mean() / off)}


def stacked_demo_data(images: Tensor) -> TrainData:
    """The stacked demo's data: ``images`` (N, 28, 28) uint8, the first tenth held out for
    validation."""
    n_val = max(1, images.shape[0] // 10)
    return TrainData(images[n_val:], None, images[:n_val], None)


def submit_stacked_demo(manager: Any, images: Tensor, pretrain_epochs: int = 1,
                        epochs: int = 2) -> Any:
    """Queue the Types page's small stacked AE (preset ``stacked_demo`` of
    :data:`aecore.presets.DEMOS`: ``pretrain_epochs`` per greedy stage, then ``epochs`` of
    fine-tuning) on ``manager`` (an :class:`aecore.jobs.JobManager`), trained on ``images``
    (N, 28, 28) uint8; returns the :class:`~aecore.jobs.Job`, whose ``history`` holds records
    with phase "pretrain layer s" and "train"."""
    from .config import replace
    from .presets import DEMOS, submit_demo

    p = DEMOS["stacked_demo"]
    model_cfg = replace(p.model, pretrain_epochs=int(pretrain_epochs))
    return submit_demo(manager, replace(p, model=model_cfg), stacked_demo_data(images), epochs)
