"""Colour photo patches: 32x32 RGB patches cut from the colour photographs in ``data/photos/``.

``data/photos/photos.json`` gives each photograph's licence, credit and split: training patches
come from the "train" photos and test patches from the "heldout" ones, so a test figure is
measured on photographs no model has seen. Each photo is first shrunk so its short side is
:data:`SIDE` pixels (a patch then holds an object's part, not a flat 32-pixel smear).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import data
from ..errors import DatasetError
from . import DataSet, register_dataset

NAME = "photos"
PATCH = 32
SIDE = 256                              # short side of a photo before cutting
STRIDE = {"train": 4, "test": 8}        # pixels between patches


def manifest() -> list[dict]:
    """The colour entries of ``data/photos/photos.json`` (file, mode, split, licence, credit)."""
    path = data.DATA_DIR / "photos" / "photos.json"
    try:
        images = json.loads(path.read_text())["images"]
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"{path}: unreadable photo manifest ({exc}); restore it with git "
                           "checkout data/") from exc
    return [e for e in images if e.get("mode") == "RGB"]


def photo_names(split: str) -> list[str]:
    """File names of the photos a split's patches come from, in label order."""
    want = "train" if split == "train" else "heldout"
    return [e["file"] for e in manifest() if e["split"] == want]


def cut_patches(img: np.ndarray, stride: int, size: int = PATCH) -> np.ndarray:
    """Every ``size`` x ``size`` patch of an (H, W, 3) uint8 image ``stride`` pixels apart,
    as (N, 3, size, size) uint8."""
    win = np.lib.stride_tricks.sliding_window_view(img, (size, size), axis=(0, 1))
    return np.ascontiguousarray(win[::stride, ::stride].reshape(-1, 3, size, size))


def _load(split: str) -> data.Split:
    from PIL import Image  # lazily: only this data set needs Pillow here
    folder = data.DATA_DIR / "photos"
    patches, labels = [], []
    for i, name in enumerate(photo_names(split)):
        try:
            with Image.open(folder / name) as im:
                im = im.convert("RGB")
                scale = SIDE / min(im.size)
                im = im.resize((round(im.width * scale), round(im.height * scale)),
                               Image.Resampling.LANCZOS)
                arr = np.asarray(im)
        except OSError as exc:
            raise DatasetError(f"{name}: unreadable photo in {folder} ({exc})") from exc
        p = cut_patches(arr, STRIDE[split])
        patches.append(p)
        labels.append(np.full(len(p), i, dtype=np.int64))
    if not patches:
        raise DatasetError(f"{folder}/photos.json names no colour {split} photos")
    return data.to_split(np.concatenate(patches), np.concatenate(labels),
                         f"cut from {len(patches)} photos in data/photos/")


PHOTOS = register_dataset(DataSet(
    name=NAME, label="Colour photo patches", shape=(3, PATCH, PATCH), classes=None,
    item="photo patch",
    source="cut from the colour photographs in data/photos/ (training and test patches come "
           "from different photos; data/photos/photos.json)",
    licence="CC BY 2.0, CC0 and public domain, per photo (data/photos/photos.json)",
    credit="danielbuechele, vultilion (flickr, CC BY 2.0); NASA; SpaceX; R. Michetti; "
           "S. van der Walt (via scikit-learn and scikit-image)",
    load=_load,
    summary="32x32 colour patches of photographs: the texts' CIFAR-like case, offline."))
