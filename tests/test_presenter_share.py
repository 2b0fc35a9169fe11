"""Presenter mode (ui/presenter.py), the "Copy link" box (ui/share.py) and the exports."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from live_util import copy_links, live_parts, plotly_figures
from conftest import APP_TIMEOUT, ROOT, open_with

from ui import charts, downloads, share



def link(at) -> str:
    (url,) = copy_links(at.sidebar)
    return url


def styled(at) -> bool:
    return any("<style>" in m.value for m in at.markdown)


def test_present_in_the_url_turns_presenter_mode_on_and_hides_advanced_controls():
    at = open_with("denoise", present="1", seed="7")
    assert at.toggle(key="presenter").value is True
    assert styled(at)
    assert not [n for n in at.number_input if n.key == "den_seed"]  # seed hidden
    assert not [c for c in at.checkbox if c.key == "den_any"]
    # the live panels (ui/live.py) at the link's level, and the curve drawn large
    (panels,) = live_parts(at, "stops")
    assert panels["stops"][panels["index"]]["heading"].endswith("noise at 0.5")
    (big,) = plotly_figures(at)
    assert "present=1" in link(at)
    at.toggle(key="presenter").set_value(False).run()
    (small,) = plotly_figures(at)
    assert big["layout"]["font"]["size"] > small["layout"].get("font", {}).get("size", 12)
    assert not styled(at)
    assert [n for n in at.number_input if n.key == "den_seed"]
    assert "present" not in at.query_params
    assert "present=1" not in link(at)


def test_latent_hides_the_grid_range_sliders_in_presenter_mode():
    at = open_with("latent", present="1", tab="manifold")
    keys = [s.key for s in at.slider]
    assert not any(k.startswith("lat_grid_z") for k in keys)
    assert "lat_grid_n" in keys
    at.toggle(key="presenter").set_value(False).run()
    assert any(s.key.startswith("lat_grid_z") for s in at.slider)


def test_copy_link_shows_the_current_state_and_follows_the_widgets():
    at = open_with("denoise", noise="masking", level="0.3", seed="7")
    text = link(at)
    assert text.startswith("/denoise?") and "noise=masking" in text and "seed=7" in text
    at.number_input(key="den_seed").set_value(9).run()
    assert "seed=9" in link(at)
    # the link round-trips: opening it gives the same state
    params = dict(kv.split("=") for kv in link(at).split("?", 1)[1].split("&"))
    again = open_with("denoise", **params)
    assert again.number_input(key="den_seed").value == 9
    assert again.selectbox(key="den_kind").value == "masking"
    assert link(again) == link(at)


def test_every_page_has_exactly_one_copy_link():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT).run()
    # the default page is the root; its model is in the link like every page's state
    assert link(at) == "/?model=ae_k32"


def test_exports_are_valid_png_gif_and_offline_html():
    frames = [np.full((10, 12), v, np.uint8) for v in (0, 128, 255)]
    png = Image.open(io.BytesIO(downloads.png_bytes(frames[1])))
    assert png.format == "PNG" and png.size == (12, 10)
    gif = Image.open(io.BytesIO(downloads.gif_bytes(frames)))
    assert gif.format == "GIF" and gif.n_frames == 4  # forth and back: 0 1 2 1
    fig = charts.lines([1, 2], {"a": [3, 4]})
    html = fig.to_html(include_plotlyjs=True)
    assert "cdn.plot.ly" not in html.split("<body>")[0] and len(html) > 1_000_000  # inlined


def test_latent_offers_png_and_gif_downloads():
    keys = {b.key for tab in ("manifold", "morph")  # one tab at a time is drawn
            for b in open_with("latent", tab=tab).get("download_button")}
    assert {"lat_grid_png", "lat_grid_gif", "lat_int_png", "lat_int_gif"} <= keys


def test_a_fragment_body_counts_only_on_its_own_runs_thread(monkeypatch):
    """A page switch can abandon a run inside a fragment's body while the next run starts on a
    new thread: that run must not take itself for the fragment (it would redraw the sidebar's
    link from a full run, and the page went blank with "Cannot set a node at a delta path")."""
    import threading

    from ui import fragments

    # outside a script run st.fragment draws nothing: call the body as a run would
    monkeypatch.setattr(fragments.st, "fragment", lambda body, run_every=None: body)
    seen: dict[str, bool] = {}
    inside, other_ran = threading.Event(), threading.Event()

    def other_run() -> None:  # the next run, while the abandoned one is still in its fragment
        inside.wait(10)
        seen["other run"] = fragments.running()
        other_ran.set()

    @fragments.fragment
    def body() -> None:
        seen["in body"] = fragments.running()
        inside.set()
        other_ran.wait(10)

    t = threading.Thread(target=other_run)
    t.start()
    body()
    t.join(10)
    assert seen == {"in body": True, "other run": False}
    assert not fragments.running()  # and the body's own thread is out of it afterwards
