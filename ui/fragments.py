"""``st.fragment`` for fragments that draw linked widgets (``ui.query``): while such a body runs,
:func:`running` is true, so ``ui.share.refresh_link`` redraws the sidebar's link and the link
follows the fragment's own reruns (no Streamlit internals)."""
from __future__ import annotations

import functools
import threading

import streamlit as st

# How many such bodies are running now, per thread: a session's runs (full and fragment) run on
# its script thread. Not in session state: a run cut short by a page switch may never leave its
# fragment's body (its thread is abandoned), and the next run, on a new thread, would then take
# itself for a fragment and redraw the sidebar's slot from a full run, which the page cannot
# place ("Cannot set a node at a delta path", a blank page).
_depth = threading.local()


def fragment(func=None, *, run_every=None):
    """Use as ``@fragments.fragment`` or ``@fragments.fragment(run_every=...)``."""
    def wrap(body):
        @functools.wraps(body)
        def marked(*args, **kwargs):
            _depth.n = getattr(_depth, "n", 0) + 1
            try:
                return body(*args, **kwargs)
            finally:
                _depth.n -= 1
        return st.fragment(marked, run_every=run_every)
    return wrap(func) if func is not None else wrap


def running() -> bool:
    """Whether a :func:`fragment` body is running now (on this thread)."""
    return getattr(_depth, "n", 0) > 0
