"""How fast the app answers in a real browser (issues 4 and 5).

Starts ``streamlit run server.py`` on a free loopback port and drives headless Chromium:
1. the latent page: the z1 slider is moved N times with the keyboard; each move is timed from the
   key press to the new decoded digit loaded in the DOM (its image source or caption changed);
2. page switches: sidebar clicks between three pages, timed until the new page's title is visible
   and the app is idle;
3. a training started on the Train page through its UI (one tab) while the latent slider is
   timed again in a second tab (another session): a training must not freeze other pages. Only
   moves made while the training still runs count ("moves_while_training" says how many).
Ends with one line of JSON: {"slider_ms_median", "slider_ms_p95", "page_switch_ms_median",
"slider_ms_median_while_training", "slider_ms_p95_while_training", ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks._browser import (IDLE, Z_SLIDER, chromium, exceptions, new_page, p95, press_decoded,  # noqa: E402
                                 set_value, sidebar_link, streamlit_server, wait_idle)

# (sidebar title, title on the page) of the pages switched between
SWITCH_PAGES = (("Home", "Autoencoder Explorer"), ("Latent space", "Latent space"),
                ("Reconstruct & compress", "Reconstruct & compress"))


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def open_latent(page, url: str) -> None:
    """Open the latent page and wait until its decoded digit is shown and the app is idle."""
    page.goto(f"{url}/latent")
    page.get_by_role("heading", name="Latent space").wait_for()
    page.get_by_text("decoded at z").first.wait_for()
    wait_idle(page)


def slider_moves(page, n: int, while_=None) -> list[float]:
    """Step the z1 slider ``n`` times with the arrow keys, turning back at either end of its
    range; seconds from each press to the new digit.

    With ``while_`` (a function returning a bool) the moves stop early once it returns False.
    """
    thumb = page.locator(Z_SLIDER.format("z1"))
    lo, hi = float(thumb.get_attribute("min")), float(thumb.get_attribute("max"))
    key, times = "ArrowRight", []
    for _ in range(n):
        if while_ is not None and not while_():
            break
        value = float(thumb.input_value())
        key = "ArrowLeft" if value >= hi else "ArrowRight" if value <= lo else key
        times.append(press_decoded(page, "z1", key))
        wait_idle(page, settle_ms=50)  # the next move starts from a quiet app
    return times


def page_switches(page, rounds: int) -> list[float]:
    """Click through ``SWITCH_PAGES`` ``rounds`` times; seconds until each is shown and idle."""
    times = []
    for _ in range(rounds):
        for link, heading in SWITCH_PAGES:
            t0 = time.perf_counter()
            sidebar_link(page, link).click()
            page.get_by_role("heading", name=heading, exact=True).wait_for()
            page.wait_for_selector(IDLE, state="attached")
            times.append(time.perf_counter() - t0)
            wait_idle(page)  # not timed: make sure the run really ended before the next click
    return times


def start_training(page, url: str, subset: int, epochs: int) -> None:
    """Start a small dense-AE training through the Train page's own widgets."""
    page.goto(f"{url}/train")
    page.get_by_role("heading", name="Train an autoencoder").wait_for()
    wait_idle(page)
    set_value(page, "Epochs", epochs)
    set_value(page, "Training images", subset)
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Cancel").first.wait_for()


def training_running(page) -> bool:
    return page.get_by_role("button", name="Cancel").count() > 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=30, help="slider moves per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of page switches")
    # a training far longer than the moves, even on a fast machine: it is cancelled once they end
    ap.add_argument("--train-subset", type=int, default=50_000)
    ap.add_argument("--train-epochs", type=int, default=50)
    ap.add_argument("--quick", action="store_true", help="5 moves, 1 round: a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.moves, args.rounds = 5, 1

    t_all = time.perf_counter()
    res: dict = {"moves": args.moves, "load_avg_1m": round(os.getloadavg()[0], 2)}
    with streamlit_server() as url, chromium() as browser:
        page = new_page(browser)
        t = time.perf_counter()
        open_latent(page, url)
        res["latent_first_open_s"] = round(time.perf_counter() - t, 2)
        slider_moves(page, 1)  # warm-up: the first decode fills the caches
        s = slider_moves(page, args.moves)
        res["slider_ms_median"] = _ms(statistics.median(s))
        res["slider_ms_p95"] = _ms(p95(s))
        print(f"slider: median {res['slider_ms_median']} ms, p95 {res['slider_ms_p95']} ms",
              file=sys.stderr, flush=True)

        sidebar_link(page, "Reconstruct & compress").click()  # warm-up: first visit of each page
        page.get_by_role("heading", name="Reconstruct & compress", exact=True).wait_for()
        wait_idle(page)
        p = page_switches(page, args.rounds)
        res["page_switch_ms_median"] = _ms(statistics.median(p))
        res["page_switch_ms_max"] = _ms(max(p))
        print(f"page switch: median {res['page_switch_ms_median']} ms", file=sys.stderr, flush=True)

        other = new_page(browser)  # a second tab, its own session, ready before the training
        open_latent(other, url)
        slider_moves(other, 1)
        trainer = new_page(browser)  # a third tab starts the training
        start_training(trainer, url, args.train_subset, args.train_epochs)
        t_train = time.perf_counter()
        w = slider_moves(other, args.moves, while_=lambda: training_running(trainer))
        if not w:
            raise RuntimeError("the training ended before the slider could be timed: raise "
                               "--train-subset or --train-epochs")
        res["slider_ms_median_while_training"] = _ms(statistics.median(w))
        res["slider_ms_p95_while_training"] = _ms(p95(w))
        res["moves_while_training"] = len(w)
        res["s_since_training_start"] = round(time.perf_counter() - t_train, 1)
        res["exceptions"] = exceptions(page) + exceptions(trainer) + exceptions(other)
        if training_running(trainer):  # free the CPU for whoever measures next
            trainer.get_by_role("button", name="Cancel").first.click()
            wait_idle(trainer)
    res["total_s"] = round(time.perf_counter() - t_all, 1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
