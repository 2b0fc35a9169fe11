"""Pages beyond images in a real browser: a CSV upload that scores rows (Tables), the word
interpolation (Text), the audio players (Sound)."""
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


# the Sound page's players: each column is a label (Markdown) above its <audio> element
_PLAYERS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stColumn"]')]
  .map(c => [c, c.querySelector('[data-testid="stMarkdown"]'), c.querySelector('audio')])
  .filter(([c, label, audio]) => label && audio)
  .map(([c, label, audio]) => ({label: label.innerText.trim(), src: audio.currentSrc || audio.src,
                             ready: audio.readyState, duration: audio.duration,
                             error: audio.error ? audio.error.code : 0,
                             snr: (c.querySelector('[data-testid="stMetricValue"]') || {}).innerText}))"""
# ask every player for its metadata (a player may wait for a click before it fetches anything)
_LOAD_JS = """() => document.querySelectorAll('[data-testid="stMain"] audio').forEach(a => {
  if (a.readyState < 1) { a.preload = 'metadata'; a.load(); } })"""
_READY_JS = """() => { const a = [...document.querySelectorAll('[data-testid="stMain"] audio')];
  return a.length >= 3 && a.every(e => e.readyState >= 1 || e.error); }"""


def _players(page) -> dict[str, dict]:
    page.evaluate(_LOAD_JS)
    page.wait_for_function(_READY_JS)
    return {p["label"]: p for p in page.evaluate(_PLAYERS_JS)}


def test_the_sound_players_play_and_follow_the_snr(live_server, page):
    """The clean, noisy and denoised clips each have a player whose source the browser decodes
    (metadata read, a duration above 0, the same for all three: one word); moving the SNR
    slider gives the noisy player a different clip, and the clean one stays."""
    page.goto(f"{live_server}/sound")
    page.get_by_role("heading", name="Sound: denoising speech").wait_for()
    wait_idle(page, timeout_ms=180_000)
    players = _players(page)
    assert {"clean", "noisy", "denoising AE"} <= set(players), list(players)
    assert players["noisy"]["snr"] == "5.0 dB", players["noisy"]
    for label in ("clean", "noisy", "denoising AE"):
        p = players[label]
        assert p["error"] == 0 and p["ready"] >= 1 and p["src"], (label, p)
        assert p["duration"] > 0.1, (label, p)
    durations = [players[k]["duration"] for k in ("clean", "noisy", "denoising AE")]
    assert max(durations) - min(durations) < 0.02, durations
    # the page states the word's length: the players agree with it
    said = float(page.get_by_text("Speech: 7").inner_text().split(",")[1].split("s")[0])
    assert abs(players["clean"]["duration"] - said) < 0.02, (said, durations)

    before = page.request.get(f"{live_server}{players['noisy']['src'].split(live_server)[-1]}").body()
    slider = page.get_by_role("slider", name="Input SNR (dB)")
    slider.focus()
    for _ in range(10):  # 5 dB -> 15 dB: much less noise
        slider.press("ArrowRight")
    wait_idle(page)
    after = _players(page)
    assert after["noisy"]["snr"] == "15.0 dB", after["noisy"]  # the slider reached 15 dB
    assert after["noisy"]["src"] != players["noisy"]["src"], "the noisy clip did not change"
    assert after["clean"]["src"] == players["clean"]["src"], "the clean clip should not change"
    assert after["noisy"]["ready"] >= 1 and after["noisy"]["duration"] == pytest.approx(
        players["noisy"]["duration"], abs=0.02)
    now = page.request.get(f"{live_server}{after['noisy']['src'].split(live_server)[-1]}").body()
    assert len(now) == len(before) and now != before  # same length, other samples
    page.screenshot(path=str(SCREENS / "sound.png"), full_page=True)
    assert exceptions(page) == 0
