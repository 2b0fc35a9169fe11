"""Warm the server at start (``server.py``'s lifespan), on a helper thread, while the server
already answers. Two phases:

1. what every first run imports and what the Home page shows: torch, the pages' shared modules,
   the Home page's model, the test digits, the model library. The first script run waits for
   this (:func:`wait`, at the top of ``app.py``) instead of importing the same modules at the
   same time on its own thread: one thread imports, so no two threads ever hold each other's
   module locks, and the run starts with everything in place;
2. once the first page has been served and drawn (:func:`page_ran`, from ``app.py``, then
   ``SETTLE_S``; or after ``FIRST_PAGE_WAIT_S``): what the other pages' first visits would
   load, so a click on them finds it ready: every zoo model (Bottleneck alone loads seven: 2.3 s of its first visit), the
   PCA and its test error at the sweep's code sizes (Bottleneck), every shipped VAE's KL per
   dimension over the test set (Generate shows four: 0.4 s). The pages read the same cached
   loaders. It imports no module a page may import at the same time: a library imported on
   this thread while a page's run imported an overlapping set of modules (scikit-learn here,
   pandas through Plotly there) handed the page a half-initialised module, which Python allows
   for imports that would otherwise deadlock. So scikit-learn (about 2 s of the Anomaly page's
   first visit) is still imported by the first page that needs it.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

_LOG = logging.getLogger(__name__)
_done = threading.Event()        # phase 1 finished
_first_page = threading.Event()  # a script run finished
_finished = threading.Event()    # both phases finished (or failed)
_quiet = threading.Event()       # no page run is in progress (run_started / page_ran)
_quiet.set()
_runs = 0
_runs_lock = threading.Lock()
_started = False
HOME_MODEL = "ae_k32"  # app.py's home page opens this zoo model first
FIRST_PAGE_WAIT_S = 20.0  # the second phase starts by then even if no browser came
SETTLE_S = 1.0  # after the first page's run: the browser is still drawing it


def _phase1() -> None:
    import torch  # noqa: F401 - the heavy one: about 2 s on the 2-core machine
    import plotly.graph_objects  # noqa: F401

    from ui import (catalog, charts, library, loaders, owner, preload,  # noqa: F401
                    presenter, query, share, widgets)
    loaders.configure_runtime()
    loaders.zoo_model(HOME_MODEL)
    loaders.mnist_split("test")
    library.store()


def _phase2() -> None:
    from ui import loaders
    cards = loaders.cards()
    for name, card in cards.items():
        _step_aside()
        try:
            loaders.zoo_model(name)
            if card.get("model") == "vae":
                loaders.zoo_test_kl(name)
        except Exception:  # noqa: BLE001 - a broken file: the page that shows it says so
            _LOG.warning("warm-up: zoo model %s did not load", name)
    _step_aside()
    loaders.pca()
    from aecore.zoo import OVERCOMPLETE, zoo_sweep
    ks = tuple(k for n, k in zoo_sweep(cards) if n != OVERCOMPLETE)
    if ks:
        loaders.pca_test_mse(ks)  # the Bottleneck page's PCA line, over the 10,000 test digits


def _step_aside(most_s: float = 30.0) -> None:
    # a page run holds the floor: wait (at most most_s) until no page runs, so the warm-up's
    # CPU and GIL never slow a click that is being answered
    _quiet.wait(most_s)


def _warm() -> None:
    t0 = time.perf_counter()
    # hand the GIL back to the server's event loop every 0.5 ms instead of 5: it serves the
    # page's scripts and messages meanwhile
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        try:
            _phase1()
        finally:
            sys.setswitchinterval(interval)
            _done.set()
        # the first browser's page before the rest: its run, then its drawing in the browser
        # (about a second on 2 cores, which this phase's CPU would slow: Home 6.4-7.7 s -> 5.6-6.0)
        if _first_page.wait(FIRST_PAGE_WAIT_S):
            time.sleep(SETTLE_S)
        _phase2()
        _LOG.info("warm-up done in %.2f s", time.perf_counter() - t0)
    except Exception:  # noqa: BLE001 - a warm-up only saves time; the pages report real errors
        _LOG.exception("warm-up failed; the pages load what they need themselves")
    finally:
        _finished.set()


def start() -> None:
    """Start warming on a daemon thread (once per process)."""
    global _started
    if not _started:
        _started = True
        threading.Thread(target=_warm, name="ae-warmup", daemon=True).start()


def wait(timeout: float = 120.0) -> None:
    """Until the first phase started by :func:`start` is done; at once where none was started."""
    if _started:
        _done.wait(timeout)


def run_started() -> None:
    """A page run began: the second phase waits between its steps until it ends (cheap; call
    at the start of every full run, with :func:`page_ran` at its end)."""
    global _runs
    with _runs_lock:
        _runs += 1
        _quiet.clear()


def page_ran() -> None:
    """A script run finished: the second phase may start, or go on (cheap; call after every
    run, also one cut short)."""
    global _runs
    with _runs_lock:
        _runs = max(0, _runs - 1)
        if _runs == 0:
            _quiet.set()
    _first_page.set()
