"""The shipped models in ``pretrained/``: list their cards, load them by name.

Importing this module does not import torch (the weights are read by :func:`load_zoo_model`):
the app's frame and the Home page's first draw list the cards before torch is imported
(:mod:`startup.warmup`).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import WeightsError
from .presets import ZOO

if TYPE_CHECKING:
    from .models import Autoencoder

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def zoo_path(name: str, folder: Path | None = None) -> Path:
    """Path of a shipped model's weights; names are checked so a URL cannot walk the disk."""
    if not _NAME.match(name or ""):
        raise WeightsError(f"{name!r} is not a valid model name")
    return (folder or PRETRAINED_DIR) / f"{name}.safetensors"


def zoo_cards(folder: Path | None = None) -> dict[str, dict]:
    """Cards of every model in ``pretrained/`` by name, in recipe order; unreadable cards are
    skipped here (loading that model then reports the problem)."""
    folder = folder or PRETRAINED_DIR
    cards: dict[str, dict] = {}
    names = [n for n in ZOO] + sorted(p.stem for p in folder.glob("*.json") if p.stem not in ZOO)
    for name in names:
        p = folder / f"{name}.json"
        try:
            cards[name] = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
    return cards


def load_zoo_model(name: str, folder: Path | None = None) -> tuple[Autoencoder, dict]:
    """Load a shipped model by name: (model in eval mode, card). Raises :class:`WeightsError`."""
    from .weights import load_model
    return load_model(zoo_path(name, folder))


_SWEEP = re.compile(r"^(?:[a-z0-9]+_)?ae_k(\d+)$")  # ae_k8 (MNIST), fashion_ae_k8, photos_ae_k32
OVERCOMPLETE = "ae_overcomplete"  # the sweep's model with a code bigger than the image


def zoo_sweep(cards: dict[str, dict], dataset: str = "mnist") -> list[tuple[str, int]]:
    """The bottleneck sweep in the zoo (the Bottleneck page) for data set ``dataset``: (name, k)
    of every ``ae_kN`` / ``<set>_ae_kN`` card trained on that set, by k, then the overcomplete
    model if shipped for it (MNIST's ``ae_overcomplete``)."""
    from .datasets import card_dataset  # here: the data sets' modules are not needed to list cards
    out = sorted(((n, int(c.get("config", {}).get("latent_dim") or m.group(1)))
                  for n, c in cards.items()
                  if (m := _SWEEP.match(n)) and card_dataset(c) == dataset), key=lambda t: t[1])
    if OVERCOMPLETE in cards and card_dataset(cards[OVERCOMPLETE]) == dataset:
        out.append((OVERCOMPLETE, int(cards[OVERCOMPLETE].get("config", {}).get("latent_dim", 0))))
    return out
