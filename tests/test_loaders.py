"""startup.runtime.freeze_imports: what keeps Streamlit's collection after every run short must not
keep a long classroom session's garbage alive."""
from __future__ import annotations

import gc
import sys
import types
import weakref

import pytest

from startup import runtime as loaders


class _Node:
    def __init__(self) -> None:
        self.other = self  # a reference cycle: only the cycle collector frees it


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_imports_are_frozen_and_later_cycles_are_still_freed(unfrozen, monkeypatch):
    monkeypatch.setattr(loaders, "_frozen_at", 0)
    assert loaders.freeze_imports()
    assert gc.get_freeze_count() > 10_000  # torch, plotly, streamlit: their objects

    node = _Node()  # made after the freeze, as a page's figures and tensors are
    gone = weakref.ref(node)
    del node
    gc.collect(2)
    assert gone() is None


def test_a_rerun_without_new_imports_freezes_nothing_more(unfrozen, monkeypatch):
    monkeypatch.setattr(loaders, "_frozen_at", 0)
    assert loaders.freeze_imports()
    first = gc.get_freeze_count()
    keep = [_Node() for _ in range(1000)]  # a session's live objects between two reruns
    assert not loaders.freeze_imports()
    assert gc.get_freeze_count() == first  # the session's objects were not frozen

    # a page's first visit imports a module: then the freeze is renewed
    monkeypatch.setitem(sys.modules, "ae_test_page_module", types.ModuleType("ae_test_page_module"))
    assert loaders.freeze_imports()
    assert gc.get_freeze_count() > first
    assert not loaders.freeze_imports()
    del keep
