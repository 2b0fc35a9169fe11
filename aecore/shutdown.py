"""A bounded server stop: on SIGTERM the process is gone within ``BUDGET_S`` seconds, whatever
the sessions, and running trainings keep their best epoch first.

Service managers (systemd, docker) wait 10 s after SIGTERM, then kill. Streamlit's own stop closes
every session and waits for them, past those 10 s with a class open (benchmarks/store.py).
The handler installed here, in order:

1. calls the previous handler (Streamlit's: it starts closing the websockets and sessions);
2. on a helper thread, stops the training service (:func:`aecore.jobs.stop_manager`): every
   running training is cancelled and its best epoch handed to its ``on_result`` (the model
   library saves it, marked "interrupted"), waiting at most ``BUDGET_S - 0.8`` s;
3. if the process is still alive at ``BUDGET_S`` s, flushes the logs and ends it with
   ``os._exit(0)``. Everything saved is already durable (fsynced files, committed rows).

Signal handlers can only be set on the main thread; a Streamlit script runs on another one, so
:func:`install_via_loop` schedules the installation on the server's event loop (main thread).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

BUDGET_S = 2.5  # under the 3 s asked, with room for the interpreter's own exit
_installed = False
_lock = threading.Lock()


def _stop(started: float, budget_s: float) -> None:
    from .jobs import stop_manager
    try:
        stop_manager(timeout=max(0.2, budget_s - 0.8))
    finally:
        left = started + budget_s - time.monotonic()
        if left > 0:
            time.sleep(left)  # Streamlit may finish its own stop meanwhile: then we never get here
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed pipe must not keep the process alive
                pass
        os._exit(0)


def make_handler(previous: Any, budget_s: float = BUDGET_S):
    """A SIGTERM handler that chains to ``previous`` and bounds the stop to ``budget_s``."""
    fired = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if fired.is_set():  # a second SIGTERM: already stopping
            return
        fired.set()
        threading.Thread(target=_stop, args=(time.monotonic(), budget_s), name="ae-stop",
                         daemon=True).start()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # nothing else stops the process: our thread will
            pass

    return handler


def install(budget_s: float = BUDGET_S) -> bool:
    """Install the bounded SIGTERM handler (main thread only; once per process). True if it is
    installed now or was before."""
    global _installed
    with _lock:
        if _installed:
            return True
        if threading.current_thread() is not threading.main_thread():
            return False
        signal.signal(signal.SIGTERM, make_handler(signal.getsignal(signal.SIGTERM), budget_s))
        _installed = True
        return True


def install_via_loop(loop: Any, budget_s: float = BUDGET_S) -> None:
    """Install from any thread by running :func:`install` on ``loop`` (an asyncio loop that
    runs on the main thread, e.g. the Streamlit server's)."""
    if not _installed:
        loop.call_soon_threadsafe(install, budget_s)
