"""URL query parameters (ui/query.py): a link opens a page in exactly the state it names, a bad
value falls back to the default with a notice naming it, and the URL follows the widgets."""
from __future__ import annotations

import pytest

from conftest import open_with
from live_util import live_parts

from aecore.noise import LABELS, MAX_LEVEL



def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


# a link shows exactly its state

def test_reconstruct_opens_the_linked_model():
    at = open_with("reconstruct", model="ae_k16")
    assert at.selectbox(key="rec_model").value == "zoo:ae_k16"
    assert any(m.value == "64 bytes" for m in at.metric)  # a code of 16 float32 numbers
    assert not toasts(at)


def test_latent_opens_the_linked_model_and_code():
    at = open_with("latent", model="vae_k2", z1="0.5", z2="-0.25")
    assert at.selectbox(key="lat_model").value == "zoo:vae_k2"
    assert at.slider(key="lat_z1_zoo:vae_k2").value == pytest.approx(0.5)
    assert at.slider(key="lat_z2_zoo:vae_k2").value == pytest.approx(-0.25)
    assert "decoded at z = (0.50, -0.25)" in " ".join(c for el in at.get("image")
                                                       for c in el.captions)
    assert not toasts(at)


def test_denoise_opens_the_linked_noise_level_and_seed():
    at = open_with("denoise", noise="masking", level="0.3", seed="7")
    assert at.selectbox(key="den_kind").value == "masking"
    assert at.slider(key="den_level_masking").value == pytest.approx(0.3)
    assert at.number_input(key="den_seed").value == 7
    panels = next(p for p in live_parts(at, "stops") if p["stops"][0]["rows"])  # ui/live.py
    assert panels["stops"][panels["index"]]["heading"] == f"{LABELS['masking']} noise at 0.3"
    assert not toasts(at)


# bad values fall back with a notice

@pytest.mark.parametrize("page, params, bad, check", [
    ("reconstruct", {"model": "nope"}, "nope",
     lambda at: at.selectbox(key="rec_model").value == "zoo:ae_k32"),
    ("reconstruct", {"model": "../../etc/passwd"}, "../../etc/passwd",
     lambda at: at.selectbox(key="rec_model").value == "zoo:ae_k32"),
    ("latent", {"model": "ae_k32"}, "ae_k32",  # exists, but its code is not 2-D
     lambda at: at.selectbox(key="lat_model").value == "zoo:ae_k2"),
    ("latent", {"z1": "1e9"}, "1e9",
     lambda at: abs(at.slider(key="lat_z1_zoo:ae_k2").value) < 1e3),
    ("denoise", {"level": "99"}, "99",
     lambda at: at.slider(key="den_level_gaussian").value == pytest.approx(0.5)),
    ("denoise", {"level": "nan"}, "nan",
     lambda at: at.slider(key="den_level_gaussian").value == pytest.approx(0.5)),
    ("denoise", {"seed": "abc"}, "abc", lambda at: at.number_input(key="den_seed").value == 0),
    ("denoise", {"seed": "-3"}, "-3", lambda at: at.number_input(key="den_seed").value == 0),
    ("denoise", {"noise": "lasers"}, "lasers",
     lambda at: at.selectbox(key="den_kind").value == "gaussian"),
], ids=["unknown-model", "path", "not-2d", "z-out-of-range", "level-too-high", "level-nan",
        "seed-text", "seed-negative", "unknown-noise"])
def test_bad_link_value_falls_back_with_a_notice(page, params, bad, check):
    at = open_with(page, **params)
    assert not at.error
    assert check(at)
    notes = toasts(at)
    assert len(notes) == 1 and repr(bad) in notes[0] and "default" in notes[0], notes
    # the notice is shown once, and the URL now holds the valid state
    at.run()
    assert not toasts(at)
    name = next(iter(params))
    assert at.query_params.get(name) != bad


# the URL follows the widgets

def test_denoise_state_round_trips_through_the_url():
    at = open_with("denoise")
    assert at.query_params["noise"] == "gaussian" and at.query_params["seed"] == "0"
    at.number_input(key="den_seed").set_value(42).run()
    at.selectbox(key="den_kind").set_value("speckle").run()
    top = MAX_LEVEL["speckle"]
    at.slider(key="den_level_speckle").set_value(top / 2).run()
    assert at.query_params["seed"] == "42"
    assert at.query_params["noise"] == "speckle"
    assert float(at.query_params["level"]) == pytest.approx(top / 2)
    at.run()  # the URL it wrote does not undo anything on the next run
    assert at.number_input(key="den_seed").value == 42
    # a fresh session opened with that URL shows the same state
    again = open_with("denoise", **at.query_params)
    assert again.selectbox(key="den_kind").value == "speckle"
    assert again.slider(key="den_level_speckle").value == pytest.approx(top / 2)
    assert again.number_input(key="den_seed").value == 42


def test_model_choice_round_trips_and_user_changes_win():
    at = open_with("reconstruct", model="ae_k16")
    at.selectbox(key="rec_model").set_value("zoo:ae_k8").run()
    assert at.query_params["model"] == "ae_k8"
    at.run()
    assert at.selectbox(key="rec_model").value == "zoo:ae_k8"
    at = open_with("latent", model="vae_k2")
    at.slider(key="lat_z1_zoo:vae_k2").set_value(1.0).run()
    assert float(at.query_params["z1"]) == pytest.approx(1.0)
    assert at.query_params["model"] == "vae_k2"
