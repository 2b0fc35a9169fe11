"""Every numeric input is bounded in its widget (checked by parsing the page code) and again in
aecore (out-of-range values raise ConfigError with a message)."""
from __future__ import annotations

import ast

import pytest
import torch

from conftest import ROOT

from aecore.errors import ConfigError
from aecore.noise import KINDS, MAX_LEVEL, add_noise
from aecore.model_types import make_configs

NUMERIC = ("number_input", "slider")
LINKED = ("number", "slider")  # ui.query's linked widgets: query.slider(name, label, lo, hi, ...)
SOURCES = sorted([*(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"])


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def unbounded_calls(source: str) -> list[int]:
    """Line numbers of numeric widget calls without both a minimum and a maximum.

    ``st.slider(label, lo, hi, ...)`` / ``c1.number_input(...)`` take the bounds as the 2nd and
    3rd positional arguments or as ``min_value=`` / ``max_value=``; a starred argument
    (``*bounds``) counts as supplying the rest. The linked widgets ``query.slider(name, label,
    lo, hi, default, ...)`` / ``query.number(...)`` take them as the 3rd and 4th.
    """
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        kw = {k.arg for k in node.keywords}
        linked = (isinstance(node.func, ast.Attribute) and _name(node.func.value) == "query"
                  and node.func.attr in LINKED)
        if linked:
            has_min, has_max = len(node.args) >= 3 or "lo" in kw, len(node.args) >= 4 or "hi" in kw
        elif _name(node.func) in NUMERIC:
            args = node.args
            starred = any(isinstance(a, ast.Starred) for a in args)
            has_min = len(args) >= 2 or "min_value" in kw or starred
            has_max = len(args) >= 3 or "max_value" in kw or (starred and len(args) >= 2)
        else:
            continue
        if not (has_min and has_max):
            bad.append(node.lineno)
    return bad


def test_the_checker_catches_an_unbounded_widget():
    assert unbounded_calls("st.slider('x', 0, 10)\nc.number_input('n', min_value=0, max_value=9)"
                           "\nst.slider('r', *b, (1, 2))") == []
    assert unbounded_calls("st.number_input('n')\nst.slider('x', min_value=0)\n"
                           "query.number('k', 'K', 1, key='k')") == [1, 2, 3]
    assert unbounded_calls("query.slider('n', 'N', 1, 9, 3, key='n')") == []


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(ROOT).as_posix() for p in SOURCES])
def test_every_numeric_widget_is_bounded(path):
    assert unbounded_calls(path.read_text()) == [], f"{path.name}: add min_value/max_value"


def test_every_numeric_field_of_the_train_form_is_bounded():
    """The Train page draws each model type's fields (aecore.model_types) as linked widgets with
    the field's bounds: a numeric field without both would be an unbounded widget."""
    from aecore import model_types as mt
    for t in mt.TYPES.values():
        for f in mt.form_fields(t):
            if f.kind in ("int", "float", "slider"):
                assert f.lo is not None and f.hi is not None, f"{t.name}.{f.name}"


def test_the_core_bounds_its_inputs_again():
    x = torch.zeros(1, 1, 28, 28)
    for kind in KINDS:
        with pytest.raises(ConfigError):
            add_noise(x, kind, MAX_LEVEL[kind] * 2, torch.Generator().manual_seed(0))
        with pytest.raises(ConfigError):
            add_noise(x, kind, -0.1, torch.Generator().manual_seed(0))
    for bad in ({"latent_dim": 0}, {"latent_dim": 10**9}, {"hidden": (10**9,)}, {"epochs": 10**6},
                {"lr": -1.0}, {"batch_size": 0}):
        with pytest.raises(ConfigError):
            make_configs("dense", **bad)
