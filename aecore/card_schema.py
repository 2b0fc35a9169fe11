"""The model card's schema: what a card from outside (an upload, a share, the store) may hold.

A card reaches other users' pages (pickers, the share banner, My models), so every field is
checked before anything uses it: its type, its length, its allowed values (``model`` is one of
the registered kinds), how deeply it nests, and the card's total size (:data:`MAX_CARD_BYTES`).
Fields the schema does not declare are dropped; anything else wrong is refused with a
:class:`CardError` naming the field (never echoing its value: it may be crafted text).

:func:`parse_card` parses a card's JSON text once per distinct text and keeps the result by its
hash, so a card shown on every page run of every viewer is not parsed again each time. The
returned dicts are shared: treat them as read-only (copy before changing, as ``{**card}`` does).

torch-free: the store lists cards without importing torch.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import threading
from collections import OrderedDict
from typing import Any

from .config import MODEL_CONFIGS, TrainConfig
from .errors import WeightsError

MAX_CARD_BYTES = 64 * 1024  # a real card is about 1 KB; 64 KB leaves room for long notes
MAX_DEPTH = 4               # card -> metrics -> group -> value is the deepest a real card goes
STORAGES = ("float32", "float16", "int8")
_CONTROL = {chr(c) for c in range(32)} - {"\n", "\t"}  # NUL and friends: jsonb refuses \u0000


class CardError(WeightsError):
    """A card that does not fit the schema; the message names the field, never its value."""


# field kinds: each checks one value and returns it cleaned (or raises CardError)


class Text:
    def __init__(self, max_len: int, choices: tuple[str, ...] | None = None) -> None:
        self.max_len, self.choices = max_len, choices

    def __call__(self, v: Any, path: str) -> str:
        if not isinstance(v, str):
            raise CardError(f"the card's {path} must be text, not {_kind(v)}")
        if len(v) > self.max_len:
            raise CardError(f"the card's {path} is longer than {self.max_len} characters")
        if _CONTROL.intersection(v):
            raise CardError(f"the card's {path} holds control characters")
        if self.choices is not None and v not in self.choices:
            raise CardError(f"the card's {path} must be one of: {', '.join(self.choices)}")
        return v


class Number:
    def __init__(self, whole: bool = False, lo: float = -1e15, hi: float = 1e15) -> None:
        self.whole, self.lo, self.hi = whole, lo, hi

    def __call__(self, v: Any, path: str) -> int | float:
        ok = (int,) if self.whole else (int, float)
        if isinstance(v, bool) or not isinstance(v, ok):
            raise CardError(f"the card's {path} must be {'a whole' if self.whole else 'a'} number, "
                            f"not {_kind(v)}")
        if not math.isfinite(v) or not self.lo <= v <= self.hi:
            raise CardError(f"the card's {path} is out of range (NaN, infinite or too large)")
        return v


class Bool:
    def __call__(self, v: Any, path: str) -> bool:
        if not isinstance(v, bool):
            raise CardError(f"the card's {path} must be true or false, not {_kind(v)}")
        return v


class Optional:
    def __init__(self, inner) -> None:
        self.inner = inner

    def __call__(self, v: Any, path: str) -> Any:
        return None if v is None else self.inner(v, path)


class AnyOf:
    """The first kind that accepts the value (e.g. a config setting: a number or a word)."""

    def __init__(self, *kinds) -> None:
        self.kinds = kinds

    def __call__(self, v: Any, path: str) -> Any:
        for kind in self.kinds:
            try:
                return kind(v, path)
            except CardError:
                continue
        raise CardError(f"the card's {path} has an unexpected type ({_kind(v)})")


class ListOf:
    def __init__(self, item, max_items: int) -> None:
        self.item, self.max_items = item, max_items

    def __call__(self, v: Any, path: str) -> list:
        if not isinstance(v, list):
            raise CardError(f"the card's {path} must be a list, not {_kind(v)}")
        if len(v) > self.max_items:
            raise CardError(f"the card's {path} has more than {self.max_items} items")
        return [self.item(x, f"{path}[{i}]") for i, x in enumerate(v)]


class MapOf:
    """A JSON object with free keys (short, printable) and values of one kind."""

    def __init__(self, value, max_items: int = 64, max_key: int = 40) -> None:
        self.value, self.max_items, self.max_key = value, max_items, max_key

    def __call__(self, v: Any, path: str) -> dict:
        if not isinstance(v, dict):
            raise CardError(f"the card's {path} must be an object, not {_kind(v)}")
        if len(v) > self.max_items:
            raise CardError(f"the card's {path} has more than {self.max_items} entries")
        out = {}
        for k, x in v.items():
            if len(k) > self.max_key or not k.isprintable():
                raise CardError(f"the card's {path} has a key that is too long or not printable")
            out[k] = self.value(x, f"{path}.{k}")
        return out


class Record:
    """A JSON object with declared fields; undeclared ones are dropped, required ones checked."""

    def __init__(self, fields: dict, required: tuple[str, ...] = ()) -> None:
        self.fields, self.required = fields, required

    def __call__(self, v: Any, path: str) -> dict:
        if not isinstance(v, dict):
            raise CardError(f"the card's {path} must be an object, not {_kind(v)}")
        for name in self.required:
            if name not in v:
                raise CardError(f"the card has no {path}.{name}" if path != "card"
                                else f"the card has no {name}")
        return {k: self.fields[k](x, k if path == "card" else f"{path}.{k}")
                for k, x in v.items() if k in self.fields}


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(v), "a number")


# the schema

SHORT = Text(40)
SETTING = AnyOf(Number(), Bool(), Text(40), ListOf(Number(whole=True, lo=0, hi=1_000_000), 16),
                ListOf(Text(60), 256))  # the last: a tabular AE's column names
MEASURE = Optional(Number())
METRICS = MapOf(AnyOf(MEASURE, MapOf(MEASURE)))  # metrics, or named groups of them
_TRAIN_FIELDS = set(TrainConfig.__dataclass_fields__)


@functools.lru_cache(maxsize=8)
def _card_schema(kinds: tuple[str, ...]) -> Record:
    """The card's schema for the model kinds registered now: a module may register a kind after
    this one is imported (a new type's own module, a test's toy type)."""
    config_fields = {f for k in kinds for f in MODEL_CONFIGS[k].__dataclass_fields__} | {"kind"}
    return Record({**_CARD_FIELDS, "model": Text(20, kinds),
                   "config": Record({f: SETTING for f in config_fields})},
                  required=("model", "config"))


_CARD_FIELDS = {
    "format_version": Number(whole=True, lo=0, hi=1000),
    "created": SHORT, "torch": SHORT, "data": SHORT, "source": SHORT,
    "storage": Text(10, STORAGES),
    "name": Text(120), "title": Text(120), "description": Text(4000), "command": Text(2000),
    "train": Record({f: Optional(SETTING) for f in _TRAIN_FIELDS}),
    "epochs": Number(whole=True, lo=0, hi=100_000), "seed": Number(whole=True),
    "best_epoch": Optional(Number(whole=True, lo=0, hi=100_000)),
    "threads": Number(whole=True, lo=0, hi=4096), "train_seconds": Number(lo=0),
    "cancelled": Bool(),
    "metrics": METRICS, "check": METRICS,
    # the run's loss curves (aecore.train.History.card_curve): a few named lists, one per epoch
    "curve": MapOf(ListOf(MEASURE, 1000), max_items=8),
}


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests (a scalar is 0, ``{}`` is 1), counted without recursion and
    stopping once past ``limit``, so a crafted 10,000-deep card costs nothing and raises nothing."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            d += 1
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((x, d) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def check_card(card: Any) -> dict:
    """``card`` checked against the schema: a new dict with the declared fields only.

    Raises :class:`CardError` for a card that is not an object, nests deeper than
    :data:`MAX_DEPTH`, exceeds :data:`MAX_CARD_BYTES` as JSON, holds NaN or infinities, or has a
    field of the wrong type, length or value (``model`` must be a registered kind, and the
    config's ``kind``, when given, the same one).
    """
    if not isinstance(card, dict):
        raise CardError(f"the card must be a JSON object, not {_kind(card)}")
    if depth(card) > MAX_DEPTH:
        raise CardError(f"the card nests more than {MAX_DEPTH} levels deep")
    try:
        size = len(json.dumps(card, allow_nan=False, ensure_ascii=False).encode())
    except (TypeError, ValueError) as exc:  # NaN/infinity, or not JSON data at all
        raise CardError("the card holds values JSON cannot carry (NaN, infinity or "
                        "non-JSON objects)") from exc
    if size > MAX_CARD_BYTES:
        raise CardError(_too_big(size))
    if isinstance(card.get("model"), str) and card["model"] not in MODEL_CONFIGS:
        raise CardError(f"unknown model type in the card; known: {', '.join(MODEL_CONFIGS)}")
    out = _card_schema(tuple(MODEL_CONFIGS))(card, "card")
    kind = out["config"].get("kind")
    if kind is not None and kind != out["model"]:
        raise CardError("the card's config.kind differs from its model type")
    return out


_CACHE_SIZE = 256  # distinct cards kept parsed: 256 x 64 KB at most
_cache: OrderedDict[str, dict] = OrderedDict()
_cache_lock = threading.Lock()


def parse_card(text: str | bytes) -> dict:
    """A card's JSON text, size-checked, parsed and checked (:func:`check_card`), once per
    distinct text: the result is kept by the text's SHA-256 (least recently used dropped first)
    and shared by every caller; do not change it."""
    raw = text.encode() if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_CARD_BYTES:
        raise CardError(_too_big(len(raw)))
    key = hashlib.sha256(raw).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        card = json.loads(raw, parse_constant=_no_constant)
    except RecursionError as exc:
        raise CardError(f"the card nests more than {MAX_DEPTH} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise CardError(f"the card is not valid JSON ({exc})") from exc
    card = check_card(card)
    with _cache_lock:
        _cache[key] = card
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return card


def _too_big(size: int) -> str:
    return (f"the card is {size:,} bytes; at most {MAX_CARD_BYTES:,} bytes "
            f"({MAX_CARD_BYTES // 1024} KB) are accepted")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
