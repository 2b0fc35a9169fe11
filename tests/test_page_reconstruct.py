"""The Reconstruct & compress page through the real app (AppTest)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import aecore.zoo
from aecore.data import load_split
from aecore.zoo import zoo_cards
from conftest import open_page
from live_util import grid_rows


def _k(name: str) -> int:
    return int(zoo_cards()[name]["config"]["latent_dim"])


def _metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def _rows(at) -> list[list[str]]:
    """The captions of the originals, autoencoder and PCA rows."""
    return [caps for _, caps in grid_rows(at)]


def _labels(at) -> list[str]:
    return [label for label, _ in grid_rows(at)]




@pytest.fixture
def broken_zoo(tmp_path, monkeypatch, clear_caches) -> Path:
    """A copy of pretrained/ (links) where ae_k32's weights are truncated and ae_k2's missing."""
    for p in aecore.zoo.PRETRAINED_DIR.iterdir():
        (tmp_path / p.name).symlink_to(p)
    data = (aecore.zoo.PRETRAINED_DIR / "ae_k32.safetensors").read_bytes()
    (tmp_path / "ae_k32.safetensors").unlink()
    (tmp_path / "ae_k32.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "ae_k2.safetensors").unlink()
    monkeypatch.setattr(aecore.zoo, "PRETRAINED_DIR", tmp_path)
    return tmp_path


def test_opens_with_digits_reconstructions_and_ratio(app):
    at = open_page(app, "reconstruct")
    assert not at.exception
    k = _k("ae_k32")
    assert _metric(at, "Compression ratio") == f"{round(784 / k, 2):g}x"
    assert _metric(at, "Code, float32") == f"{4 * k:,} bytes"
    # originals, autoencoder and PCA rows: 8 digits each, every image with its error
    originals, ae, pca = _rows(at)
    assert len(originals) == len(ae) == len(pca) == 8
    assert all(c.startswith("MSE") and c.endswith("dB") for c in ae + pca)
    assert any(f"k = {k}" in v for v in _labels(at))


def test_switching_to_k2_changes_ratio_bytes_and_code(app):
    at = open_page(app, "reconstruct")
    before = _rows(at)[1]
    at.selectbox(key="rec_model").set_value("zoo:ae_k2").run()
    assert not at.exception
    assert _metric(at, "Compression ratio") == "392x"
    assert _metric(at, "Code, float32") == "8 bytes"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"][0]["y"]) == 2  # the code chart has one bar per code number
    assert any("k = 2" in v for v in _labels(at))
    assert _rows(at)[1] != before  # new reconstructions


def test_choosing_class_3_shows_threes(app):
    at = open_page(app, "reconstruct")
    at.radio(key="rec_digits_mode").set_value("By class").run()
    at.selectbox(key="rec_digits_class").set_value(3).run()
    assert not at.exception
    captions = _rows(at)[0]
    assert captions and all(c.endswith("a 3") for c in captions)
    labels = load_split("test").labels
    shown = [int(c.split(" ")[0].lstrip("#")) for c in captions]
    assert all(int(labels[i]) == 3 for i in shown)


def test_choosing_a_digit_shows_its_code(app):
    at = open_page(app, "reconstruct")
    shown = int(_rows(at)[0][3].split(" ")[0].lstrip("#"))  # the fourth digit shown
    at.selectbox(key="rec_code_digit").set_value(shown).run()
    assert not at.exception
    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert title.endswith(f"#{shown}")
    assert at.image[0].captions == ["original", "rebuilt"]


def test_conditional_model_gets_labels(app):
    if "cvae" not in zoo_cards():
        pytest.skip("no conditional model in pretrained/")
    at = open_page(app, "reconstruct")
    at.selectbox(key="rec_model").set_value("zoo:cvae").run()
    assert not at.exception
    assert any(f"k = {_k('cvae')}" in v for v in _labels(at))
    assert len(_rows(at)[1]) == 8


def test_broken_or_missing_model_file_shows_an_error(app, broken_zoo):
    at = open_page(app, "reconstruct")  # default model ae_k32: truncated
    assert not at.exception
    assert at.error and "could not be loaded" in at.error[0].value
    at.selectbox(key="rec_model").set_value("zoo:ae_k2").run()  # weights missing
    assert not at.exception
    assert at.error and "not found" in at.error[0].value
    at.selectbox(key="rec_model").set_value("zoo:ae_k4").run()  # intact: the page recovers
    assert not at.exception and not at.error
    assert _metric(at, "Compression ratio") == f"{round(784 / _k('ae_k4'), 2):g}x"
