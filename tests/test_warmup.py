"""The start-up warm-up (server.py's lifespan, ui/warmup.py): it loads what the Home page shows,
so the first browser's run finds it in the caches, and the page run waits for it instead of
importing alongside it."""
from __future__ import annotations

import threading

from conftest import ROOT

from ui import loaders, warmup


def _fresh(monkeypatch) -> None:
    monkeypatch.setattr(warmup, "SETTLE_S", 0.0)
    quiet = threading.Event()
    quiet.set()
    monkeypatch.setattr(warmup, "_quiet", quiet)
    monkeypatch.setattr(warmup, "_runs", 0)
    for name in ("_done", "_first_page", "_finished"):
        monkeypatch.setattr(warmup, name, threading.Event())
    monkeypatch.setattr(warmup, "_started", False)


def test_the_warm_up_loads_the_home_model_first_then_the_rest_after_the_first_page(monkeypatch):
    assert f'"zoo:{warmup.HOME_MODEL}"' in (ROOT / "app.py").read_text()  # Home's own default
    loads = []
    real = loaders.load_zoo_model
    monkeypatch.setattr(loaders, "load_zoo_model", lambda name: loads.append(name) or real(name))
    loaders.zoo_model.clear()
    _fresh(monkeypatch)
    warmup.start()
    warmup.wait(timeout=120)
    assert warmup._done.is_set() and loads == [warmup.HOME_MODEL]
    model, card = loaders.zoo_model(warmup.HOME_MODEL)  # what the Home page's run calls
    assert loads == [warmup.HOME_MODEL] and card["name"] == warmup.HOME_MODEL
    assert not warmup._finished.wait(0.5)  # the rest waits for the first page to be served
    warmup.page_ran()
    assert warmup._finished.wait(120)
    assert sorted(loads) == sorted(loaders.cards())  # every zoo model, each loaded once


def test_the_second_phase_steps_aside_while_a_page_runs(monkeypatch):
    _fresh(monkeypatch)
    steps = []
    monkeypatch.setattr(warmup, "_phase1", lambda: None)
    monkeypatch.setattr(warmup, "_phase2", lambda: (warmup._step_aside(), steps.append("phase 2")))
    warmup.run_started()  # the first page's run
    warmup.run_started()  # and another session's, at the same time
    warmup.start()
    assert warmup._done.wait(30) and not warmup._finished.wait(0.3)
    warmup.page_ran()  # one served: the second phase may begin, but the other run holds the floor
    assert not warmup._finished.wait(0.5) and steps == []
    warmup.page_ran()
    assert warmup._finished.wait(30) and steps == ["phase 2"]


def test_without_a_server_start_nothing_is_waited_for(monkeypatch):
    _fresh(monkeypatch)
    warmup.wait(timeout=30)  # returns at once: AppTest and `streamlit run app.py` run alone
    assert not warmup._done.is_set()


def test_server_py_serves_app_py_behind_the_warm_up():
    text = (ROOT / "server.py").read_text()
    assert 'st.App("app.py", lifespan=lifespan)' in text and "warmup.start()" in text
    assert "streamlit run server.py" in (ROOT / "Makefile").read_text()


def test_the_server_answers_before_torch_is_imported():
    # server.py is imported before uvicorn listens: torch there would delay the health check
    import subprocess
    import sys

    code = "import sys, server; print(sorted({'torch', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
