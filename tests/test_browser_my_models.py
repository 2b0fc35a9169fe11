"""My models through the real server process and headless Chromium (issue 13).

A browser trains a tiny model; it is in My models after a refresh, in a new tab, and after the
server restarts on the same data folder (a temporary AE_DATA_DIR). A second browser (another
context: other cookies) sees no models of its own, opens the shared link and gets the model;
after the owner stops sharing, the link is refused with a message. Screenshots go to artifacts/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from benchmarks import _browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
NAME = "Projector model"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium():
    reason = _browser.missing()
    if reason:
        pytest.skip(reason)
    with _browser.chromium() as b:
        yield b


def _idle(page) -> None:
    _browser.wait_idle(page)


def _my_models(page, base: str) -> str:
    page.goto(base + "/my_models")
    page.get_by_role("heading", name="My models").wait_for()
    # the page's last element: the usage caption, then the list or "No models yet"
    page.get_by_text(re.compile(r"^\d+ of \d+ models")).wait_for()
    page.get_by_text("Share with the class").or_(page.get_by_text("No models yet")).wait_for()
    _idle(page)
    return page.locator("section.main, [data-testid='stMain']").first.inner_text()


def _table_has(page, name: str) -> bool:
    # the table is a canvas grid: read the model being managed (the only one here) instead
    box = page.get_by_label("Name", exact=True)
    try:
        expect(box).to_have_value(name, timeout=60_000)
        return True
    except AssertionError:
        page.screenshot(path=str(ARTIFACTS / "my_models_failure.png"), full_page=True)
        return False


def test_my_models_survive_refresh_tab_restart_and_share(chromium, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"AE_DATA_DIR": str(tmp_path / "data"), "AE_MAX_TRAININGS": "1"}
    logs = [ARTIFACTS / "streamlit-my-models-1.log", ARTIFACTS / "streamlit-my-models-2.log"]
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1600})
    ctx.set_default_timeout(_browser.WAIT_MS)
    page = ctx.new_page()
    with _browser.streamlit_server(env=env, log=logs[0]) as base:
        # train a tiny model
        page.goto(base + "/train")
        page.get_by_role("button", name="Start training").wait_for()
        _idle(page)
        _browser.set_value(page, "Epochs", 1)
        _browser.set_value(page, "Training images", 500)
        _browser.set_value(page, "Name for your model", NAME)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("It now appears as").wait_for(timeout=600_000)

        # refresh: the model is in My models
        page.reload()
        _my_models(page, base)
        assert _table_has(page, NAME)
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / "my_models.png"), full_page=True)

        # a new tab of the same browser
        tab = ctx.new_page()
        _my_models(tab, base)
        tab.screenshot(path=str(ARTIFACTS / "my_models_new_tab.png"), full_page=True)
        assert _table_has(tab, NAME)
        tab.close()

    # the server restarts on the same data folder (another port: cookies ignore ports)
    with _browser.streamlit_server(env=env, log=logs[1]) as base:
        _my_models(page, base)
        assert _table_has(page, NAME), "the model did not survive the restart"
        page.get_by_role("button", name="Share", exact=True).click()
        code = page.get_by_test_id("aeCopyLink").filter(has_text="shared=").first
        code.wait_for()
        link = re.search(r"\S*\?shared=[A-Za-z0-9_-]{32}", code.inner_text()).group(0)
        qr = page.get_by_test_id("stImage").locator("img").first  # the QR code
        qr.wait_for()
        assert qr.evaluate("i => i.complete && i.naturalWidth") >= 200
        page.screenshot(path=str(ARTIFACTS / "my_models_shared.png"), full_page=True)

        # a second browser: none of its own, but the shared link opens the model
        other_ctx = chromium.new_context(viewport={"width": 1400, "height": 1600})
        other_ctx.set_default_timeout(_browser.WAIT_MS)
        other = other_ctx.new_page()
        text = _my_models(other, base)
        assert "No models yet" in text and not _table_has(other, NAME)
        other.goto(link)
        other.get_by_text(f"Shared model {NAME}").wait_for()
        _idle(other)
        other.screenshot(path=str(ARTIFACTS / "shared_link_open.png"), full_page=True)
        # the home page's model picker has picked it
        expect(other.get_by_role("combobox", name="Model")).to_have_value(f"{NAME} (shared)")
        assert other.get_by_test_id("stException").count() == 0
        other.screenshot(path=str(ARTIFACTS / "shared_link_open.png"), full_page=True)

        # the owner stops sharing: the link is refused with a message, the default model used
        page.get_by_role("button", name="Stop sharing").click()
        page.get_by_text("The link no longer works").wait_for()
        fresh = other_ctx.new_page()
        fresh.goto(link)
        fresh.get_by_text("cannot be opened").wait_for()
        _idle(fresh)
        assert "revoked" in fresh.get_by_test_id("stAlert").first.inner_text()
        assert fresh.get_by_test_id("stException").count() == 0
        fresh.screenshot(path=str(ARTIFACTS / "shared_link_revoked.png"), full_page=True)
        other_ctx.close()
    token = next(c["value"] for c in ctx.cookies() if c["name"] == "ae_owner")
    ctx.close()

    # ids and tokens never reach the server's logs
    from aecore.store import Limits, sqlite_store
    store = sqlite_store(tmp_path / "data", Limits())
    ids = [r.id for r in store.list(token)]
    store.close()
    assert ids, "the owner cookie does not own the model"
    text = "".join(p.read_text() for p in logs)
    secrets = [token, link.rpartition("=")[2], *ids]
    assert not [s for s in secrets if s in text]
