"""benchmarks/store.py on a reduced setting (no server), so that it cannot rot: its JSON line has
every store figure, and the figures that are counts of losses are zero."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_store_benchmark_smoke():
    run = subprocess.run([sys.executable, "benchmarks/store.py", "--quick", "--skip-server"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["save_ms_p95"] > 0 and out["list_ms_p95"] > 0
    assert out["concurrent_saves_lost"] == 0
    assert out["restart_models_recovered"] == "all"
    assert out["kill9_half_models_listed"] == 0 and out["kill9_models_listed"] >= 1
