"""A real browser trains a model while the user moves widgets and visits another page.

Starts ``streamlit run server.py`` on a free loopback port and drives headless Chromium (the Debian
package; Playwright's own browsers are never installed). Screenshots go to ``artifacts/``.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from benchmarks._browser import choose, set_value

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
EPOCHS = 3
SERVER_ENV = {"AE_MAX_TRAININGS": "1"}  # read by the shared live_server fixture (browser_util.py)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _go(page, title: str, heading: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading).wait_for()


@pytest.mark.timeout(2400)  # a hang guard: 60,000 images of training on a crowded machine
def test_training_survives_widgets_and_page_switches(live_server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    sent: list[int] = []  # frames the page sends to the server (every rerun request is one)
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(1)))
    page.goto(live_server + "/")
    page.get_by_role("heading", name="Autoencoder Explorer").wait_for()
    _go(page, "Train", "Train an autoencoder")
    set_value(page, "Latent size k", 2)
    set_value(page, "Epochs", EPOCHS)
    set_value(page, "Training images", 20_000)  # long enough to still run after the visit
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Cancel").first.wait_for()

    # while it runs: move a widget (the server's answer, the type's summary, shows it landed),
    # then visit another page and come back
    choose(page, "trn_type", "Sparse AE (L1)")  # the type, not the data set
    page.get_by_text("An L1 penalty keeps most code units at zero.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "train_running.png"), full_page=True)
    _go(page, "Home", "Autoencoder Explorer")
    page.wait_for_timeout(1500)
    _go(page, "Train", "Train an autoencoder")
    page.get_by_text("An L1 penalty keeps most code units at zero.").wait_for()

    page.get_by_text(f"epoch {EPOCHS}/{EPOCHS} recorded").wait_for(timeout=1_800_000)
    page.get_by_text("It now appears as").wait_for()
    # the loss curve has a point for every epoch (train and validation traces)
    points = page.locator(".st-key-trn_curve .scatterlayer .trace").first.locator(".point")
    expect(points).to_have_count(EPOCHS, timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "train_done.png"), full_page=True)
    assert page.get_by_role("button", name="Start training").is_enabled()
    assert page.get_by_role("button", name="Download the model").filter(visible=True).count() == 1
    anim = page.locator(".st-key-trn_latent_anim")
    anim.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    anim.screenshot(path=str(ARTIFACTS / "train_latent_animation.png"))
    assert anim.locator(".slider-container").count() == 1, "no epoch slider on the latent map"
    assert page.get_by_test_id("stException").count() == 0

    # the epoch slider is live in the page: a drag shows each epoch's map, with no script run
    grip, rail = anim.locator(".slider-grip-rect").first, anim.locator(".slider-rail-rect").first
    shown = anim.locator(".slider-container .slider-label").first  # "after epoch N"
    g, r = grip.bounding_box(), rail.bounding_box()
    n0, seen = len(sent), [shown.text_content()]
    page.mouse.move(g["x"] + g["width"] / 2, g["y"] + g["height"] / 2)
    page.mouse.down()
    for f in (0.6, 0.3, 0.0):
        page.mouse.move(r["x"] + f * r["width"], g["y"] + g["height"] / 2, steps=3)
        page.wait_for_timeout(300)
        seen.append(shown.text_content())
    page.mouse.up()
    assert len(set(seen)) >= EPOCHS - 1, seen  # the map went back through the epochs
    assert len(sent) == n0, "dragging the epoch slider must not rerun the script"

    # the new model is offered on another page
    _go(page, "Home", "Autoencoder Explorer")
    page.locator(".st-key-home_model").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="(yours)").first.wait_for()
    assert page.get_by_test_id("stException").count() == 0
