"""The Train page through AppTest: a tiny training finishes and its model is offered by other
pages; cancel works; bad settings and bad files get a message, never a traceback.

AppTest runs the script synchronously, so a background training is polled by re-running.
"""
from __future__ import annotations

import io
import json
import pickle
import time

import pytest
import torch

from aecore.models import build_model
from aecore.model_types import make_configs
from aecore.weights import make_card, to_bytes

from conftest import open_page, open_with, until

POLL_LIMIT_S = 600


def _tiny(at, type_name="dense", k=2, subset=500, epochs=1):
    at.selectbox(key="trn_type").set_value(type_name).run()
    at.number_input(key="trn_k").set_value(k)
    at.number_input(key="trn_subset").set_value(subset)
    at.number_input(key="trn_epochs").set_value(epochs)
    at.slider(key="trn_layers").set_value(1)
    at.number_input(key="trn_w0").set_value(32)
    return at.run()


def _wait(at, until, limit=POLL_LIMIT_S):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if until(at):
            return at
        time.sleep(0.3)
        at.run()
    raise AssertionError("the training did not reach the expected state in time")


def _job(at):
    return at.session_state["trn_job"] if "trn_job" in at.session_state else None


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("success", "error", "warning", "info", "caption",
                                              "markdown") for e in at.get(kind))


@pytest.mark.slow
def test_tiny_training_finishes_and_joins_other_pickers(app):
    at = _tiny(open_page(app, "train"))
    at.text_input(key="trn_name").set_value("Class demo k2").run()
    at.button(key="trn_start").click().run()
    assert not at.exception
    job = _job(at)
    assert job is not None, "Start did not submit a training"
    _wait(at, lambda a: _job(a).finished)
    at.run()
    assert not at.exception
    assert job.status == "done", job.error
    assert len(job.history) == 1
    # the page says where the model now is, and offers it for download
    success = " ".join(s.value for s in at.success)
    assert "Class demo k2" in success and "model picker" in success
    assert at.get("download_button"), "no download button for the trained model"
    assert "epoch 1/1 recorded" in _texts(at)
    # k = 2: the latent-map animation has one frame per epoch plus the untrained one
    anims = [c for c in at.get("plotly_chart") if '"frames"' in c.proto.spec]
    assert anims, "no latent-map animation for k = 2"
    assert len(json.loads(anims[0].proto.spec)["frames"]) == len(job.history) + 1
    # exportable: its modebar (PNG of the frame shown) and an HTML copy that keeps the animation
    assert '"displayModeBar":false' not in anims[0].proto.config.replace(" ", "")
    assert "trn_latent_anim_dl" in {b.key for b in at.get("download_button")}
    # the session catalogue holds it, and another page's picker offers it
    assert "class_demo_k2" in at.session_state["user_models"]
    at.switch_page("views/reconstruct.py").run()
    assert not at.exception
    picker = at.selectbox(key="rec_model")
    assert "user:class_demo_k2" in picker.options or any(
        "Class demo k2" in o for o in picker.options)


@pytest.mark.slow
def test_cancel_stops_the_training(app):
    at = open_page(app, "train")
    at.selectbox(key="trn_type").set_value("dense").run()
    at.number_input(key="trn_subset").set_value(58_000)
    at.number_input(key="trn_epochs").set_value(50)
    at.button(key="trn_start").click().run()
    job = _job(at)
    assert job is not None
    _wait(at, lambda a: _job(a).status == "running" and _job(a).progress is not None)
    at.button(key="trn_cancel").click().run()
    assert job.wait(120), "cancel did not stop the training"
    at.run()
    assert not at.exception
    assert job.status == "cancelled"
    assert len(job.history) < 50
    assert "cancelled" in _texts(at)
    assert not at.button(key="trn_start").disabled, "Start stays disabled after a cancel"


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_sequence_ae_trains_with_the_chosen_cell_on_the_sensor_signals(app, cell):
    """The sequence type offers LSTM and GRU; the choice reaches the trained model, its card and
    the panel, and it trains on the sensor windows whatever the image data picker says."""
    at = open_page(app, "train")
    at.selectbox(key="trn_type").set_value("sequence").run()
    assert not at.exception
    radio = at.radio(key="trn_cell")
    assert list(radio.options) == ["LSTM", "GRU"] and radio.value == "lstm"
    # the image settings that do not apply to a recurrent AE are not drawn
    keys = {w.key for kind in ("slider", "number_input", "selectbox", "radio") for w in at.get(kind)}
    assert not {"trn_layers", "trn_subset", "trn_act", "trn_out", "trn_loss"} & keys
    radio.set_value(cell)
    at.number_input(key="trn_k").set_value(4)
    at.number_input(key="trn_w0").set_value(16)
    at.number_input(key="trn_epochs").set_value(1)
    at.select_slider(key="trn_batch").set_value(512)
    at.button(key="trn_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job = _job(at)
    _wait(at, lambda a: _job(a).finished)
    at.run()  # the run after the job finished draws its result panel
    assert not at.exception
    assert job.status == "done", job.error
    assert job.model_cfg.cell == cell and job.model_cfg.hidden == (16,)
    assert type(job.model.encoder).__name__ == cell.upper()
    assert job.card["config"]["cell"] == cell and job.card["data"] == "sensors"
    assert job.card["train"]["loss"] == "mse"
    shown = {m.label: m.value for m in at.get("metric")}
    assert shown["Cell"] == cell.upper() and float(shown["Best validation MSE"]) > 0


def test_bad_settings_are_refused_with_a_message(app):
    at = open_page(app, "train")
    # a denoising AE with no noise is a plain AE: refused, with the reason
    at.selectbox(key="trn_type").set_value("denoising").run()
    at.slider(key="trn_level").set_value(0.0)
    at.button(key="trn_start").click().run()
    assert not at.exception
    assert _job(at) is None
    assert any("noise level" in e.value for e in at.error)
    # a stacked AE whose pretraining pushes the total past the server's epoch cap
    at.selectbox(key="trn_type").set_value("stacked").run()
    at.number_input(key="trn_epochs").set_value(45)
    at.number_input(key="trn_pre").set_value(5)
    at.button(key="trn_start").click().run()
    assert not at.exception
    assert _job(at) is None
    assert any("epochs is more than this server allows" in e.value for e in at.error)


def _upload(at, name: str, data: bytes):
    at.get("file_uploader")[0].upload(name, data, "application/octet-stream").run()
    return at


def test_upload_refuses_truncated_and_pickle_files_and_loads_a_good_one(app):
    model = build_model(make_configs("dense", latent_dim=4, hidden=(16,))[0])
    good = to_bytes(model, make_card(model, name="mine", title="My uploaded AE"))
    at = open_page(app, "train")
    _upload(at, "cut.safetensors", good[: len(good) // 2])
    assert not at.exception
    assert any("truncated or corrupt" in e.value for e in at.error)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    _upload(at, "weights.safetensors", pickle.dumps({"w": 1}))
    assert any("pickle" in e.value for e in at.error)
    _upload(at, "model.safetensors", buf.getvalue())
    assert any("pickle" in e.value for e in at.error)
    assert "user_models" not in at.session_state or not at.session_state["user_models"]
    _upload(at, "mine.safetensors", good)
    assert not at.exception
    assert any("My uploaded AE" in s.value for s in at.success)
    assert "my_uploaded_ae" in at.session_state["user_models"]


def test_a_waiting_training_shows_its_queue_position_and_can_leave(app, monkeypatch):
    from aecore import jobs
    from aecore.config import AEConfig, TrainConfig
    manager = jobs.JobManager(max_concurrent=1, threads_per_job=1)
    monkeypatch.setattr(jobs, "_manager", manager)  # a server that runs one training at a time
    try:
        other = manager.submit(AEConfig(latent_dim=2, hidden=(32,)),
                               TrainConfig(epochs=50, subset=2000, val_size=200), "someone_else")
        assert until(lambda: other.status == "running", 300)  # the one place is taken
        at = _tiny(open_page(app, "train"))
        at.button(key="trn_start").click().run()
        job = _job(at)
        assert job.status == "queued"
        info = " ".join(i.value for i in at.info)
        assert "Waiting in the queue: position **1**" in info and "at most 1" in info
        at.button(key="trn_cancel").click().run()
        assert job.status == "cancelled" and other.status == "running"
        assert "cancelled while waiting in the queue" in _texts(at)
        assert not at.exception
    finally:
        manager.close()


def test_preset_buttons_fill_the_form(app):
    at = open_page(app, "train")
    at.button(key="trn_preset_keras_dense").click().run()
    assert not at.exception
    assert at.selectbox(key="trn_type").value == "dense"
    assert at.number_input(key="trn_k").value == 32
    assert [at.number_input(key=f"trn_w{i}").value for i in range(at.slider(key="trn_layers").value)] \
        == [128, 64]
    assert at.select_slider(key="trn_batch").value == 256
    assert at.text_input(key="trn_name").value == "Keras tutorial"
    at.button(key="trn_preset_examples_vae").click().run()
    assert at.selectbox(key="trn_type").value == "vae"
    assert at.number_input(key="trn_k").value == 20
    assert at.slider(key="trn_beta").value == 1.0
    # another type: the preset's name no longer applies
    at.selectbox(key="trn_type").set_value("stacked").run()
    assert at.text_input(key="trn_name").value == ""
    assert not at.exception


def _layer_selects(at) -> list[str]:
    return [s.key for s in at.selectbox if s.key in ("trn_a0", "trn_a1", "trn_a2")]


def test_per_layer_activations_reach_the_training(app):
    at = _tiny(open_page(app, "train"))
    at.slider(key="trn_layers").set_value(2).run()
    assert not at.exception
    assert _layer_selects(at) == ["trn_a0", "trn_a1"]  # one per hidden layer
    at.selectbox(key="trn_act").set_value("elu")
    at.selectbox(key="trn_a0").set_value("tanh").run()  # trn_a1 stays "same as Activation"
    assert at.query_params["act1"] == "tanh"  # kept in the link
    at.button(key="trn_start").click().run()
    assert not at.exception
    job = _job(at)
    assert job is not None, [e.value for e in at.error]
    assert job.model_cfg.activations == ("tanh", "elu")
    assert job.model_cfg.layer_activations() == ("tanh", "elu")
    job.cancel()
    assert job.wait(120)
    # the conv AE has channels, not dense layers: no per-layer selects
    at.selectbox(key="trn_type").set_value("conv").run()
    assert not _layer_selects(at)


def test_a_bad_per_layer_activation_in_a_link_is_named_and_ignored():
    at = open_with("train", type="dense", layers="2", act1="swish", act2="gelu")
    toasts = " ".join(t.value for t in at.toast)
    assert "act1" in toasts and "swish" in toasts and "not one of" in toasts
    assert at.selectbox(key="trn_a0").value == "same"  # the default, not the bad value
    assert at.selectbox(key="trn_a1").value == "gelu"
