"""CIFAR-10, wherever the user has it: its *binary* version (``cifar-10-batches-bin``: fixed
records of one label byte and 3,072 pixel bytes), in a folder named by ``AE_DATASETS`` or
downloaded by ``python -m aecore fetch cifar-10``. Its python version is pickled and is never
read."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import data
from ..errors import DatasetError
from . import DataSet, register_dataset, search_roots

NAME = "cifar-10"
FOLDER = "cifar-10-batches-bin"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FILES = {"train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)), "test": ("test_batch.bin",)}
RECORD = 1 + 3 * 32 * 32  # label byte, then the red, green and blue 32x32 planes


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(images (N, 3, 32, 32) uint8, labels (N,))`` of one binary batch file."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD:
        raise DatasetError(f"{path.name}: {raw.size} bytes is not a whole number of CIFAR-10 "
                           f"records of {RECORD} bytes")
    rec = raw.reshape(-1, RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DatasetError(f"{path.name}: a label above 9; not a CIFAR-10 batch")
    return rec[:, 1:].reshape(-1, 3, 32, 32), labels


def find() -> Path | None:
    """The first ``cifar-10-batches-bin`` folder under the search roots, or None."""
    for root in search_roots():
        for d in (root / FOLDER, root / NAME / FOLDER):
            if (d / FILES["test"][0]).is_file():
                return d
    return None


def _load(split: str) -> data.Split:
    folder = find()
    if folder is None:
        raise DatasetError("CIFAR-10 is not on this machine. Run `python -m aecore fetch "
                           "cifar-10` where there is a network (about 163 MB), or put its binary "
                           f"version's folder {FOLDER}/ in a folder named by AE_DATASETS.")
    parts = [read_batch(folder / f) for f in FILES[split] if (folder / f).is_file()]
    if not parts:
        raise DatasetError(f"{folder}: no {split} batch files ({', '.join(FILES[split])})")
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return data.to_split(images, labels, f"the folder {folder}")


CIFAR10 = register_dataset(DataSet(
    name=NAME, label="CIFAR-10", shape=(3, 32, 32), classes=CLASSES, item="image",
    source="a folder named by AE_DATASETS, or `python -m aecore fetch cifar-10` (binary version)",
    licence="free for research and teaching (no formal licence; cite the report)",
    credit="A. Krizhevsky, V. Nair, G. Hinton: Learning Multiple Layers of Features from Tiny "
           "Images (2009)",
    load=_load, summary="60,000 small colour photos in ten classes, 32x32: the texts' own example."))
