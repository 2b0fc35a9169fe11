"""When each owner last had a session: the app notes it on every page run, and the training
queue cancels the jobs of owners gone for longer than ``AE_ABANDONED_JOB_MIN`` minutes
(:mod:`aecore.jobs`), so a closed tab does not keep a shared server's cores busy.

Per process and in memory (a training runs in the process of the session that started it), and
torch-free: the app's frame records presence before torch is imported.
"""
from __future__ import annotations

import threading
import time

_seen: dict[str, float] = {}
_lock = threading.Lock()
MAX_OWNERS = 100_000  # a server that has seen more forgets the longest gone first


def seen(owner: str, now: float | None = None) -> None:
    """Note that ``owner`` has a session now."""
    with _lock:
        _seen.pop(owner, None)  # re-insert: the dict stays ordered by last sight
        _seen[owner] = time.time() if now is None else now
        while len(_seen) > MAX_OWNERS:
            _seen.pop(next(iter(_seen)))


def last_seen(owner: str) -> float | None:
    """When ``owner`` last had a session in this process (Unix seconds), or None if never."""
    with _lock:
        return _seen.get(owner)
