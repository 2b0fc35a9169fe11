"""Fashion-MNIST (Zalando, MIT): its test split is bundled in ``data/fashion-mnist/``; its
training split is read from a user's copy, Debian's ``dataset-fashion-mnist``, or a download made
with ``python -m aecore fetch fashion-mnist`` (torchvision's ``FashionMNIST(download=True)``)."""
from __future__ import annotations

from pathlib import Path

from .. import data
from ..errors import DatasetError
from . import DataSet, register_dataset, search_roots

NAME = "fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
HOW_TO_GET = ("install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist), "
              "put the four IDX .gz files in a folder named by AE_DATASETS, or run "
              "`python -m aecore fetch fashion-mnist` on a machine with a network")


def candidates() -> list[tuple[Path, str]]:
    """(folder, words) where a training split may be, in the order they are tried: a user's
    folders first (AE_DATASETS, then the download cache: torchvision's layout or a plain
    folder), then Debian's package."""
    out = []
    for root in search_roots():
        for sub in (root / NAME, root / "FashionMNIST" / "raw", root):
            out.append((sub, f"the folder {sub}"))
    out.append((DEBIAN_DIR, f"Debian's dataset-fashion-mnist ({DEBIAN_DIR})"))
    return out


def _load(split: str) -> data.Split:
    if split == "test":
        return data.to_split(*data.read_idx_split(data.DATA_DIR / NAME, "test"),
                             "bundled in data/fashion-mnist/")
    name = data._FILES["train"][0]
    for folder, words in candidates():
        if (folder / name).is_file():
            # a user's or Debian's copy has no checksum of ours (Debian re-compresses the
            # files): its IDX header and 60,000 28x28 images are checked instead
            images, labels = data.read_idx_split(folder, "train", checked=False)
            if images.shape != (60_000, 28, 28):
                raise DatasetError(f"{folder / name}: {images.shape} images, not Fashion-MNIST's "
                                   "60,000 of 28x28")
            return data.to_split(images, labels, words)
    raise DatasetError("Fashion-MNIST's training split is not on this machine (its test split is "
                       f"bundled, so every page works without it). To train on it, {HOW_TO_GET}.")


FASHION = register_dataset(DataSet(
    name=NAME, label="Fashion-MNIST", shape=(1, 28, 28), classes=CLASSES, item="garment",
    source="test split bundled in data/fashion-mnist/; training split from Debian's "
           "dataset-fashion-mnist, a folder named by AE_DATASETS, or `python -m aecore fetch "
           "fashion-mnist`",
    licence="MIT", credit="Zalando SE (H. Xiao, K. Rasul, R. Vollgraf), 2017",
    load=_load, summary="Ten kinds of garment, 28x28 grey: MNIST's shape, harder to reconstruct."))
