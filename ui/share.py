""""Copy link": the current page's address with its state (the URL query parameters), shown in
the sidebar in a small copy box (:func:`copy_box`) whose button puts it on the clipboard.

Not ``st.code``: its first use on a page makes the browser load and run Streamlit's syntax
highlighter (a 1.5 MB script, Prism with every language) on every page, before anything after
it is drawn (benchmarks/startup.py)."""
from __future__ import annotations

import functools
import io
from typing import Callable
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


_COPY_HTML = """<div class="ae-link" data-testid="aeCopyLink"><span class="ae-link-text"></span>
<button type="button" class="ae-link-copy">Copy</button><span class="ae-link-note" role="status"
aria-live="polite"></span></div>"""
_COPY_CSS = """
.ae-link { display: flex; align-items: flex-start; gap: 0.4rem; flex-wrap: wrap;
  background: var(--st-secondary-background-color, #f0f2f6); border-radius: 0.5rem;
  padding: 0.55rem 0.6rem; font-family: var(--st-code-font, monospace); font-size: 0.8rem; }
.ae-link-text { flex: 1 1 10rem; overflow-wrap: anywhere; user-select: all;
  color: var(--st-text-color, #31333f); }
.ae-link-copy { font: inherit; font-family: var(--st-font, sans-serif); cursor: pointer;
  border: 1px solid var(--st-border-color, #d5d7de); border-radius: 0.4rem; padding: 0.1rem 0.5rem;
  background: var(--st-background-color, #fff); color: var(--st-text-color, #31333f); }
.ae-link-copy:focus-visible { outline: 2px solid var(--st-primary-color, #ff4b4b); }
.ae-link-note { flex-basis: 100%; font-family: var(--st-font, sans-serif); opacity: 0.8; }
.ae-link-note:empty { display: none; }
"""
# the clipboard API exists only in a secure context (https, localhost); a class server on a LAN
# address over plain http has none: then the text is selected for Ctrl+C / a long press
_COPY_JS = """
export default function ({ data, parentElement }) {
  const text = parentElement.querySelector(".ae-link-text");
  const button = parentElement.querySelector(".ae-link-copy");
  const note = parentElement.querySelector(".ae-link-note");
  text.textContent = data.url;
  button.setAttribute("aria-label", data.label);
  button.onclick = async () => {
    let copied = false;
    try { await navigator.clipboard.writeText(data.url); copied = true; } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(text);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      try { copied = document.execCommand("copy"); } catch (e2) { copied = false; }
    }
    note.textContent = copied ? "Copied." : "Selected: press Ctrl+C (or Cmd+C) to copy.";
    clearTimeout(button._t);
    button._t = setTimeout(() => { note.textContent = ""; }, 2500);
  };
}
"""
_copy_component = st.components.v2.component("ae_copy_link", html=_COPY_HTML, css=_COPY_CSS,
                                              js=_COPY_JS)
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


def download_buttons(fig: go.Figure | Callable[[], go.Figure], name: str, key: str,
                     where=None) -> None:
    """A download of ``fig`` as a self-contained interactive HTML file (plotly.js inlined, so it
    opens offline), in ``where`` (default the main area). A PNG comes from the chart's own modebar
    ("Download plot as png"). The file (about 5 MB) is built only when the button is clicked; so
    is the figure, where ``fig`` is a function that builds it (a chart not drawn on the page)."""
    box = where if where is not None else st
    box.download_button("Download chart (HTML)",
                        lambda: _html(fig() if callable(fig) else fig), file_name=f"{name}.html",
                        mime="text/html", key=key, on_click="ignore",
                        help="An interactive copy of this chart that opens offline in any browser")
