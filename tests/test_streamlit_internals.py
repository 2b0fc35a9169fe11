"""The app's one use of a private Streamlit interface, pinned by a test that fails when
Streamlit moves it (then ``ui/library._install_stop`` silently loses its bounded stop)."""
from __future__ import annotations

import re

from conftest import ROOT

PRIVATE = re.compile(r"^\s*(from|import)\s+streamlit\.runtime\b", re.M)


def test_the_app_imports_streamlit_internals_in_one_place_only():
    sources = [*(ROOT / "ui").glob("*.py"), *(ROOT / "views").glob("*.py"), ROOT / "app.py"]
    users = {p.relative_to(ROOT).as_posix(): len(PRIVATE.findall(p.read_text()))
             for p in sources if PRIVATE.search(p.read_text())}
    assert users == {"ui/library.py": 1}, users


def test_the_private_runtime_the_wrapper_reaches_still_exists():
    from streamlit.runtime import Runtime  # what ui/library._install_stop imports

    from streamlit.runtime.runtime import AsyncObjects

    assert callable(getattr(Runtime, "instance", None))
    assert callable(getattr(Runtime, "_get_async_objs", None))
    assert "eventloop" in AsyncObjects._fields  # Runtime.instance()._get_async_objs().eventloop
