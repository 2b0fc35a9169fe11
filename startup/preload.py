"""Load Streamlit's chart and widget code into the page while the page is idle, so that a page's
first visit does not wait for it.

Streamlit fetches an element's script only when a page first shows that element: its Plotly chart
(``PlotlyChart.<hash>.js``, plotly.js inside: 4.7 MB), and a small chunk per kind of widget
(a multiselect, a slider, a metric, a table...). The chart's fetch, parse and run weighed on the
first visit of the first page with a chart (Reconstruct's, since the Home page draws its diagram
without Plotly), and the widget chunks on each page that first used them
(benchmarks/startup.py). A tiny Components v2 element, mounted by ``app.py`` on every
page, imports the same modules by the same URLs once the browser is idle (at once on a page
without live elements, 1.5 s after one with them: ``LIVE_PAGE_DELAY_MS``), with
``requestIdleCallback``, one module at a time, the chart first, and only after a second without
pointer or key input, so a drag is never slowed; when Streamlit asks for them later, the
browser's module map has them.

The file names carry a hash that changes with Streamlit's version: they are read from
Streamlit's own static folder. A chunk that is not there (renamed, split) is not preloaded (the
element still loads the usual way); ``tests/test_preload.py`` fails then, so an upgrade does not
lose it silently.

Loading a module is not all: Streamlit wraps each element in ``React.lazy``, which renders a
skeleton the first time the page shows that kind of element, even when its module is loaded, and
React throttles revealing what the skeletons stand for (its Suspense fallback throttle), past
the end of the run: a page's first visit with a new kind of element waited for it
(benchmarks/startup.py). So once the modules are loaded, the preloader asks for one run of its own fragment
(``setTriggerValue``), which draws one of each element in a hidden container; React resolves
each lazy element once per page load, and the preloader asks for a second fragment run, which
removes them.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import streamlit as st

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

JS_DIR = Path(st.__file__).parent / "static" / "static" / "js"

# the page's own entry script (index.<hash>.js) names the folder the chunks are served from,
# whatever path a proxy serves the app under
_JS = """
const QUIET_MS = 1000;
const MOUNT_WAIT_MS = 10000;
export default function ({ data, setTriggerValue }) {
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
    // then one of each element, hidden, so React resolves its lazy wrapper (see the docstring)
    if (!document.getElementById("ae-preload-css")) {
      const css = document.createElement("style");
      css.id = "ae-preload-css";
      css.textContent = `.${data.mount} { display: none !important; }`;
      document.head.appendChild(css);
    }
    await still();
    setTriggerValue("loaded", true);  // a run of the preloader's fragment draws them
    const t0 = performance.now();
    // until they are drawn: no skeleton left in their container, and the chart drawn (plotly.js
    // draws after React has mounted it)
    const drawn = (box) => !box.querySelector('[data-testid="stSkeleton"]') &&
      [...box.querySelectorAll('[data-testid="stPlotlyChart"]')].every((c) => c.querySelector(".main-svg"));
    for (;;) {
      await new Promise((done) => setTimeout(done, 100));
      const box = document.querySelector(`.${data.mount}`);
      if (box && drawn(box)) { g.__mount = "drawn"; break; }
      // or a page's run replaced that run before the browser drew it
      if (performance.now() - t0 > MOUNT_WAIT_MS) { g.__mount = "missed"; break; }
    }
    setTriggerValue("mounted", true);  // the next fragment run removes them
  }, data.delay_ms);
}
"""
_component = st.components.v2.component("ae_preload", js=_JS)


MOUNT_KEY = "ae_preload_mount"  # the hidden container's key (its CSS class: st-key-<key>)
DONE = "ae_preload_done"  # session state: the hidden elements were drawn in this session
# after a page with live elements (ui/live.py) opened, the preloader waits this long before its
# first module: 4.7 MB of chart script parsed in an idle gap of that page's load delayed its
# live map's first frame (benchmarks/ui_live.py). A page without them starts at once, so a click
# soon after the first page (benchmarks/startup.py --at-once) finds the chart's code loaded
LIVE_PAGE_DELAY_MS = 1500


def _plotly_chart() -> None:
    # what the pages' first charts draw: a histogram, lines, markers, a dashed line with its label,
    # titles and a legend. plotly.js's code for each then runs here first: V8 compiles a function
    # on its first call, and plotly sets up a trace type on its first use. An empty figure ran
    # little of that, and the Anomaly page's histogram and ROC curve paid for the rest in their
    # first visit (benchmarks/startup.py)
    import plotly.graph_objects as go  # imported by the warm-up by then: no cost here

    fig = go.Figure(go.Histogram(x=[0, 1, 1, 2], histnorm="probability", opacity=0.6, name="-"))
    fig.add_trace(go.Scatter(x=[0, 2], y=[0, 1], mode="lines", line_dash="dot", name="-"))
    fig.add_trace(go.Scatter(x=[1], y=[0.5], mode="markers", name="-"))
    fig.add_vline(x=1.0, line_dash="dash", annotation_text="-")
    fig.update_layout(height=200, title="-", xaxis_title="-", yaxis_title="-", barmode="overlay",
                      legend=dict(orientation="h"))
    st.plotly_chart(fig, key="ae_pre_plotly")


def _widget(factory: Callable, *args, **kw) -> Callable[[], None]:
    name = factory.__name__
    return lambda: factory(name, *args, key=f"ae_pre_{name}", label_visibility="collapsed", **kw)


# the elements the pages use whose code Streamlit loads on first use, the chart first (by far the
# largest), each with how to draw one hidden (None: not drawn, a toast would show); the Home page's
# own (select box, image, download button, checkbox) load with it. A page link is drawn to the
# page being shown. (A button and a progress bar: the lesson's first visit showed skeletons for
# its buttons and its progress bar.)
ELEMENTS: dict[str, Callable[[], None] | None] = {
    "PlotlyChart": _plotly_chart,
    "Slider": _widget(st.slider),
    "Radio": _widget(st.radio, ["a"]),
    "Multiselect": _widget(st.multiselect, ["a"]),
    "NumberInput": _widget(st.number_input),
    "Metric": lambda: st.metric("metric", 1, label_visibility="collapsed"),
    "Table": lambda: st.table({"a": [1]}),
    "FileUploader": _widget(st.file_uploader),
    "DataFrame": lambda: st.dataframe({"a": [1]}, key="ae_pre_dataframe"),
    "ButtonGroup": _widget(st.pills, ["a"]),
    "Button": lambda: st.button("button", key="ae_pre_button"),
    "Progress": lambda: st.progress(0),
    "TextInput": _widget(st.text_input),
    "PageLink": None,  # drawn by _draw_hidden: it needs a page
    "Toast": None,
}


@functools.cache
def chunk(element: str) -> str | None:
    """The file name of Streamlit's chunk for ``element`` (e.g. ``"PlotlyChart"``), or None when
    its static folder has not exactly one."""
    found = sorted(p.name for p in JS_DIR.glob(f"{element}.*.js"))
    return found[0] if len(found) == 1 else None


def chart_chunk() -> str | None:
    """The file name of Streamlit's Plotly chart chunk, or None when there is none."""
    return chunk("PlotlyChart")


def mount(page: StreamlitPage) -> None:
    """Mount the preloader (no height; once per run, from app.py's frame, with the page shown)."""
    from . import plan
    chunks = [c for c in map(chunk, ELEMENTS) if c is not None]
    declared = plan.page(page.url_path)
    delay = LIVE_PAGE_DELAY_MS if declared is None or declared.needs.live else 0
    if chunks:
        with st.sidebar:
            _preloader(chunks, page, delay)


@st.fragment
def _preloader(chunks: list[str], page: StreamlitPage, delay_ms: int) -> None:
    # a fragment: the preloader's own triggers rerun only this function, not the page
    res = _component(key="ae_preload", data={"chunks": chunks, "mount": f"st-key-{MOUNT_KEY}",
                                             "delay_ms": delay_ms},
                     height=0, on_loaded_change=lambda: None, on_mounted_change=lambda: None)
    if getattr(res, "loaded", None) and not st.session_state.get(DONE):
        st.session_state[DONE] = True  # drawn in this run only: the next run removes them
        _draw_hidden(page)


def _draw_hidden(page: StreamlitPage) -> None:
    """One of each element of ``ELEMENTS`` in a container the preloader's CSS hides."""
    with st.container(key=MOUNT_KEY):
        for draw in ELEMENTS.values():
            if draw is not None:
                draw()
        st.page_link(page, label="page")
