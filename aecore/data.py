"""Bundled MNIST, read offline from the IDX files in ``data/`` with gzip and numpy.

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
# Other datasets a user may ask for. They are never downloaded: if their IDX files are not in
# data/<name>/ the loader says so plainly (the app must work on a laptop with no network).
OPTIONAL_DATASETS = {"fashion-mnist": "Fashion-MNIST (Zalando, MIT licence)"}
DATASETS = ("mnist", *OPTIONAL_DATASETS)

_cache: dict[tuple[str, str], "Split"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Split:
    """One split of an image data set held in memory."""

    images: torch.Tensor  # (N, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def float_images(self, idx: torch.Tensor | slice | None = None) -> torch.Tensor:
        """Images as float32 in [0, 1], shape (B, 1, 28, 28); ``idx`` selects rows."""
        x = self.images if idx is None else self.images[idx]
        return x.unsqueeze(1).float().div_(255.0)


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


def load_split(split: str = "train", dataset: str = "mnist") -> Split:
    """Return one split (``"train"`` or ``"test"``) of a bundled data set, cached per process.

    MNIST is always there. Other names in :data:`OPTIONAL_DATASETS` are read from ``data/<name>/``
    when a user has put their IDX files there; otherwise a :class:`DatasetError` says so. Nothing
    is ever downloaded.
    """
    if split not in _FILES:
        raise DatasetError(f"unknown split {split!r}; use 'train' or 'test'")
    if dataset not in DATASETS:
        raise DatasetError(f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}")
    key = (dataset, split)
    with _lock:
        if key in _cache:
            return _cache[key]
        folder = DATA_DIR if dataset == "mnist" else DATA_DIR / dataset
        if dataset != "mnist" and not (folder / _FILES[split][0]).exists():
            raise DatasetError(
                f"{OPTIONAL_DATASETS[dataset]} is not bundled and this app never downloads data. "
                f"To use it, put its four IDX .gz files in {folder}/ and reload.")
        sums = read_checksums(folder)
        img_name, lab_name = _FILES[split]
        images = _read_idx(folder / img_name, sums.get(img_name), ndim=3)
        labels = _read_idx(folder / lab_name, sums.get(lab_name), ndim=1)
        if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
            raise DatasetError(f"{img_name}: {images.shape} images do not match {labels.shape[0]} labels")
        import torch  # here, not at the top: read_checksums is used before torch is imported
        out = Split(torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)))
        _cache[key] = out
        return out


def load_mnist() -> tuple[Split, Split]:
    """Both MNIST splits, ``(train, test)``: 60,000 and 10,000 digits."""
    return load_split("train"), load_split("test")
