"""How long a teacher waits: server start to the Home page drawn, then each page's first visit.

Chromium is launched first (a teacher's browser is already open). Then ``streamlit run server.py``
starts on a free loopback port and the clock runs from that process's start:
1. ``server_ready_s``: until ``/_stcore/health`` answers;
2. ``home_ready_s``: until the Home page is fully drawn in a new tab (its title shown, the
   script finished, no spinner or skeleton left, every chart drawn);
3. ``first_visit_s``: in the same tab, on a warm server (its start-up warm-up is over: the
   server used under a tenth of a core for a second, ``warm_wait_s`` after Home was drawn), each
   other page once by a click on its sidebar link, in sidebar order, timed from the click until
   that page is fully drawn the same way. ``--at-once`` clicks as soon as Home is drawn instead,
   racing the warm-up (the worst case); ``--read-s N`` spends N s on each page first.

Ends with one line of JSON: {"server_ready_s", "home_ready_s", "first_visit_s": {page: s},
"first_visit_s_max", "cpu", ...}. Bars (issues 15, 30): home_ready_s <= 4, each first visit
<= 1 s (<= 1.5 s with --at-once).

    python benchmarks/startup.py              # the figures
    python benchmarks/startup.py --at-once    # first visits clicked while the server still warms
    python benchmarks/startup.py --screens    # also a screenshot of each page in artifacts/screens
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks._browser import (SCREENS, chromium, exceptions, new_page,  # noqa: E402
                                 streamlit_server, wait_settled)

HOME_BAR_S, VISIT_BAR_S, AT_ONCE_BAR_S = 4.0, 1.0, 1.5  # issue 30: a visit <= 1 s warm, 1.5 s at once
# drawn: the script finished, nothing still loading, every plotly chart on screen has its SVG
_DRAWN_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]')) return false;
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  if (!h1) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))  // shown ones: a
    if (c.getClientRects().length && !c.querySelector('.main-svg')) return false;  // hidden tab never draws
  return h1.innerText;
}"""
# a link's text is its Material icon's name, then its title: keep the title
_LINKS_JS = """() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
  .map(a => ({text: a.innerText.trim().split('\\n').filter(s => s.trim()).pop(),
              href: a.getAttribute('href')}))"""


def wait_drawn(page, not_title: str | None = None, timeout_s: float = 300.0,
               poll_s: float = 0.05) -> str:
    """Wait until the page is fully drawn (see ``_DRAWN_JS``) with a title other than
    ``not_title`` (the page clicked away from); returns the title. Polled from here every
    ``poll_s`` (Playwright's in-page polling stalled on a loaded machine)."""
    deadline = time.monotonic() + timeout_s
    while True:
        title = page.evaluate(_DRAWN_JS)
        if title and title != not_title:
            return title
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page was not drawn within {timeout_s:.0f} s")
        time.sleep(poll_s)


def sidebar_pages(page) -> list[dict]:
    """The sidebar's page links (text, href), after expanding a collapsed list ("View more")."""
    more = page.get_by_test_id("stSidebarNav").get_by_text("View", exact=False)
    if more.count() and "more" in (more.first.inner_text() or "").lower():
        more.first.click()
        page.wait_for_timeout(200)
    return page.evaluate(_LINKS_JS)


def visit_pages(page, args, title: str) -> tuple[dict[str, float | None], dict[str, int]]:
    """Click every sidebar page after Home in turn; seconds until each is drawn (None: not within
    ``args.page_timeout``) and the exception boxes each shows."""
    visits: dict[str, float | None] = {}
    errors: dict[str, int] = {}
    links = [link for link in sidebar_pages(page) if link["text"] != "Home"]
    for link in links[:args.pages or None]:
        time.sleep(args.read_s)
        anchor = page.locator(f'[data-testid="stSidebarNav"] a[href="{link["href"]}"]').first
        t = time.perf_counter()
        anchor.click()
        try:
            title = wait_drawn(page, not_title=title, timeout_s=args.page_timeout)
            visits[link["text"]] = round(time.perf_counter() - t, 3)
        except TimeoutError:  # recorded as a failure (null), and on to the next page
            visits[link["text"]] = None
            title = page.evaluate("() => document.querySelector('h1')?.innerText")
        errors[link["text"]] = exceptions(page)
        print(f"{link['text']}: {visits[link['text']]} s", file=sys.stderr, flush=True)
        if args.screens:
            name = link["href"].rstrip("/").rsplit("/", 1)[-1] or "page"
            page.screenshot(path=str(SCREENS / f"startup-{name}.png"), full_page=True)
    return visits, errors


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--screens", action="store_true", help="save a screenshot of every page")
    ap.add_argument("--log", type=Path, default=None, help="keep the server's output in this file")
    ap.add_argument("--page-timeout", type=float, default=60.0, help="seconds before a visit fails")
    ap.add_argument("--read-s", type=float, default=0.0,
                    help="seconds spent on each drawn page before the next click, as a teacher "
                         "who talks over it (default 0)")
    ap.add_argument("--pages", type=int, default=0,
                    help="visit only the first N pages after Home (default: all)")
    ap.add_argument("--at-once", action="store_true",
                    help="click the first page as soon as Home is drawn, without waiting for the "
                         "server's warm-up to end (the worst case)")
    args = ap.parse_args(argv)
    from aecore.device import cpu_model

    with chromium() as browser:
        page = new_page(browser)
        page.goto("about:blank")
        t0 = time.perf_counter()
        with streamlit_server(log=args.log) as url:
            server_ready = time.perf_counter() - t0
            page.goto(url)
            print(f"server ready {server_ready:.2f} s", file=sys.stderr, flush=True)
            home_title = wait_drawn(page)
            home_ready = time.perf_counter() - t0
            print(f"Home drawn {home_ready:.2f} s after the server process started", file=sys.stderr,
                  flush=True)
            if args.screens:
                SCREENS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENS / "startup-home.png"), full_page=True)
            warm_wait = 0.0 if args.at_once else wait_settled(url)
            visits, errors = visit_pages(page, args, home_title)
    bar = AT_ONCE_BAR_S if args.at_once else VISIT_BAR_S
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    res = {"server_ready_s": round(server_ready, 3), "home_ready_s": round(home_ready, 3),
           "first_visit_s": visits,
           "first_visit_s_max": None if None in visits.values() else max(visits.values(), default=0.0),
           "home_bar_s": HOME_BAR_S, "first_visit_bar_s": bar,
           "home_within_bar": home_ready <= HOME_BAR_S,
           "visits_within_bar": all(v is not None and v <= bar for v in visits.values()),
           "exceptions": {k: v for k, v in errors.items() if v}, "read_s": args.read_s,
           "at_once": args.at_once, "warm_wait_s": round(warm_wait, 2),
           "load_avg_1min": load, "cpu": cpu_model()}
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
