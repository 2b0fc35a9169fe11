"""A model type is declared once: a toy type added in one module (written here to a temporary
folder, so the whole addition is that module plus this test: two files) shows up in the model
registry, in make_configs / type_of, in the presets, in ``python -m aecore list`` and ``train``,
and on the Train page, drawn from its declaration."""
from __future__ import annotations

import importlib.util
import json
import sys
import textwrap

import pytest
import torch

from aecore import cli, model_types, presets
from aecore.config import MODEL_CONFIGS
from aecore.models import REGISTRY, build_model
from aecore.weights import load_model

# the whole new type: its config, its model class, its Train-page type and a preset
TOY_MODULE = textwrap.dedent('''
    from dataclasses import dataclass
    from typing import ClassVar

    from aecore.config import AEConfig, TrainConfig, _check_range
    from aecore.model_types import Field, ModelType, register_type
    from aecore.models.base import register
    from aecore.models.dense import DenseAE
    from aecore.presets import Preset, register_preset


    @dataclass(frozen=True)
    class ToyConfig(AEConfig):
        """A dense AE whose code is pulled towards zero by an L2 'leak' penalty."""

        kind: ClassVar[str] = "toy"
        leak: float = 0.5

        def validate(self) -> None:
            super().validate()
            _check_range("leak", self.leak, 0.0, 1.0)


    @register
    class ToyAE(DenseAE):
        config_cls = ToyConfig

        def penalty(self, x, code, gen):
            p = code.pow(2).mean()
            return self.cfg.leak * p, {"leak": p.item()}


    register_type(ModelType(
        "toy", "Toy AE (leaky code)", "A dense AE whose code leaks towards zero.", ToyConfig,
        fields=(Field("leak", "Leak weight", "slider", 0.3, lo=0.0, hi=1.0, step=0.1,
                      target="model.leak"),)))
    register_preset(Preset("toy_demo", "Toy demo: a leaky k = 4 code",
                           ToyConfig(latent_dim=4, hidden=(16,), leak=0.2),
                           TrainConfig(epochs=1, subset=300, lr=2e-3, schedule="constant")))
''')


@pytest.fixture
def toy(tmp_path):
    """Import the toy type's module from a temporary folder; remove every trace after."""
    path = tmp_path / "toy_type.py"
    path.write_text(TOY_MODULE)
    spec = importlib.util.spec_from_file_location("toy_type", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["toy_type"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("toy_type", None)
    REGISTRY.pop("toy", None)
    MODEL_CONFIGS.pop("toy", None)
    model_types.unregister_type("toy")
    presets.TEACHING.pop("toy_demo", None)


def test_the_toy_type_is_in_the_registry_and_builds(toy):
    assert REGISTRY["toy"] is toy.ToyAE and MODEL_CONFIGS["toy"] is toy.ToyConfig
    assert list(model_types.TYPES)[-1] == "toy"
    m, t = model_types.make_configs("toy", latent_dim=3, hidden=(8,), leak=0.7, epochs=2)
    assert m == toy.ToyConfig(latent_dim=3, hidden=(8,), leak=0.7) and t.epochs == 2
    assert model_types.type_of(m, t) == "toy"
    # its own setting's default comes from its declaration
    assert model_types.make_configs("toy")[0].leak == 0.3
    model = build_model(m)
    x = torch.rand(2, 1, 28, 28)
    loss, parts = model.loss(x, x, None, "bce", None)
    assert "leak" in parts and torch.isfinite(loss)


def test_the_toy_preset_round_trips_through_the_form(toy):
    preset = presets.get_preset("toy_demo")
    type_name, values = model_types.form_values(preset)
    assert type_name == "toy" and values["leak"] == pytest.approx(0.2)
    assert values["layers"] == 1 and values["w0"] == 16
    t = model_types.TYPES["toy"]
    settings = model_types.settings_of_values(t, values)
    m, tr = model_types.make_configs(type_name, **{**settings, "schedule": "constant"})
    assert m == preset.model and tr == preset.train
    # the form draws the type's own field after the shared ones, before the training ones
    names = [f.name for f in model_types.form_fields(t)]
    assert names.index("leak") > names.index("latent_dim") and names.index("leak") < names.index("epochs")


def test_the_cli_lists_and_trains_the_toy_type(toy, capsys, tmp_path):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out.strip().splitlines()[-1])
    assert "toy" in listed["kinds"] and "toy" in listed["types"] and "toy_demo" in listed["teaching"]
    assert "Toy AE (leaky code)" in out
    # by preset name, saved and loaded back (the card names the new kind)
    assert cli.main(["train", "--preset", "toy_demo", "--out", str(tmp_path)]) == 0
    model, card = load_model(tmp_path / "toy_demo.safetensors")
    assert isinstance(model, toy.ToyAE) and card["config"]["leak"] == pytest.approx(0.2)
    # by type name with settings, as the Train page builds it
    assert cli.main(["train", "--type", "toy", "--epochs", "1", "--set", "subset=200",
                     "--set", "leak=0.9", "--set", "hidden=[8]"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["name"] == "toy"


def test_the_shipped_types_keep_their_names_and_kinds():
    kinds = {n: t.kind for n, t in model_types.TYPES.items()}
    assert kinds == {"dense": "dense", "conv": "conv", "denoising": None, "sparse_l1": "sparse",
                     "sparse_kl": "sparse", "contractive": "contractive", "vae": "vae",
                     "cvae": "cvae", "stacked": "stacked", "sequence": "seq"}
    # a type may not redeclare a shared setting
    with pytest.raises(Exception, match="shared setting"):
        model_types.register_type(model_types.ModelType(
            "bad", "Bad", "", model_types.AEConfig,
            fields=(model_types.Field("epochs", "Epochs", "int", 1),)))


def test_the_toy_type_is_on_the_train_page(toy, app):
    """The Train page draws the toy type's own widget from its declaration, offers its preset
    as a button, and trains its config: no page code names it."""
    from conftest import open_page

    at = open_page(app, "train")
    assert "Toy AE (leaky code)" in at.selectbox(key="trn_type").options  # shown by label
    at.selectbox(key="trn_type").set_value("toy").run()
    assert not at.exception
    leak = at.slider(key="trn_leak")
    assert leak.label == "Leak weight" and leak.value == pytest.approx(0.3)
    assert (leak.min, leak.max) == (0.0, 1.0)
    at.button(key="trn_preset_toy_demo").click().run()  # the preset's button fills the form
    assert not at.exception
    assert at.selectbox(key="trn_type").value == "toy"
    assert at.slider(key="trn_leak").value == pytest.approx(0.2)
    assert at.number_input(key="trn_w0").value == 16 and at.slider(key="trn_layers").value == 1
    at.button(key="trn_start").click().run()
    assert not at.exception
    job = at.session_state["trn_job"]
    try:
        assert job.model_cfg == toy.ToyConfig(latent_dim=4, hidden=(16,), leak=0.2)
    finally:
        job.cancel()
        job.wait(60)


def test_the_sequence_type_offers_both_cells_from_the_cli(tmp_path, capsys):
    """``--type sequence --set cell=gru`` trains a GRU on the sensor windows, as the Train page
    builds it; the card keeps the cell, and the seq_lstm preset fills the form with LSTM."""
    t = model_types.TYPES["sequence"]
    cell = next(f for f in t.fields if f.name == "cell")
    assert cell.options == ("lstm", "gru") and cell.default == "lstm"
    assert cli.main(["train", "--type", "sequence", "--epochs", "1", "--set", "cell=gru",
                     "--set", "hidden=[8]", "--set", "latent_dim=2", "--set", "batch_size=512",
                     "--out", str(tmp_path)]) == 0
    model, card = load_model(tmp_path / "sequence.safetensors")
    assert isinstance(model.encoder, torch.nn.GRU) and card["config"]["cell"] == "gru"
    assert card["train"]["dataset"] == "sensors" and card["train"]["loss"] == "mse"
    type_name, values = model_types.form_values(presets.get_preset("seq_lstm"))
    assert type_name == "sequence" and values["cell"] == "lstm" and values["w0"] == 64
    with pytest.raises(Exception, match="cell"):
        model_types.make_configs("sequence", cell="rnn")
