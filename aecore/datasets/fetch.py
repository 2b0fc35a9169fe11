"""``python -m aecore fetch NAME``: download a data set's missing files where there is a network.

Fashion-MNIST through torchvision's ``FashionMNIST(download=True)`` (IDX files, read by
:mod:`aecore.datasets.fashion`); CIFAR-10's *binary* archive through torchvision's download
helper (its python version is pickled and never read). Both land in
:func:`aecore.datasets.cache_root`, where the loaders look.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..errors import DatasetError
from . import cache_root, cifar10


def _fashion(root: Path) -> None:
    from torchvision.datasets import FashionMNIST
    for train in (True, False):
        FashionMNIST(str(root), train=train, download=True)


def _download_archive(url: str, root: Path, md5: str) -> None:
    from torchvision.datasets.utils import download_and_extract_archive
    download_and_extract_archive(url, str(root), md5=md5)


def fetch(name: str) -> dict:
    """Download data set ``name`` into the cache folder; returns where and how long it took."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    try:
        if name == "fashion-mnist":
            _fashion(root)
        elif name == "cifar-10":
            _download_archive(cifar10.URL, root, cifar10.MD5)
        else:
            raise DatasetError(f"{name!r} is not downloadable; fetch fashion-mnist or cifar-10")
    except OSError as exc:  # URLError is an OSError: no network, refused, timed out
        raise DatasetError(f"could not download {name} ({exc}); this machine may have no network. "
                           "Copy its files into a folder named by AE_DATASETS instead.") from exc
    from .. import data
    data.forget(name)
    return {"dataset": name, "folder": str(root), "seconds": round(time.perf_counter() - t, 1)}
