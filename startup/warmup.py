"""Warm the server at start (``server.py``'s lifespan), on a helper thread, while the server
already answers, in the order :mod:`startup.plan` derives from the pages' declarations
(``views/specs.py``). One thread imports at a time: a library imported on this thread while a
page's run imported an overlapping set of modules once handed the page a half-initialised module,
which Python allows for imports that would otherwise deadlock. So a run waits for the step it
needs, and this thread imports only while no run does. The phases:

0. the frame's modules (:func:`wait_frame`, at the top of ``app.py``): Streamlit's widgets, the
   catalogue, the model library. None imports torch. A page declared without torch
   (``Needs(torch=False)``: Home draws its default model's shipped preview) is served now;
1. torch, the core's modules the loaders use, the first page's default model, the test digits.
   It starts as soon as the first page's run has ended (:func:`page_ran`; the browser draws it
   meanwhile), at once when a run needs torch (:func:`need_torch`, which waits for it), or
   ``BROWSER_WAIT_S`` after the start if no browser came. Not sooner: importing torch holds the
   GIL for about 2 s on 2 cores, and a first page whose own run shared it was drawn a second later
   (``benchmarks/startup.py``); not later: a click soon after the first page waited for it;
2. once the first page has been drawn (:func:`page_ran`, then ``SETTLE_S``; or after
   ``FIRST_PAGE_WAIT_S``): what the other pages' first visits would load, page by page
   (:func:`startup.plan.warm_order`): the libraries each imports (``Needs.libraries``), then the
   loaders it calls (``Needs.warm``, :data:`STEPS`), so a click on it finds them ready. It
   steps aside while a page runs; while it imports a library, a run that starts waits for that
   import to end (:func:`run_started`). After each import it freezes what came in
   (:func:`startup.runtime.freeze_imports`), so no page run collects it.
"""
from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from typing import Callable

_LOG = logging.getLogger(__name__)
_frame = threading.Event()       # phase 0 finished
_go = threading.Event()          # phase 1 may start: the first page's run has ended
_now = threading.Event()         # phase 1 must start: a run needs torch
_done = threading.Event()        # phase 1 finished
_first_page = threading.Event()  # a script run finished
_first_page_at = 0.0             # when (time.monotonic()) the first script run finished
_finished = threading.Event()    # every phase finished (or failed)
_quiet = threading.Event()       # no page run is in progress (run_started / page_ran)
_quiet.set()
_runs = 0
_runs_lock = threading.Lock()
_importing = threading.Lock()  # held by this thread while it imports a library in phase 2
_started = False
BROWSER_WAIT_S = 3.0  # phase 1 starts by then even if no browser came
FIRST_PAGE_WAIT_S = 20.0  # the second phase starts by then even if no browser came
SETTLE_S = 1.0  # after the first page's run: the browser is still drawing it
WAIT_TEXT = "Loading PyTorch: once, after the server starts..."  # need_torch's spinner


def _phase0() -> None:
    from aecore import shipped  # noqa: F401
    from ui import (catalog, charts, library, loaders, owner, presenter, query,  # noqa: F401
                    share, widgets)

    from . import plan, preload  # noqa: F401


def _phase1() -> None:
    import torch  # noqa: F401 - the heavy one: about 2 s on the 2-core machine

    # what ui.loaders imports when first called
    from aecore import evaluate, latent, models, pca, precomputed, weights  # noqa: F401
    from ui import library, loaders
    from views.specs import PAGES

    from .runtime import configure_torch_threads
    configure_torch_threads()
    loaders.zoo_model(PAGES[0].defaults["model"])  # the default page's model (others' too)
    loaders.mnist_split("test")
    library.store()


def _zoo_models() -> None:
    # every zoo model (Bottleneck alone loads seven), each between two page runs
    from ui import loaders
    for name in loaders.cards():
        _step_aside()
        try:
            loaders.zoo_model(name)
        except Exception:  # noqa: BLE001 - a broken file: the page that shows it says so
            _LOG.warning("warm-up: zoo model %s did not load", name)


def _pca_sweep() -> None:
    # the PCA and its test error at the zoo sweep's code sizes, over the 10,000 test digits
    from aecore.zoo import OVERCOMPLETE, zoo_sweep
    from ui import loaders
    loaders.pca()
    ks = tuple(k for n, k in zoo_sweep(loaders.cards()) if n != OVERCOMPLETE)
    if ks:
        _step_aside()
        loaders.pca_test_mse(ks)


def _vae_kl() -> None:
    # every shipped VAE's KL per dimension over the test set
    from ui import loaders
    for name, card in loaders.cards().items():
        if card.get("model") == "vae":
            _step_aside()
            try:
                loaders.zoo_test_kl(name)
            except Exception:  # noqa: BLE001 - as in _zoo_models
                _LOG.warning("warm-up: zoo model %s did not load", name)


def _word_codes() -> None:
    # every shipped word AE's codes of the bundled word list
    from ui import catalog, loaders
    for name, card in loaders.cards().items():
        if catalog.words_model(card):
            _step_aside()
            loaders.zoo_word_codes(name)


def _detection_figures() -> None:
    # alone: plotly imports a trace type's modules on its first use
    from .runtime import freeze_imports
    _alone(lambda: (_first_calls(), freeze_imports()))


# the loaders a page may declare in ``Needs.warm``, by name
STEPS: dict[str, Callable[[], None]] = {
    "zoo_models": _zoo_models, "pca_sweep": _pca_sweep, "vae_kl": _vae_kl,
    "word_codes": _word_codes,
    "detection_figures": _detection_figures}


def _phase2() -> None:
    from . import plan
    from .runtime import freeze_imports
    _alone(freeze_imports)  # phase 1's imports (torch): see _import_alone
    for what, name in plan.warm_order():
        if what == "import":
            _import_alone(name)
        else:
            _step_aside()
            STEPS[name]()


def _first_calls() -> None:
    # a library's first call on a code path costs several times the next ones (plotly builds a
    # trace type's validators, scikit-learn and pyarrow import submodules): make them here, on
    # a tiny input, not in the first run of the page that needs them (the Anomaly page's
    # threshold panel, histogram, ROC and table)
    import numpy as np
    from streamlit import dataframe_util

    from ui import detection
    scores = np.linspace(0.0, 1.0, 16)
    flagged = scores > 0.5
    detection.score_histogram(scores, flagged, 0.5)
    detection.roc_figure(scores, flagged, 0.5)
    # what st.table does with the panel's table (a dict of columns): that conversion itself
    dataframe_util.convert_anything_to_arrow_bytes({"": ["a", "b"], "n": [1, 2]})


def _step_aside(most_s: float = 30.0) -> None:
    # a page run holds the floor: wait (at most most_s) until no page runs, so the warm-up's
    # CPU and GIL never slow a click that is being answered
    _quiet.wait(most_s)


def _import_alone(name: str) -> None:
    # then freeze what it brought in (runtime.freeze_imports): otherwise the end of the next page
    # run collected all of it first
    from .runtime import freeze_imports
    _alone(lambda: (importlib.import_module(name), freeze_imports()))


def _alone(step: Callable[[], object]) -> None:
    # run a step while no page runs; a run that starts meanwhile waits for it in run_started
    while True:
        _step_aside()
        with _importing:
            with _runs_lock:
                idle = _runs == 0
            if idle:
                step()
                return


def _warm() -> None:
    t0 = time.perf_counter()
    try:
        try:
            _phase0()
        finally:
            _frame.set()
        # as soon as the first page's run has ended: the browser draws it on its own core, and a
        # click soon after (benchmarks/startup.py --at-once) finds torch sooner
        _go.wait(BROWSER_WAIT_S)
        # hand the GIL back to the server's event loop every 0.5 ms instead of 5: it serves the
        # browser's requests and messages meanwhile
        interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        try:
            _phase1()
        finally:
            sys.setswitchinterval(interval)
            _done.set()
        # the first browser's page before the rest: its run, then its drawing in the browser
        # (about a second on 2 cores, which this phase's CPU would slow), so SETTLE_S after that
        # run, not after phase 1 (which may have ended sooner)
        if _first_page.wait(FIRST_PAGE_WAIT_S):
            time.sleep(max(0.0, _first_page_at + SETTLE_S - time.monotonic()))
        _phase2()
        _LOG.info("warm-up done in %.2f s", time.perf_counter() - t0)
    except Exception:  # noqa: BLE001 - a warm-up only saves time; the pages report real errors
        _LOG.exception("warm-up failed; the pages load what they need themselves")
    finally:
        _frame.set()
        _done.set()
        _finished.set()


def start() -> None:
    """Start warming on a daemon thread (once per process)."""
    global _started
    if not _started:
        _started = True
        threading.Thread(target=_warm, name="ae-warmup", daemon=True).start()


def wait_frame(timeout: float = 60.0) -> None:
    """Until the frame's modules are imported (phase 0, a few tenths of a second after the
    start); at once where no warm-up was started (AppTest, ``streamlit run app.py``)."""
    if _started:
        _frame.wait(timeout)


def need_torch(timeout: float = 120.0) -> None:
    """Before a run imports torch or loads a model: start phase 1 now if it has not started,
    wait for it, then set the process's torch threads (:func:`startup.runtime.configure_torch_threads`).
    Where no warm-up was started, only the latter. While it waits, the page shows a spinner
    that says why (after half a second, as Streamlit's spinners do)."""
    if _started:
        _go.set()
        _now.set()
        if not _done.is_set():
            # a click as soon as the server has started waits here: not a blank page.
            # Imported here, in a page's run: app.py imports this module first.
            # A spinner is a transient element: the page's own elements keep their places.
            import streamlit as st
            with st.spinner(WAIT_TEXT, show_time=True):
                _done.wait(timeout)
    from .runtime import configure_torch_threads
    configure_torch_threads()


def run_started() -> None:
    """A page run began: the second phase waits between its steps until it ends (call at the
    start of every full run, with :func:`page_ran` at its end). If the warm-up is importing a
    library, this waits for that import to end (at most a few seconds, once per process)."""
    global _runs
    with _importing, _runs_lock:
        _runs += 1
        _quiet.clear()


def page_ran() -> None:
    """A script run finished: phase 1 may start, the second phase may start or go on (cheap;
    call after every run, also one cut short)."""
    global _runs, _first_page_at
    with _runs_lock:
        _runs = max(0, _runs - 1)
        if _runs == 0:
            _quiet.set()
        if not _first_page.is_set():
            _first_page_at = time.monotonic()
            _first_page.set()
    _go.set()
