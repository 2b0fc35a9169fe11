"""The Latent space page through the real app (AppTest)."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from conftest import ROOT, open_page, open_with_session_model
from live_util import f32, live_part, live_parts, u8
from ui.charts import DIGIT_COLORS

AE, VAE = "zoo:ae_k2", "zoo:vae_k2"


# helpers
def _array(v) -> np.ndarray:
    """A trace coordinate array from the figure JSON: a list, or Plotly's base64 typed array."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def _traces(at) -> dict[str, dict]:
    """The live map's points by digit, as {"0": {"x", "y"}, ..., "your digit": ...}."""
    d = live_part(at, "map")
    codes, labels = f32(d["codes"]).reshape(-1, 2), u8(d["labels"])
    out = {str(k): {"x": codes[labels == k, 0], "y": codes[labels == k, 1]} for k in range(10)}
    if d["yours"] is not None:
        out["your digit"] = {"x": [d["yours"][0]], "y": [d["yours"][1]]}
    return out


def _decoded(at):
    """The decoder's image: (url of the digit, its caption). Beside the live map there is no
    server-drawn locator: the map's ring shows the code (checked in the browser tests)."""
    img = next(im for im in at.image if im.captions and im.captions[0].startswith("decoded at z"))
    assert len(img.value) == 1
    return img.value[0], img.captions[0]


def _sliders(at, key=AE):
    return at.slider(key=f"lat_z1_{key}"), at.slider(key=f"lat_z2_{key}")


def _grid_caption(at) -> str:
    return next(c.value for c in at.caption if "digits decoded on an even grid" in c.value)


@pytest.fixture
def page(app):
    at = open_page(app, "latent")
    assert not at.exception
    return at


def _open_tab(at, label: str):
    """A click on the page's tab ``label``: only the open tab is drawn."""
    at.session_state["lat_tab"] = label
    at.run()
    assert not at.exception
    return at


def test_only_the_open_tab_is_drawn_and_its_name_is_in_the_link(page):
    assert page.query_params["tab"] == "map" and page.get("bidi_component")
    assert not [s for s in page.slider if s.key == "lat_grid_n"]
    _open_tab(page, "Decoded manifold")
    assert page.query_params["tab"] == "manifold" and page.slider(key="lat_grid_n")
    assert not [s for s in page.slider if s.key.startswith("lat_z1_")]
    _open_tab(page, "Morph")
    assert page.query_params["tab"] == "morph" and page.slider(key="lat_int_steps")


# the map
def test_map_shows_all_10000_test_digits_in_10_coloured_traces(page):
    traces = _traces(page)
    digits = [traces[str(d)] for d in range(10)]
    assert sum(len(_array(t["x"])) for t in digits) == 10_000
    assert all(len(_array(t["x"])) == len(_array(t["y"])) > 0 for t in digits)
    # the live map decodes with the decoder the page was sent, and its ring shows the z sliders'
    # pair (the "pin" part, drawn with the sliders)
    live_map, carried, pin = live_part(page, "map"), live_part(page, "carry"), live_part(page, "pin")
    assert live_map["model"] == carried["payload"]["id"] and pin["map"] == live_map["id"]
    z1, z2 = _sliders(page)
    assert pin["z"] == pytest.approx([z1.value, z2.value])
    # a slider move leaves the map element's data as it is (its 10,000 codes are sent once)
    z1.set_value(z1.min).run()
    assert live_part(page, "map") == live_map
    assert live_part(page, "pin")["z"] == pytest.approx([z1.min, z2.value])
    js = (ROOT / "ui" / "static" / "mapdraw.js").read_text()
    assert all(c in js for c in DIGIT_COLORS)  # the page colours digits with the app's palette


def test_moving_a_slider_decodes_a_new_point_and_moves_the_marker(page):
    url0, cap0 = _decoded(page)
    z1, z2 = _sliders(page)
    new = round(z1.min + 0.25 * (z1.max - z1.min), 2)
    z1.set_value(new).run()
    assert not page.exception
    url1, cap1 = _decoded(page)
    assert url1 != url0  # a new digit
    assert cap1 == f"decoded at z = ({new:.2f}, {z2.value:.2f})"


def test_a_click_on_the_plane_moves_the_point_and_the_sliders(page):
    url0, _ = _decoded(page)
    z1, z2 = _sliders(page)
    x = round(z1.min + 0.8 * (z1.max - z1.min), 2)
    y = round(z2.min + 0.1 * (z2.max - z2.min), 2)
    page.session_state[f"lat_live_{AE}"] = {"pin": {"z1": x, "z2": y, "at": 1}}  # a click
    page.run()
    assert not page.exception
    z1, z2 = _sliders(page)
    assert (z1.value, z2.value) == pytest.approx((x, y))
    url1, cap1 = _decoded(page)
    assert url1 != url0 and cap1 == f"decoded at z = ({x:.2f}, {y:.2f})"
    # the same pin on later reruns does not pull the sliders back
    z1.set_value(z1.min).run()
    assert _sliders(page)[0].value == pytest.approx(z1.min)


def test_switching_ae_to_vae_changes_the_map(page):
    ae = _array(_traces(page)["3"]["x"]).copy()
    page.selectbox(key="lat_model").set_value(VAE).run()
    assert not page.exception
    vae = _array(_traces(page)["3"]["x"])
    assert len(vae) == len(ae) and not np.allclose(vae, ae)
    assert _sliders(page, VAE)[0].value is not None  # the VAE has its own sliders


def test_manifold_grid_size_follows_n(page):
    _open_tab(page, "Decoded manifold")
    for n in (7, 20):
        page.slider(key="lat_grid_n").set_value(n).run()
        assert not page.exception
        cap = _grid_caption(page)
        assert cap.startswith(f"{n} x {n} digits") and f"({28 * n} x {28 * n} pixels)" in cap


def _strips(at) -> list:
    return [im for im in at.image if im.captions and "t = 0 (left)" in im.captions[0]]


def test_interpolation_shows_two_strips_of_the_chosen_length(page):
    _open_tab(page, "Morph")
    page.slider(key="lat_int_steps").set_value(7).run()
    strips = _strips(page)
    assert len(strips) == 2 and all(s.captions[0].endswith("7 steps, t = 0 (left) to t = 1 "
                                                           "(right)") for s in strips)
    before = strips[1].value[0]
    page.number_input(key="lat_int_b").set_value(5).run()
    assert _strips(page)[1].value[0] != before  # the end digit moved: another image


def test_a_strip_puts_the_digits_side_by_side_two_white_pixels_apart():
    from ui.widgets import strip

    a, b = np.zeros((1, 28, 28)), np.ones((1, 28, 28))
    s = strip([a, b, a], scale=3)
    assert s.shape == (84, 3 * 84 + 2 * 2) and s.dtype == np.uint8
    assert (s[:, :84] == 0).all() and (s[:, 84:86] == 255).all() and (s[:, 86:170] == 255).all()
    assert (s[:, 172:] == 0).all()


def test_your_digit_is_encoded_and_marked_on_the_map(page, seven_png):
    first = _traces(page)["your digit"]  # the default input: test digit #0
    page.radio(key="lat_in_src").set_value("upload").run()
    assert "your digit" not in _traces(page)  # nothing uploaded yet: no star
    page.file_uploader(key="lat_in_file").upload("seven.png", seven_png, "image/png").run()
    assert not page.exception and not page.error
    star = _traces(page)["your digit"]
    xy = (float(_array(star["x"])[0]), float(_array(star["y"])[0]))
    assert xy != (float(_array(first["x"])[0]), float(_array(first["y"])[0]))
    assert any(c == f"decoded from z = ({xy[0]:.2f}, {xy[1]:.2f})"
               for im in page.image for c in im.captions)
    page.button(key="lat_goto").click().run()  # decode at the star
    z1, z2 = _sliders(page)
    assert (z1.value, z2.value) == pytest.approx((np.clip(xy[0], z1.min, z1.max),
                                                  np.clip(xy[1], z2.min, z2.max)), abs=1e-5)


def test_a_session_model_with_a_2d_code_gets_its_own_map(app):
    from aecore.config import AEConfig

    at = open_with_session_model(app, "latent", AEConfig(latent_dim=2, hidden=(32,)), "My 2-D AE")
    at.selectbox(key="lat_model").set_value("user:mine").run()
    assert not at.exception and not at.error
    traces = _traces(at)
    assert sum(len(_array(traces[str(d)]["x"])) for d in range(10)) == 10_000
    z1, _ = _sliders(at, "user:mine")
    z1.set_value(z1.max).run()
    assert _decoded(at)[1].startswith(f"decoded at z = ({z1.max:.2f}")


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_a_session_model_of_each_decoder_kind_gets_the_live_map(app, kind):
    """A user's own k = 2 model, dense or conv: its decoder goes to the page and the live map
    decodes with it; the page's forward pass is checked against PyTorch in the browser tests."""
    from aecore.config import AEConfig, ConvAEConfig

    cfg = AEConfig(latent_dim=2, hidden=(32,)) if kind == "dense" else \
        ConvAEConfig(latent_dim=2, hidden=(4, 8))
    at = open_with_session_model(app, "latent", cfg, f"My 2-D {kind} AE")
    at.selectbox(key="lat_model").set_value("user:mine").run()
    assert not at.exception and not at.error
    carried = [p["payload"] for p in live_parts(at, "carry")]
    live_map = live_part(at, "map")
    (mine,) = [p for p in carried if p["id"] == live_map["model"]]
    ops = {r["op"] for r in mine["layers"]}
    assert ("conv2d" in ops and "upsample" in ops) if kind == "conv" else ops == {"linear", "relu"}
    assert mine["latent_dim"] == 2


# the page's helpers (in ui.charts and aecore.latent), without the app
def test_slider_grid_covers_the_range_in_whole_steps():
    from aecore.latent import slider_grid

    lo, hi = np.array([-2.37, -31.2]), np.array([2.91, 18.04])
    step, lo_r, hi_r = slider_grid(lo, hi)
    assert step in (0.05, 0.1)  # about a hundredth of the narrower span (5.28)
    for i in range(2):
        assert lo_r[i] <= lo[i] < lo_r[i] + step and hi_r[i] - step < hi[i] <= hi_r[i]
        assert abs(lo_r[i] / step - round(lo_r[i] / step)) < 1e-6


def test_locator_marks_z_with_a_crosshair():
    from ui.charts import locator

    codes = np.random.default_rng(0).normal(size=(500, 2))
    labels = np.arange(500) % 10
    lo, hi = np.array([-3.0, -3.0]), np.array([3.0, 3.0])
    a = locator(codes, labels, lo, hi, (-1.5, 1.5), size=61)  # pixel (row 15, column 15)
    b = locator(codes, labels, lo, hi, (1.5, -1.5), size=61)  # pixel (row 45, column 45)
    assert a.shape == (61, 61, 3) and a.dtype == np.uint8
    far = slice(26, 58, 2)  # every other pixel, away from the ring round the point
    assert (a[15, far] == 0).all() and (a[far, 15] == 0).all()  # dotted crosshair
    assert (b[45, 2:34:2] == 0).all() and (b[2:34:2, 45] == 0).all()
    assert not (a[45, far] == 0).all()  # no line where z is not


# the page in a real browser: a click on the plane and a slider moved with the keyboard
@pytest.mark.browser
@pytest.mark.slow
def test_click_and_keyboard_decode_new_points_in_a_browser(live_server, browser):
    from playwright.sync_api import expect

    from benchmarks._browser import WAIT_MS
    from browser_util import new_page

    page = new_page(browser, width=1400, height=1200)  # this module's `page` is an AppTest
    page.goto(live_server)
    page.get_by_role("link", name="Latent space").first.click()
    caption = page.get_by_text("decoded at z = ").first
    caption.wait_for()
    page.get_by_test_id("aeLiveMap").wait_for()  # the live map (ui/live.py)
    before = caption.inner_text()
    plane = page.get_by_test_id("aeLiveMap").bounding_box()
    page.mouse.click(plane["x"] + 0.8 * plane["width"], plane["y"] + 0.2 * plane["height"])
    expect(caption).not_to_have_text(before, timeout=WAIT_MS)
    clicked = caption.inner_text()
    z1 = page.get_by_role("slider").first
    assert f"({z1.get_attribute('aria-valuetext')}," in clicked  # the slider followed
    z1.focus()
    page.keyboard.press("ArrowLeft")
    expect(caption).not_to_have_text(clicked, timeout=WAIT_MS)
    assert page.get_by_test_id("stException").count() == 0
