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


def bf16_fast(device: torch.device | str = "cpu") -> bool:
    """Whether bfloat16 matmuls beat float32 ones on ``device``: a CUDA GPU that supports bf16,
    or a CPU with AVX-512 BF16 or AMX (read from /proc/cpuinfo; False where that is missing)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if dev.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False
