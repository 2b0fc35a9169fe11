"""The live parts of the app in headless Chromium: the latent map under a sweeping pointer and
the sliders whose panels follow a drag (ui/live.py), with the server's share counted.

    python benchmarks/ui_live.py            # one server, one browser, about a minute
    python benchmarks/ui_live.py --smoke    # each sweep and drag goes on until the page showed one

Figures (the component keeps its own counters in ``globalThis.__aeLive.stats``, which
``_browser.new_page`` turns on, see ui/static/debug.js):

- ``latent_hover_fps``: decoded digits shown per second while the pointer sweeps the Latent
  page's map for 2 s (one decode per animation frame at most; the pointer moves faster).
- ``latent_decode_ms_p95``: the in-page forward pass of those decodes, ``performance.now``.
- ``drag_updates_per_s``: for each live slider (Generate's temperature, Denoise's strength,
  Bottleneck's k), panel updates the page showed per second while the thumb is dragged across
  its stops and back for 2 s, one stop per pointer move, a move every 20 ms or so (as fast as
  Playwright drives the pointer here: the figure is bounded by the moves, not only the page).
- ``server_reruns_during_drag``: messages the page sent to the server (each rerun request is
  one websocket frame) during the sweep and all the drags, before each release.
- ``first_live_frame_ms``: from the Latent page's title appearing to the first live decode.

Also ``drag_update_ms_median``: what one panel update costs the page (per slider), so the page's
own rate is known where the pointer moves are the bound (a busy machine drives Playwright slowly).
Ends with one JSON line holding those keys (a part that is not on its page reads null).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._browser import (WAIT_MS, chromium, exceptions, new_page, p95,  # noqa: E402
                                 streamlit_server, wait_idle, wait_settled)

SWEEP_S = 2.0
DRAG_S = 2.0
STATS = "() => { const s = globalThis.__aeLive?.stats; " \
        "return s ? {...s, decodeMs: s.decodeMs.slice(), flipMs: (s.flipMs || []).slice()} : null; }"
# when the page's title (its content) appears, in the page's own clock
CONTENT_AT = """(() => {
  const mark = () => { const h = document.querySelector('h1');
    if (h && !window.__contentAt) window.__contentAt = performance.now(); return !!h; };
  new MutationObserver((_, obs) => { if (mark()) obs.disconnect(); })
    .observe(document, {subtree: true, childList: true});
})();"""
SLIDERS = {  # name -> (page path, the slider's label, what must be on the page first)
    "generate temperature": ("generate", "Temperature", "aeLiveSamples"),
    "denoise strength": ("denoise", None, "aeLiveStops"),  # label depends on the noise kind
    "bottleneck k": ("bottleneck", "Code size k", "aeLiveStops"),
}


class Sent:
    """Frames the page sends to the server (rerun requests and other back messages)."""

    def __init__(self, page) -> None:
        self.frames = 0
        page.on("websocket", lambda ws: ws.on("framesent", self._one))

    def _one(self, _payload) -> None:
        self.frames += 1


def more(t0: float, window_s: float, shown, smoke: bool) -> bool:
    """Whether a sweep or drag that began at ``t0`` goes on: for ``window_s`` seconds, and with
    ``smoke`` until ``shown()`` (what the page showed so far) is positive, a hang guard aside."""
    elapsed = time.perf_counter() - t0
    return elapsed < window_s or (smoke and elapsed < WAIT_MS / 1000 and shown() <= 0)


def hover(page, sent: Sent, smoke: bool = False) -> dict:
    """Sweep the pointer over the map for SWEEP_S seconds, a zigzag across it."""
    box = page.get_by_test_id("aeLiveMap").bounding_box()
    before, frames0 = page.evaluate(STATS), sent.frames
    frames = lambda: page.evaluate(STATS)["frames"] - before["frames"]  # noqa: E731
    t0 = time.perf_counter()
    i = 0
    while more(t0, SWEEP_S, frames, smoke):
        fx = 0.05 + 0.9 * ((i * 0.013) % 1.0)
        fy = 0.1 + 0.8 * ((i * 0.0071) % 1.0)
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        i += 1
    page.wait_for_timeout(50)
    elapsed = time.perf_counter() - t0
    after = page.evaluate(STATS)
    shown = after["frames"] - before["frames"]
    times = after["decodeMs"][len(before["decodeMs"]):] if len(after["decodeMs"]) < 5000 \
        else after["decodeMs"][-(after["decodes"] - before["decodes"]):]
    return {"fps": shown / elapsed, "decode_ms": times, "moves": i,
            "sent": sent.frames - frames0}


def drag(page, sent: Sent, label: str, part: str, smoke: bool = False) -> dict:
    """Press the slider's thumb and sweep it across its track and back, one stop per pointer
    move (a move every 20 ms, a quick drag), for DRAG_S seconds; counts the panel updates the page
    showed meanwhile (its own counter), then releases."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    slider.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    thumb = slider.locator('input[type="range"]').first
    lo, hi = float(thumb.get_attribute("min")), float(thumb.get_attribute("max"))
    step = float(thumb.get_attribute("step") or (hi - lo) / 20) or (hi - lo) / 20
    n = max(2, round((hi - lo) / step) + 1)
    box = slider.bounding_box()
    tb = thumb.bounding_box()
    y = tb["y"] + tb["height"] / 2
    # the track runs inside the widget's box; the thumb's centre at the ends is a few px in
    left, right = box["x"] + 8, box["x"] + box["width"] - 8
    value = float(thumb.input_value())
    page.mouse.move(left + (right - left) * (value - lo) / (hi - lo), y)
    page.mouse.down()
    shown = page.get_by_test_id(part).first  # the dragged slider's panels
    flips_of = lambda: int(shown.get_attribute("data-flips") or 0)  # noqa: E731
    frames0, before, ms0 = sent.frames, flips_of(), len(page.evaluate(STATS)["flipMs"] or [])
    t0, k, direction, moves = time.perf_counter(), int(round((value - lo) / step)), 1, 0
    while more(t0, DRAG_S, lambda: flips_of() - before, smoke):
        if not 0 <= k + direction < n:
            direction = -direction
        k += direction
        page.mouse.move(left + (right - left) * k / (n - 1), y)
        moves += 1
        page.wait_for_timeout(20)
    page.wait_for_timeout(100)  # the last move's frame
    elapsed = time.perf_counter() - t0
    flips = flips_of() - before
    flip_ms = (page.evaluate("() => globalThis.__aeLive.stats.flipMs") or [])[ms0:]
    during = sent.frames - frames0
    page.mouse.up()
    wait_idle(page)
    return {"updates_per_s": flips / elapsed, "flips": flips, "moves": moves, "sent": during,
            "stops": n, "flip_ms": flip_ms}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true",
                    help="each sweep and drag goes on until the page showed an update")
    smoke = ap.parse_args(argv).smoke
    out: dict = {"latent_hover_fps": None, "latent_decode_ms_p95": None,
                 "drag_updates_per_s": {k: None for k in SLIDERS}, "server_reruns_during_drag": 0,
                 "first_live_frame_ms": None, "drag_update_ms_median": {k: None for k in SLIDERS}}
    with streamlit_server() as url, chromium() as browser:
        page = new_page(browser, width=1400, height=1200)
        page.add_init_script(CONTENT_AT)
        sent = Sent(page)
        # warm the server's caches (models, test codes) so the timed load is a student's
        page.goto(f"{url}/latent")
        wait_idle(page)
        page.get_by_test_id("aeLiveMap").wait_for()
        wait_settled(url)  # the server's start-up warm-up is over (startup/warmup.py)
        page.goto(f"{url}/latent")
        page.wait_for_function("() => globalThis.__aeLive?.stats?.firstLiveAt")
        first = page.evaluate("() => globalThis.__aeLive.stats.firstLiveAt - window.__contentAt")
        out["first_live_frame_ms"] = round(first, 1)
        wait_idle(page)
        h = hover(page, sent, smoke)
        out["latent_hover_fps"] = round(h["fps"], 1)
        out["latent_decode_ms_p95"] = round(p95(h["decode_ms"]), 2) if h["decode_ms"] else None
        out["server_reruns_during_drag"] += h["sent"]
        print(f"latent map: {h['moves']} pointer moves in {SWEEP_S:.0f} s, {h['fps']:.1f} decoded "
              f"digits shown per second, decode median "
              f"{statistics.median(h['decode_ms']):.2f} ms, p95 {out['latent_decode_ms_p95']} ms; "
              f"first live frame {first:.0f} ms after the title; {h['sent']} messages to the "
              "server")
        for name, (path, label, part) in SLIDERS.items():
            page.goto(f"{url}/{path}")
            wait_idle(page)
            try:  # the page's idle mark may still be the previous page's: wait for the part
                page.get_by_test_id(part).first.wait_for()
            except Exception:  # noqa: BLE001 - reported as null
                print(f"{name}: no live part on /{path}")
                continue
            wait_idle(page)
            if label is None:  # Denoise: the strength slider's label names the noise's unit
                label = "Strength"
            d = drag(page, sent, label, part, smoke)
            out["drag_updates_per_s"][name] = round(d["updates_per_s"], 1)
            if d["flip_ms"]:  # what one update costs the page: its rate when moves are faster
                out["drag_update_ms_median"][name] = round(statistics.median(d["flip_ms"]), 2)
            out["server_reruns_during_drag"] += d["sent"]
            cost = statistics.median(d["flip_ms"]) if d["flip_ms"] else float("nan")
            print(f"{name}: {d['updates_per_s']:.1f} panel updates per second ({d['flips']} for "
                  f"{d['moves']} pointer moves over {d['stops']} stops; one update takes "
                  f"{cost:.1f} ms in the page, median), {d['sent']} messages to the server "
                  "during the drag")
        if exceptions(page):
            print("the page shows an exception")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
