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
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from .card_schema import STORAGES, CardError, check_card, parse_card
from .config import config_to_dict, model_config_from_dict
from .datasets import card_dataset  # noqa: F401  (a card's data set; re-exported)
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


MAX_HEADER_BYTES = 1024 * 1024  # a card (64 KB, escaped in the metadata) plus a few hundred names
MAX_TENSORS = 512  # the largest registered model has a few dozen tensors (twice that as int8)
_ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int8: "I8",
              torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}
_ST_ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1}
_FLOATS = ("F32", "F16", "BF16")


def _corrupt(name: str, why: str) -> WeightsError:
    return WeightsError(f"{name}: not a valid safetensors file, truncated or corrupt ({why})")


def read_header(data: bytes, name: str = "uploaded file") -> tuple[dict, dict]:
    """``(tensor entries, metadata)`` of a safetensors file, read before any tensor is built.

    Refuses (:class:`WeightsError`) a header longer than :data:`MAX_HEADER_BYTES` or naming
    more than :data:`MAX_TENSORS` tensors, and entries whose dtype, shape or byte range do not
    add up, so a crafted file costs a few milliseconds and no memory."""
    if len(data) < 8:
        raise _corrupt(name, "shorter than a header")
    n = int.from_bytes(data[:8], "little")
    if n <= 0 or 8 + n > len(data):
        raise _corrupt(name, "header length out of range")
    if n > MAX_HEADER_BYTES:
        raise WeightsError(f"{name}: its header is {n / 2**20:.1f} MB; a model file of this app "
                           f"has a few KB (limit {MAX_HEADER_BYTES // 1024} KB), so it is refused")
    try:
        header = json.loads(data[8:8 + n])
    except RecursionError as exc:
        raise _corrupt(name, "its header nests too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupt(name, f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise _corrupt(name, "header is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    if len(header) > MAX_TENSORS:
        raise WeightsError(f"{name}: it names {len(header):,} tensors; a model file of this app "
                           f"has at most {MAX_TENSORS}, so it is refused")
    body = len(data) - 8 - n
    for key, e in header.items():
        ok = isinstance(e, dict) and e.get("dtype") in _ST_ITEMSIZE \
            and isinstance(e.get("shape"), list) and isinstance(e.get("data_offsets"), list) \
            and len(e["data_offsets"]) == 2 \
            and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**40
                    for d in [*e["shape"], *e["data_offsets"]])
        if not ok:
            raise _corrupt(name, "a tensor entry is malformed")
        start, stop = e["data_offsets"]
        if not start <= stop <= body or stop - start != math.prod(e["shape"]) * _ST_ITEMSIZE[e["dtype"]]:
            raise _corrupt(name, "a tensor's bytes lie outside the file")
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _corrupt(name, "its metadata is not text")
    return header, meta


def _expected(card: dict, name: str) -> tuple[Any, dict[str, tuple[str, tuple[int, ...]]]]:
    """The card's model config and its state dict's ``{name: (dtype, shape)}``, from a model
    built on the meta device (no memory), refusing models over :data:`MAX_PARAMS` weights."""
    version = card.get("format_version", 0)
    if version > FORMAT_VERSION:
        raise WeightsError(f"{name}: card format version {version!r} is newer than this app "
                           f"understands ({FORMAT_VERSION})")
    cfg_dict = {**card["config"]}
    cfg_dict.setdefault("kind", card["model"])
    try:
        cfg = model_config_from_dict(cfg_dict)
        with torch.device("meta"):
            shapes = {k: (_ST_DTYPES.get(t.dtype, "?"), tuple(t.shape))
                      for k, t in build_model(cfg).state_dict().items()}
    except AecoreError as exc:
        raise WeightsError(f"{name}: the card's config is invalid: {exc}") from exc
    except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
        raise WeightsError(f"{name}: the card's config is invalid ({type(exc).__name__})") from exc
    if sum(math.prod(s) for _, s in shapes.values()) > MAX_PARAMS:
        raise WeightsError(f"{name}: the card describes a model with over {MAX_PARAMS:,} weights; "
                           "refusing to build something that large")
    return cfg, shapes


def _check_entries(header: dict, expected: dict, name: str) -> None:
    """Names, dtypes and shapes of the file's tensors against the card's model (int8 matrices
    come with one ``::scale`` vector of their rows)."""
    scales = {k[:-len(_SCALE)]: e for k, e in header.items() if k.endswith(_SCALE)}
    plain = {k: e for k, e in header.items() if not k.endswith(_SCALE)}
    missing = sorted(set(expected) - set(plain))
    unexpected = sorted((set(plain) - set(expected)) | (set(scales) - set(plain)))
    bad = []
    for k, (dtype, shape) in expected.items():
        e = plain.get(k)
        if e is None:
            continue
        floats = dtype in _FLOATS
        good_dtype = e["dtype"] in _FLOATS or (e["dtype"] == "I8" and k in scales) \
            if floats else e["dtype"] == dtype
        scale = scales.get(k)
        good_scale = scale is None or (e["dtype"] == "I8" and scale["dtype"] in _FLOATS
                                       and scale["shape"] == [shape[0] if shape else 0])
        if tuple(e["shape"]) != shape or not good_dtype or not good_scale:
            bad.append(f"{k} {e['dtype']}{tuple(e['shape'])} vs {dtype}{shape}")
    if missing or unexpected or bad:
        detail = "; ".join(filter(None, [
            missing and f"missing {', '.join(missing[:3])}",
            unexpected and f"unexpected {len(unexpected)} tensor(s)",
            bad and "shape or dtype differs for " + ", ".join(bad[:3])]))
        raise WeightsError(f"{name}: the weights do not match the card ({detail})")


def model_from_bytes(data: bytes, name: str = "uploaded file", card: dict | None = None
                     ) -> tuple[Autoencoder, dict]:
    """Rebuild a model from safetensors bytes; ``card`` overrides the embedded one.

    The header is read and checked first (:func:`read_header`), then the card against its
    schema (:mod:`aecore.card_schema`), then every tensor's name, dtype and shape against the
    card's model; only then are tensors built. Raises :class:`WeightsError` for pickles (refused,
    never unpickled), empty, truncated or corrupt files, missing or invalid cards, absurd sizes
    and weights that do not fit the card.
    """
    if len(data) == 0:
        raise WeightsError(f"{name}: the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise WeightsError(f"{name}: {len(data) / 2**20:.0f} MB is too large for a model file "
                           f"(limit {MAX_FILE_BYTES // 2**20} MB)")
    if name.lower().endswith(PICKLE_SUFFIXES) or _looks_like_pickle(data):
        raise WeightsError(f"{name}: pickle-based files (.pt, .pth, .pkl, .ckpt) are refused because "
                           "loading them can run arbitrary code; use a .safetensors file from this app")
    header, meta = read_header(data, name)
    try:
        if card is None:
            if "card" not in meta:
                raise WeightsError(f"{name}: no model card inside; is it a file saved by this app?")
            card = parse_card(meta["card"])
        else:
            card = check_card(card)
    except CardError as exc:
        raise WeightsError(f"{name}: {exc}") from exc
    cfg, expected = _expected(card, name)
    _check_entries(header, expected, name)
    try:
        tensors = _unpack(st_load_bytes(data))
    except (SafetensorError, ValueError, RuntimeError, OverflowError) as exc:
        raise _corrupt(name, str(exc)) from exc
    if any(not torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point()):
        raise WeightsError(f"{name}: the weights contain NaN or infinite values")
    model = build_model(cfg)
    model.load_state_dict(tensors)
    return model.eval(), upgraded(card)


def upgraded(card: Any) -> Any:
    """``card`` with the training settings added since it was written, at the value they had
    then: ``train.precision`` is "fp32" for every file saved before bf16 training existed."""
    if isinstance(card, dict) and isinstance(card.get("train"), dict) \
            and "precision" not in card["train"]:
        card = {**card, "train": {**card["train"], "precision": "fp32"}}
    return card


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
            card = parse_card(card_path.read_bytes())
        except CardError as exc:
            raise WeightsError(f"{card_path}: {exc}") from exc
    return model_from_bytes(st_path.read_bytes(), str(st_path), card)


def read_card(path: str | Path) -> dict:
    """The JSON card beside a weight file (no weights are read)."""
    p = _paths(path)[1]
    try:
        return upgraded(parse_card(p.read_bytes()))
    except FileNotFoundError as exc:
        raise WeightsError(f"{p}: card not found") from exc
    except CardError as exc:
        raise WeightsError(f"{p}: {exc}") from exc


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


def model_bytes(model: torch.nn.Module) -> int:
    """Bytes the model's tensors hold in memory (every parameter and buffer, whatever its
    type: a conv model's channels count as much as a dense model's widths)."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


class ModelCache:
    """Loaded models by key, bounded by their bytes in memory (:func:`model_bytes`), least
    recently used dropped first; one model bigger than the whole bound is returned, not kept.
    Thread-safe; two threads missing the same key may both load it (the second result wins)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def used_bytes(self) -> int:
        with self._lock:
            return sum(n for _, n in self._items.values())

    def get(self, key: Any, load: Callable[[], tuple[Autoencoder, dict]]) -> tuple[Autoencoder, dict]:
        """The cached ``(model, card)`` of ``key``, else ``load()``'s, kept if it fits."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = load()
        size = model_bytes(value[0])
        if size > self.max_bytes:
            return value
        with self._lock:
            self._items[key] = (value, size)
            total = sum(n for _, n in self._items.values())
            while total > self.max_bytes:
                _, (_, n) = self._items.popitem(last=False)
                total -= n
        return value
