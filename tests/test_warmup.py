"""The start-up warm-up (server.py's lifespan, ui/warmup.py): it loads what the Home page shows,
so the first browser's run finds it in the caches, and the page run waits for it instead of
importing alongside it."""
from __future__ import annotations

import threading

from conftest import ROOT

from ui import loaders, warmup


def test_the_warm_up_loads_the_home_model_the_first_run_then_reuses(monkeypatch):
    assert f'"zoo:{warmup.HOME_MODEL}"' in (ROOT / "app.py").read_text()  # Home's own default
    loads = []
    real = loaders.load_zoo_model
    monkeypatch.setattr(loaders, "load_zoo_model", lambda name: loads.append(name) or real(name))
    loaders.zoo_model.clear()
    monkeypatch.setattr(warmup, "_started", False)
    monkeypatch.setattr(warmup, "_done", threading.Event())
    warmup.start()
    warmup.wait(timeout=120)
    assert warmup._done.is_set() and loads == [warmup.HOME_MODEL]
    model, card = loaders.zoo_model(warmup.HOME_MODEL)  # what the Home page's run calls
    assert loads == [warmup.HOME_MODEL] and card["name"] == warmup.HOME_MODEL


def test_without_a_server_start_nothing_is_waited_for(monkeypatch):
    monkeypatch.setattr(warmup, "_started", False)
    monkeypatch.setattr(warmup, "_done", threading.Event())
    warmup.wait(timeout=30)  # returns at once: AppTest and `streamlit run app.py` run alone
    assert not warmup._done.is_set()


def test_server_py_serves_app_py_behind_the_warm_up():
    text = (ROOT / "server.py").read_text()
    assert 'st.App("app.py", lifespan=lifespan)' in text and "warmup.start()" in text
    assert "streamlit run server.py" in (ROOT / "Makefile").read_text()
