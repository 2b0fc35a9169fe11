"""Device choice: a GPU when present (CUDA, then Apple MPS), else the CPU. Never required."""
from __future__ import annotations

import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """The device to train on: ``prefer`` if given and available, else cuda > mps > cpu."""
    if prefer == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
