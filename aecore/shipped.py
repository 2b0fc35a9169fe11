"""Reading ``pretrained/precomputed.safetensors`` (:mod:`aecore.precomputed` builds it), torch-free.

The file's format, what its entries are checked against (the SHA-256 of the files they were
computed from), and a reader. Importing this module does not import torch, and
``read_entry(..., framework="numpy")`` gives numpy arrays: the Home page draws its default model
from the file (:func:`shipped_home`) while :mod:`ui.warmup` is still importing torch, so a
server that has just started shows its first page without waiting for torch
(benchmarks/startup.py, ``home_ready_s``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import zoo
from .data import read_checksums
from .errors import ConfigError
from .zoo import zoo_path

PRECOMPUTED_FILE = "precomputed.safetensors"
FORMAT = "aecore-precomputed-1"
HOME_FOR = ("ae_k32",)  # the Home page's default model
HOME_SETTINGS = {"digits": 8}  # the Home page shows test digits 0 .. digits-1
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file (a shipped model: under 2 MB, a few ms)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_source(name: str, folder: Path | None = None) -> str:
    """What a model's entries are checked against: the SHA-256 of its weights file."""
    return file_sha256(zoo_path(name, folder))


def mnist_source(dataset_file: str = "train-images-idx3-ubyte.gz") -> str:
    """What an entry computed from MNIST is checked against: the pinned SHA-256 of that file
    (``data/SHA256SUMS``; the loader refuses files that do not match it)."""
    sha = read_checksums().get(dataset_file)
    if sha is None:
        raise ConfigError(f"no checksum for {dataset_file} in data/SHA256SUMS")
    return sha


def path_in(folder: Path | None) -> Path:
    """The precomputed file in ``folder`` (default ``pretrained/``)."""
    return (folder or zoo.PRETRAINED_DIR) / PRECOMPUTED_FILE  # read at call time: tests move it


def read_entry(name: str, source: str, settings: dict[str, Any] | None = None,
               folder: Path | None = None, framework: str = "pt") -> dict[str, Any] | None:
    """The tensors of entry ``name`` (``{tensor name without the "name." prefix: tensor}``,
    torch tensors, or numpy arrays with ``framework="numpy"``) if the shipped file has it,
    computed from ``source`` with these ``settings``; else None (no file, a damaged one, another
    format, a stale source or other settings)."""
    found = _read(name, source, settings, folder, framework)
    return None if found is None else found[1]


def _read(name: str, source: str, settings: dict[str, Any] | None, folder: Path | None,
          framework: str) -> tuple[dict, dict[str, Any]] | None:
    # (the entry's metadata, its tensors), or None: see read_entry
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path_in(folder)), framework=framework) as f:
            meta = f.metadata() or {}
            if meta.get("format") != FORMAT:
                return None
            entry = json.loads(meta.get("entries", "{}")).get(name)
            if not isinstance(entry, dict) or entry.get("source") != source \
                    or entry.get("settings", {}) != (settings or {}):
                return None
            prefix = name + "."
            out = {k[len(prefix):]: f.get_tensor(k) for k in f.keys() if k.startswith(prefix)}
    except (OSError, ValueError, SafetensorError, json.JSONDecodeError):
        return None
    return (entry, out) if out else None


def home_source(name: str, folder: Path | None = None) -> str:
    """What a Home entry is checked against: the model's weights and the MNIST test images."""
    return model_source(name, folder) + "+" + mnist_source(TEST_IMAGES)


@dataclass(frozen=True)
class HomePreview:
    """What the Home page shows of a model: its architecture rows (``model.describe()``), code
    size, the first test digits and their reconstructions (uint8, (n, 28, 28), as the page
    draws them: ``round(255 * clip(x, 0, 1))``) and each reconstruction's MSE (float32, (n,))."""

    rows: list[tuple[str, str]]
    latent_dim: int
    digits: np.ndarray
    recon: np.ndarray
    mse: np.ndarray


def shipped_home(name: str, folder: Path | None = None) -> HomePreview | None:
    """The shipped :class:`HomePreview` of zoo model ``name``, or None (not shipped, or computed
    from other weights or data). Needs no torch."""
    if name not in HOME_FOR:
        return None
    try:
        found = _read(f"home.{name}", home_source(name, folder), HOME_SETTINGS, folder, "numpy")
    except (OSError, ConfigError):
        return None
    if found is None:
        return None
    info, t = found[0].get("info", {}), found[1]
    try:
        return HomePreview([tuple(r) for r in info["rows"]], int(info["latent_dim"]),
                           t["digits"], t["recon"], t["mse"])
    except (KeyError, TypeError, ValueError):
        return None
