"""Per-layer activations (AEConfig.activations): checked in the config, applied by every dense
model after the right layer (mirrored in the decoder), carried by the card and the Train form's
settings, and absent from every older config and card, which load and behave as before."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from aecore import model_types as mt
from aecore.card_schema import parse_card
from aecore.config import (AEConfig, ConvAEConfig, StackedAEConfig, TabularAEConfig, VAEConfig,
                           config_to_dict, model_config_from_dict)
from aecore.errors import ConfigError
from aecore.models import build_model
from aecore.weights import load_model, make_card

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


# the config

def test_the_config_takes_one_known_name_per_hidden_layer():
    cfg = AEConfig(hidden=(32, 16), activations=["tanh", "relu"])  # JSON's list: kept a tuple
    assert cfg.activations == ("tanh", "relu") and cfg.layer_activations() == ("tanh", "relu")
    assert AEConfig(hidden=(32, 16), activation="elu").layer_activations() == ("elu", "elu")
    with pytest.raises(ConfigError, match=r"one name per hidden layer \(2\), or none"):
        AEConfig(hidden=(32, 16), activations=("tanh",))
    with pytest.raises(ConfigError, match="per-layer activation must be one of .*'swish'"):
        AEConfig(hidden=(32, 16), activations=("tanh", "swish"))
    with pytest.raises(ConfigError, match="one name per hidden layer"):
        AEConfig(hidden=(32,), activations="tanh")  # text, not a list of names
    # the subclasses check it too (their validate calls AEConfig's)
    with pytest.raises(ConfigError, match="one name per hidden layer"):
        VAEConfig(hidden=(64,), activations=("tanh", "relu"))
    with pytest.raises(ConfigError, match="one name per hidden layer"):
        StackedAEConfig(hidden=(64, 32), activations=("tanh",))


def test_the_conv_ae_refuses_per_layer_activations_with_a_reason():
    with pytest.raises(ConfigError, match="conv AE uses one activation"):
        ConvAEConfig(hidden=(8, 16), activations=("tanh", "relu"))
    assert ConvAEConfig(hidden=(8, 16)).activations == ()


def test_the_card_carries_them_and_leaves_them_out_when_unused():
    cfg = StackedAEConfig(latent_dim=4, hidden=(32, 16), activations=("gelu", "tanh"))
    d = config_to_dict(cfg)
    assert d["activations"] == ["gelu", "tanh"]
    assert model_config_from_dict(json.loads(json.dumps(d))) == cfg
    assert "activations" not in config_to_dict(AEConfig())  # cards stay as they were
    card = make_card(build_model(cfg))
    parsed = parse_card(json.dumps(card))  # the schema an uploaded or shared card goes through
    assert model_config_from_dict(parsed["config"]) == cfg


def test_every_shipped_card_loads_unchanged_and_without_them():
    cards = [json.loads(p.read_text()) for p in sorted(PRETRAINED.glob("*.json"))]
    dense = [c for c in cards if isinstance(c.get("config"), dict)
             and isinstance(model_config_from_dict(c["config"]), AEConfig)]
    assert dense, "no dense shipped model to check"
    for card in dense:
        cfg = model_config_from_dict(card["config"])
        assert cfg.activations == () and "activations" not in config_to_dict(cfg), card.get("name")
        assert cfg.layer_activations() == (cfg.activation,) * len(cfg.hidden)
    # and one behaves as the shared activation after every hidden layer always made it
    model, card = load_model(PRETRAINED / "ae_k2.safetensors")
    assert type(model.cfg) is AEConfig and model.cfg.activation == "relu"
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    h = x.flatten(1)
    with torch.no_grad():
        for i, layer in enumerate([*model.enc, *model.dec]):
            h = layer(h)
            h = h if i in (len(model.enc) - 1, 2 * len(model.enc) - 1) else torch.relu(h)
        assert torch.allclose(model(x), h.view(-1, 1, 28, 28), atol=1e-6)


# the models

def _manual(model, x: torch.Tensor, f1, f2) -> torch.Tensor:
    """A 2-hidden-layer dense AE's forward written out: f1 after the layers of width hidden[0]
    (encoder layer 0, decoder layer 1), f2 after those of width hidden[1]."""
    h = f2(model.enc[1](f1(model.enc[0](x.flatten(1)))))
    z = model.enc[2](h)
    return model.dec[2](f1(model.dec[1](f2(model.dec[0](z))))).view(-1, 1, 28, 28)


def test_a_dense_model_applies_each_layers_activation_mirrored():
    cfg = AEConfig(latent_dim=4, hidden=(32, 16), activations=("tanh", "relu"))
    model = build_model(cfg, seed=1).eval()
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        got = model(x)
        assert torch.allclose(got, _manual(model, x, torch.tanh, torch.relu), atol=1e-6)
        # the same weights with relu everywhere give something else: the test can fail
        assert not torch.allclose(got, _manual(model, x, torch.relu, torch.relu), atol=1e-3)


def test_the_same_weights_load_into_either_activation_layout():
    """Activations hold no weights: the state_dict's names do not change, so a weight file
    written before this field loads, and one model's weights fit the other layout."""
    plain = build_model(AEConfig(latent_dim=4, hidden=(32, 16)), seed=2)
    mixed = build_model(AEConfig(latent_dim=4, hidden=(32, 16), activations=("tanh", "elu")),
                        seed=2)
    assert list(plain.state_dict()) == list(mixed.state_dict())
    for a, b in zip(plain.state_dict().values(), mixed.state_dict().values()):
        assert torch.equal(a, b)  # the same seed, the same weights


@pytest.mark.parametrize("cfg, body, decoder", [
    (VAEConfig(latent_dim=4, hidden=(32, 16), activations=("tanh", "elu")),
     [nn.Linear, nn.Tanh, nn.Linear, nn.ELU], [nn.Linear, nn.ELU, nn.Linear, nn.Tanh, nn.Linear]),
    (TabularAEConfig(latent_dim=3, hidden=(16, 8), n_features=9, activations=("gelu", "sigmoid")),
     [nn.Linear, nn.GELU, nn.Linear, nn.Sigmoid, nn.Linear],
     [nn.Linear, nn.Sigmoid, nn.Linear, nn.GELU, nn.Linear]),
])
def test_sequential_models_place_each_activation_at_the_old_indices(cfg, body, decoder):
    model = build_model(cfg)
    enc = model.body if hasattr(model, "body") else model.encoder
    assert [type(m) for m in enc] == body
    assert [type(m) for m in model.decoder] == decoder


def test_a_stacked_stage_rebuilds_the_activation_of_its_own_layer():
    cfg = StackedAEConfig(latent_dim=4, hidden=(32, 16), activations=("sigmoid", "relu"))
    model = build_model(cfg).eval()
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        h = model.encode_layer(0, x.flatten(1))
        assert torch.allclose(h, torch.sigmoid(model.enc[0](x.flatten(1))))
        out = model.decode_layer(1, model.encode_layer(1, h))  # stage 1: rebuilds h
        assert float(out.min()) >= 0 and float(out.max()) <= 1  # through the sigmoid, as h was


# the Train form's settings

def test_the_form_folds_its_selects_into_activations():
    t = mt.TYPES["dense"]
    base = {"activation": "elu", "layers": 2, "w0": 64, "w1": 32, "latent_dim": 4}
    same = {**base, "a0": mt.SAME, "a1": mt.SAME, "a2": "tanh"}  # a2: a hidden third layer
    assert mt.settings_of_values(t, same)["activations"] == ()
    mixed = mt.settings_of_values(t, {**base, "a0": "tanh", "a1": mt.SAME})
    assert mixed["activations"] == ("tanh", "elu")  # "same": the shared activation
    model_cfg, _ = mt.make_configs("dense", **mixed)
    assert model_cfg.activations == ("tanh", "elu") and model_cfg.hidden == (64, 32)
    # and back: a preset with them fills the selects
    _, values = mt.form_values(SimpleNamespace(model=model_cfg, train=mt.TrainConfig()))
    assert (values["a0"], values["a1"], values["a2"]) == ("tanh", "elu", mt.SAME)
    # the conv AE has no per-layer selects; asked for them, make_configs says why
    assert mt.settings_of_values(mt.TYPES["conv"], {**mixed, "c0": 8, "c1": 16})["activations"] == ()
    with pytest.raises(ConfigError, match="conv AE uses one activation"):
        mt.make_configs("conv", activations=("tanh", "relu"))


def test_a_preset_without_them_resets_the_selects():
    cfg = AEConfig(latent_dim=8, hidden=(64, 32))
    _, values = mt.form_values(SimpleNamespace(model=cfg, train=mt.TrainConfig()))
    assert [values[f"a{i}"] for i in range(3)] == [mt.SAME] * 3
