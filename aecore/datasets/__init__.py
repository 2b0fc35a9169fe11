"""Data sets: the one declaration of each image data set the pages, the Train form, the presets,
the zoo and the command line offer, as :mod:`aecore.model_types` is for model types.

A :class:`DataSet` declares, as data, its name and label, its shape (C, H, W), its class names
(or none), the word for one item ("digit", "garment", "photo patch", "image"), where its files
come from, its licence and credit line, its splits, and the model kinds that fit it; and one
``load(split)`` function that returns an :class:`aecore.data.Split`. A new data set is one module
that calls :func:`register_dataset` (see ``tests/test_datasets.py``, which adds a toy one).
:func:`aecore.data.load_split` reads every data set through this registry.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import DatasetError

if TYPE_CHECKING:
    from ..data import Split

def plural(item: str) -> str:
    """The plural of a data set's word for one item: "digit" -> "digits", "photo patch" ->
    "photo patches"."""
    return item + ("es" if item.endswith(("ch", "sh", "s", "x")) else "s")


@dataclass(frozen=True)
class DataSet:
    """One data set: its words, its shape, where it comes from, and how to read a split."""

    name: str                     # the key in cards, URLs and ``--dataset``: "fashion-mnist"
    label: str                    # what a user reads: "Fashion-MNIST"
    shape: tuple[int, int, int]   # (C, H, W) of one item
    classes: tuple[str, ...] | None  # class names by label, or None (unlabelled)
    item: str                     # one item: "digit", "garment", "photo patch", "image"
    source: str                   # where its files come from, in words
    licence: str
    credit: str
    load: Callable[[str], "Split"]  # split name -> Split; raises DatasetError saying how to get it
    splits: tuple[str, ...] = ("train", "test")
    kinds: tuple[str, ...] | None = None  # model kinds that fit; None: every image kind
    summary: str = ""

    @property
    def items(self) -> str:
        """The plural word: "digits", "photo patches"."""
        return plural(self.item)

    @property
    def colour(self) -> bool:
        return self.shape[0] == 3

    def class_name(self, label: int) -> str:
        """The name of class ``label``, or its number where the set has no names."""
        if self.classes is None or not 0 <= label < len(self.classes):
            return str(label)
        return self.classes[label]

    def fits(self, kind: str, conditional: bool = False) -> bool:
        """Whether an image model kind can be trained on this set (a conditional one needs
        class labels)."""
        if conditional and not self.classes:
            return False
        return self.kinds is None or kind in self.kinds


DATASETS: dict[str, DataSet] = {}


def register_dataset(d: DataSet) -> DataSet:
    """Add a data set to :data:`DATASETS` (the pickers' list, in registration order)."""
    if d.name in DATASETS and DATASETS[d.name] is not d:
        raise DatasetError(f"a data set named {d.name!r} is registered already")
    if len(d.shape) != 3 or d.shape[0] not in (1, 3):
        raise DatasetError(f"data set {d.name!r}: shape must be (1 or 3, H, W), got {d.shape}")
    DATASETS[d.name] = d
    return d


def unregister_dataset(name: str) -> None:
    """Remove a data set (tests that add a toy set clean up after themselves)."""
    DATASETS.pop(name, None)
    from ..data import forget
    forget(name)


def get_dataset(name: str) -> DataSet:
    """A data set by name; an unknown name is a :class:`DatasetError` listing the known ones."""
    if name not in DATASETS:
        raise DatasetError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def card_dataset(card: dict) -> str:
    """The data set a model card's model was trained on: its ``data`` field (or its train
    config's ``dataset``); a card without one was trained on MNIST."""
    data = card.get("data") if isinstance(card, dict) else None
    train = card.get("train") if isinstance(card, dict) else None
    if not isinstance(data, str) and isinstance(train, dict):
        data = train.get("dataset")
    return data if isinstance(data, str) and data else "mnist"


def retarget(model_cfg, train_cfg, name: str):
    """``(model_cfg, train_cfg)`` set to train on data set ``name``: its name in the train
    config and its (C, H, W) as the model's input shape; ConfigError where the kind cannot
    fit it (a conditional model on a set without classes)."""
    from ..config import replace
    from ..errors import ConfigError
    d = get_dataset(name)
    if getattr(type(model_cfg), "kind", "") == "cvae" and not d.classes:
        raise ConfigError(f"a conditional VAE needs class labels; {d.label} has none")
    if hasattr(model_cfg, "shape") and tuple(model_cfg.shape) != d.shape:
        model_cfg = replace(model_cfg, shape=d.shape)
    return model_cfg, replace(train_cfg, dataset=name)


def search_roots() -> list[Path]:
    """Folders searched for a user's copy of a data set: each in ``AE_DATASETS`` (a path list,
    ``:``-separated), then ``~/.cache/aecore/datasets`` (where ``python -m aecore fetch`` saves)."""
    roots = [Path(p).expanduser() for p in os.environ.get("AE_DATASETS", "").split(os.pathsep) if p]
    return [*roots, cache_root()]


def cache_root() -> Path:
    """Where ``python -m aecore fetch`` downloads to: the first ``AE_DATASETS`` folder, else
    ``~/.cache/aecore/datasets``."""
    first = os.environ.get("AE_DATASETS", "").split(os.pathsep)[0]
    return Path(first).expanduser() if first else Path.home() / ".cache" / "aecore" / "datasets"


# the shipped data sets register themselves on import, in the pickers' order
from . import mnist, fashion, photos, cifar10  # noqa: E402,F401
