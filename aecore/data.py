"""Image splits held in memory, read through the data-set registry (:mod:`aecore.datasets`);
bundled MNIST, read offline from the IDX files in ``data/`` with gzip and numpy.

Each split is read once per process and held as one uint8 tensor, (N, 28, 28), so that training
slices batches out of memory by a permutation instead of a per-sample DataLoader. The gzip files
are the ones in ``shared/datasets/mnist`` (re-compressed, so torchvision's MD5 check rejects them);
we verify their SHA-256 against ``data/SHA256SUMS`` instead.

MNIST: Y. LeCun, C. Cortes, C. J. C. Burges; distributed under CC BY-SA 3.0.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import DatasetError

if TYPE_CHECKING:
    import torch

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# file names as published; (images, labels) per split
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_cache: dict[tuple[str, str], "Split"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Split:
    """One split of an image data set held in memory."""

    images: torch.Tensor  # (N, H, W) grey or (N, C, H, W) colour, uint8
    labels: torch.Tensor  # (N,) int64
    source: str = ""      # where it was read from, in words ("bundled in data/", a folder, ...)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def float_images(self, idx: torch.Tensor | slice | None = None) -> torch.Tensor:
        """Images as float32 in [0, 1], shape (B, C, H, W); ``idx`` selects rows."""
        x = self.images if idx is None else self.images[idx]
        return as_float(x)


def as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images (B, H, W) or (B, C, H, W) as float32 (B, C, H, W) in [0, 1]."""
    return (x.unsqueeze(1) if x.dim() == 3 else x).float().div_(255.0)


def read_checksums(folder: Path | None = None) -> dict[str, str]:
    """``{file name: SHA-256 hex}`` from ``SHA256SUMS`` in ``folder`` (default
    :data:`DATA_DIR`; ``sha256sum`` output, a binary-mode ``*`` before a name dropped), or ``{}``
    when the folder has no such file."""
    sums = (folder or DATA_DIR) / "SHA256SUMS"  # DATA_DIR read at call time: tests move it
    if not sums.exists():
        return {}
    out = {}
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[1].lstrip("*")] = parts[0]
    return out


def _read_idx(path: Path, expected_sha: str | None, ndim: int) -> np.ndarray:
    """Read one gzip-compressed IDX file into a numpy array, checking its SHA-256."""
    if not path.exists():
        raise DatasetError(f"{path.name}: file not found in {path.parent} (the data set is bundled "
                           "with the repository; restore it with git checkout data/)")
    raw = path.read_bytes()
    if expected_sha is not None and hashlib.sha256(raw).hexdigest() != expected_sha:
        raise DatasetError(f"{path.name}: checksum mismatch; the file is corrupt or was replaced")
    try:
        buf = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path.name}: not a readable gzip file ({exc})") from exc
    # IDX header: magic (2 zero bytes, dtype 0x08 = uint8, ndim), then ndim big-endian uint32 dims
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0 or buf[2] != 0x08 or buf[3] != ndim:
        raise DatasetError(f"{path.name}: not a uint8 IDX file with {ndim} dimensions")
    dims = tuple(int(d) for d in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DatasetError(f"{path.name}: truncated ({data.size} values, header says {dims})")
    return data.reshape(dims)


def read_idx_split(folder: Path, split: str, checked: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(images (N, H, W), labels (N,))`` of one split's two IDX .gz files in ``folder``, checked
    against its ``SHA256SUMS`` where ``checked`` and that file names them."""
    sums = read_checksums(folder) if checked else {}
    img_name, lab_name = _FILES[split]
    images = _read_idx(folder / img_name, sums.get(img_name), ndim=3)
    labels = _read_idx(folder / lab_name, sums.get(lab_name), ndim=1)
    if images.shape[0] != labels.shape[0]:
        raise DatasetError(f"{img_name}: {images.shape} images do not match {labels.shape[0]} labels")
    return images, labels


def read_labels(split: str = "test", folder: Path = DATA_DIR) -> np.ndarray:
    """MNIST's labels (N,) of ``split`` alone, checked, without its images or torch: a page that
    names the digits it shows from shipped pictures (Home's alt texts) reads 10 kB, not 8 MB."""
    lab_name = _FILES[split][1]
    return _read_idx(folder / lab_name, read_checksums(folder).get(lab_name), ndim=1)


def to_split(images: np.ndarray, labels: np.ndarray, source: str) -> Split:
    """A :class:`Split` of numpy uint8 images and integer labels (copied into torch)."""
    import torch  # here, not at the top: read_checksums is used before torch is imported
    return Split(torch.from_numpy(np.array(images, dtype=np.uint8, copy=True)),
                 torch.from_numpy(labels.astype(np.int64)), source)


def load_split(split: str = "train", dataset: str = "mnist") -> Split:
    """Return one split (``"train"`` or ``"test"``) of a registered data set
    (:mod:`aecore.datasets`), cached per process. A split that is not on this machine raises a
    :class:`DatasetError` that says how to get it; nothing is downloaded here.
    """
    from .datasets import get_dataset
    d = get_dataset(dataset)
    if split not in d.splits:
        raise DatasetError(f"unknown split {split!r}; use {' or '.join(map(repr, d.splits))}")
    key = (dataset, split)
    with _lock:
        if key in _cache:
            return _cache[key]
        out = d.load(split)
        if tuple(out.images.shape[-2:]) != d.shape[1:] or len(out.images) != len(out.labels):
            raise DatasetError(f"{d.label} {split}: images {tuple(out.images.shape)} do not fit "
                               f"its shape {d.shape} and {len(out.labels)} labels")
        _cache[key] = out
        return out


def forget(dataset: str) -> None:
    """Drop a data set's cached splits (a toy set removed, a user's set replaced)."""
    with _lock:
        for key in [k for k in _cache if k[0] == dataset]:
            del _cache[key]


def load_mnist() -> tuple[Split, Split]:
    """Both MNIST splits, ``(train, test)``: 60,000 and 10,000 digits."""
    return load_split("train"), load_split("test")
