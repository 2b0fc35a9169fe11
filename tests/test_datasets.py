"""A data set is declared once: a toy data set added in one module (written here to a temporary
folder, so the whole addition is that module) shows up in the registry, in ``load_split``, in
``python -m aecore list`` and ``train --dataset``, and its model's card remembers it. The shipped
sets (MNIST, Fashion-MNIST, colour photo patches, CIFAR-10 in its binary format) load with their
declared shapes and say where they came from."""
from __future__ import annotations

import importlib.util
import json
import sys
import textwrap

import numpy as np
import pytest
import torch

from aecore import cli, data
from aecore.config import AEConfig, TrainConfig, config_to_dict, model_config_from_dict
from aecore.datasets import DATASETS, get_dataset, unregister_dataset
from aecore.errors import ConfigError, DatasetError
from aecore.models import build_model
from aecore.train import prepare_data
from aecore.weights import card_dataset, load_model

TOY_MODULE = textwrap.dedent('''
    import numpy as np

    from aecore.data import to_split
    from aecore.datasets import DataSet, register_dataset


    def _load(split):
        # three classes of 12x12 grey images: a bright square, a vertical bar, a horizontal bar
        rng = np.random.default_rng(0 if split == "train" else 1)
        n = 300 if split == "train" else 60
        labels = np.arange(n) % 3
        x = (rng.random((n, 12, 12)) * 40).astype(np.uint8)
        for i, c in enumerate(labels):
            o = rng.integers(0, 4)
            if c == 0:
                x[i, 3 + o:7 + o, 3 + o:7 + o] = 255
            elif c == 1:
                x[i, :, 4 + o:7 + o] = 255
            else:
                x[i, 4 + o:7 + o, :] = 255
        return to_split(x, labels, "made by the toy module")


    register_dataset(DataSet(
        name="toy-bars", label="Toy bars", shape=(1, 12, 12),
        classes=("square", "vertical bar", "horizontal bar"), item="shape",
        source="generated", licence="CC0", credit="the tests", load=_load))
''')


@pytest.fixture
def toy(tmp_path):
    """Import the toy data set's module from a temporary folder; remove every trace after."""
    path = tmp_path / "toy_dataset.py"
    path.write_text(TOY_MODULE)
    spec = importlib.util.spec_from_file_location("toy_dataset", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["toy_dataset"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("toy_dataset", None)
    unregister_dataset("toy-bars")


def test_the_toy_set_is_in_the_registry_and_loads(toy):
    d = get_dataset("toy-bars")
    assert list(DATASETS)[-1] == "toy-bars" and d.items == "shapes"
    assert d.class_name(1) == "vertical bar" and d.fits("dense") and d.fits("cvae", True)
    train = data.load_split("train", "toy-bars")
    assert tuple(train.images.shape) == (300, 12, 12) and train.source == "made by the toy module"
    assert train.float_images(slice(0, 2)).shape == (2, 1, 12, 12)
    with pytest.raises(DatasetError, match="unknown data set"):
        get_dataset("toy-bar")


def test_the_cli_lists_and_trains_on_the_toy_set(toy, capsys, tmp_path):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy-bars" in json.loads(out.strip().splitlines()[-1])["datasets"]
    assert "Toy bars" in out
    # a preset retargeted to the toy set: its shape follows, the card remembers the set
    assert cli.main(["train", "--preset", "quick_k2", "--dataset", "toy-bars", "--epochs", "1",
                     "--set", "subset=200", "--set", "val_size=50", "--out", str(tmp_path)]) == 0
    model, card = load_model(tmp_path / "quick_k2.safetensors")
    assert model.in_shape == (1, 12, 12) and card_dataset(card) == "toy-bars"
    assert card["config"]["shape"] == [1, 12, 12] and "--dataset toy-bars" in card["command"]
    assert "knn_2d" in card["metrics"]  # a labelled set: its 2-D codes are scored
    # a Train-page type too
    assert cli.main(["train", "--type", "conv", "--dataset", "toy-bars", "--epochs", "1",
                     "--set", "subset=100", "--set", "latent_dim=3"]) == 0
    assert cli.main(["train", "--preset", "quick_k2", "--dataset", "nope"]) == 2
    assert "unknown data set 'nope'" in capsys.readouterr().out


def test_a_model_never_trains_on_a_set_of_another_shape(toy):
    model = build_model(AEConfig(latent_dim=2, hidden=(8,)))  # MNIST's 1x28x28
    with pytest.raises(ConfigError, match="takes 1x28x28 inputs; Toy bars has 1x12x12"):
        prepare_data(model, TrainConfig(dataset="toy-bars", val_size=10))


def test_old_cards_mean_mnist_and_new_ones_carry_their_shape():
    assert card_dataset({"config": {"kind": "dense"}}) == "mnist"
    assert card_dataset({"train": {"dataset": "fashion-mnist"}}) == "fashion-mnist"
    assert model_config_from_dict({"kind": "dense", "latent_dim": 2}).shape == (1, 28, 28)
    cfg = AEConfig(latent_dim=2, shape=(3, 32, 32))
    assert model_config_from_dict(config_to_dict(cfg)) == cfg
    assert "shape" not in config_to_dict(AEConfig())  # MNIST models' cards are unchanged
    with pytest.raises(ConfigError, match="dataset must be one of"):
        TrainConfig(dataset="imagenet")


def test_shipped_sets_have_their_declared_shapes_and_sources():
    for name, n_test in (("mnist", 10_000), ("fashion-mnist", 10_000)):
        test = data.load_split("test", name)
        assert len(test) == n_test and tuple(test.images.shape[1:]) == get_dataset(name).shape[1:]
        assert "bundled" in test.source
    fashion = get_dataset("fashion-mnist")
    assert fashion.item == "garment" and fashion.class_name(9) == "Ankle boot"
    train, test = data.load_split("train", "photos"), data.load_split("test", "photos")
    assert train.images.shape[1:] == (3, 32, 32) and test.images.shape[1:] == (3, 32, 32)
    assert len(train) > 10_000 and len(test) > 2_000
    # training and test patches come from different photographs
    from aecore.datasets.photos import photo_names
    assert not set(photo_names("train")) & set(photo_names("test"))
    assert get_dataset("photos").classes is None and not get_dataset("photos").fits("cvae", True)


def _cifar_batch(path, labels):
    """A file in CIFAR-10's binary format: per record a label byte and the R, G, B planes."""
    recs = []
    for i, y in enumerate(labels):
        img = np.zeros((3, 32, 32), np.uint8)
        img[i % 3] = 200  # record i is pure red, green or blue
        img[:, 0, 0] = i
        recs.append(np.concatenate([[y], img.reshape(-1)]).astype(np.uint8))
    path.write_bytes(np.stack(recs).tobytes())


def test_cifar10_binary_batches_are_read_and_nothing_is_unpickled(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for i in range(1, 6):
        _cifar_batch(folder / f"data_batch_{i}.bin", [i, 9, 0])
    _cifar_batch(folder / "test_batch.bin", [3, 5])
    (folder / "batches.meta.txt").write_text("airplane\n")
    monkeypatch.setenv("AE_DATASETS", str(tmp_path))
    monkeypatch.setattr(data, "_cache", {})
    train, test = data.load_split("train", "cifar-10"), data.load_split("test", "cifar-10")
    assert tuple(train.images.shape) == (15, 3, 32, 32) and train.labels[:3].tolist() == [1, 9, 0]
    assert test.labels.tolist() == [3, 5] and str(folder) in test.source
    x = test.float_images()
    assert x[0, 0, 5, 5] == pytest.approx(200 / 255) and x[0, 1, 5, 5] == 0  # red plane first
    assert int(test.images[1, 0, 0, 0]) == 1
    # a truncated file is refused with its name
    (folder / "test_batch.bin").write_bytes(b"\x01" * 100)
    monkeypatch.setattr(data, "_cache", {})
    with pytest.raises(DatasetError, match="test_batch.bin: 100 bytes"):
        data.load_split("test", "cifar-10")


def test_cifar10_missing_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_DATASETS", str(tmp_path))
    monkeypatch.setattr(data, "_cache", {})
    with pytest.raises(DatasetError, match="fetch cifar-10"):
        data.load_split("test", "cifar-10")


def test_fashion_training_split_is_read_from_a_users_folder_first(tmp_path, monkeypatch):
    import gzip
    from aecore.datasets import fashion
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    imgs = np.zeros((60_000, 28, 28), np.uint8)
    head = bytes([0, 0, 8, 3]) + np.array([60_000, 28, 28], ">u4").tobytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(head + imgs.tobytes(), 1))
    lab = bytes([0, 0, 8, 1]) + np.array([60_000], ">u4").tobytes() + bytes(60_000)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(lab, 1))
    monkeypatch.setenv("AE_DATASETS", str(tmp_path))
    monkeypatch.setattr(data, "_cache", {})
    train = data.load_split("train", "fashion-mnist")
    assert train.source == f"the folder {folder}" and int(train.images.max()) == 0
    monkeypatch.setenv("AE_DATASETS", str(tmp_path / "empty"))
    monkeypatch.setattr(data, "_cache", {})
    if fashion.DEBIAN_DIR.is_dir():
        assert "Debian" in data.load_split("train", "fashion-mnist").source


def test_fetch_uses_torchvision_for_fashion_and_the_binary_archive_for_cifar(tmp_path, monkeypatch):
    from aecore.datasets import fetch as fetch_mod
    calls = []
    monkeypatch.setenv("AE_DATASETS", str(tmp_path))
    monkeypatch.setattr(fetch_mod, "_fashion", lambda root: calls.append(("fashion", root)))
    monkeypatch.setattr(fetch_mod, "_download_archive",
                        lambda url, root, md5: calls.append((url, root, md5)))
    fetch_mod.fetch("fashion-mnist")
    fetch_mod.fetch("cifar-10")
    assert calls[0] == ("fashion", tmp_path)
    assert calls[1][0].endswith("cifar-10-binary.tar.gz") and calls[1][1] == tmp_path
