"""Device choice: a GPU when present (CUDA, then Apple MPS), else the CPU. Never required.

Also the training precision: bf16 autocast only where a short probe measures it faster than fp32
on this machine (CPU flags alone mislead: AMX-BF16 bought nothing in our training loop on one
Xeon, while a CPU without bf16 units runs it 100x slower).
"""
from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any, Callable

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
    """Whether bf16 autocast trains faster than fp32 on ``device``, by measurement
    (:func:`training_precision`); kept under its old name for existing callers."""
    return training_precision(device) == "bf16"


# precision by measurement

# The probe: one training step (forward + backward) of a 784-256-784 MLP on a batch of 64, the
# layer shapes of the Train page's dense models. A whole step, not a bare matmul, because under
# autocast every step also casts weights and activations: on a CPU whose bf16 matmuls are fast
# (AMX) those casts can eat the gain, and only a step shows it. About 0.15 GFLOP: a few ms in fp32.
PROBE_BATCH, PROBE_SIZES = 64, (784, 256, 784)
BF16_MIN_GAIN = 1.2  # bf16 rounds activations to 8 bits of mantissa: pick it only when clearly faster
_PROBE_REPS = 5
_precision_memo: dict[str, str] = {}  # in-process: the probe runs at most once per process


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``'s "model name"; ``platform`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def matmul_gflops(n: int = 1024, dtype: torch.dtype = torch.float32, reps: int = 10) -> float:
    """Best-of-``reps`` GFLOP/s of one (n x n) @ (n x n) matmul on the CPU at torch's current
    thread count: the machine's practical peak, to report a training loop's fraction of it."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b  # warm-up: thread pool and the BLAS's first-call set-up
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def probe_steps() -> Callable[[str], float]:
    """A probe: ``step(precision) -> seconds`` runs one training step (forward + backward) of the
    ``PROBE_SIZES`` MLP on a batch of ``PROBE_BATCH`` on the CPU, in "fp32" or "bf16" autocast."""
    gen = torch.Generator().manual_seed(0)
    sizes = PROBE_SIZES
    ws = [(torch.randn(o, i, generator=gen) / i ** 0.5).requires_grad_()
          for i, o in zip(sizes, sizes[1:])]  # (out, in) each
    x = torch.rand(PROBE_BATCH, sizes[0], generator=gen)  # (64, 784)

    def step(precision: str) -> float:
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            h = x
            for i, w in enumerate(ws):
                h = h @ w.t()
                h = torch.relu(h) if i < len(ws) - 1 else h
        h.float().square().mean().backward()
        for w in ws:
            w.grad = None
        return time.perf_counter() - t0

    return step


def compare_precisions(step: Callable[[str], float], reps: int = _PROBE_REPS) -> tuple[float, float]:
    """(fp32, bf16) seconds of a probe step: the fastest of ``reps`` each, after one untimed
    warm-up each (oneDNN builds its bf16 kernels on first use). The two alternate, so both see
    the same load on a shared machine, and the fastest is the one least disturbed by it. bf16 is
    given up after a round where it is over 3x slower (a CPU without bf16 units can be 100x
    slower: no need to wait for that)."""
    step("fp32"), step("bf16")
    best = {"fp32": math.inf, "bf16": math.inf}
    for _ in range(reps):
        for p in best:
            best[p] = min(best[p], step(p))
        if best["bf16"] > 3 * best["fp32"]:
            break
    return best["fp32"], best["bf16"]


def choose_precision(fp32_s: float, bf16_s: float, min_gain: float = BF16_MIN_GAIN) -> str:
    """"bf16" if a bf16 probe step is at least ``min_gain`` times faster than an fp32 one, else
    "fp32" (also when a timing is missing, zero or NaN: fp32 is always correct)."""
    if not (fp32_s > 0 and bf16_s > 0) or math.isinf(fp32_s):
        return "fp32"
    return "bf16" if fp32_s / bf16_s >= min_gain else "fp32"


def _cache_file() -> Path:
    from .store import data_dir  # local: the store's modules are not needed to pick a device
    return data_dir() / "precision.json"


def machine_key() -> str:
    """What a cached precision choice is valid for: CPU model, torch version, thread count."""
    return f"{cpu_model()} | torch {torch.__version__} | {torch.get_num_threads()} threads"


def measured_precision(cache: Path | None = None,
                       step: Callable[[str], float] | None = None) -> dict[str, Any]:
    """The training precision this CPU runs faster, by measurement: ``{"precision", "fp32_s",
    "bf16_s", "key", "cached"}``.

    Looked up first in the JSON file ``cache`` (default ``<data dir>/precision.json``) under
    :func:`machine_key`; on a miss :func:`compare_precisions` runs the probe (well under a second
    on an idle machine) and the result is stored there. An unreadable or unwritable cache only
    means measuring again. ``step(precision) -> seconds`` replaces :func:`probe_steps`' probe
    (tests inject timings through it).
    """
    path = cache or _cache_file()
    key = machine_key()
    try:
        entry = json.loads(path.read_text(encoding="utf-8")).get(key)
        if isinstance(entry, dict) and entry.get("precision") in ("fp32", "bf16"):
            return {**entry, "key": key, "cached": True}
    except (OSError, ValueError, AttributeError):
        pass  # no cache yet, or a damaged one: measure
    fp32_s, bf16_s = compare_precisions(step or probe_steps())
    entry = {"precision": choose_precision(fp32_s, bf16_s), "fp32_s": fp32_s, "bf16_s": bf16_s}
    try:
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
            table = table if isinstance(table, dict) else {}
        except (OSError, ValueError):
            table = {}
        table[key] = entry
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table, indent=1), encoding="utf-8")
        tmp.replace(path)  # atomic: two processes measuring at once never leave half a file
    except OSError:
        pass  # a read-only folder: the choice holds for this process only
    return {**entry, "key": key, "cached": False}


def training_precision(device: torch.device | str = "cpu") -> str:
    """The precision the Train page trains in on ``device``: on a CPU, the faster one by
    :func:`measured_precision` (once per process, cached per machine); on a CUDA GPU, bf16 where
    it is supported; fp32 anywhere else."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    if dev.type != "cpu":
        return "fp32"
    if "cpu" not in _precision_memo:
        _precision_memo["cpu"] = measured_precision()["precision"]
    return _precision_memo["cpu"]
