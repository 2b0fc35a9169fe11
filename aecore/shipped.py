"""Reading ``pretrained/precomputed.safetensors`` (:mod:`aecore.precomputed` builds it), torch-free.

The file's format, what names an entry (:class:`Entry`: a kind, the shipped models it was
computed from, its settings), what it is checked against (the SHA-256 of those files) and a
reader. Importing this module does not import torch, and ``framework="numpy"`` gives numpy
arrays: a model's preview (:func:`shipped_preview`) is drawn from the file while
:mod:`startup.warmup` is still importing torch. Which entries exist is not decided here: the app
declares them (:mod:`startup.plan`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from . import zoo
from .data import read_checksums
from .errors import ConfigError
from .zoo import zoo_path

PRECOMPUTED_FILE = "precomputed.safetensors"
FORMAT = "aecore-precomputed-1"
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


def preview_source(name: str, folder: Path | None = None) -> str:
    """What a preview entry is checked against: the model's weights and the MNIST test images."""
    return model_source(name, folder) + "+" + mnist_source(TEST_IMAGES)


def _is_model(key: str) -> bool:
    # a probe's key may be data, not a zoo model: raw pixels or PCA codes ("pca<k>")
    return key != "pixels" and not (key.startswith("pca") and key[3:].isdigit())


@dataclass(frozen=True)
class Entry:
    """One precomputed result: its ``kind`` (``"pca"``, ``"codes"``, ``"ood"``, ``"probe"``,
    ``"curve"``, ``"overcomplete"``, ``"preview"``), the ``keys`` it is computed from (zoo model
    names; for a probe also ``"pixels"`` or ``"pca<k>"``) and the ``settings`` it depends on.
    Its file name is ``kind.key1.key2``; a reader finds it only with the same settings."""

    kind: str
    keys: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ".".join((self.kind, *self.keys))


def source_of(entry: Entry, folder: Path | None = None) -> str:
    """What ``entry`` is checked against: the SHA-256 of each model file it was computed from,
    and of the MNIST files where it reads digits (raises OSError when a model file is missing)."""
    models = [k for k in entry.keys if _is_model(k)]
    parts = [model_source(n, folder) for n in models]
    if entry.kind == "preview":
        parts.append(mnist_source(TEST_IMAGES))
    elif entry.kind in ("pca", "curve") or not models:
        parts.append(mnist_source())
    return "+".join(parts)


def read(entry: Entry, folder: Path | None = None,
         framework: str = "pt") -> tuple[dict, dict[str, Any]] | None:
    """``entry``'s metadata and tensors if the shipped file holds it for the current model files
    and these settings; None otherwise (not shipped, stale, a missing model, a damaged file)."""
    try:
        source = source_of(entry, folder)
    except (OSError, ConfigError):
        return None
    return _read(entry.name, source, entry.settings, folder, framework)


def pca_entry() -> Entry:
    """The entry of the MNIST PCA basis."""
    return Entry("pca")


def codes_entry(name: str) -> Entry:
    """The entry of zoo model ``name``'s codes of the 10,000 test digits."""
    return Entry("codes", (name,))


def ood_entry(name: str, n_normal: int, n_per_kind: int, seed: int = 0) -> Entry:
    """The entry of :func:`aecore.precomputed.ood_scores` of zoo model ``name``."""
    return Entry("ood", (name,), {"n_normal": n_normal, "n_per_kind": n_per_kind, "seed": seed})


def probe_entry(key: str, n_ref: int, n_test: int) -> Entry:
    """The entry of :func:`aecore.precomputed.probe` of ``key``: a zoo model's name,
    ``"pca<k>"`` or ``"pixels"``."""
    return Entry("probe", (key,), {"n_ref": n_ref, "n_test": n_test})


def curve_entry(plain: str, dae: str, n: int, steps: int, seed: int) -> Entry:
    """The entry of :func:`aecore.precomputed.denoise_curve_of` of zoo models ``plain`` and
    ``dae``, for every noise kind."""
    return Entry("curve", (plain, dae), {"n": n, "steps": steps, "seed": seed})


def overcomplete_entry(models: Iterable[str], levels: Iterable[float], n: int,
                       seed: int = 0) -> Entry:
    """The entry of :func:`aecore.precomputed.overcomplete_rows` of these zoo models at each
    of ``levels``."""
    return Entry("overcomplete", tuple(models), {"n": n, "levels": list(levels), "seed": seed})


def preview_entry(name: str, digits: int) -> Entry:
    """The entry of zoo model ``name``'s :class:`Preview` of the first ``digits`` test digits."""
    return Entry("preview", (name,), {"digits": digits})


@dataclass(frozen=True)
class Preview:
    """What a model looks like at a glance: its architecture rows (``model.describe()``), code
    size, the first test digits and their reconstructions (uint8, (n, 28, 28), as the app
    draws them: ``round(255 * clip(x, 0, 1))``) and each reconstruction's MSE (float32, (n,))."""

    rows: list[tuple[str, str]]
    latent_dim: int
    digits: np.ndarray
    recon: np.ndarray
    mse: np.ndarray


def shipped_preview(name: str, digits: int, folder: Path | None = None) -> Preview | None:
    """The shipped :class:`Preview` of zoo model ``name`` for the first ``digits`` test digits,
    or None (not shipped, or computed from other weights or data). Needs no torch."""
    found = read(preview_entry(name, digits), folder, "numpy")
    if found is None:
        return None
    info, t = found[0].get("info", {}), found[1]
    try:
        return Preview([tuple(r) for r in info["rows"]], int(info["latent_dim"]),
                       t["digits"], t["recon"], t["mse"])
    except (KeyError, TypeError, ValueError):
        return None
