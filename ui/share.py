""""Copy link": the current page's address with its state (the URL query parameters), shown in
the sidebar in a small copy box (:func:`copy_box`, ``ui/static/copy.js``) whose button puts it on
the clipboard. One job: the link. Fragments are ``ui.fragments``, downloads ``ui.downloads``.

Not ``st.code``: its first use on a page makes the browser load and run Streamlit's syntax
highlighter (a 1.5 MB script, Prism with every language) on every page, before anything after
it is drawn (benchmarks/startup.py)."""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
import streamlit.errors as _st_errors

from . import fragments, jsmodules


def page_url(url_path: str) -> str:
    """The address of the current view: ``st.context.url`` (scheme, host, port and page path)
    when the browser told it, else a link relative to the app's root; plus the query string."""
    base = st.context.url or f"/{url_path}"
    params = st.query_params.to_dict()
    return f"{base}?{urlencode(params)}" if params else base


# Streamlit's error for a fragment drawing where the last full run did not (1.59+)
_LAYOUT_ERRORS = tuple(getattr(_st_errors, n) for n in ("StreamlitInvalidLayoutContextError",)
                       if hasattr(_st_errors, n))
SLOT_KEY = "_share_slot"  # session state: (the sidebar slot of this run's link, the page's path)


# ui/static/copy.js and copy.css: keyboard-operable (a real button), the note said politely
_copy_component = st.components.v2.component("ae_copy_link", css=jsmodules.css("copy.css"),
                                              js=jsmodules.component_js("copy.js"))
COPY_COUNT_KEY = "_share_copy_n"  # session state: copy boxes drawn so far (each key unique)


def copy_box(url: str, label: str = "Copy the link") -> None:
    """``url`` as selectable text with a copy button (``label``: its screen-reader name)."""
    # a run may draw the sidebar's box several times (its fragments redraw the slot): a fresh key
    # each time, since two elements of one run may not share one
    n = st.session_state[COPY_COUNT_KEY] = st.session_state.get(COPY_COUNT_KEY, 0) + 1
    _copy_component(key=f"ae_copy_link_{n}", data={"url": url, "label": label})


def share_link(url_path: str, where=None) -> None:
    """Show the current view's link with a copy button (in ``where``, default the sidebar)."""
    box = where if where is not None else st.sidebar
    with box.container():
        st.markdown("**Copy link** to this view")
        copy_box(page_url(url_path), "Copy the link to this view")
        st.caption("Opens this page as you see it: the same data, model, sliders and settings.")


def link_slot(url_path: str):
    """The sidebar slot (``st.empty``) of the page's link, remembered for :func:`refresh_link`."""
    slot = st.sidebar.empty()
    st.session_state[SLOT_KEY] = (slot, url_path)
    return slot


def refresh_link() -> None:
    """Redraw the link from inside a fragment: its own reruns change the URL but rerun nothing
    else. Streamlit (>= 1.59) lets a fragment redraw a container made outside it only if it also
    drew there on the last full run, so it draws on full runs too; app.py draws last. A fragment
    says so through ``ui.fragments.fragment``; elsewhere this does nothing."""
    slot = st.session_state.get(SLOT_KEY)
    if slot is not None and fragments.running():
        try:
            share_link(slot[1], slot[0])
        except _LAYOUT_ERRORS:
            # a page that reconnected to another replica (or a restarted server) may send a
            # fragment rerun before its new session's full run drew the slot: the link catches
            # up at the next full run (issue 16: a stopped replica's users go on elsewhere)
            pass
