"""Load Streamlit's chart and widget code into the page while the page is idle, so that a page's
first visit does not wait for it.

Streamlit fetches an element's script only when a page first shows that element: its Plotly chart
(``PlotlyChart.<hash>.js``, plotly.js inside: 4.7 MB), and a small chunk per kind of widget
(a multiselect, a slider, a metric, a table...). On the 2-core machine the chart's fetch, parse
and run took 1.5-2 s of the first visit of the first page with a chart (Reconstruct's, since the
Home page draws its diagram without Plotly), and the widget chunks a few tenths of a second of
each page that first used them. A tiny Components v2 element, mounted by ``app.py`` on every
page, imports the same modules by the same URLs once the browser is idle, 1.5 s after the page
was opened (``requestIdleCallback``, one module at a time, the chart first, and only after a second
without pointer or key input, so a drag is never slowed); when Streamlit asks for them later, the
browser's module map has them.

The file names carry a hash that changes with Streamlit's version: they are read from
Streamlit's own static folder. A chunk that is not there (renamed, split) is not preloaded (the
element still loads the usual way); ``tests/test_preload.py`` fails then, so an upgrade does not
lose it silently.
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
const QUIET_MS = 1000;
export default function ({ data }) {
  const g = globalThis.__aePreload = globalThis.__aePreload || {};
  if (!g.__input) {  // when the user last moved the pointer, clicked, scrolled or typed
    g.__input = { last: 0 };
    for (const type of ["pointerdown", "pointermove", "wheel", "keydown"])
      window.addEventListener(type, () => { g.__input.last = performance.now(); },
                              { capture: true, passive: true });
  }
  const todo = data.chunks.filter((c) => !g[c]);
  if (!todo.length) return;
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!entry) return;
  todo.forEach((c) => { g[c] = "waiting"; });
  const idle = () => new Promise((done) => ("requestIdleCallback" in window)
    ? requestIdleCallback(done, { timeout: 10000 }) : setTimeout(done, 0));
  const still = async () => {
    while (performance.now() - g.__input.last < QUIET_MS)
      await new Promise((done) => setTimeout(done, QUIET_MS));
  };
  // one module per idle gap, not before the page has drawn itself (a page load has idle gaps
  // between Streamlit's messages, and 4.7 MB of script run in one of them delayed the Latent
  // page's live map) and not while the user moves the pointer or types (a drag has idle gaps
  // between its frames, and a module run in one of them costs that drag its updates)
  setTimeout(async () => {
    for (const c of todo) {
      await still();
      await idle();
      g[c] = "loading";
      try { await import(new URL(c, entry.src).href); g[c] = "loaded"; }
      catch (e) { g[c] = "failed"; }
    }
  }, DELAY_MS);
}
"""
_component = st.components.v2.component("ae_preload", js=_JS)


# the elements the pages use whose code Streamlit loads on first use, the chart first (by far the
# largest); the Home page's own (select box, image, download button, checkbox) load with it
ELEMENTS = ("PlotlyChart", "Slider", "Radio", "Multiselect", "NumberInput", "Metric", "Table",
            "FileUploader", "DataFrame", "ButtonGroup", "TextInput", "PageLink", "Toast")


@functools.cache
def chunk(element: str) -> str | None:
    """The file name of Streamlit's chunk for ``element`` (e.g. ``"PlotlyChart"``), or None when
    its static folder has not exactly one."""
    found = sorted(p.name for p in JS_DIR.glob(f"{element}.*.js"))
    return found[0] if len(found) == 1 else None


def chart_chunk() -> str | None:
    """The file name of Streamlit's Plotly chart chunk, or None when there is none."""
    return chunk("PlotlyChart")


def charts() -> None:
    """Mount the preloader (no height; once per run, from app.py's frame)."""
    chunks = [c for c in map(chunk, ELEMENTS) if c is not None]
    if chunks:
        with st.sidebar:
            _component(key="ae_preload", data={"chunks": chunks}, height=0)
