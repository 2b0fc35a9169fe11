"""The live component in a real browser (tests/live_harness.py: fixed zoo models, every part):
the page's decoder agrees with PyTorch, a pointer sweep decodes many times with no script run,
a click and the keyboard pin a code, a drag of a native slider flips the precomputed stops and the
in-page samples while it is dragged, with nothing sent to the server until the release. The
sliders are found by key (renamed labels change nothing), the canvases are named for what they
draw, live numbers are announced politely, and the keyboard reaches everything with focus shown.

Messages to the server are counted at the websocket (every rerun request is one frame the page
sends), so "no script run" is measured, not assumed.
"""
from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from benchmarks import _browser
from live_util import DECODE_MANY

pytestmark = pytest.mark.browser


def _server(name: str, script: str = "server.py"):
    """A real server for the module's tests (skipped with the reason when Chromium is missing);
    its log in artifacts/streamlit-live-NAME.log."""
    reason = _browser.missing()
    if reason:
        pytest.skip(reason)
    log = _browser.ROOT / "artifacts" / f"streamlit-live-{name}.log"
    log.parent.mkdir(exist_ok=True)
    with _browser.streamlit_server(log=log, script=script) as url:
        yield url


@pytest.fixture(scope="module")
def harness():
    yield from _server("harness", "tests/live_harness.py")


@pytest.fixture(scope="module")
def chrome():
    with _browser.chromium() as b:
        yield b


class Sent:
    """Frames the page sends to the server over its websocket."""

    def __init__(self, page):
        self.frames = 0
        page.on("websocket", lambda ws: ws.on("framesent", self._count))

    def _count(self, _payload) -> None:
        self.frames += 1


def _open(chrome, url: str):
    page = _browser.new_page(chrome)
    sent = Sent(page)
    page.goto(url)
    _browser.wait_idle(page)
    page.get_by_test_id("aeLiveMap").wait_for()
    page.wait_for_function("() => globalThis.__aeLive?.stats?.firstLiveAt > 0")
    return page, sent


@pytest.fixture
def opened(chrome, harness):
    page, sent = _open(chrome, harness)
    yield page, sent
    page.context.close()


STATS = "() => ({...globalThis.__aeLive.stats, decodeMs: null})"
def _ids(page) -> dict[str, str]:
    text = page.get_by_text("decoders: dense").inner_text()
    words = text.replace("`", " ").split()
    return {"dense": words[words.index("dense") + 1], "conv": words[words.index("conv") + 1]}


@pytest.mark.parametrize("kind, name", [("dense", "ae_k2"), ("conv", "dae_conv")])
def test_the_page_decoder_matches_pytorch_on_1000_codes(opened, kind, name):
    from aecore.export import decode_reference
    from aecore.zoo import load_zoo_model
    page, _ = opened
    model, _ = load_zoo_model(name)
    k = model.latent_dim
    z = np.random.default_rng(1).normal(0.0, 3.0 if k == 2 else 1.0, (1000, k)).astype("<f4")
    got_b64 = page.evaluate(DECODE_MANY, [_ids(page)[kind], base64.b64encode(z.tobytes()).decode(), k])
    got = np.frombuffer(base64.b64decode(got_b64), dtype="<f4").reshape(1000, 784)
    want = decode_reference(model, z)
    assert want.std() > 0.05  # varied digits, not a constant
    assert np.abs(got - want).max() <= 1e-4


def test_a_pointer_sweep_decodes_live_with_no_script_run(opened):
    page, sent = opened
    box = page.get_by_test_id("aeLiveMap").bounding_box()
    before, frames0 = page.evaluate(STATS), sent.frames
    seen = set()
    for i in range(40):
        page.mouse.move(box["x"] + box["width"] * (0.05 + 0.022 * i),
                        box["y"] + box["height"] * (0.2 + 0.015 * i))
        page.wait_for_timeout(25)
        seen.add(page.get_by_test_id("aeLiveDigit").evaluate("c => c.toDataURL()"))
    after = page.evaluate(STATS)
    assert after["decodes"] - before["decodes"] >= 30
    assert len(seen) >= 25, "the decoded digit must change as the pointer moves"
    assert sent.frames == frames0, "a pointer move must not reach the server"
    assert "script runs: 1" in page.get_by_text("script runs").inner_text()
    assert "under the pointer" in page.get_by_test_id("aeLiveZ").inner_text()


def test_a_click_pins_the_code_on_the_server(opened):
    page, _ = opened
    box = page.get_by_test_id("aeLiveMap").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.get_by_text("pins: 1").wait_for()
    _browser.wait_idle(page)
    text = page.get_by_text("pinned:").inner_text()
    z1, z2 = (float(v) for v in text.split("(")[1].split(")")[0].split(","))
    lo = page.get_by_test_id("aeLiveMap").evaluate("b => b.getAttribute('data-z')")
    assert lo is not None and abs(z1 - float(lo.split(",")[0])) < 0.06
    assert abs(z2 - float(lo.split(",")[1])) < 0.06


def test_the_keyboard_steps_and_pins(opened):
    from playwright.sync_api import expect
    page, sent = opened
    page.get_by_test_id("aeLiveMap").focus()
    frames0 = sent.frames
    page.keyboard.down("ArrowRight")  # held: the cursor moves, nothing is sent yet
    expect(page.get_by_test_id("aeLiveZ")).to_contain_text("arrow keys")  # the next frame
    assert sent.frames == frames0
    page.keyboard.up("ArrowRight")  # released: pinned on the server
    page.get_by_text("pins: 1").wait_for()
    assert page.get_by_test_id("aeLiveMap").get_attribute("aria-label").startswith("Latent map")
    page.keyboard.press("ArrowUp")
    page.get_by_text("pins: 2").wait_for()


def _drag(page, label: str, fractions: list[float], read) -> tuple[list, object]:
    """Press the thumb of the slider ``label``, move through ``fractions`` of its track reading
    ``read()`` after each move, and return (readings, the thumb's box), still pressed."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    thumb = slider.get_by_role("slider")
    slider.scroll_into_view_if_needed()  # mouse events only reach what is in the viewport
    tb = thumb.bounding_box()
    track = slider.locator('[data-testid="stSliderThumbValue"]').locator("..")
    x0, y = tb["x"] + tb["width"] / 2, tb["y"] + tb["height"] / 2
    page.mouse.move(x0, y)
    page.mouse.down()
    sb = slider.bounding_box()
    readings = []
    for f in fractions:
        page.mouse.move(sb["x"] + 8 + (sb["width"] - 16) * f, y, steps=2)
        page.wait_for_timeout(60)
        readings.append(read())
    return readings, track


def test_a_slider_drag_flips_the_stops_during_the_drag_and_syncs_on_release(opened):
    page, sent = opened
    stops = page.get_by_test_id("aeLiveStops")
    frames0 = sent.frames
    readings, _ = _drag(page, "Level", [0.05, 0.3, 0.6, 0.9, 1.0],
                        lambda: stops.get_attribute("data-stop"))
    assert len(set(readings)) >= 4, readings  # the panels followed the thumb
    assert sent.frames == frames0, "nothing is sent while the slider is dragged"
    page.mouse.up()
    page.get_by_text("script runs: 2").wait_for()  # the release: one run
    assert stops.get_attribute("data-stop") == "10"


def test_a_slider_drag_redraws_the_in_page_samples(opened):
    page, sent = opened
    samples = page.get_by_test_id("aeLiveSamples")
    frames0 = sent.frames
    readings, _ = _drag(page, "Temp", [0.0, 0.25, 0.5, 0.75, 1.0],
                        lambda: samples.get_attribute("data-shown"))
    assert len(set(readings)) >= 4, readings
    assert sent.frames == frames0
    page.mouse.up()


def test_the_live_parts_find_their_sliders_by_key_so_a_renamed_label_changes_nothing(chrome, harness):
    from playwright.sync_api import expect
    page, sent = _open(chrome, f"{harness}/?label=Renamed%20")
    try:
        stops, samples = page.get_by_test_id("aeLiveStops"), page.get_by_test_id("aeLiveSamples")
        # a waiting check: the keyed container can be in the page a moment before its slider is
        # drawn inside it (CI read '' once)
        expect(page.locator(".st-key-harness_level")).to_contain_text(re.compile(r"^\s*Renamed Level"))
        frames0 = sent.frames
        readings, _ = _drag(page, "Renamed Level", [0.05, 0.3, 0.6, 0.9, 1.0],
                            lambda: stops.get_attribute("data-stop"))
        assert len(set(readings)) >= 4, readings
        page.mouse.up()
        readings, _ = _drag(page, "Renamed Temp", [0.0, 0.25, 0.5, 0.75, 1.0],
                            lambda: samples.get_attribute("data-shown"))
        assert len(set(readings)) >= 4, readings
        assert sent.frames == frames0 + 1  # the first release only
        page.mouse.up()
    finally:
        page.context.close()


def test_no_live_module_reads_a_label_or_polls():
    # the modules find native sliders by key (.st-key-<key>), never by their visible label, and
    # are told of a change (an observer, the server's data), never poll for it
    for js in (_browser.ROOT / "ui" / "static").glob("*.js"):
        text = js.read_text()
        assert "stWidgetLabel" not in text and "setInterval" not in text, js.name


def test_the_canvases_are_named_for_what_they_draw(opened):
    from playwright.sync_api import expect
    page, _ = opened
    digit, box = page.get_by_test_id("aeLiveDigit"), page.get_by_test_id("aeLiveMap")
    assert digit.get_attribute("role") == "img"
    assert box.locator("canvas").first.get_attribute("aria-label").startswith("10000 test digits")
    b = box.bounding_box()
    page.mouse.move(b["x"] + 0.3 * b["width"], b["y"] + 0.6 * b["height"])
    expect(page.get_by_test_id("aeLiveZ")).to_contain_text("under the pointer")
    z = [float(v) for v in box.get_attribute("data-z").split(",")]
    assert digit.get_attribute("aria-label") == f"decoded digit at z = ({z[0]:.2f}, {z[1]:.2f})"
    cell = page.get_by_test_id("aeLiveStops").locator("canvas")
    assert cell.get_attribute("role") == "img" and cell.get_attribute("aria-label") == "grey: flat: value 0.5"
    grid = page.get_by_test_id("aeLiveSamples").get_by_role("group")
    assert grid.get_attribute("aria-label") == "8 VAE samples at temperature 1.0"
    first = grid.locator("canvas").first
    assert first.get_attribute("role") == "img"
    assert first.get_attribute("aria-label") == "sample 1 of 8, temperature 1.0"
    # the names follow what is drawn: one keyboard step of the temperature
    page.locator('.st-key-harness_temp input[type="range"]').focus()
    page.keyboard.press("ArrowRight")
    expect(grid).to_have_attribute("aria-label", "8 VAE samples at temperature 1.1")
    assert first.get_attribute("aria-label") == "sample 1 of 8, temperature 1.1"


COUNT_ANNOUNCEMENTS = """el => { window.__said = []; new MutationObserver(() => window.__said.push(el.textContent))
  .observe(el, {childList: true, characterData: true, subtree: true}); }"""


def test_live_numbers_are_announced_politely_once_a_drag_settles(opened):
    from playwright.sync_api import expect
    page, _ = opened
    stops = page.get_by_test_id("aeLiveStops")
    region = stops.locator('[aria-live="polite"]')
    region.evaluate(COUNT_ANNOUNCEMENTS)
    flips0 = int(stops.get_attribute("data-flips"))
    _drag(page, "Level", [0.1 * i for i in range(11)], lambda: None)
    flips = int(stops.get_attribute("data-flips")) - flips0
    expect(region).to_have_text("level 1.0: grey 1.0")  # the last stop, once settled
    said = page.evaluate("() => window.__said")
    assert flips >= 8 and 1 <= len(said) < flips, (flips, said)  # not one per panel
    page.mouse.up()
    # the decoded z of the map too, in a polite region beside the digit
    box = page.get_by_test_id("aeLiveMap")
    box.focus()
    page.keyboard.press("ArrowLeft")
    page.get_by_text("pins: 1").wait_for()
    z = box.get_attribute("data-z").split(",")
    polite = page.locator('.st-key-harness_map [aria-live="polite"]')
    expect(polite).to_contain_text(f"z = ({float(z[0]):.2f}, {float(z[1]):.2f})")


def test_the_keyboard_reaches_and_operates_a_live_slider_and_the_map_with_focus_shown(opened):
    from playwright.sync_api import expect
    page, sent = opened
    box = page.get_by_test_id("aeLiveMap")
    thumb = page.locator('.st-key-harness_level input[type="range"]')
    slider = page.locator(".st-key-harness_level")
    unfocused = (box.screenshot(), slider.screenshot())
    for _ in range(8):  # from the top of the page, by Tab alone
        page.keyboard.press("Tab")
        if box.evaluate("e => e.matches(':focus')"):
            break
    expect(box).to_be_focused()
    assert box.evaluate("e => e.matches(':focus-visible')")
    assert box.screenshot() != unfocused[0], "the map's focus must be visible"
    page.keyboard.press("Enter")  # pins the code shown
    page.get_by_text("pins: 1").wait_for()
    _browser.wait_idle(page)
    page.keyboard.press("Tab")  # the next stop: the slider below the map
    expect(thumb).to_be_focused()
    assert thumb.evaluate("e => e.matches(':focus-visible')")
    assert slider.screenshot() != unfocused[1], "the slider's focus must be visible"
    stop0 = page.get_by_test_id("aeLiveStops").get_attribute("data-stop")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("aeLiveStops")).to_have_attribute("data-stop", str(int(stop0) + 1))
    page.get_by_text("script runs: 3").wait_for()  # the pin, then the step


# the app's own pages: each live slider follows a drag, and its release reaches the URL

@pytest.fixture(scope="module")
def app_url():
    yield from _server("app")


@pytest.mark.parametrize("path, label, part, attr, param", [
    ("denoise", "Strength", "aeLiveStops", "data-stop", "level"),
    ("bottleneck", "Code size k", "aeLiveStops", "data-stop", "k"),
    ("generate", "Temperature", "aeLiveSamples", "data-shown", "temperature"),
    ("generate", "How many samples", "aeLiveSamples", "data-shown", "count"),
])
def test_each_live_slider_of_the_app_follows_a_drag_and_syncs_the_url_on_release(
        chrome, app_url, path, label, part, attr, param):
    page = _browser.new_page(chrome)
    sent = Sent(page)
    try:
        page.goto(f"{app_url}/{path}")
        _browser.wait_idle(page)
        shown = page.get_by_test_id(part).first
        shown.wait_for()
        url0, frames0 = page.url, sent.frames
        readings, _ = _drag(page, label, [0.0, 0.35, 0.7, 1.0], lambda: shown.get_attribute(attr))
        assert len(set(readings)) >= 3, readings  # the panels changed during the drag
        assert sent.frames == frames0 and page.url == url0  # nothing sent before the release
        page.mouse.up()
        _browser.wait_idle(page)
        page.wait_for_function(f"() => new URLSearchParams(location.search).has('{param}')")
        value = page.evaluate(f"() => new URLSearchParams(location.search).get('{param}')")
        thumb = page.locator('[data-testid="stSlider"]').filter(has_text=label).first \
            .locator('input[type="range"]')
        assert float(value) == pytest.approx(float(thumb.get_attribute("aria-valuetext")))
        assert shown.get_attribute(attr) == readings[-1]  # the released value's panels stay
        assert _browser.exceptions(page) == 0
    finally:
        page.context.close()


def test_a_grid_of_digits_is_one_element_painted_in_the_page_in_aligned_columns(chrome, app_url):
    # Reconstruct's originals, autoencoder and PCA rows (ui.live.rows): canvases painted from the
    # pixels the server sent, each named for a screen reader by its row and caption
    page = _browser.new_page(chrome)
    try:
        page.goto(f"{app_url}/reconstruct")
        _browser.wait_idle(page)
        grid = page.get_by_test_id("aeRows")
        grid.wait_for()
        cells = grid.locator("canvas")
        assert cells.count() == 24  # 3 rows of 8 digits
        names = cells.evaluate_all("cs => cs.map(c => c.getAttribute('aria-label'))")
        assert names[0].startswith("Original: #0") and names[8].startswith("Autoencoder: MSE")
        assert names[16].startswith("PCA: MSE")
        lit = cells.evaluate_all("""cs => cs.map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] > 0; return n; })""")
        assert all(n > 20 for n in lit), lit  # every digit drawn, none left black
        xs = cells.evaluate_all("cs => cs.map(c => Math.round(c.getBoundingClientRect().x))")
        assert xs[:8] == xs[8:16] == xs[16:]  # a long caption does not shift its column
        assert _browser.exceptions(page) == 0
    finally:
        page.context.close()


def test_the_copy_box_works_from_the_keyboard_with_focus_shown(chrome, app_url):
    from playwright.sync_api import expect
    page = _browser.new_page(chrome)
    try:
        page.goto(f"{app_url}/denoise")
        _browser.wait_idle(page)
        button = page.get_by_test_id("stSidebar").get_by_role("button", name="Copy the link to this view")
        button.wait_for()
        box = page.get_by_test_id("stSidebar").get_by_test_id("aeCopyLink")
        unfocused = box.screenshot()
        for _ in range(120):  # through the sidebar by Tab alone
            page.keyboard.press("Tab")
            if button.evaluate("e => e.matches(':focus')"):
                break
        expect(button).to_be_focused()
        assert button.evaluate("e => e.matches(':focus-visible')")
        assert box.screenshot() != unfocused, "the button's focus must be visible"
        page.keyboard.press("Enter")
        note = box.locator(".ae-link-note")  # said politely: copied, or selected for Ctrl+C
        expect(note).to_have_text(re.compile(r"^(Copied\.|Selected: press Ctrl\+C)"))
        assert note.get_attribute("aria-live") == "polite"
    finally:
        page.context.close()
