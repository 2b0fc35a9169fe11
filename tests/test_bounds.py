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
    (``*bounds``) counts as supplying the rest. A wrapper called with the widget function as its
    first argument (``_kept(c1.number_input, label, key, default, min_value=..., ...)``) must
    pass both as keywords.
    """
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        kw = {k.arg for k in node.keywords}
        if _name(node.func) in NUMERIC:
            args = node.args
            starred = any(isinstance(a, ast.Starred) for a in args)
            has_min = len(args) >= 2 or "min_value" in kw or starred
            has_max = len(args) >= 3 or "max_value" in kw or (starred and len(args) >= 2)
        elif node.args and _name(node.args[0]) in NUMERIC:
            has_min, has_max = "min_value" in kw, "max_value" in kw
        else:
            continue
        if not (has_min and has_max):
            bad.append(node.lineno)
    return bad


def test_the_checker_catches_an_unbounded_widget():
    assert unbounded_calls("st.slider('x', 0, 10)\nc.number_input('n', min_value=0, max_value=9)"
                           "\nst.slider('r', *b, (1, 2))") == []
    assert unbounded_calls("st.number_input('n')\nst.slider('x', min_value=0)\n"
                           "_kept(c.number_input, 'k', 'key', 3, min_value=1)") == [1, 2, 3]


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(ROOT).as_posix() for p in SOURCES])
def test_every_numeric_widget_is_bounded(path):
    assert unbounded_calls(path.read_text()) == [], f"{path.name}: add min_value/max_value"


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
