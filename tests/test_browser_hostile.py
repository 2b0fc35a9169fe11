"""A real browser uploads a decompression bomb and a PDF to the Denoise page, gets a clear message
for each, and the page still answers a slider moved with the keyboard.

Uses the shared fixtures of ``tests/browser_util.py`` (over ``benchmarks/_browser.py``): one
``streamlit run server.py`` on a free loopback port, headless Debian Chromium.
"""
from __future__ import annotations

import re

import pytest

from benchmarks._browser import FILE_INPUT, WAIT_MS
from browser_util import SCREENS, browser, exceptions, live_server, page, wait_idle  # noqa: F401
from test_hostile_uploads import PDF, bomb_png

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _upload(page, name: str, data: bytes, mime: str, words: str) -> str:
    """Upload a file; returns the message shown: the page's own ``st.error`` naming the file, or
    the uploader's refusal when the browser already rejects the type (a PDF: "application/pdf
    files are not allowed.", before any byte reaches the server)."""
    page.locator(FILE_INPUT).set_input_files(
        {"name": name, "mimeType": mime, "buffer": data})
    ours = page.get_by_test_id("stAlertContentError").filter(has_text=name)
    refused = page.get_by_text(f"{mime} files are not allowed")
    shown = ours.or_(refused).first
    shown.wait_for()
    text = shown.inner_text()
    assert words in text or "not allowed" in text, text
    return text


def test_bomb_and_pdf_then_a_slider_still_works(page, live_server):
    from playwright.sync_api import expect
    page.goto(f"{live_server}/denoise")
    wait_idle(page)
    page.get_by_text("Upload an image", exact=True).click()
    page.get_by_text("Upload a photo, scan or screenshot").wait_for()
    assert "too large" in _upload(page, "bomb.png", bomb_png(), "image/png", "too large")
    _upload(page, "scan.pdf", PDF, "application/pdf", "PDF")
    assert exceptions(page) == 0

    # the noise-level slider, moved with the keyboard: the server answers (it writes the new
    # level into the URL) and the page still shows no exception
    expect(page).to_have_url(re.compile(r"level=0\.5\b"))
    wait_idle(page)
    thumb = page.get_by_test_id("stSlider").get_by_role("slider").first
    # One step at a time, each answered before the next, as a user watching the page moves it:
    # keys pressed while a rerun is in flight can be undone when its answer re-renders the slider.
    # A press lost that way (the thumb did not move) is pressed again.
    for want in ("0.525", "0.55", "0.575", "0.6"):  # the slider's step is 1/40 of its range
        for attempt in range(3):
            if float(thumb.input_value()) < float(want) - 1e-9:  # an <input type="range">
                thumb.press("ArrowRight")
            try:
                expect(page).to_have_url(re.compile(rf"level={re.escape(want)}\b"),
                                         timeout=60_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        wait_idle(page)
    # and a test digit then shows results at the new level
    page.get_by_text("Test digit", exact=True).click()
    expect(page.get_by_text("Gaussian noise at 0.6", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert exceptions(page) == 0
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "denoise_hostile.png"), full_page=True)
