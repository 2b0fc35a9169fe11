"""WCAG 2.0/2.1 A and AA in a real browser: axe-core (tests/vendor/axe-core) on every page.

    python benchmarks/a11y.py            # one server, one browser, a few minutes

Each of the app's pages is opened four ways: a 1400 x 1600 desktop window, presenter mode
(``?present=1``, ui/presenter.py), a 412 x 915 touch phone, and on a second data set
(``?data=fashion-mnist``). axe-core's rules tagged wcag2a,
wcag2aa, wcag21a and wcag21aa run on what is drawn. Figures:

- ``pages``: page views scanned (pages x ways);
- ``serious_or_critical_ours``: failing nodes of serious or critical impact in our own content;
- ``excluded_streamlit``: failing nodes in Streamlit's own markup, excused by
  ``benchmarks._browser.STREAMLIT_EXCLUDED`` (docs/ACCESSIBILITY.md);
- ``by_rule``: ``{rule: nodes}`` over all impacts, ours and Streamlit's;
- ``by_page``: ``{way/page: serious or critical nodes of ours}`` where not 0.

Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._browser import (PAGE_PATHS, axe_scan, chromium, open_drawn,  # noqa: E402
                                 severe_ours, streamlit_server)

# (name, URL query, browser context options)
WAYS = (
    ("desktop", "", {"viewport": {"width": 1400, "height": 1600}}),
    ("presenter", "?present=1", {"viewport": {"width": 1400, "height": 1600}}),
    ("touch", "", {"viewport": {"width": 412, "height": 915}, "is_mobile": True,
                   "has_touch": True, "device_scale_factor": 2}),
    # a second data set (docs/DATASETS.md): the pages with a data-set picker draw its garments
    # and class names; the others say the link's parameter does not apply to them
    ("fashion", "?data=fashion-mnist", {"viewport": {"width": 1400, "height": 1600}}),
)


def scan_all(url: str, browser, ways=WAYS, paths=PAGE_PATHS, verbose: bool = False) -> dict:
    """Scan every page in every way; the figures of the module docstring, plus ``nodes``: every
    serious or critical node of ours."""
    by_rule: collections.Counter = collections.Counter()
    by_page, ours, excluded, n = {}, [], 0, 0
    for way, query, opts in ways:
        ctx = browser.new_context(**opts)
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        for path in paths:
            open_drawn(page, f"{url}/{path}{query}")
            found = axe_scan(page)
            n += 1
            by_rule.update(f["rule"] for f in found)
            excluded += sum(f["streamlit"] for f in found)
            bad = severe_ours(found)
            name = f"{way}/{path or 'home'}"
            if bad:
                by_page[name] = len(bad)
                ours += [{**f, "page": name} for f in bad]
            if verbose:
                print(f"{name:22s} ours {len(bad):3d} all {len(found):3d}", flush=True)
        ctx.close()
    return {"pages": n, "serious_or_critical_ours": len(ours), "excluded_streamlit": excluded,
            "by_rule": dict(sorted(by_rule.items())), "by_page": by_page, "nodes": ours}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", action="store_true", help="print every failing node of ours")
    args = ap.parse_args()
    with streamlit_server() as url, chromium() as browser:
        res = scan_all(url, browser, verbose=True)
    nodes = res.pop("nodes")
    if args.nodes:
        for f in nodes:
            print(f"{f['page']} {f['rule']} {f['impact']} {f['target']}\n    {f['html']}\n"
                  f"    {f['summary']}")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
