"""Warm the server at start (``server.py``'s lifespan): import what every first page run imports
and load what the Home page shows, on a helper thread, while the server already answers.

The first script run waits for it (:func:`wait`, at the top of ``app.py``) instead of importing
the same modules at the same time on its own thread: one thread imports, so no two threads ever
hold each other's module locks, and the run starts with everything in place.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

_LOG = logging.getLogger(__name__)
_done = threading.Event()
_started = False
HOME_MODEL = "ae_k32"  # app.py's home page opens this zoo model first


def _warm() -> None:
    t0 = time.perf_counter()
    # hand the GIL back to the server's event loop every 0.5 ms instead of 5: it serves the
    # page's scripts meanwhile, which waited on this thread's imports (page load 0.8 -> 1.8 s)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        import torch  # noqa: F401 - the heavy one: about 2 s on the 2-core machine
        import plotly.graph_objects  # noqa: F401

        from ui import catalog, charts, library, loaders, owner, presenter, query, share, widgets  # noqa: F401
        loaders.configure_runtime()
        loaders.zoo_model(HOME_MODEL)
        loaders.mnist_split("test")
        library.store()
    except Exception:  # noqa: BLE001 - a warm-up only saves time; the page reports real errors
        _LOG.exception("warm-up failed; the first page run does the work itself")
    finally:
        sys.setswitchinterval(interval)
        _done.set()
        _LOG.info("warm-up done in %.2f s", time.perf_counter() - t0)


def start() -> None:
    """Start warming on a daemon thread (once per process)."""
    global _started
    if not _started:
        _started = True
        threading.Thread(target=_warm, name="ae-warmup", daemon=True).start()


def wait(timeout: float = 120.0) -> None:
    """Until the warm-up started by :func:`start` is done; at once where none was started."""
    if _started:
        _done.wait(timeout)
