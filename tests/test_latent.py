"""aecore.latent: grids, interpolations and traversals over small untrained models."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aecore.config import AEConfig, CVAEConfig, VAEConfig
from aecore.errors import ConfigError
from aecore.latent import (grid_codes, interpolate_latent, interpolate_pixels, kl_per_dim,
                           latent_range, manifold_grid, mean_kl, tile, traverse)
from aecore.models import build_model


@pytest.fixture(scope="module")
def ae2():
    return build_model(AEConfig(latent_dim=2, hidden=(32,)), seed=0).eval()


@pytest.fixture(scope="module")
def vae8():
    return build_model(VAEConfig(latent_dim=8, hidden=(32,)), seed=1).eval()


def _digits(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n", [1, 5, 12])
def test_manifold_grid_is_n_digits_square(ae2, n):
    grid = manifold_grid(ae2, n, -2.0, (3.0, 1.0))
    assert grid.shape == (n * 28, n * 28)
    assert grid.min() >= 0 and grid.max() <= 1


def test_manifold_grid_cells_are_the_decodes_of_the_grid_codes(ae2):
    n, lo, hi = 4, (-1.0, -2.0), (2.0, 3.0)
    grid, z = manifold_grid(ae2, n, lo, hi), grid_codes(n, lo, hi)
    with torch.inference_mode():
        dec = ae2.decode(z).reshape(n * n, 28, 28).numpy()
    # top-left cell: smallest z1, largest z2; bottom-right: largest z1, smallest z2
    assert z[0].tolist() == [-1.0, 3.0] and z[-1].tolist() == [2.0, -2.0]
    np.testing.assert_allclose(grid[:28, :28], dec[0], atol=1e-6)
    np.testing.assert_allclose(grid[-28:, -28:], dec[-1], atol=1e-6)
    np.testing.assert_allclose(grid[28:56, 56:84], dec[1 * n + 2], atol=1e-6)


def test_manifold_grid_refuses_codes_that_are_not_2d(vae8):
    with pytest.raises(ConfigError, match="2-D"):
        manifold_grid(vae8, 5, -1, 1)


def test_grid_size_is_bounded(ae2):
    with pytest.raises(ConfigError):
        manifold_grid(ae2, 0, -1, 1)
    with pytest.raises(ConfigError):
        manifold_grid(ae2, 1000, -1, 1)


def test_tile_places_images_row_by_row_with_gaps():
    imgs = torch.stack([torch.full((1, 28, 28), v) for v in (0.1, 0.2, 0.3)])
    out = tile(imgs, cols=2, gap=2, fill=1.0)
    assert out.shape == (2 * 30 - 2, 2 * 30 - 2)
    assert out[0, 0] == pytest.approx(0.1) and out[0, 30] == pytest.approx(0.2)
    assert out[30, 0] == pytest.approx(0.3) and out[30, 30] == 1.0  # empty cell
    assert out[0, 28] == 1.0  # gap


@pytest.mark.parametrize("model_name", ["ae2", "vae8"])
def test_latent_interpolation_ends_are_the_decoded_codes_of_the_ends(model_name, request):
    model = request.getfixturevalue(model_name)
    x = _digits(2)
    path = interpolate_latent(model, x[0], x[1:2], 7)
    assert path.shape == (7, 1, 28, 28)
    with torch.inference_mode():
        ends = model.decode(model.encode(x))
    torch.testing.assert_close(path[0], ends[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(path[-1], ends[1], atol=1e-6, rtol=0)
    assert not torch.allclose(path[3], ends[0])  # the middle is neither end


def test_latent_interpolation_of_a_conditional_model_uses_both_labels():
    cvae = build_model(CVAEConfig(latent_dim=4, hidden=(32,)), seed=0).eval()
    x, y = _digits(2), torch.tensor([3, 8])
    path = interpolate_latent(cvae, x[0], x[1], 6, y[0], y[1])
    with torch.inference_mode():
        ends = cvae.decode(cvae.encode(x, y), y)
    torch.testing.assert_close(path[0], ends[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(path[-1], ends[1], atol=1e-6, rtol=0)


def test_pixel_interpolation_ends_are_the_inputs_and_the_middle_a_blend():
    x = _digits(2, seed=3)
    path = interpolate_pixels(x[0], x[1], 5)
    assert path.shape == (5, 1, 28, 28)
    assert torch.equal(path[0], x[0]) and torch.equal(path[-1], x[1])
    torch.testing.assert_close(path[2], (x[0] + x[1]) / 2)


def test_interpolation_refuses_bad_steps_and_non_images(ae2):
    x = _digits(2)
    with pytest.raises(ConfigError):
        interpolate_pixels(x[0], x[1], 1)
    with pytest.raises(ConfigError, match="28x28"):
        interpolate_pixels(torch.zeros(3, 28, 28), x[1], 5)


def test_traverse_changes_only_the_chosen_dimension(vae8):
    z0 = torch.randn(8, generator=torch.Generator().manual_seed(0))
    values = [-3.0, 0.0, 3.0]
    out = traverse(vae8, z0, 5, values)
    assert out.shape == (3, 1, 28, 28)
    z = z0.repeat(3, 1)
    z[:, 5] = torch.tensor(values)
    with torch.inference_mode():
        torch.testing.assert_close(out, vae8.decode(z))
    assert not torch.allclose(out[0], out[2])


def test_traverse_refuses_a_dimension_the_code_does_not_have(vae8):
    with pytest.raises(ConfigError, match="dimension 8"):
        traverse(vae8, torch.zeros(8), 8, [0.0])


def test_latent_range_covers_the_bulk_with_padding():
    codes = np.random.default_rng(0).normal(size=(10_000, 2)) * [1.0, 3.0]
    codes[0] = [1000.0, -1000.0]  # one outlier does not stretch the range
    lo, hi = latent_range(codes)
    assert lo.shape == hi.shape == (2,)
    inside = ((codes >= lo) & (codes <= hi)).all(axis=1).mean()
    assert 0.97 < inside < 1.0
    assert hi[1] - lo[1] > 2.5 * (hi[0] - lo[0])  # per-dimension ranges


def test_mean_kl_is_zero_exactly_when_the_posterior_is_the_prior(vae8):
    x = _digits(16)
    assert mean_kl(vae8, x) > 0
    prior = build_model(VAEConfig(latent_dim=8, hidden=(32,)), seed=1).eval()
    for lin in (prior.mu, prior.logvar):  # mu = 0, log sigma^2 = 0 for every input
        torch.nn.init.zeros_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
    assert mean_kl(prior, x) == pytest.approx(0.0, abs=1e-6)


def test_kl_per_dim_matches_the_closed_form_and_sums_to_the_mean_kl(vae8):
    x = _digits(16)
    per_dim = kl_per_dim(vae8, x)
    assert per_dim.shape == (8,) and bool((per_dim >= 0).all())
    with torch.inference_mode():
        mu, logvar = vae8.encode_dist(x)
    expected = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(0)  # Kingma & Welling, app. B
    torch.testing.assert_close(per_dim, expected, atol=1e-5, rtol=1e-5)
    assert mean_kl(vae8, x) == pytest.approx(float(expected.sum()), rel=1e-5)


def test_mean_kl_needs_a_vae(ae2):
    with pytest.raises(ConfigError):
        mean_kl(ae2, _digits(2))


def test_colour_images_morph_through_the_code_and_the_pixels():
    # a photo patches' model: (1, 3, 32, 32) in, (steps, 3, 32, 32) out, ends exact in pixels
    from aecore.config import ConvAEConfig
    from ui.widgets import strip
    model = build_model(ConvAEConfig(latent_dim=2, hidden=(4, 8), shape=(3, 32, 32)), seed=0).eval()
    x0, x1 = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    path = interpolate_latent(model, x0, x1, 5)
    assert path.shape == (5, 3, 32, 32)
    with torch.inference_mode():
        assert torch.allclose(path[0], model.decode(model.encode(x0))[0], atol=1e-5)
    fade = interpolate_pixels(x0, x1, 4)
    assert fade.shape == (4, 3, 32, 32) and torch.equal(fade[0], x0[0]) and torch.equal(fade[-1], x1[0])
    with pytest.raises(ConfigError, match="3x32x32"):
        interpolate_latent(model, torch.rand(1, 28, 28), x1, 5)  # a digit into a photo model
    # the page's strip keeps the colour: (H * scale, n * (W * scale + gap) - gap, 3)
    s = strip(fade, scale=2, gap=3)
    assert s.shape == (64, 4 * 64 + 3 * 3, 3)
    assert (s[:, 64:67] == 255).all()  # the white gap
    assert np.array_equal(s[::2, :64:2], (fade[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))
