"""Broken and hostile model files (issue 7): through the Train page's upload box, and broken files
in ``pretrained/`` seen from several pages.

Each case gives a clear message naming the file, never an exception, and every other page keeps
working. A pickle is refused without being unpickled (its payload would leave a marker file).
"""
from __future__ import annotations

import io
import pickle
import shutil

import pytest
import streamlit as st
import torch

from conftest import ROOT, open_page

from aecore import zoo
from aecore.models import build_model
from aecore.model_types import make_configs
from aecore.weights import make_card, to_bytes


# model files

def small_model(latent_dim: int = 4):
    return build_model(make_configs("dense", latent_dim=latent_dim, hidden=(16,))[0])


def good_file(title: str = "My uploaded AE") -> bytes:
    m = small_model()
    return to_bytes(m, make_card(m, name="mine", title=title))


def corrupt_file() -> bytes:
    data = bytearray(good_file())
    data[8:40] = b"\x00" * 32  # the JSON header is gone
    return bytes(data)


def mismatched_file() -> bytes:
    """Weights of a k=4 model under the card of a k=8 one."""
    other = small_model(8)
    return to_bytes(small_model(4), make_card(other, name="mine", title="Mismatch"))


def absurd_file() -> bytes:
    m = small_model()
    card = make_card(m, name="mine", title="Huge")
    card["config"] = {**card["config"], "hidden": [100_000, 100_000, 100_000]}
    return to_bytes(m, card)


def torch_pt() -> bytes:
    buf = io.BytesIO()
    torch.save(small_model().state_dict(), buf)
    return buf.getvalue()


class _Payload:
    """Unpickling this creates ``path``: proof that a file was (wrongly) unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


# (file name, bytes factory given a marker path, words the error must contain)
MODEL_CASES = [
    ("cut.safetensors", lambda _: good_file()[:300], "truncated or corrupt"),
    ("garbled.safetensors", lambda _: corrupt_file(), "truncated or corrupt"),
    ("random.safetensors", lambda _: bytes(range(256)) * 8, "truncated or corrupt"),
    ("empty.safetensors", lambda _: b"", "empty"),
    ("mismatch.safetensors", lambda _: mismatched_file(), "do not match the card"),
    ("huge.safetensors", lambda _: absurd_file(), "refusing to build"),
    ("model.pt", lambda _: torch_pt(), "pickle"),
    ("model.pkl", lambda marker: pickle.dumps(_Payload(str(marker))), "pickle"),
    ("renamed.safetensors", lambda marker: pickle.dumps(_Payload(str(marker))), "pickle"),
]


def texts(at) -> str:
    return " ".join(e.value for e in [*at.error, *at.warning])


@pytest.mark.parametrize("name, make, words", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_model_file_case_through_the_train_page(app, tmp_path, name, make, words):
    marker = tmp_path / "unpickled"
    at = open_page(app, "train")
    up = at.get("file_uploader")[0]
    up.upload(name, make(marker), "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1, [e.value for e in at.error]
    assert name in at.error[0].value and words in at.error[0].value
    assert not marker.exists(), "the pickle was unpickled"
    models = at.session_state["user_models"] if "user_models" in at.session_state else {}
    assert not models  # nothing was added to the catalogue
    # the session still works: a good file loads and other pages keep working
    at.get("file_uploader")[0].upload("mine.safetensors", good_file(), "application/octet-stream")
    at.run()
    assert not at.exception
    assert any("My uploaded AE" in s.value for s in at.success)
    at.switch_page("views/reconstruct.py").run()
    assert not at.exception and not at.error


# broken files in pretrained/

@pytest.fixture
def broken_zoo(tmp_path, monkeypatch):
    """A copy of pretrained/ with ae_k2's weights missing, ae_k32's truncated and dae_conv's card
    not JSON; the app's caches are cleared before and after."""
    folder = tmp_path / "pretrained"
    shutil.copytree(ROOT / "pretrained", folder)
    (folder / "ae_k2.safetensors").unlink()
    cut = folder / "ae_k32.safetensors"
    cut.write_bytes(cut.read_bytes()[:1000])
    (folder / "dae_conv.json").write_text("{ not json")
    monkeypatch.setattr(zoo, "PRETRAINED_DIR", folder)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield folder
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page, names", [
    ("reconstruct", ["ae_k32"]),  # its default model is the truncated one
    ("latent", ["ae_k2"]),  # its default model has no weights
    ("denoise", ["ae_k32"]),
])
def test_broken_pretrained_file_names_the_file_on_its_page(app, broken_zoo, page, names):
    at = open_page(app, page)
    assert not at.exception, [e.value for e in at.exception]
    msg = texts(at)
    assert any(f"{n}.safetensors" in msg for n in names), msg
    assert "file not found" in msg or "truncated or corrupt" in msg


def test_other_pages_keep_working_with_a_broken_zoo(app, broken_zoo):
    at = open_page(app, "generate")
    assert not at.exception and not at.error
    at.switch_page("views/bottleneck.py").run()
    assert not at.exception
    at.switch_page("views/train.py").run()
    assert not at.exception and not at.error
    # on the page whose default is broken, picking a healthy model works
    at.switch_page("views/reconstruct.py").run()
    at.selectbox(key="rec_model").set_value("zoo:ae_k16").run()
    assert not at.exception and not at.error
    # a card that is not JSON: that model is simply not offered
    assert "zoo:dae_conv" not in at.selectbox(key="rec_model").options
