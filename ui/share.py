""""Copy link": the current page's address with its state (the URL query parameters), shown in
the sidebar in ``st.code``, whose copy button puts it on the clipboard."""
from __future__ import annotations

import functools
import io
from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import streamlit.errors as _st_errors
from PIL import Image

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
IN_FRAGMENT_KEY = "_share_in_fragment"  # how many share.fragment bodies are running now


def share_link(url_path: str, where=None) -> None:
    """Show the current view's link with a copy button (in ``where``, default the sidebar)."""
    box = where if where is not None else st.sidebar
    with box.container():
        st.markdown("**Copy link** to this view")
        st.code(page_url(url_path), language=None, wrap_lines=True)
        st.caption("Opens this page with the same model, digit, sliders, noise and seed.")


def link_slot(url_path: str):
    """The sidebar slot (``st.empty``) of the page's link, remembered for :func:`refresh_link`."""
    slot = st.sidebar.empty()
    st.session_state[SLOT_KEY] = (slot, url_path)
    return slot


def fragment(func=None, *, run_every=None):
    """``st.fragment`` for a fragment that draws linked widgets (``ui.query``): while its body
    runs, :func:`refresh_link` redraws the sidebar's link, so the link follows the fragment's own
    reruns. Use as ``@share.fragment`` or ``@share.fragment(run_every=...)``."""
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


def refresh_link() -> None:
    """Redraw the link from inside a fragment: its own reruns change the URL but rerun nothing
    else. Streamlit (>= 1.59) lets a fragment redraw a container made outside it only if it also
    drew there on the last full run, so it draws on full runs too; app.py draws last. A fragment
    says so through :func:`fragment` (no Streamlit internals); elsewhere this does nothing."""
    slot = st.session_state.get(SLOT_KEY)
    if slot is not None and st.session_state.get(IN_FRAGMENT_KEY, 0) > 0:
        try:
            share_link(slot[1], slot[0])
        except _LAYOUT_ERRORS:
            # a page that reconnected to another replica (or a restarted server) may send a
            # fragment rerun before its new session's full run drew the slot: the link catches
            # up at the next full run (issue 16: a stopped replica's users go on elsewhere)
            pass


# export: downloads made here, offline (no kaleido, no browser round trip)

def png_bytes(img: np.ndarray) -> bytes:
    """A uint8 (H, W) image as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(img, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: list[np.ndarray], ms: int = 150) -> bytes:
    """uint8 (H, W) frames as a looping animated GIF, ``ms`` milliseconds per frame, played
    forth and back so the loop has no jump."""
    ims = [Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
    ims = ims + ims[-2:0:-1]
    buf = io.BytesIO()
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=ms, loop=0)
    return buf.getvalue()


def reveal_rows(grid: np.ndarray, rows: int) -> list[np.ndarray]:
    """Frames of a uint8 (H, W) grid of ``rows`` equal rows shown row by row from the top, the
    rows not yet shown black (the digits' background): ``rows`` frames, the last the whole grid."""
    grid = np.asarray(grid, np.uint8)
    cuts = np.linspace(0, grid.shape[0], rows + 1).round().astype(int)[1:]  # bottom of each row
    frames = []
    for cut in cuts:
        f = np.zeros_like(grid)
        f[:cut] = grid[:cut]
        frames.append(f)
    return frames


def _html(fig: go.Figure) -> str:
    return fig.to_html(include_plotlyjs=True, full_html=True)


def download_buttons(fig: go.Figure, name: str, key: str, where=None) -> None:
    """A download of ``fig`` as a self-contained interactive HTML file (plotly.js inlined, so it
    opens offline), in ``where`` (default the main area). A PNG comes from the chart's own modebar
    ("Download plot as png"). The file (about 5 MB) is built only when the button is clicked."""
    box = where if where is not None else st
    box.download_button("Download chart (HTML)", lambda: _html(fig), file_name=f"{name}.html",
                        mime="text/html", key=key, on_click="ignore",
                        help="An interactive copy of this chart that opens offline in any browser")
