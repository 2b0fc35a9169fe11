"""The guided lesson in a real browser, start to end: predict, reveal, next; screenshots of every
step go to artifacts/screens/lesson-*.png."""
from __future__ import annotations

import pytest

from browser_util import SCREENS, exceptions, wait_idle

from ui import lesson


@pytest.mark.browser
@pytest.mark.slow
def test_lesson_path_start_to_end(live_server, page):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server}/lesson")
    wait_idle(page)
    n_steps = len(lesson.STEPS)
    for n, step in enumerate(lesson.STEPS, start=1):
        page.get_by_text(f"{n}. {step.title}", exact=True).wait_for()
        assert f"step={n}" in page.url
        reveal = page.get_by_role("button", name="Reveal")
        assert reveal.is_disabled()
        page.get_by_test_id("stRadio").get_by_text(step.choices[step.answer], exact=True).click()
        wait_idle(page)
        reveal.click()
        wait_idle(page)
        page.get_by_test_id("stAlertContentSuccess").wait_for()
        # the link comes after the demo, which on a just-started server first waits for the
        # warm-up's torch import (the question itself is drawn without it)
        page.get_by_test_id("stMain").get_by_test_id("stPageLink").first.wait_for()
        wait_idle(page)
        assert exceptions(page) == 0, step.slug
        page.screenshot(path=str(SCREENS / f"lesson-{n}-{step.slug}.png"), full_page=True)
        nxt = page.get_by_role("button", name="Next")
        if n < n_steps:
            nxt.click()
            wait_idle(page)
        else:
            assert nxt.is_disabled()
    # the last step's link opens its full page
    page.get_by_test_id("stPageLink").get_by_text("Go to the full page").click()
    wait_idle(page)
    page.get_by_role("heading", name="Anomaly detection").first.wait_for()
    assert exceptions(page) == 0
