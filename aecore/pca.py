"""Principal component analysis: the linear autoencoder that every trained model is compared with.

A PCA with ``k`` components is the optimal *linear* autoencoder with a ``k``-dimensional code (for
squared error), so its reconstruction error is the baseline a nonlinear autoencoder has to beat.
The fit is exact: the D x D covariance is accumulated in float64 and diagonalised with
``torch.linalg.eigh`` (MNIST, 60,000 x 784, takes about a second on two CPU cores); after the fit
the tensors are kept in the input's float dtype (float32 for images).

Reference figures on MNIST (fit on train, unclipped reconstructions, mean squared error per pixel
on the test set): k=2 0.0557, k=4 0.0479, k=8 0.0374, k=16 0.0269, k=32 0.0168, k=64 0.0091;
k=30 gives a sum of squared errors of 13.87 per image.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .errors import ConfigError

__all__ = ["PCA", "mnist_pca", "pca_test_mse"]


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors field-wise is ambiguous
class PCA:
    """A fitted PCA: mean, principal directions and their variances, all over D = prod(x.shape[1:]).

    ``components`` holds one unit-length direction per row, sorted by decreasing explained
    variance; the rows are orthonormal, so encoding is a projection and decoding its transpose.
    The sign of each direction is fixed (its largest-magnitude entry is positive) so that fits of
    the same data give the same codes.
    """

    mean: Tensor  # (D,)
    components: Tensor  # (D, D), rows = principal directions, decreasing variance
    explained_variance: Tensor  # (D,), variance of the data along each row of components

    @property
    def dim(self) -> int:
        """Number of input features D (784 for MNIST)."""
        return int(self.mean.shape[0])

    @classmethod
    def fit(cls, x: Tensor) -> "PCA":
        """Fit a PCA to ``x`` of shape (N, ...), flattened to (N, D), with N >= 2.

        The covariance (unbiased, divided by N - 1) is computed and diagonalised in float64 for
        accuracy; the returned tensors use ``x``'s float dtype (float32 for integer inputs). All D
        components are kept, so any ``k`` up to D can be used afterwards without refitting.
        """
        if not isinstance(x, Tensor) or x.ndim < 1:
            raise ConfigError("PCA.fit: expected a tensor of shape (N, ...)")
        n = int(x.shape[0])
        if n < 2:
            raise ConfigError(f"PCA.fit: needs at least 2 samples, got {n}")
        dtype = x.dtype if x.dtype.is_floating_point else torch.float32
        xd = x.detach().reshape(n, -1).to(torch.float64)  # (N, D)
        mean = xd.mean(dim=0)  # (D,)
        xc = xd - mean  # (N, D), centred before the product to avoid cancellation
        cov = (xc.T @ xc) / (n - 1)  # (D, D), symmetric
        evals, evecs = torch.linalg.eigh(cov)  # ascending; columns are eigenvectors
        evals = evals.flip(0).clamp_min(0.0)  # (D,) decreasing; round-off can give tiny negatives
        comps = evecs.flip(1).T.contiguous()  # (D, D) rows = directions
        # fix each direction's arbitrary sign: its largest-|.| entry is made positive
        peak = comps.gather(1, comps.abs().argmax(dim=1, keepdim=True))  # (D, 1)
        comps = comps * torch.where(peak < 0, -1.0, 1.0)
        return cls(mean=mean.to(dtype), components=comps.to(dtype),
                   explained_variance=evals.to(dtype))

    def _check_k(self, k: int) -> int:
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= self.dim:
            raise ConfigError(f"PCA: number of components must be an integer from 1 to {self.dim}, "
                              f"got {k!r}")
        return k

    def _flat(self, x: Tensor) -> Tensor:
        """(N, ...) -> (N, D) in the model's dtype, checking that D matches."""
        if not isinstance(x, Tensor) or x.ndim < 1 or math.prod(x.shape[1:]) != self.dim:
            raise ConfigError(f"PCA: expected inputs with {self.dim} features per sample, got "
                              f"shape {tuple(getattr(x, 'shape', ()))}")
        return x.reshape(x.shape[0], self.dim).to(self.mean.dtype)  # (N, D)

    def encode(self, x: Tensor, k: int) -> Tensor:
        """Project ``x`` (N, ...) onto the first ``k`` principal directions; codes (N, k)."""
        k = self._check_k(k)
        return (self._flat(x) - self.mean) @ self.components[:k].T  # (N, k)

    def decode(self, z: Tensor) -> Tensor:
        """Map codes ``z`` (N, k) back to flat inputs (N, D); ``k`` is read from ``z``'s width."""
        if z.ndim != 2:
            raise ConfigError(f"PCA.decode: expected codes of shape (N, k), got {tuple(z.shape)}")
        k = self._check_k(int(z.shape[1]))
        return z.to(self.mean.dtype) @ self.components[:k] + self.mean  # (N, D)

    def reconstruct(self, x: Tensor, k: int, clip: bool = False) -> Tensor:
        """Encode with ``k`` components and decode, returning the same shape as ``x``.

        A (B, 1, 28, 28) batch comes back as (B, 1, 28, 28). The result is NOT clipped by default:
        a linear reconstruction can leave [0, 1] (slightly negative ink, values above 1), and the
        reference error figures are for unclipped outputs. Pass ``clip=True`` to clamp to [0, 1]
        for display (this lowers the error a little).
        """
        out = self.decode(self.encode(x, k)).reshape(x.shape)  # (N, ...) like x
        return out.clamp(0.0, 1.0) if clip else out


_mnist: PCA | None = None
_lock = threading.Lock()


def mnist_pca() -> PCA:
    """The PCA of the MNIST train split (60,000 digits, pixels in [0, 1]), fitted once per process.

    The first call fits it (about a second); later calls, from any thread (Streamlit runs each
    session in its own), return the same object. The lock makes concurrent first calls fit once.
    """
    global _mnist
    with _lock:
        if _mnist is None:
            from .data import load_split  # local import: keeps importing aecore.pca cheap

            _mnist = PCA.fit(load_split("train").float_images())  # (60000, 1, 28, 28) -> D = 784
        return _mnist


_by_set: dict[str, PCA] = {}
PCA_FIT_MAX = 4_000  # training items a non-MNIST PCA is fitted on (a 3072-D covariance is costly)


def dataset_pca(name: str) -> PCA:
    """The PCA of a data set's training split (its first :data:`PCA_FIT_MAX` items in a fixed
    shuffle; MNIST: :func:`mnist_pca`), fitted once per process. A set whose training split is
    missing is fitted on its test split's first half."""
    if name == "mnist":
        return mnist_pca()
    with _lock:
        if name not in _by_set:
            from .data import load_split
            from .errors import DatasetError
            try:
                split = load_split("train", name)
            except DatasetError:
                split = load_split("test", name)
                split = type(split)(split.images[: len(split) // 2], split.labels[: len(split) // 2])
            idx = torch.randperm(len(split), generator=torch.Generator().manual_seed(0))
            _by_set[name] = PCA.fit(split.float_images(idx[:PCA_FIT_MAX]))  # (n, C, H, W) -> D
        return _by_set[name]


def pca_test_mse(ks: Sequence[int], pca: PCA | None = None, x: Tensor | None = None,
                 chunk: int = 2000) -> list[float]:
    """Mean squared error per pixel of PCA reconstructions of ``x`` with ``k`` components, per k.

    Defaults: the MNIST PCA (:func:`mnist_pca`) and the MNIST test split, (10000, 1, 28, 28), so the
    result is the linear baseline to set beside an autoencoder's test MSE at the same code size.
    Reconstructions are unclipped (the reference figures in this module's docstring). One
    projection onto the leading ``max(ks)`` directions serves every k: the rows of ``components``
    are orthonormal, so the residual of image i is ``|x_i - mean|^2 - sum_{j<k} z_ij^2``. A ``k``
    above the input size D means all D components, an exact reconstruction (MSE about 0).
    Returns one float per entry of ``ks``, in the same order.
    """
    ks = [int(k) for k in ks]
    if not ks or any(k < 1 for k in ks):
        raise ConfigError(f"pca_test_mse: every k must be a positive integer, got {ks!r}")
    if pca is None:
        pca = mnist_pca()
    if x is None:
        from .data import load_split

        x = load_split("test").float_images()  # (10000, 1, 28, 28)
    kmax = min(max(ks), pca.dim)
    comps = pca.components[:kmax].double()  # (kmax, D)
    mean = pca.mean.double()
    sse = torch.zeros(kmax + 1, dtype=torch.float64)  # sse[k]: summed residual with k components
    n = 0
    for i in range(0, x.shape[0], chunk):
        xc = pca._flat(x[i:i + chunk]).double() - mean  # (B, D), centred
        z2 = (xc @ comps.T).square()  # (B, kmax), energy captured by each direction
        total = xc.square().sum(dim=1, keepdim=True)  # (B, 1)
        resid = total - torch.cat([z2.new_zeros(z2.shape[0], 1), z2.cumsum(dim=1)], dim=1)
        sse += resid.clamp_min(0.0).sum(dim=0)  # round-off can dip just below 0 at full rank
        n += xc.shape[0]
    if n == 0:
        raise ConfigError("pca_test_mse: x is empty")
    return [float(sse[min(k, kmax)] / (n * pca.dim)) for k in ks]
