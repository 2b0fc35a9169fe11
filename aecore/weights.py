"""Weight files: safetensors plus a JSON card. Loading never unpickles anything.

``name.safetensors`` holds the tensors and, in its metadata, a copy of the card, so one file is a
complete, self-describing download. ``name.json`` beside it is the human-readable card (type,
config, data, epochs, seed, training time, measured test metrics, format version); when present
it is the authority. Every failure raises :class:`WeightsError` naming the file and the problem.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from .config import config_to_dict, model_config_from_dict
from .errors import AecoreError, WeightsError
from .models import Autoencoder, build_model

FORMAT_VERSION = 1
MAX_PARAMS = 20_000_000  # refuse cards describing absurdly large models before allocating them
MAX_FILE_BYTES = 200 * 1024 * 1024
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")


def make_card(model: Autoencoder, **fields: Any) -> dict:
    """A card for ``model``: its type and config, plus any fields given (train config, metrics,
    epochs, seed, train_seconds, name, title, description, command)."""
    return {"format_version": FORMAT_VERSION, "model": type(model.cfg).kind,
            "config": config_to_dict(model.cfg), "created": time.strftime("%Y-%m-%d"),
            "torch": torch.__version__.split("+")[0], **fields}


STORAGES = ("float32", "float16", "int8")
_SCALE = "::scale"  # suffix of the per-row scales of an int8 matrix


def _pack(tensors: dict[str, torch.Tensor], storage: str) -> dict[str, torch.Tensor]:
    """Store float tensors as float32, float16, or int8 with one float16 scale per output row
    (weight matrices of 4,096+ values only; biases stay float16). int8 quarters the bytes of
    float32 at a measured cost the cards record, since cards are measured on stored weights."""
    out = {}
    for name, t in tensors.items():
        t = t.detach().cpu()
        if not t.is_floating_point() or storage == "float32":
            out[name] = t.contiguous()
        elif storage == "int8" and t.dim() >= 2 and t.numel() >= 4096:
            rows = t.reshape(t.shape[0], -1)  # (out, in*kh*kw)
            scale = (rows.abs().amax(dim=1) / 127.0).clamp_min(1e-12)
            out[name] = (rows / scale[:, None]).round().clamp(-127, 127).to(torch.int8).reshape(t.shape)
            out[name + _SCALE] = scale.half()
        else:
            out[name] = t.half().contiguous()
    return out


def _unpack(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of :func:`_pack`: float32 tensors by their state-dict names."""
    out = {}
    for name, t in tensors.items():
        if name.endswith(_SCALE):
            continue
        if name + _SCALE in tensors:
            scale = tensors[name + _SCALE].float()
            t = (t.reshape(t.shape[0], -1).float() * scale[:, None]).reshape(t.shape)
        out[name] = t.float() if t.is_floating_point() else t
    return out


def to_bytes(model: Autoencoder, card: dict, storage: str = "float32") -> bytes:
    """The model as one self-describing safetensors file, card in its metadata.

    ``storage`` is float32 (exact), float16 or int8 (see :func:`_pack`); loading widens back.
    """
    if storage not in STORAGES:
        raise WeightsError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    card = {**card, "storage": storage}
    return st_save_bytes(_pack(model.state_dict(), storage), metadata={"card": json.dumps(card)})


def stored(model: Autoencoder, storage: str) -> Autoencoder:
    """Round ``model``'s weights in place to what ``storage`` keeps, so metrics measured
    afterwards are those of the shipped file."""
    model.load_state_dict(_unpack(_pack(model.state_dict(), storage)))
    return model


def save_model(model: Autoencoder, path: str | Path, card: dict, storage: str = "float32") -> Path:
    """Write ``path.safetensors`` and ``path.json``; returns the .safetensors path.

    ``path`` is a stem (``pretrained/bvae_0.5``: dots in names are kept) or a .safetensors path.
    """
    st_path, card_path = _paths(path)
    st_path.parent.mkdir(parents=True, exist_ok=True)
    st_path.write_bytes(to_bytes(model, card, storage))
    card_path.write_text(json.dumps({**card, "storage": storage}, indent=2) + "\n")
    return st_path


def _paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, card) paths for a stem or a .safetensors/.json path."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    return stem.parent / f"{stem.name}.safetensors", stem.parent / f"{stem.name}.json"


def _looks_like_pickle(data: bytes) -> bool:
    if data[8:9] == b"{":  # safetensors: 8-byte header length, then the JSON header
        return False
    # protocol-2+ pickles start with 0x80 and the protocol number; torch.save zips hold data.pkl
    return (data[:1] == b"\x80" and data[1:2] in b"\x02\x03\x04\x05") or (
        data[:2] == b"PK" and b".pkl" in data[:4096])


def _estimated_params(cfg_dict: dict) -> int:
    """Rough parameter count from a config dict, to refuse absurd sizes before building."""
    hidden = cfg_dict.get("hidden", [])
    try:
        widths = [784, *[int(h) for h in hidden], int(cfg_dict.get("latent_dim", 0))]
    except (TypeError, ValueError):
        return 0
    return 2 * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def model_from_bytes(data: bytes, name: str = "uploaded file", card: dict | None = None
                     ) -> tuple[Autoencoder, dict]:
    """Rebuild a model from safetensors bytes; ``card`` overrides the embedded one.

    Raises :class:`WeightsError` for pickles (refused, never unpickled), empty, truncated or
    corrupt files, missing or invalid cards, absurd sizes and weights that do not fit the card.
    """
    if len(data) == 0:
        raise WeightsError(f"{name}: the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise WeightsError(f"{name}: {len(data) / 2**20:.0f} MB is too large for a model file "
                           f"(limit {MAX_FILE_BYTES // 2**20} MB)")
    if name.lower().endswith(PICKLE_SUFFIXES) or _looks_like_pickle(data):
        raise WeightsError(f"{name}: pickle-based files (.pt, .pth, .pkl, .ckpt) are refused because "
                           "loading them can run arbitrary code; use a .safetensors file from this app")
    try:
        tensors = _unpack(st_load_bytes(data))
        meta = _read_metadata(data)
    except (SafetensorError, ValueError, RuntimeError, OverflowError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{name}: not a valid safetensors file, truncated or corrupt ({exc})") from exc
    if card is None:
        if "card" not in meta:
            raise WeightsError(f"{name}: no model card inside; is it a file saved by this app?")
        try:
            card = json.loads(meta["card"])
        except json.JSONDecodeError as exc:
            raise WeightsError(f"{name}: its embedded card is not valid JSON ({exc})") from exc
    return _build_checked(tensors, card, name), upgraded(card)


def upgraded(card: Any) -> Any:
    """``card`` with the training settings added since it was written, at the value they had
    then: ``train.precision`` is "fp32" for every file saved before bf16 training existed."""
    if isinstance(card, dict) and isinstance(card.get("train"), dict) \
            and "precision" not in card["train"]:
        card = {**card, "train": {**card["train"], "precision": "fp32"}}
    return card


def _read_metadata(data: bytes) -> dict:
    # safetensors layout: 8-byte little-endian header length, then the JSON header
    n = int.from_bytes(data[:8], "little")
    if n <= 0 or 8 + n > len(data):
        raise ValueError("header length out of range")
    return json.loads(data[8:8 + n]).get("__metadata__", {}) or {}


def _build_checked(tensors: dict[str, torch.Tensor], card: dict, name: str) -> Autoencoder:
    if not isinstance(card, dict) or "config" not in card:
        raise WeightsError(f"{name}: the card has no model config")
    version = card.get("format_version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise WeightsError(f"{name}: card format version {version!r} is newer than this app "
                           f"understands ({FORMAT_VERSION})")
    cfg_dict = dict(card["config"]) if isinstance(card["config"], dict) else {}
    cfg_dict.setdefault("kind", card.get("model"))
    if _estimated_params(cfg_dict) > MAX_PARAMS:
        raise WeightsError(f"{name}: the card describes a model with over {MAX_PARAMS:,} weights; "
                           "refusing to build something that large")
    try:
        cfg = model_config_from_dict(cfg_dict)
        model = build_model(cfg)
    except AecoreError as exc:
        raise WeightsError(f"{name}: the card's config is invalid: {exc}") from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    bad_shape = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or bad_shape:
        detail = "; ".join(filter(None, [
            missing and f"missing {', '.join(missing[:3])}",
            unexpected and f"unexpected {', '.join(unexpected[:3])}",
            bad_shape and "shape differs for " + ", ".join(
                f"{k} {tuple(tensors[k].shape)} vs {tuple(expected[k].shape)}" for k in bad_shape[:3])]))
        raise WeightsError(f"{name}: the weights do not match the card ({detail})")
    if any(not torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point()):
        raise WeightsError(f"{name}: the weights contain NaN or infinite values")
    model.load_state_dict(tensors)
    return model.eval()


def load_model(path: str | Path) -> tuple[Autoencoder, dict]:
    """Load ``path`` (.safetensors, or the stem) and its card; the .json beside wins if present."""
    path = Path(path)
    st_path, card_path = _paths(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        st_path = path
    if not st_path.exists():
        raise WeightsError(f"{st_path}: file not found")
    card = None
    if card_path.exists():
        try:
            card = json.loads(card_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WeightsError(f"{card_path}: the card is not valid JSON ({exc})") from exc
    return model_from_bytes(st_path.read_bytes(), str(st_path), card)


def read_card(path: str | Path) -> dict:
    """The JSON card beside a weight file (no weights are read)."""
    p = _paths(path)[1]
    try:
        return upgraded(json.loads(p.read_text()))
    except FileNotFoundError as exc:
        raise WeightsError(f"{p}: card not found") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{p}: the card is not valid JSON ({exc})") from exc


def clean_metrics(metrics: dict) -> dict:
    """Round floats for a card and drop NaNs (JSON has no NaN)."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out[k] = clean_metrics(v)
        elif isinstance(v, float):
            if math.isfinite(v):
                out[k] = round(v, 6)
        else:
            out[k] = v
    return out


def card_hash(card: dict) -> str:
    """A short hash of a card's JSON (keys sorted): with the catalogue key, what names one trained
    model in a cache. Two trainings never share a card (their metrics and times differ), and a
    card is cheap to hash (a few kB), unlike the weights."""
    text = json.dumps(card, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
