"""``st.fragment`` for fragments that draw linked widgets (``ui.query``): while such a body runs,
:func:`running` is true, so ``ui.share.refresh_link`` redraws the sidebar's link and the link
follows the fragment's own reruns (no Streamlit internals)."""
from __future__ import annotations

import functools

import streamlit as st

IN_FRAGMENT_KEY = "_share_in_fragment"  # session state: how many such bodies are running now


def fragment(func=None, *, run_every=None):
    """Use as ``@fragments.fragment`` or ``@fragments.fragment(run_every=...)``."""
    def wrap(body):
        @functools.wraps(body)
        def marked(*args, **kwargs):
            st.session_state[IN_FRAGMENT_KEY] = st.session_state.get(IN_FRAGMENT_KEY, 0) + 1
            try:
                return body(*args, **kwargs)
            finally:
                st.session_state[IN_FRAGMENT_KEY] -= 1
        return st.fragment(marked, run_every=run_every)
    return wrap(func) if func is not None else wrap


def running() -> bool:
    """Whether a :func:`fragment` body is running now."""
    return st.session_state.get(IN_FRAGMENT_KEY, 0) > 0
