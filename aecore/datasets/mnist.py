"""MNIST, bundled in ``data/`` and checked by SHA-256 (Y. LeCun, C. Cortes, C. J. C. Burges)."""
from __future__ import annotations

from .. import data
from . import DataSet, register_dataset


def _load(split: str) -> data.Split:
    # data.DATA_DIR read at call time: tests move it
    return data.to_split(*data.read_idx_split(data.DATA_DIR, split), "bundled in data/")


MNIST = register_dataset(DataSet(
    name="mnist", label="MNIST digits", shape=(1, 28, 28),
    classes=tuple(str(i) for i in range(10)), item="digit",
    source="bundled in data/ (60,000 training and 10,000 test digits)",
    licence="CC BY-SA 3.0", credit="Y. LeCun, C. Cortes, C. J. C. Burges",
    load=_load, summary="Handwritten digits 0-9, 28x28 grey."))
