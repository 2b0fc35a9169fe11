"""Start-up: what the app does around its pages so that the first of everything is quick,
derived from the pages' declarations (``views/specs.py``, through :mod:`startup.plan`).

- :mod:`startup.warmup`: the server's warm-up thread (``server.py``'s lifespan), which imports
  and loads ahead of the pages, one importer at a time;
- :mod:`startup.plan`: which pages wait for torch, the warm-up's order, the shipped entries;
- :mod:`startup.preload`: Streamlit's chart and widget code loaded into the browser while idle;
- :mod:`startup.runtime`: torch's threads and the garbage collector's frozen imports.

The frame (``app.py``) calls the four functions below and nothing else of start-up::

    startup.wait_frame()            # before `import streamlit`
    with startup.run():             # every script run, also one cut short
        nav = st.navigation(...)
        startup.before_page(nav)    # torch, if the page declares it (or shows a shared model)
        ...                         # the frame, then nav.run()
        startup.after_page(nav)     # in a finally: freeze new imports, mount the preloader

Importing this package imports neither streamlit nor torch. See docs/STARTUP.md.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from . import plan, warmup
from .warmup import need_torch, wait_frame  # noqa: F401 - the frame's and the pages' calls

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage


@contextmanager
def run() -> Iterator[None]:
    """Bracket one script run: the warm-up's second phase steps aside while it runs, and a run
    that starts while the warm-up imports a library waits for that import to end."""
    warmup.run_started()
    try:
        yield
    finally:
        warmup.page_ran()  # the warm-up may go on (its first phases start after the first page)


def before_page(page: StreamlitPage) -> None:
    """Before the frame draws ``page``: wait for torch if its declaration says its first draw
    needs it (an undeclared page does), or if the link shows a shared model (loaded with torch).
    Home draws its default model without it, so a just-started server shows it sooner."""
    import streamlit as st

    from ui.library import SHARED_PARAM
    if plan.needs_torch(page.url_path) or SHARED_PARAM in st.query_params:
        need_torch()


def after_page(page: StreamlitPage) -> None:
    """After ``page`` ran (also after its ``st.stop()``): freeze what its first visit imported,
    then mount the preloader, which loads the elements' code while the page is idle."""
    from . import preload, runtime
    runtime.freeze_imports()  # a page's first visit imported its modules: keep GC pauses short
    preload.mount(page)
