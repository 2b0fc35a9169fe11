"""Weight files: round trips, storage formats, and a clear error for every broken file."""
from __future__ import annotations

import json
import pickle

import pytest
import torch

from aecore.config import AEConfig, VAEConfig
from aecore.errors import WeightsError
from aecore.models import build_model
from aecore.weights import load_model, make_card, model_from_bytes, read_card, save_model, to_bytes


@pytest.fixture
def saved(tmp_path):
    m = build_model(AEConfig(latent_dim=4, hidden=(64,)), seed=0).eval()
    path = save_model(m, tmp_path / "tiny_0.5", make_card(m, epochs=1, metrics={"mse": 0.1}))
    return m, path


def test_names_with_dots_keep_their_name(saved):
    _, path = saved
    assert path.name == "tiny_0.5.safetensors"
    assert path.with_name("tiny_0.5.json").exists()
    assert read_card(path)["metrics"] == {"mse": 0.1}


@pytest.mark.parametrize("storage,tol", [("float32", 0.0), ("float16", 2e-3), ("int8", 2e-2)])
def test_storage_formats_round_trip(storage, tol):
    m = build_model(VAEConfig(latent_dim=3, hidden=(128,)), seed=1).eval()
    data = to_bytes(m, make_card(m), storage)
    m2, card = model_from_bytes(data, "x.safetensors")
    assert card["storage"] == storage
    x = torch.rand(4, 1, 28, 28)
    with torch.inference_mode():
        diff = (m.reconstruct(x) - m2.reconstruct(x)).abs().max().item()
    assert diff <= tol
    if storage == "int8":  # a quarter of float32, plus the scales
        assert len(data) < len(to_bytes(m, make_card(m), "float32")) * 0.3


def test_one_file_download_carries_its_card(saved):
    m, path = saved
    m2, card = model_from_bytes(path.read_bytes(), path.name)
    assert card["model"] == "dense" and card["config"]["latent_dim"] == 4


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(WeightsError, match="nothere.safetensors: file not found"):
        load_model(tmp_path / "nothere")


def test_truncated_file(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated or corrupt") as e:
        load_model(path)
    assert "tiny_0.5.safetensors" in str(e.value)


def test_corrupt_bytes_and_empty_file():
    with pytest.raises(WeightsError, match="not a valid safetensors"):
        model_from_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}....", "c.safetensors")
    with pytest.raises(WeightsError, match="empty"):
        model_from_bytes(b"", "e.safetensors")


def test_pickles_are_refused_without_unpickling(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))
    data = pickle.dumps(Boom())
    for name in ("model.pt", "model.pkl", "model.safetensors"):
        with pytest.raises(WeightsError, match="pickle"):
            model_from_bytes(data, name)
    p = tmp_path / "m.pth"
    torch.save({"w": torch.zeros(2)}, p)
    with pytest.raises(WeightsError, match="pickle"):
        load_model(p)


@pytest.mark.parametrize("change, match", [
    ({"latent_dim": 5}, "do not match the card"),  # a card that does not match the weights
    ({"hidden": [4096] * 4, "latent_dim": 2048}, "refusing"),  # refused before building
], ids=["mismatch", "absurd-sizes"])
def test_an_edited_card_is_refused(saved, change, match):
    _, path = saved
    card = json.loads(path.with_name("tiny_0.5.json").read_text())
    card["config"].update(change)
    path.with_name("tiny_0.5.json").write_text(json.dumps(card))
    with pytest.raises(WeightsError, match=match):
        load_model(path)


def test_invalid_card_json_and_unknown_type(saved):
    _, path = saved
    path.with_name("tiny_0.5.json").write_text("{oops")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_model(path)
    path.with_name("tiny_0.5.json").write_text(json.dumps({"model": "gan", "config": {"kind": "gan"}}))
    with pytest.raises(WeightsError, match="unknown model type"):
        load_model(path)


def test_nan_weights_are_refused():
    m = build_model(AEConfig(latent_dim=2, hidden=(8,)))
    with torch.no_grad():
        next(m.parameters()).fill_(float("nan"))
    with pytest.raises(WeightsError, match="NaN"):
        model_from_bytes(to_bytes(m, make_card(m)), "nan.safetensors")


def test_a_file_saved_before_bf16_training_existed_reads_as_fp32(tmp_path):
    m = build_model(AEConfig(latent_dim=2, hidden=(16,)))
    old_train = {"epochs": 1, "batch_size": 128, "lr": 0.001, "loss": "bce"}  # no "precision"
    path = save_model(m, tmp_path / "old", make_card(m, epochs=1, train=old_train))
    _, card = load_model(path)
    assert card["train"]["precision"] == "fp32"
    assert read_card(path)["train"]["precision"] == "fp32"
    _, card = model_from_bytes(path.read_bytes())  # an upload: the embedded card
    assert card["train"] == {**old_train, "precision": "fp32"}
