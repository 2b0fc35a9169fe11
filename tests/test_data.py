"""Bundled MNIST: shapes, label counts, checksums, offline behaviour of other data sets."""
from __future__ import annotations

import shutil

import pytest
import torch

import aecore.data as data
from aecore.errors import DatasetError


def test_both_splits_have_the_official_shapes_and_counts():
    train, test = data.load_mnist()
    assert train.images.shape == (60_000, 28, 28) and train.images.dtype == torch.uint8
    assert test.images.shape == (10_000, 28, 28)
    assert torch.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert torch.bincount(train.labels)[1].item() == 6742
    assert abs(train.images.float().mean().item() / 255 - 0.1307) < 1e-3
    assert data.load_split("train") is train  # held once per process
    x = test.float_images(slice(0, 3))
    assert x.shape == (3, 1, 28, 28) and 0 <= x.min() and x.max() <= 1


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    for f in data.DATA_DIR.iterdir():
        if f.name.startswith("t10k") or f.name == "SHA256SUMS":
            shutil.copy(f, tmp_path / f.name)
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    monkeypatch.setattr(data, "_cache", {})
    return tmp_path


def test_checksum_mismatch_is_reported(data_copy):
    p = data_copy / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(p.read_bytes())
    raw[-10] ^= 0xFF
    p.write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz: checksum mismatch"):
        data.load_split("test")


def test_missing_file_is_reported(data_copy):
    (data_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: file not found"):
        data.load_split("test")


def test_missing_training_split_says_how_to_get_it_without_any_network(tmp_path, monkeypatch):
    from aecore.datasets import fashion
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AE_DATASETS", str(tmp_path / "none"))
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(data, "_cache", {})
    with pytest.raises(DatasetError, match="dataset-fashion-mnist.*AE_DATASETS.*fetch fashion-mnist"):
        data.load_split("train", "fashion-mnist")
    assert len(data.load_split("test", "fashion-mnist")) == 10_000  # the test split is bundled
    with pytest.raises(DatasetError, match="unknown data set"):
        data.load_split("train", "imagenet")
