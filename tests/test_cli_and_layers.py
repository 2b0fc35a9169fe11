"""The CLI trains and evaluates with a JSON last line; the layers stay apart."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> tuple[int, dict]:
    out = subprocess.run([sys.executable, "-m", "aecore", "--threads", "1", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1])


def test_cli_trains_a_preset_saves_it_and_evaluates_it(tmp_path):
    rc, res = run_cli("train", "--preset", "quick_k2", "--epochs", "1", "--set", "subset=1000",
                      "--set", "hidden=[32]", "--set", 'activations=["tanh"]',
                      "--out", str(tmp_path))
    assert rc == 0, res
    assert res["name"] == "quick_k2" and 0 < res["mse"] < 1 and "knn_2d" in res
    card = json.loads((tmp_path / "quick_k2.json").read_text())
    assert card["config"]["hidden"] == [32] and card["train"]["subset"] == 1000
    assert card["config"]["activations"] == ["tanh"]  # a setting left out of the preset's card
    assert card["command"].startswith("python -m aecore train --preset quick_k2")
    rc, ev = run_cli("eval", str(tmp_path / "quick_k2.safetensors"), "--n", "500")
    assert rc == 0 and abs(ev["mse"] - res["mse"]) < 0.02
    # the card's check block (what tests/test_zoo.py recomputes) describes the saved weights
    assert card["check"]["n"] == 500 and abs(card["check"]["mse"] - ev["mse"]) < 1e-5


def test_cli_reports_bad_input_as_json():
    rc, res = run_cli("train", "--preset", "nope")
    assert rc == 2 and "unknown preset" in res["error"]
    rc, res = run_cli("train", "--preset", "quick_k2", "--set", "epochs=0")
    assert rc == 2 and "epochs must be between" in res["error"]
    rc, res = run_cli("train", "--type", "dense", "--set", "hidden=[32, 16]",
                      "--set", 'activations=["tanh"]')
    assert rc == 2 and "one name per hidden layer (2)" in res["error"]
    rc, res = run_cli("train", "--type", "vae", "--set", "hidden=[64]",
                      "--set", 'activations=["swish"]')
    assert rc == 2 and "per-layer activation must be one of" in res["error"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit():
    for p in (ROOT / "aecore").rglob("*.py"):
        assert "streamlit" not in _imports(p), p


def test_pages_do_not_build_or_train_models():
    """Model code, training and hand-built configs stay in aecore: not in the pages (views/),
    not in what they share (ui/), not in the frame (app.py). Trainings go through the job
    manager; configs come from aecore.model_types or aecore.presets."""
    files = [*(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]
    assert len(files) > 10, "the pages were not found"
    banned = ("nn.Linear(", "nn.Conv2d(", "(nn.Module):", ".backward(", "optim.", "build_model(",
              "aecore.train import", "Config(")
    for p in files:
        text = p.read_text()
        for b in banned:
            assert b not in text, f"{p.relative_to(ROOT)} contains {b}"
