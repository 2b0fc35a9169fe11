"""The chart and widget code preload (startup/preload.py): the page imports Streamlit's Plotly chart
module and the widget chunks the pages use while idle, by the URLs Streamlit itself uses, so a
page's first visit does not fetch them."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP_TIMEOUT, ROOT
from startup import preload



def test_streamlit_still_ships_one_chunk_per_preloaded_element():
    # a Streamlit upgrade that renames or splits one fails here instead of losing its preload
    index = next(preload.JS_DIR.glob("index.*.js")).read_text()
    for element in preload.ELEMENTS:
        chunk = preload.chunk(element)
        assert chunk is not None and (preload.JS_DIR / chunk).is_file(), element
        assert f"./{chunk}" in index, element  # the very module Streamlit imports for it
    assert preload.chart_chunk() == preload.chunk("PlotlyChart")


def test_every_page_mounts_the_preloader_once():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT).run()
    parts = [json.loads(el.proto.json) for el in at.get("bidi_component")
             if el.proto.component_name == "ae_preload"]
    # Home has no live element: the preloader starts at once, so a click soon after it finds
    # the chart's code loaded (benchmarks/startup.py --at-once)
    assert parts == [{"chunks": [preload.chunk(e) for e in preload.ELEMENTS],
                      "mount": f"st-key-{preload.MOUNT_KEY}", "delay_ms": 0}]
    assert parts[0]["chunks"][0] == preload.chart_chunk()  # the largest, first
    assert not at.get("multiselect")  # nothing hidden is drawn before the modules are loaded


def test_a_page_with_live_elements_gives_them_a_head_start():
    # 4.7 MB of chart script parsed while the Latent page loads delayed its live map
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.switch_page("views/latent.py").run()
    (part,) = [json.loads(el.proto.json) for el in at.get("bidi_component")
               if el.proto.component_name == "ae_preload"]
    assert part["delay_ms"] == preload.LIVE_PAGE_DELAY_MS > 0


def _keys(at: AppTest) -> set[str]:
    return {w.key for kind in ("slider", "radio", "multiselect", "number_input", "text_input",
                               "button_group") for w in at.get(kind)}


def test_once_the_modules_are_loaded_one_of_each_element_is_drawn_hidden_for_one_run():
    # React then resolves each element's lazy wrapper: a page's first visit shows no skeleton
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT).run()
    at.session_state["ae_preload"] = {"loaded": True}  # the preloader's trigger, as its JS sets it
    at.run()
    assert not at.exception
    assert _keys(at) == {"ae_pre_slider", "ae_pre_radio", "ae_pre_multiselect",
                         "ae_pre_number_input", "ae_pre_text_input", "ae_pre_pills"}
    assert at.get("table") and at.get("metric") and at.get("page_link") and at.get("progress")
    assert [b.key for b in at.button] == ["ae_pre_button"]
    # the chart draws what the pages' first charts draw, so plotly.js has run that code once
    (chart,) = at.get("plotly_chart")
    fig = json.loads(chart.proto.spec)
    assert {t["type"] for t in fig["data"]} == {"histogram", "scatter"}
    assert fig["layout"]["shapes"] and fig["layout"]["annotations"]  # a threshold line, labelled
    at.run()  # the next run (the preloader asks for it once they are drawn) removes them
    assert not _keys(at) and not at.get("table") and not at.button
    at.session_state["ae_preload"] = {"loaded": True}  # once per session
    at.run()
    assert not _keys(at)


@pytest.mark.browser
def test_the_idle_page_loads_the_modules_and_a_chart_page_then_draws(live_server, page):
    from browser_util import exceptions, sidebar_link, wait_idle

    page.goto(live_server)
    wait_idle(page)
    chunks = json.dumps([preload.chunk(e) for e in preload.ELEMENTS])
    every_loaded = f"() => {chunks}.every(c => (globalThis.__aePreload || {{}})[c] === 'loaded')"
    # polled on a timer: Playwright's default, every animation frame, stalls on a busy machine
    page.wait_for_function(every_loaded, polling=250)
    # then the hidden elements were drawn (React resolved their lazy wrappers) and removed
    page.wait_for_function("() => (globalThis.__aePreload || {}).__mount === 'drawn'",
                           polling=250)
    hidden = f".st-key-{preload.MOUNT_KEY}"
    page.wait_for_function(f"() => !document.querySelector('{hidden}')", polling=250)
    # so this page's first visit draws its slider, radio and number input without a skeleton
    # (on a settled server: a cache that still computes shows a spinner, another lazy element)
    from benchmarks._browser import wait_settled
    wait_settled(live_server)
    page.evaluate("""() => { window.__skeletons = []; new MutationObserver(() => {
        for (const s of document.querySelectorAll('[data-testid=stMain] [data-testid=stSkeleton]'))
          window.__skeletons.push(s.closest('[data-testid=stElementContainer]')?.className || '?');
      }).observe(document.body, {subtree: true, childList: true}); }""")
    sidebar_link(page, "Bottleneck sizes").click()
    page.wait_for_function("() => document.querySelector('[data-testid=stPlotlyChart] .main-svg')",
                           polling=250)
    assert page.evaluate("window.__skeletons") == []
    assert exceptions(page) == 0


@pytest.mark.browser
def test_nothing_is_preloaded_while_the_user_moves_the_pointer(live_server, page):
    # a drag has idle gaps between its frames: a module run in one of them would cost it updates
    import time

    chunk = json.dumps(preload.chart_chunk())
    state = f"() => (globalThis.__aePreload || {{}})[{chunk}] || null"
    # a page with live elements, whose drags this protects (Home, with nothing to drag, starts
    # preloading at once: a click soon after it finds the chart's code loaded)
    page.goto(f"{live_server}/latent")
    # the pointer keeps moving for 6 s after the preloader is there (it would start 1.5 s after
    # the page is drawn), however long the page takes to load
    seen, waiting_since, i = set(), None, 0
    deadline = time.monotonic() + 300  # a hang guard
    while waiting_since is None or time.monotonic() - waiting_since < 6.0:
        assert time.monotonic() < deadline, f"the preloader never started waiting: {seen}"
        i += 1
        page.mouse.move(300 + 40 * (i % 2), 300)
        page.wait_for_timeout(50)
        seen.add(page.evaluate(state))
        if waiting_since is None and "waiting" in seen:
            waiting_since = time.monotonic()
    assert not seen & {"loading", "loaded"}, seen
    page.wait_for_function(f"() => ({state})() === 'loaded'", polling=250)
