"""The start-up warm-up (server.py's lifespan, startup/warmup.py): the frame's modules first, then,
once the first page has been served, torch and the Home page's model, then the rest; a run never
imports alongside it. The Home page's first draw needs no torch at all."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time

import streamlit
from streamlit.testing.v1 import AppTest

from conftest import ROOT

from startup import warmup
from ui import loaders
from views.specs import HOME


def _fresh(monkeypatch) -> None:
    monkeypatch.setattr(warmup, "SETTLE_S", 0.0)
    quiet = threading.Event()
    quiet.set()
    monkeypatch.setattr(warmup, "_quiet", quiet)
    monkeypatch.setattr(warmup, "_runs", 0)
    for name in ("_frame", "_go", "_now", "_done", "_first_page", "_finished"):
        monkeypatch.setattr(warmup, name, threading.Event())
    monkeypatch.setattr(warmup, "_importing", threading.Lock())
    monkeypatch.setattr(warmup, "_started", False)
    monkeypatch.setattr(warmup, "_first_page_at", 0.0)


def test_torch_waits_for_the_first_page_then_the_home_model_then_the_rest(monkeypatch):
    loads = []
    real = loaders.load_zoo_model
    monkeypatch.setattr(loaders, "load_zoo_model", lambda name: loads.append(name) or real(name))
    monkeypatch.setattr(warmup, "_import_alone", lambda name: None)  # no library imports
    loaders.zoo_model.clear()
    _fresh(monkeypatch)
    warmup.start()
    warmup.wait_frame(timeout=60)
    assert warmup._frame.is_set()
    # no browser yet: phase 1 waits (the first page's requests are served without its import)
    assert not warmup._done.wait(0.5) and loads == []
    warmup.page_ran()  # the first page was served
    assert warmup._done.wait(120) and loads[0] == HOME.defaults["model"]
    assert warmup._finished.wait(120)
    assert sorted(loads) == sorted(loaders.cards())  # every zoo model, each loaded once


def test_a_run_that_needs_torch_starts_phase_1_at_once_and_waits_for_it(monkeypatch):
    _fresh(monkeypatch)
    monkeypatch.setattr(warmup, "BROWSER_WAIT_S", 60.0)
    phases = []
    monkeypatch.setattr(warmup, "_phase1", lambda: (time.sleep(0.3), phases.append(1)))
    monkeypatch.setattr(warmup, "_phase2", lambda: phases.append(2))
    warmup.start()
    t0 = time.monotonic()
    warmup.need_torch(timeout=30)  # e.g. a first visit to Reconstruct, no page served before
    assert phases[:1] == [1] and time.monotonic() - t0 < 30


def test_torch_comes_as_the_first_page_ends_and_the_rest_a_second_after_it(monkeypatch):
    # torch as soon as the first page's run has ended: a click soon after waited for it
    # (benchmarks/startup.py --at-once); the second phase still leaves the browser a second to
    # draw that page, and no more: a second of idle server after phase 1 was lost warm-up time
    _fresh(monkeypatch)
    monkeypatch.setattr(warmup, "SETTLE_S", 1.0)
    monkeypatch.setattr(warmup, "BROWSER_WAIT_S", 60.0)
    times = {}
    monkeypatch.setattr(warmup, "_phase1", lambda: (times.setdefault(0, time.monotonic()),
                                                    time.sleep(0.3),
                                                    times.setdefault(1, time.monotonic())))
    monkeypatch.setattr(warmup, "_phase2", lambda: times.setdefault(2, time.monotonic()))
    warmup.start()
    warmup.wait_frame(timeout=60)
    assert not warmup._done.wait(0.3)  # no page served yet: no torch
    t0 = time.monotonic()
    warmup.page_ran()  # the first page's run ended
    assert warmup._finished.wait(30)
    assert times[0] - t0 < 0.3  # phase 1 at once
    assert 0.9 <= times[2] - t0 < 1.5  # phase 2 a second after that run, not after phase 1


def test_a_first_page_that_needed_torch_still_gets_its_second_to_draw(monkeypatch):
    _fresh(monkeypatch)
    monkeypatch.setattr(warmup, "SETTLE_S", 1.0)
    times = {}
    monkeypatch.setattr(warmup, "_phase1", lambda: None)
    monkeypatch.setattr(warmup, "_phase2", lambda: times.setdefault(2, time.monotonic()))
    warmup.start()
    warmup.need_torch(timeout=30)  # a deep link to a page that needs torch: phase 1 at once
    warmup.page_ran()  # that page's run ended
    t0 = time.monotonic()
    assert warmup._finished.wait(30) and times[2] - t0 >= 0.9


def test_the_second_phase_steps_aside_while_a_page_runs(monkeypatch):
    _fresh(monkeypatch)
    steps = []
    monkeypatch.setattr(warmup, "_phase1", lambda: None)
    monkeypatch.setattr(warmup, "_phase2", lambda: (warmup._step_aside(), steps.append("phase 2")))
    warmup.run_started()  # the first page's run
    warmup.run_started()  # and another session's, at the same time
    warmup.start()
    assert not warmup._finished.wait(0.3)
    warmup.page_ran()  # one served: phase 1 and 2 may begin, but the other run holds the floor
    assert warmup._done.wait(30) and not warmup._finished.wait(0.5) and steps == []
    warmup.page_ran()
    assert warmup._finished.wait(30) and steps == ["phase 2"]


def test_a_run_that_starts_while_a_library_is_imported_waits_for_the_import(monkeypatch, tmp_path):
    # a library imported on the warm-up's thread while a page's run imports an overlapping set of
    # modules can hand the page a half-initialised module: the run waits instead
    _fresh(monkeypatch)
    (tmp_path / "ae_slow_library.py").write_text("import time\ntime.sleep(0.8)\nREADY = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ae_slow_library", raising=False)
    importer = threading.Thread(target=warmup._import_alone, args=("ae_slow_library",))
    importer.start()
    deadline = time.monotonic() + 10
    while not warmup._importing.locked() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert warmup._importing.locked()
    warmup.run_started()  # a click: it waits for the import to end
    assert sys.modules["ae_slow_library"].READY
    assert not warmup._quiet.is_set()
    warmup.page_ran()
    importer.join(10)


def test_what_a_library_import_brings_in_is_frozen_before_a_page_runs(monkeypatch, tmp_path):
    # otherwise the end of the next page run (runtime.freeze_imports) collected every object the
    # warm-up had imported first: 0.3 s of the first page visited after scikit-learn came in
    import gc

    from startup import runtime
    _fresh(monkeypatch)
    (tmp_path / "ae_big_library.py").write_text("TABLE = [[i] for i in range(20000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ae_big_library", raising=False)
    gc.freeze()
    before = gc.get_freeze_count()
    try:
        warmup._import_alone("ae_big_library")
        assert gc.get_freeze_count() >= before + 20000  # its objects are in the permanent set
        assert not runtime.freeze_imports()  # so the next page run has nothing to collect
    finally:
        gc.unfreeze()


def test_the_first_calls_it_makes_ahead_still_exist():
    # the figure builders and the table conversion the warm-up calls once ahead of the Anomaly
    # page: a renamed or changed one fails here, not silently in the server's log
    warmup._first_calls()


def test_without_a_server_start_nothing_is_waited_for(monkeypatch):
    _fresh(monkeypatch)
    warmup.wait_frame(timeout=30)  # returns at once: AppTest and `streamlit run app.py` run alone
    warmup.need_torch(timeout=30)
    assert not warmup._frame.is_set() and not warmup._done.is_set()


def test_server_py_serves_app_py_behind_the_warm_up():
    text = (ROOT / "server.py").read_text()
    assert 'st.App("app.py", lifespan=lifespan, middleware=' in text and "warmup.start()" in text
    assert "streamlit run server.py" in (ROOT / "Makefile").read_text()


def _fresh_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, timeout=300)
    return out.stdout.strip().splitlines()[-1]


def test_the_server_answers_before_torch_is_imported():
    # server.py is imported before uvicorn listens: torch there would delay the health check
    code = "import sys, server; print(sorted({'torch', 'sklearn'} & set(sys.modules)))"
    assert _fresh_python(code) == "[]"


def test_the_lesson_asks_its_first_question_without_torch():
    # a teacher's likely first click, while a just-started server still imports torch: the
    # question is drawn without it, the demo after Reveal imports it
    code = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
at.switch_page("views/lesson.py").run()
assert not at.exception, [e.value for e in at.exception]
asked = ("torch" in sys.modules, len(at.radio), at.button(key="les_reveal").disabled)
at.radio(key=at.radio[0].key).set_value(at.radio[0].options[0]).run()
at.button(key="les_reveal").click().run()
assert not at.exception, [e.value for e in at.exception]
print(asked + ("torch" in sys.modules, len(at.get("image")) + len(at.get("imgs"))))
"""
    torch_asked, radios, locked, torch_after, shown = eval(_fresh_python(code))
    assert not torch_asked and radios == 1 and locked
    assert torch_after and shown > 0  # the first step's demo: real reconstructions


def test_the_home_page_draws_its_default_model_without_torch():
    # the first page a browser opens is drawn while the warm-up still imports torch, from the
    # preview shipped in pretrained/; another page (or another model) imports it
    code = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
assert not at.exception, [e.value for e in at.exception]
caps = [c for el in at.get("image") for c in el.proto.imgs if c.caption.startswith("MSE")]
home = ("torch" in sys.modules, len(caps), at.caption[0].value)
at.switch_page("views/reconstruct.py").run()
assert not at.exception, [e.value for e in at.exception]
print(home + ("torch" in sys.modules,))
"""
    torch_home, n_mse, caption, torch_after = eval(_fresh_python(code))
    assert not torch_home and n_mse == 8 and "code has 32" in caption
    assert torch_after


def test_a_page_that_waits_for_torch_says_so_and_a_warm_one_does_not(monkeypatch):
    # a click as soon as the server has started waits 2-4 s for torch's import (2 cores): the
    # page shows why instead of staying blank
    _fresh(monkeypatch)
    monkeypatch.setattr(warmup, "_started", True)  # a server's warm-up, still in phase 1
    warmup._frame.set()
    shown = []  # (text, whether torch was ready when the spinner began)
    real = streamlit.spinner

    @contextlib.contextmanager
    def spinner(text, **kw):
        shown.append((text, warmup._done.is_set()))
        threading.Timer(0.7, warmup._done.set).start()  # phase 1 ends while the spinner shows
        with real(text, **kw):
            yield

    monkeypatch.setattr(streamlit, "spinner", spinner)
    threading.Timer(20, warmup._done.set).start()  # without a spinner: no 120 s wait either
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("views/reconstruct.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [text for text, ready in shown if not ready] == [warmup.WAIT_TEXT]
    assert "PyTorch" in warmup.WAIT_TEXT
    n = len(shown)
    at.run()  # torch is in: no spinner of the warm-up's
    assert warmup.WAIT_TEXT not in [text for text, _ in shown[n:]]
