"""Issue 7, "nothing lost": a model a user trained survives page switches, reruns and a later
cancelled training for the whole session; its download is a complete file that loads back to
the same outputs."""
from __future__ import annotations

import pytest
import torch

from aecore.weights import model_from_bytes
from conftest import open_page
from test_page_train import _job, _tiny, _wait


@pytest.mark.slow
def test_trained_model_survives_switches_reruns_and_a_cancelled_training(app):
    at = _tiny(open_page(app, "train"))
    at.text_input(key="trn_name").set_value("Keep me").run()
    at.button(key="trn_start").click().run()
    _wait(at, lambda a: _job(a).finished)
    at.run()
    assert "keep_me" in at.session_state["user_models"]
    kept_model, kept_card = at.session_state["user_models"]["keep_me"]
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        before = kept_model.reconstruct(x).clone()

    # the download (the bytes the page's download button serves) loads back to the same outputs
    served = at.session_state["trn_bytes"][1]
    loaded, card = model_from_bytes(served, "keep_me.safetensors")
    with torch.inference_mode():
        assert torch.equal(loaded.reconstruct(x), before)
    assert card["name"] == "keep_me"

    # page switches and reruns
    for page in ("views/reconstruct.py", "views/latent.py", "views/train.py"):
        at.switch_page(page).run()
        assert not at.exception
    at.run()

    # a later training, cancelled
    at.text_input(key="trn_name").set_value("Cancel me").run()
    at.number_input(key="trn_subset").set_value(50_000)
    at.number_input(key="trn_epochs").set_value(20)
    at.button(key="trn_start").click().run()
    _wait(at, lambda a: _job(a).status == "running")
    at.button(key="trn_cancel").click().run()
    _wait(at, lambda a: _job(a).finished)
    at.run()
    assert not at.exception

    # the first model is still there, unchanged, and other pages still offer it
    assert "keep_me" in at.session_state["user_models"]
    model, _ = at.session_state["user_models"]["keep_me"]
    with torch.inference_mode():
        assert torch.equal(model.reconstruct(x), before)
    at.switch_page("views/reconstruct.py").run()
    options = at.selectbox(key="rec_model").options
    assert any("keep_me" in o or "Keep me" in o for o in options), options
