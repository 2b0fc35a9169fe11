"""Shared fixtures: the app under AppTest, generated images, tiny trained models."""
from __future__ import annotations

import atexit
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the model library of every test (and every server a browser test starts) lives in a fresh
# temporary folder, never in the project's var/
os.environ["AE_DATA_DIR"] = tempfile.mkdtemp(prefix="ae-test-data-")
atexit.register(shutil.rmtree, os.environ["AE_DATA_DIR"], True)

APP_TIMEOUT = 300  # seconds per AppTest run, a hang guard: first runs load torch models and MNIST

# real-browser fixtures (live_server, browser, page): one copy, in browser_util.py
from browser_util import browser, live_server, page  # noqa: E402,F401


@pytest.fixture(autouse=True)
def _no_training_outlives_its_test():
    """Every training a test started through the process-wide JobManager (a page's Start
    button under AppTest) is cancelled and waited for after the test, and the next test gets a
    fresh manager: a later test never shares the CPU or the queue with an earlier one's."""
    yield
    jobs = sys.modules.get("aecore.jobs")  # only where a test loaded it (no torch import here)
    if jobs is None:
        return
    with jobs._manager_lock:
        manager, jobs._manager = jobs._manager, None
    if manager is not None:
        manager._shutdown(timeout=120)


@pytest.fixture
def app():
    """A fresh AppTest of the whole app (the entry file routes to every page)."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    return at


def open_page(at, page: str):
    """Run the app, then switch to ``views/<page>.py`` and run it; returns the AppTest."""
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    return at


def open_with(page: str, **params: str):
    """The app opened on ``views/<page>.py`` with ``params`` in its URL, as a shared link opens
    it (only that page runs: the home page reads some of the same names); no exception."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.query_params.update(params)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_with_session_model(at, page: str, cfg, title: str, name: str = "mine", seed: int = 3,
                            **card: object):
    """Open ``views/<page>.py`` with a model built from ``cfg`` in this session's own models
    (catalogue key ``user:<name>``, card ``title`` plus ``card``); returns the AppTest."""
    from aecore.models import build_model
    from aecore.weights import make_card

    model = build_model(cfg, seed=seed).eval()
    open_page(at, page)
    at.session_state["user_models"] = {name: (model, make_card(model, title=title, **card))}
    at.run()
    return at


def until(cond, limit: float = 60.0) -> bool:
    """Poll ``cond()`` every 20 ms until it holds (True) or ``limit`` seconds pass (False)."""
    import time

    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if cond():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def clear_caches():
    """Empty Streamlit's caches before and after a test that swaps the zoo folder."""
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()  # later tests must not see this test's zoo
    st.cache_data.clear()


def digit_png(size=(200, 300), mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)) -> bytes:
    """A hand-drawn-looking '7' in ``mode`` as PNG bytes (black ink on white paper)."""
    im = Image.new("RGB", size, paper)
    d = ImageDraw.Draw(im)
    w, h = size
    d.line([(w * 0.2, h * 0.2), (w * 0.8, h * 0.2), (w * 0.45, h * 0.85)], fill=ink,
           width=max(3, w // 12))
    buf = io.BytesIO()
    im.convert(mode).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def seven_png() -> bytes:
    return digit_png()
