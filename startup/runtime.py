"""Process-wide runtime settings that start-up owns: torch's thread count and the garbage
collector's frozen generation.

Importing this module imports neither streamlit nor torch.
"""
from __future__ import annotations

import gc
import sys
import threading

_threads: int | None = None
_threads_lock = threading.Lock()


def configure_torch_threads() -> int:
    """Set torch's process-wide thread count once: the training manager's share per job
    (cores // concurrent trainings), which is also plenty for inference on 28x28 digits."""
    global _threads
    with _threads_lock:
        if _threads is None:
            import torch

            from aecore.jobs import get_manager
            _threads = get_manager().threads_per_job
            torch.set_num_threads(_threads)
        return _threads


_frozen_at = 0  # len(sys.modules) at the last freeze


def freeze_imports() -> bool:
    """Collect, then move every object alive now (modules, classes, functions of the imports)
    to the garbage collector's permanent generation, when modules were imported since the last
    time (a page's first visit imports its own); returns whether it froze.

    Why: Streamlit runs a full ``gc.collect(2)`` after every script and fragment run
    (``runner.postScriptGC``); with torch and plotly imported that walks some 230,000 long-lived
    objects, about 110 ms on this kind of CPU, in every slider step. Frozen, they are skipped, so
    that collection only walks what the app made since: the cycles it is there to free are
    still freed. The frame calls this after every run (a cheap ``len(sys.modules)`` check), and
    :mod:`startup.warmup` after each library it imports, so the collection before a freeze, which
    walks every object not yet frozen, is not paid by a page's run (``benchmarks/ui_latency.py``).

    Called at most once per new set of modules, so few objects that are not import-time ones are
    frozen (a frozen object is still freed by reference counting, only not by the cycle
    collector). Not thread-safe by itself: two callers may both freeze, which is harmless."""
    global _frozen_at
    if len(sys.modules) == _frozen_at:
        return False
    _frozen_at = len(sys.modules)
    gc.collect()
    gc.freeze()  # not gc.get_freeze_count(): it walks the permanent generation (~35 ms)
    return True
