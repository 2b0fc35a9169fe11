"""What start-up derives from the pages' declarations (``views/specs.py``): which pages wait for
torch, the warm-up's steps and libraries in page order, and the precomputed entries to ship.

Pure functions of the declarations: no streamlit, no torch (``python -m aecore precompute`` and
the server's warm-up thread read it before either is imported).
"""
from __future__ import annotations

from typing import Callable, Iterable

from aecore.shipped import (Entry, codes_entry, curve_entry, ood_entry, overcomplete_entry,
                            pca_entry, preview_entry, probe_entry)
from views import specs
from views.specs import Page


def _all(pages: Iterable[Page] | None) -> Iterable[Page]:
    # read at call time: a test (or a tool) may declare other pages
    return specs.PAGES if pages is None else pages


def _pca(d: dict) -> list[Entry]:
    return [pca_entry()]


def _codes(d: dict) -> list[Entry]:
    return [codes_entry(n) for n in d["maps"]]


def _ood(d: dict) -> list[Entry]:
    return [ood_entry(d["model"], d["n_normal"], d["n_per_kind"], d["seed"])]


def _probe(d: dict) -> list[Entry]:
    keys = [*d["sweep"].values(), "pixels", *(f"pca{k}" for k in d["sweep"])]
    return [probe_entry(key, d["n_ref"], d["n_test"]) for key in keys]


def _curve(d: dict) -> list[Entry]:
    return [curve_entry(d["plain"], d["dae"], d["curve_n"], d["curve_steps"], d["curve_seed"])]


def _overcomplete(d: dict) -> list[Entry]:
    return [overcomplete_entry(d["overcomplete"], d["overcomplete_levels"], d["overcomplete_n"],
                               d["seed"])]


def _preview(d: dict) -> list[Entry]:
    return [preview_entry(d["model"], d["digits"])]


# a page's ``needs.precomputed`` kind -> the entries its defaults call for
ENTRIES: dict[str, Callable[[dict], list[Entry]]] = {
    "pca": _pca, "codes": _codes, "ood": _ood, "probe": _probe, "curve": _curve,
    "overcomplete": _overcomplete, "preview": _preview}


def entries(pages: Iterable[Page] | None = None) -> list[Entry]:
    """Every precomputed entry the pages' defaults call for, once each, in page order."""
    out: dict[str, Entry] = {}
    for page in _all(pages):
        for kind in page.needs.precomputed:
            for e in ENTRIES[kind](page.defaults):
                out.setdefault(e.name, e)
    return list(out.values())


def page(name: str, pages: Iterable[Page] | None = None) -> Page | None:
    """The declaration of the page whose URL path (its script's name) is ``name``, or None;
    ``""`` (Streamlit's URL path of the default page) is the first declared page."""
    declared = list(_all(pages))
    if not name:
        return declared[0] if declared else None
    return next((p for p in declared if p.name == name), None)


def needs_torch(name: str, pages: Iterable[Page] | None = None) -> bool:
    """Whether the page ``name``'s first draw imports torch (an undeclared page: yes)."""
    p = page(name, pages)
    return p is None or p.needs.torch


def warm_order(pages: Iterable[Page] | None = None) -> list[tuple[str, str]]:
    """The warm-up's second phase: page by page, the libraries its first visit imports
    (``("import", module)``), then the loaders it calls (``("step", name)``, a name of
    ``startup.warmup.STEPS``), each once."""
    out: dict[tuple[str, str], None] = {}
    for p in _all(pages):
        out.update(dict.fromkeys(("import", lib) for lib in p.needs.libraries))
        out.update(dict.fromkeys(("step", step) for step in p.needs.warm))
    return list(out)
