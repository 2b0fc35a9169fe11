"""Pytest fixtures for the real-browser tests, over the one helper in ``benchmarks/_browser.py``.

``live_server`` (one ``streamlit run server.py`` per test module; a module may set ``SERVER_ENV``, a
dict of extra environment variables; its output goes to ``artifacts/streamlit-MODULE.log``), ``browser`` (headless Debian Chromium) and ``page`` (a fresh
session in it). Every fixture skips with the reason when Chromium or Playwright is missing.
"""
from __future__ import annotations

import pytest

from benchmarks import _browser
from benchmarks._browser import exceptions, new_page, sidebar_link, wait_idle  # noqa: F401

SCREENS = _browser.SCREENS

if not _browser.missing():  # Playwright's expect() waits 5 s by default: a hang guard instead
    from playwright.sync_api import expect
    expect.set_options(timeout=_browser.WAIT_MS)


def _skip_if_missing() -> None:
    reason = _browser.missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def live_server(request):
    """The app on a free loopback port; yields its base URL."""
    _skip_if_missing()
    try:
        log = _browser.ROOT / "artifacts" / f"streamlit-{request.module.__name__}.log"
        log.parent.mkdir(exist_ok=True)  # the server's output, for a failing test's traceback
        with _browser.streamlit_server(env=getattr(request.module, "SERVER_ENV", None),
                                       log=log) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser():
    _skip_if_missing()
    with _browser.chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    """A new page (its own Streamlit session), 1400 x 1600, waits that time out only on a hang."""
    pg = new_page(browser)
    yield pg
    pg.context.close()
