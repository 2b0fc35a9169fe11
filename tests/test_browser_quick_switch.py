"""A quick switch away from a page still drawing, and back, on a fresh server (its own module,
so Denoise's first visit computes its curve and stops: the window where the bug showed)."""
from __future__ import annotations

import re

import pytest

from benchmarks._browser import sidebar_link
from browser_util import exceptions, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_quick_switch_away_and_back_draws_the_page(live_server, page):
    """A student clicks another page while Denoise is still drawing, then Denoise again at once:
    the page is drawn whole (slider, digits, sidebar link), with no error in the page. (The cut-
    short run went on in its fragment's body and made the next run redraw the sidebar's link:
    "Cannot set a node at a delta path", then a blank page.)"""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for seed in (0, 11):  # the first on a cold server; then fresh stops for another noise seed
        page.goto(f"{live_server}/denoise?seed={seed}")
        page.get_by_test_id("stSlider").first.wait_for()  # drawn in part; the run goes on
        sidebar_link(page, "Latent space").click()
        sidebar_link(page, "Denoise").click()
        page.get_by_role("heading", name="Denoise").wait_for()
        wait_idle(page)
        page.get_by_test_id("aeLiveStops").get_by_text(re.compile(r"PSNR")).first.wait_for()
        page.get_by_test_id("stSidebar").get_by_test_id("aeCopyLink").wait_for()
        assert errors == [] and exceptions(page) == 0, (seed, errors)
