"""Load Streamlit's Plotly chart code into the page while the page is idle, so that the first
page with a chart does not wait for it.

Streamlit fetches its chart element's script (``PlotlyChart.<hash>.js``, plotly.js inside:
4.7 MB) only when a page first shows a Plotly chart; on the 2-core machine that fetch, parse and
run took 1.5-2 s of that page's first visit (Reconstruct's, since the Home page draws its
diagram without Plotly). A tiny Components v2 element, mounted by ``app.py`` on every page,
imports the same module by the same URL once the browser is idle, 3 s after the page was opened
(``requestIdleCallback``); when Streamlit asks for it later, the browser's module map has it.

The file name carries a hash that changes with Streamlit's version: it is read from Streamlit's
own static folder. A Streamlit without such a file gets no preload (the charts still load the
usual way); ``tests/test_preload.py`` fails then, so an upgrade does not lose it silently.
"""
from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

JS_DIR = Path(st.__file__).parent / "static" / "static" / "js"

# the page's own entry script (index.<hash>.js) names the folder the chunks are served from,
# whatever path a proxy serves the app under
_JS = """
const DELAY_MS = 1500;
export default function ({ data }) {
  const g = globalThis.__aePreload = globalThis.__aePreload || {};
  if (g[data.chunk]) return;
  g[data.chunk] = "waiting";
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!entry) return;
  const url = new URL(data.chunk, entry.src).href;
  const load = () => {
    g[data.chunk] = "loading";
    import(url).then(() => { g[data.chunk] = "loaded"; }, () => { g[data.chunk] = "failed"; });
  };
  // not before the page has drawn itself: a page load has idle gaps between Streamlit's
  // messages, and 4.7 MB of script run in one of them delayed the Latent page's live map
  setTimeout(() => {
    if ("requestIdleCallback" in window) requestIdleCallback(load, { timeout: 10000 });
    else load();
  }, DELAY_MS);
}
"""
_component = st.components.v2.component("ae_preload", js=_JS)


@functools.cache
def chart_chunk() -> str | None:
    """The file name of Streamlit's Plotly chart chunk, or None when there is none."""
    found = sorted(p.name for p in JS_DIR.glob("PlotlyChart.*.js"))
    return found[0] if len(found) == 1 else None


def charts() -> None:
    """Mount the preloader (no height; once per run, from app.py's frame)."""
    chunk = chart_chunk()
    if chunk is not None:
        with st.sidebar:
            _component(key="ae_preload", data={"chunk": chunk}, height=0)
