"""Tests for aecore.pca: exactness on toy data and the reference MNIST error figures."""
from __future__ import annotations

import threading

import pytest
import torch

from aecore.errors import ConfigError
from aecore.pca import PCA, mnist_pca


def _toy(n: int = 50, d: int = 6, seed: int = 0) -> torch.Tensor:
    """Correlated Gaussian data (n, d) in float64 with distinct variances per direction."""
    gen = torch.Generator().manual_seed(seed)
    mix = torch.randn(d, d, generator=gen, dtype=torch.float64)
    scale = torch.linspace(3.0, 0.2, d, dtype=torch.float64)
    return (torch.randn(n, d, generator=gen, dtype=torch.float64) * scale) @ mix + 1.5


def test_full_rank_reconstruction_is_exact() -> None:
    x = _toy()
    pca = PCA.fit(x)
    assert torch.allclose(pca.reconstruct(x, k=6), x, atol=1e-10)


def test_components_orthonormal_and_sorted() -> None:
    pca = PCA.fit(_toy())
    c = pca.components
    assert c.shape == (6, 6)
    assert torch.allclose(c @ c.T, torch.eye(6, dtype=torch.float64), atol=1e-10)
    ev = pca.explained_variance
    assert torch.all(ev[:-1] >= ev[1:])
    # the explained variance is the variance of the codes along each direction
    z = pca.encode(_toy(), 6)
    assert torch.allclose(z.var(dim=0), ev, rtol=1e-8)


def test_matches_svd_subspace() -> None:
    # an independent reference: the SVD of the centred data spans the same leading subspace
    x = _toy(n=200, d=5, seed=1)
    pca = PCA.fit(x)
    _, _, vh = torch.linalg.svd(x - x.mean(0), full_matrices=False)
    for i in range(5):
        assert abs(float(pca.components[i] @ vh[i])) == pytest.approx(1.0, abs=1e-8)


def test_shapes_and_dtype() -> None:
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(20, 1, 4, 4, generator=gen)  # (N, 1, 4, 4) -> D = 16, float32
    pca = PCA.fit(x)
    assert pca.mean.shape == (16,) and pca.components.shape == (16, 16)
    assert pca.mean.dtype == torch.float32
    z = pca.encode(x, 3)
    assert z.shape == (20, 3)
    assert pca.decode(z).shape == (20, 16)
    assert pca.reconstruct(x, 3).shape == (20, 1, 4, 4)
    clipped = pca.reconstruct(x, 1, clip=True)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


def test_bad_arguments() -> None:
    pca = PCA.fit(_toy())
    with pytest.raises(ConfigError):
        pca.encode(_toy(), 0)
    with pytest.raises(ConfigError):
        pca.encode(_toy(), 7)
    with pytest.raises(ConfigError):
        pca.encode(torch.zeros(3, 5), 2)  # wrong feature count
    with pytest.raises(ConfigError):
        PCA.fit(torch.zeros(1, 4))


def test_mnist_pca_reference_errors_and_cache() -> None:
    from aecore.data import load_split

    results: list[PCA] = []
    threads = [threading.Thread(target=lambda: results.append(mnist_pca())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pca = mnist_pca()
    assert all(r is pca for r in results)  # one fit shared by every caller
    assert pca.components.shape == (784, 784)

    x = load_split("test").float_images()  # (10000, 1, 28, 28)
    for k, ref in ((2, 0.0557), (32, 0.0168)):
        err = float((pca.reconstruct(x, k) - x).square().mean())
        assert err == pytest.approx(ref, rel=0.02), (k, err)
