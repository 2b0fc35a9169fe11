"""Reconstructions with their errors, for the Reconstruct and Bottleneck pages, on any image
data set.

Everything here is a thin call into ``aecore`` (model, PCA, metrics) plus the rendering both pages
share; no model maths lives here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import streamlit as st
import torch

from aecore.data import Split
from aecore.errors import AecoreError
from aecore.metrics import mse, psnr
from aecore.models import Autoencoder
from aecore.pca import PCA

from . import live, loaders

PIXELS = 28 * 28  # an MNIST digit: 784 numbers, one uint8 byte each on disk


@dataclass(frozen=True)
class Recon:
    """Reconstructions of a batch and the error of each against the original."""

    images: torch.Tensor  # (B, C, H, W) in [0, 1], ready to show
    mse: list[float]      # per image, mean over its C * H * W numbers (784 for a digit)
    psnr: list[float]     # per image, dB

    @property
    def mean_mse(self) -> float:
        return sum(self.mse) / len(self.mse)

    def captions(self) -> list[str]:
        """One per image: MSE and PSNR, or the MSE alone when many images make them narrow."""
        if len(self.mse) > 8:
            return [f"{m:.4f}" for m in self.mse]
        # no-break spaces: a narrow caption wraps after the dot, never inside a number and its unit
        return [f"MSE\u00a0{m:.4f} · {p:.1f}\u00a0dB" for m, p in zip(self.mse, self.psnr)]


# helpers


def model_recon(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
                target: torch.Tensor | None = None) -> Recon:
    """A model's reconstructions of ``x`` (B, C, H, W), errors against ``target`` (default: x,
    or e.g. the clean digit when x is noisy); labels ``y`` go only to conditional models."""
    target = x if target is None else target
    with torch.inference_mode():
        out = model.reconstruct(x, y if model.conditional else None).reshape(x.shape)
    return Recon(out, mse(out, target).tolist(), psnr(out, target).tolist())


def pca_k(k: int, pca: PCA) -> int:
    """PCA cannot use more components than the image has pixels."""
    return min(int(k), pca.dim)


def pca_recon(pca: PCA, x: torch.Tensor, k: int) -> Recon:
    """PCA's reconstructions with ``k`` components (clamped to 784). Errors are those of PCA's own
    unclipped output (the linear baseline); the images are clipped to [0, 1] only for display."""
    raw = pca.reconstruct(x, pca_k(k, pca))  # (B, 1, 28, 28), may leave [0, 1] slightly
    return Recon(raw.clamp(0.0, 1.0), mse(raw, x).tolist(), psnr(raw, x).tolist())


def ratio_text(k: int, pixels: int = PIXELS) -> str:
    """``pixels`` / k as a short figure (an MNIST digit's 784 by default): 392x, 24.5x, 0.77x."""
    return f"{round(pixels / k, 2):g}x"


def data_or_stop(dataset: str = "mnist") -> tuple[Split, PCA]:
    """A data set's test split and the PCA of its training split (MNIST's: shipped), or an error
    message and ``st.stop()``."""
    try:
        if dataset == "mnist":
            return loaders.mnist_split("test"), loaders.pca()
        from aecore.data import load_split
        from aecore.pca import dataset_pca
        with st.spinner("Fitting the PCA of this data set (once per server)..."):
            return load_split("test", dataset), dataset_pca(dataset)
    except AecoreError as exc:
        st.error(f"The data could not be read: {exc}")
    st.stop()


def one_per_class(labels: torch.Tensor, classes: Sequence[str] | None, n: int = 10) -> list[int]:
    """Test indices to look at closely: the first item of each class (a 0, a 1, ... a 9), or,
    for a set without classes (its labels say only which photo a patch came from), ``n`` items
    evenly spread over the split."""
    if classes:
        return [int(torch.nonzero(labels == c)[0]) for c in range(len(classes))
                if bool((labels == c).any())]
    return torch.linspace(0, len(labels) - 1, n).long().tolist()


def held_out(n_items: int, n: int) -> list[int]:
    """``n`` test indices evenly spread over the second half of a split of ``n_items``: never
    in the half :func:`aecore.pca.dataset_pca` fits on when a set's training split is missing,
    so PCA is not scored on the items it was fitted to."""
    lo = n_items // 2
    return torch.linspace(lo, n_items - 1, min(n, n_items - lo)).long().unique().tolist()


# rendering


ROW_PX = 760  # room for a row of images beside its label on a laptop screen (1366 px, sidebar open)


def grid(key: str, rows: Sequence[tuple[str, torch.Tensor, Sequence[str]]]) -> None:
    """Rows of digits as one element drawn in the page (``ui.live.rows``): each row (label, images
    (B, 1, 28, 28) in [0, 1], captions) has its label on the left (bold; a newline starts its
    second line) and a caption under every image, shrunk so that up to 16 digits stay on one line
    and rows stay aligned."""
    n = max(len(images) for _, images, _ in rows)
    h, w = (int(v) for v in rows[0][1].shape[-2:])  # colour images (B, 3, H, W) go as RGB bytes
    scale = max(1, min(4, round(max(44, ROW_PX // n) / w)))  # 6 digits: 4x, 8: 3x, 16: 2x
    images: list[str] = []
    live.rows(key, [live.panel_row(label, imgs, caps, images) for label, imgs, caps in rows],
              images, shape=(h, w), scale=scale)


def item_captions(idx: list[int], labels: torch.Tensor, dataset: str,
                  names: Sequence[str] | None) -> list[str]:
    """Captions under test items of any set: MNIST's "#7 · a 3", a named class ("#7 · Dress"),
    or only the index where the set has no classes (a photo patch's label is its photo)."""
    if dataset == "mnist":
        return digit_captions(idx, labels)
    return digit_captions(idx, labels, names) if names else [f"#{i}" for i in idx]


def digit_captions(idx: list[int], labels: torch.Tensor, names: Sequence[str] | None = None
                   ) -> list[str]:
    """"#index · its class" under each test item (a digit's class is its number)."""
    if names is None:
        return [f"#{i} · a {int(labels[i])}" for i in idx]
    return [f"#{i} · {names[int(labels[i])]}" for i in idx]
