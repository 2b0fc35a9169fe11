"""The Generate page through the real app (AppTest)."""
from __future__ import annotations

import re

import numpy as np
import pytest
import streamlit as st

import torch

import aecore.zoo
from aecore.presets import ZOO
from aecore.zoo import zoo_cards
from conftest import open_page, open_with_session_model
from live_util import f32, live_part

N_BETAS = sum(p.role == "beta" for p in ZOO.values())


# helpers
class _Live:
    """The live samples (decoded in the page, ui/live.py) as a grid: one value per sample, its
    code ``temperature * eps[i]`` (what the page decodes) in hex."""

    def __init__(self, at) -> None:
        d = live_part(at, "samples")
        z = np.float32(d["temperature"]) * f32(d["eps"]).reshape(-1, d["k"])[:d["count"]]
        self.data, self.value = d, [row.tobytes().hex() for row in z]


def _grids(at) -> list:
    """The live samples, then the image elements without captions, in page order: samples,
    beta x N_BETAS, conditional."""
    return [_Live(at)] + [im for im in at.image if not any(im.captions)]


def _samples(at) -> list[str]:
    return list(_grids(at)[0].value)


def _cvae(at) -> list[str]:
    return list(_grids(at)[1 + N_BETAS].value)


def _strip(at):
    return next(im for im in at.image if im.captions and im.captions[0].startswith("z"))


@pytest.fixture
def page(app):
    at = open_page(app, "generate")
    assert not at.exception and not at.error
    return at


def test_count_sets_the_number_of_samples(page):
    assert len(_samples(page)) == page.slider(key="gen_count").value
    page.slider(key="gen_count").set_value(8).run()
    assert len(_samples(page)) == 8
    assert len(set(_samples(page))) == 8  # eight different digits, not one repeated


def test_the_page_decodes_the_seed_draws_the_server_would_decode(page):
    """The live samples are the first ``count`` rows of the seed's draws times the temperature
    (aecore.stops.prior_eps), the codes the server's own path decodes at every count and
    temperature the sliders can stop at."""
    from aecore.stops import prior_eps, prior_samples
    from ui import catalog
    d = _grids(page)[0].data
    seed = page.number_input(key="gen_seed").value
    eps = prior_eps(64, d["k"], seed)
    assert np.array_equal(f32(d["eps"]).reshape(64, d["k"]), eps.numpy())
    assert d["count"] == page.slider(key="gen_count").value
    assert d["temperature"] == pytest.approx(page.slider(key="gen_temp").value)
    model, _ = catalog.get(page.selectbox(key="gen_model").value)
    for count in (4, 64):  # the count slider's ends: a prefix of the same digits
        for t in (0.1, 2.0):
            z = np.float32(t) * eps.numpy()[:count]
            assert np.allclose(prior_samples(model, eps, count, t).numpy(),
                               model.decode(torch.from_numpy(z)).numpy(), atol=1e-6)


def test_resample_bumps_the_seed_and_draws_new_digits(page):
    before, seed = _samples(page), page.number_input(key="gen_seed").value
    page.button(key="gen_resample").click().run()
    assert page.number_input(key="gen_seed").value == seed + 1
    after = _samples(page)
    assert len(after) == len(before) and not set(after) & set(before)
    page.number_input(key="gen_seed").set_value(seed).run()  # same seed: same digits again
    assert _samples(page) == before


def test_temperature_changes_the_samples(page):
    before = _samples(page)
    page.slider(key="gen_temp").set_value(0.3).run()
    assert not page.exception and _samples(page) != before


def test_beta_variants_side_by_side_with_their_mse_and_kl(page):
    grids = _grids(page)[1:1 + N_BETAS]  # one 4 x 4 mosaic each
    assert len(grids) == N_BETAS == 3 and all(len(g.value) == 1 for g in grids)
    assert len({tuple(g.value) for g in grids}) == N_BETAS  # three models, three sets of digits
    caps = [c.value for c in page.caption if c.value.startswith("test MSE")]
    assert len(caps) == N_BETAS and all("KL" in c and "nan" not in c for c in caps)
    before = [tuple(g.value) for g in grids]
    page.button(key="gen_resample").click().run()  # one seed drives all three
    assert all(tuple(g.value) != b for g, b in zip(_grids(page)[1:1 + N_BETAS], before))


def test_conditional_vae_draws_the_chosen_digit(page):
    pills = page.get("button_group")[0]
    assert pills.value == 7
    sevens = _cvae(page)
    assert len(sevens) == page.slider(key="gen_count").value
    pills.set_value(3).run()
    assert not page.exception
    threes = _cvae(page)
    assert len(threes) == len(sevens) and threes != sevens
    assert any("digit 3" in c.value for c in page.caption)
    page.get("button_group")[0].set_value(None).run()  # deselected: a hint, no samples
    assert any("Pick a digit" in i.value for i in page.info)


def _kl_options(at) -> list[tuple[int, float]]:
    """(dimension, KL) of each option of the traversal's dimension box, in their order."""
    box = at.selectbox(key="gen_trav_dim_zoo:vae_best")
    parsed = [re.match(r"z(\d+): KL ([\d.]+)", o) for o in box.options]
    return [(int(m[1]), float(m[2])) for m in parsed]


def test_traversal_walks_one_dimension_most_used_first(page):
    options = _kl_options(page)
    k = int(zoo_cards()["vae_best"]["config"]["latent_dim"])
    assert sorted(d for d, _ in options) == list(range(k))  # every dimension, once
    kls = [kl for _, kl in options]
    assert kls == sorted(kls, reverse=True) and kls[0] > 0
    first, other = options[0][0], options[5][0]
    strip = _strip(page)
    assert len(strip.value) == page.slider(key="gen_trav_steps").value == 11
    assert strip.captions[0] == f"z{first} = -3.0" and strip.captions[-1] == f"z{first} = +3.0"
    page.selectbox(key="gen_trav_dim_zoo:vae_best").set_value(other).run()
    moved = _strip(page)
    assert moved.captions[0] == f"z{other} = -3.0"
    # from the zero base the middle step is the zero code, whichever dimension moves
    assert moved.value[5] == strip.value[5] and moved.value[0] != strip.value[0]
    page.slider(key="gen_trav_steps").set_value(5).run()
    assert len(_strip(page).value) == 5


def test_traversal_from_a_test_digit_code(page):
    zero = list(_strip(page).value)
    page.radio(key="gen_trav_base").set_value("The code of a test digit").run()
    assert not page.exception
    assert any(c.startswith("test digit #0") for im in page.image for c in im.captions)
    assert list(_strip(page).value) != zero


def test_a_session_vae_can_be_sampled_and_traversed(app):
    from aecore.config import VAEConfig

    at = open_with_session_model(app, "generate", VAEConfig(latent_dim=3, hidden=(32,)), "My VAE")
    at.selectbox(key="gen_model").set_value("user:mine").run()
    assert not at.exception and not at.error
    assert len(_samples(at)) == at.slider(key="gen_count").value
    assert len(at.selectbox(key="gen_trav_dim_user:mine").options) == 3
    assert len(_strip(at).value) == 11


@pytest.fixture
def broken_bvae4(tmp_path, monkeypatch):
    """A copy of pretrained/ (links) where bvae_4's weights are truncated."""
    for p in aecore.zoo.PRETRAINED_DIR.iterdir():
        (tmp_path / p.name).symlink_to(p)
    data = (aecore.zoo.PRETRAINED_DIR / "bvae_4.safetensors").read_bytes()
    (tmp_path / "bvae_4.safetensors").unlink()
    (tmp_path / "bvae_4.safetensors").write_bytes(data[: len(data) // 2])
    monkeypatch.setattr(aecore.zoo, "PRETRAINED_DIR", tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()  # later tests must not see this broken zoo
    st.cache_data.clear()


def test_a_broken_beta_file_is_reported_and_the_rest_of_the_page_works(app, broken_bvae4):
    at = open_page(app, "generate")
    assert not at.exception
    assert any("bvae_4 could not be loaded" in w.value for w in at.warning)
    assert len(_grids(at)) == 1 + (N_BETAS - 1) + 1  # samples, two beta grids, conditional
    assert len(_strip(at).value) == 11
