"""Pages beyond images in a real browser: a CSV upload that scores rows (Tables), the word
interpolation (Text)."""
from __future__ import annotations

import pytest

from benchmarks._browser import FILE_INPUT
from browser_util import SCREENS, exceptions, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _csv() -> bytes:
    rows = [f"{i % 17},{2 * (i % 17) + (i % 3) * 0.1},{(i * 7) % 11},0" for i in range(300)]
    rows += ["5,-20,3,1", "16,-1,2,1"]  # column 2 no longer follows column 1
    return ("a,b,c,label\n" + "\n".join(rows) + "\n").encode()


def test_a_csv_upload_trains_and_scores_rows(live_server, page):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server}/tables")
    page.get_by_role("heading", name="Tables: fraud and anomalies").wait_for()
    wait_idle(page, timeout_ms=180_000)  # the first visit scores 5,000 payments three ways
    page.get_by_text("Your CSV file").click()
    wait_idle(page)
    page.locator(FILE_INPUT).set_input_files(
        files=[{"name": "rows.csv", "mimeType": "text/csv", "buffer": _csv()}])
    page.get_by_text("Columns used: a, b, c").wait_for()
    page.get_by_role("button", name="Train the autoencoder on").click()
    page.get_by_text("average precision").first.wait_for(timeout=240_000)
    page.get_by_text("Which columns carry each top row").first.wait_for()  # the chart's title
    wait_idle(page)
    page.screenshot(path=str(SCREENS / "tables-csv.png"), full_page=True)
    assert exceptions(page) == 0


def test_the_word_interpolation_answers_the_slider(live_server, page):
    page.goto(f"{live_server}/text")
    page.get_by_role("heading", name="Slide between two words").wait_for()
    wait_idle(page, timeout_ms=180_000)  # the first visit codes the word list
    metric = page.get_by_test_id("stMetricLabel").filter(has_text="Decoded at t")
    assert "t = 0.5" in metric.inner_text()
    slider = page.get_by_role("slider", name="Position on the line between their codes")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowLeft")
    page.get_by_test_id("stMetricLabel").filter(has_text="t = 0.0").wait_for()
    start = page.get_by_test_id("stMetricValue").first.inner_text()
    # the path's table (each chart's data table is a table too, folded in its expander)
    table = page.get_by_test_id("stTable").filter(has_text="decoded").first.inner_text()
    assert start in table  # the decoded word at t = 0 is the path's first row
    page.screenshot(path=str(SCREENS / "text.png"), full_page=True)
    assert exceptions(page) == 0
