"""Benchmark scripts on a reduced setting, so that they cannot rot."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_anomaly_benchmark_smoke(capsys):
    bench = _load("anomaly")
    out = bench.main(["--epochs", "1", "--digits", "0", "1", "--subset", "500", "--test-n", "1000",
                      "--model", "dense"])
    assert set(out["auroc"]) == {"0", "1"}
    assert all(0 <= v <= 100 for v in out["auroc"].values())
    assert 0 <= out["mean_auroc"] <= 100
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"auroc"' in printed and '"mean_auroc"' in printed


@pytest.mark.browser
@pytest.mark.slow
def test_ui_latency_smoke():
    """benchmarks/ui_latency.py --quick in a real browser: its JSON line has every figure, each a
    positive number (no timing bar: the machine may be busy)."""
    import json
    import math
    import subprocess
    import sys

    from benchmarks._browser import missing
    reason = missing()
    if reason:
        pytest.skip(reason)
    out = subprocess.run([sys.executable, "benchmarks/ui_latency.py", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("slider_ms_median", "slider_ms_p95", "page_switch_ms_median",
                "slider_ms_median_while_training", "slider_ms_p95_while_training"):
        v = res[key]
        assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, (key, v)
    assert res["slider_ms_p95"] >= res["slider_ms_median"]
    assert res["moves_while_training"] >= 1
    assert res["exceptions"] == 0


def _frame(msg, ts: float) -> dict:
    """A DevTools ``Network.webSocketFrame*`` event carrying a binary Streamlit message."""
    import base64
    return {"timestamp": ts, "response": {"opcode": 2,
                                          "payloadData": base64.b64encode(msg.SerializeToString())}}


def test_load_server_clock_times_rerun_to_script_finished():
    """benchmarks/load.py times the server from the rerun request leaving the browser to the
    "script finished" message arriving; other messages and text frames do not stop the clock."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    clock = _load("load").ServerClock()
    rerun, status, done = BackMsg(), ForwardMsg(), ForwardMsg()
    rerun.rerun_script.query_string = "level=0.5"
    status.session_status_changed.script_is_running = True
    done.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    clock.arm()
    clock._received(_frame(done, 9.0))  # an answer before any request is not ours
    clock._sent(_frame(rerun, 10.0))
    clock._sent(_frame(rerun, 10.5))  # a second request: the clock keeps the first
    clock._received({"timestamp": 10.1, "response": {"opcode": 1, "payloadData": "ping"}})
    clock._received(_frame(status, 10.2))
    clock._received(_frame(done, 10.75))
    clock._received(_frame(done, 11.0))
    assert clock.sent == 10.0 and clock.finished == 10.75
    clock.arm()
    assert clock.sent is None and clock.finished is None
