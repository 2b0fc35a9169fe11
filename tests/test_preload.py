"""The chart code preload (ui/preload.py): the page imports Streamlit's Plotly chart module while
idle, by the URL Streamlit itself uses, so the first page with a chart does not fetch it."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP_TIMEOUT, ROOT
from ui import preload



def test_streamlit_still_ships_one_plotly_chart_chunk():
    # a Streamlit upgrade that renames or splits it fails here instead of losing the preload
    chunk = preload.chart_chunk()
    assert chunk is not None and (preload.JS_DIR / chunk).is_file()
    index = next(preload.JS_DIR.glob("index.*.js")).read_text()
    assert f"./{chunk}" in index  # the very module Streamlit imports for st.plotly_chart


def test_every_page_mounts_the_preloader_once():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT).run()
    parts = [json.loads(el.proto.json) for el in at.get("bidi_component")
             if el.proto.component_name == "ae_preload"]
    assert parts == [{"chunk": preload.chart_chunk()}]


@pytest.mark.browser
def test_the_idle_page_loads_the_chart_module_and_a_chart_page_then_draws(live_server, page):
    from browser_util import exceptions, sidebar_link, wait_idle

    page.goto(live_server)
    wait_idle(page)
    state = f"() => (globalThis.__aePreload || {{}})[{json.dumps(preload.chart_chunk())}]"
    # polled on a timer: Playwright's default, every animation frame, stalls on a busy machine
    page.wait_for_function(f"() => ({state})() === 'loaded'", timeout=60_000, polling=250)
    sidebar_link(page, "Bottleneck sizes").click()
    page.wait_for_function("() => document.querySelector('[data-testid=stPlotlyChart] .main-svg')",
                           polling=250)
    assert exceptions(page) == 0
