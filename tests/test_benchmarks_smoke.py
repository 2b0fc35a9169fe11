"""Benchmark scripts on a reduced setting, so that they cannot rot."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMOKE_TIMEOUT_S = 1100  # a hang guard (pytest.ini's timeout is longer): a busy machine is slow


def _browser_bench(script: str, *args: str, ok_exit: bool = True) -> tuple[dict, str]:
    """Run ``benchmarks/<script>`` with ``args`` in a real browser (skipped without one); its
    JSON line and its output. ``ok_exit``: it must exit 0 (load.py exits 1 on a missed bar)."""
    import json
    import subprocess
    import sys

    from benchmarks._browser import missing
    reason = missing()
    if reason:
        pytest.skip(reason)
    out = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S)
    assert out.returncode == 0 or not ok_exit, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stdout[-3000:]


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
    import math

    res, _ = _browser_bench("ui_latency.py", "--quick")
    for key in ("slider_ms_median", "slider_ms_p95", "page_switch_ms_median",
                "slider_ms_median_while_training", "slider_ms_p95_while_training"):
        v = res[key]
        assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, (key, v)
    assert res["slider_ms_p95"] >= res["slider_ms_median"]
    assert res["moves_while_training"] >= 1
    assert res["exceptions"] == 0


@pytest.mark.browser
@pytest.mark.slow
def test_ui_live_smoke():
    """benchmarks/ui_live.py --smoke in a real browser: its JSON line has every key, the page
    decoded under the sweeping pointer and followed every live slider's drag, and nothing reached
    the server before a release (no timing bar: the machine may be busy)."""
    res, _ = _browser_bench("ui_live.py", "--smoke")
    assert res["latent_hover_fps"] > 0 and res["latent_decode_ms_p95"] > 0
    assert res["first_live_frame_ms"] > 0
    assert set(res["drag_updates_per_s"]) == {"generate temperature", "denoise strength",
                                              "bottleneck k"}
    assert all(v and v > 0 for v in res["drag_updates_per_s"].values()), res
    assert res["server_reruns_during_drag"] == 0


def _ws_frame(payload: bytes, opcode: int = 2, fin: bool = True, mask: bytes = b"") -> bytes:
    """One websocket frame (RFC 6455): a browser masks its frames, a server does not."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    size = (bytes([n]) if n < 126 else bytes([126]) + n.to_bytes(2, "big") if n < 65536
            else bytes([127]) + n.to_bytes(8, "big"))
    if mask:
        size = bytes([size[0] | 0x80]) + size[1:]
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + size + mask + payload


def test_wire_frames_survive_any_split_masks_and_fragments():
    """The timing proxy cuts a byte stream into binary messages however the bytes arrive: masked
    or not, 7-bit, 16-bit and 64-bit lengths, fragments with a ping between them; text frames
    are not Streamlit's and are skipped."""
    from benchmarks._wire import Frames

    big, huge = bytes(range(256)) * 2, bytes(70_000)
    stream = (_ws_frame(b"small", mask=b"\x01\x02\x03\x04")
              + _ws_frame(b"text", opcode=1)
              + _ws_frame(big, mask=b"\xff\x00\xaa\x55")
              + _ws_frame(b"part one ", fin=False) + _ws_frame(b"", opcode=9)  # ping between
              + _ws_frame(b"part two", opcode=0)
              + _ws_frame(huge))
    for chunk in (1, 7, 1000, len(stream)):
        frames, got = Frames(), []
        for i in range(0, len(stream), chunk):
            got += frames.feed(stream[i:i + chunk])
        assert got == [b"small", big, b"part one part two", huge], chunk
        assert not frames.buf


def test_wire_times_each_rerun_request_to_the_script_finished_that_answers_it():
    """A rerun request is answered by the next "script finished" that is not a run cut short by
    a newer request; the record says whether the rerun was a fragment's and whether it was a timed
    one; a whole connection (HTTP upgrade, then frames) is read the same way."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from benchmarks._wire import Answers, Connection

    def rerun(fragment: str = "", auto: bool = False) -> bytes:
        msg = BackMsg()
        msg.rerun_script.query_string = "level=0.5"
        msg.rerun_script.fragment_id, msg.rerun_script.is_auto_rerun = fragment, auto
        return msg.SerializeToString()

    def finished(status) -> bytes:
        msg = ForwardMsg()
        msg.script_finished = status
        return msg.SerializeToString()

    status = ForwardMsg()
    status.session_status_changed.script_is_running = True
    now, log = [10.0], []
    conn = Connection(Answers(log.append, clock=lambda: now[0]))
    conn.downstream(b"HTTP/1.1 200 OK\r\n\r\n")  # nothing is read before the upgrade
    conn.upstream(b"GET /_stcore/stream HTTP/1.1\r\nUpgrade: websocket\r\n")
    conn.upstream(b"Connection: Upgrade\r\n\r\n" + _ws_frame(rerun("f1"), mask=b"abcd"))
    conn.downstream(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
    now[0] = 10.1
    conn.downstream(_ws_frame(status.SerializeToString()))
    conn.downstream(_ws_frame(finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN)))
    assert log == []  # a run cut short answers nothing
    now[0] = 10.25
    conn.downstream(_ws_frame(finished(ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)))
    assert log == [{"t": 10.0, "fragment": True, "auto": False, "ms": 250.0}]
    now[0] = 11.0
    conn.upstream(_ws_frame(rerun("f2", auto=True), mask=b"wxyz"))
    now[0] = 11.5
    conn.downstream(_ws_frame(finished(ForwardMsg.FINISHED_SUCCESSFULLY)))
    assert log[1] == {"t": 11.0, "fragment": True, "auto": True, "ms": 500.0}

    plain, log2 = Connection(Answers(log.append)), len(log)
    plain.upstream(b"GET /media/x.png HTTP/1.1\r\n\r\n" + _ws_frame(rerun(), mask=b"abcd"))
    plain.downstream(_ws_frame(finished(ForwardMsg.FINISHED_SUCCESSFULLY)))
    assert len(log) == log2  # bytes of a plain HTTP connection are not read as messages


def test_load_counts_only_the_users_slider_steps():
    """load.py's server answers are the fragment reruns a person asked for while users acted:
    not timed reruns (a training's progress), not full-page reruns, not before or after."""
    answers = [{"t": 5.0, "fragment": True, "auto": False, "ms": 1.0},
               {"t": 12.0, "fragment": True, "auto": False, "ms": 2.0},
               {"t": 13.0, "fragment": True, "auto": True, "ms": 3.0},
               {"t": 14.0, "fragment": False, "auto": False, "ms": 4.0},
               {"t": 70.0, "fragment": True, "auto": False, "ms": 5.0},
               {"t": 99.0, "fragment": True, "auto": False, "ms": 6.0}]
    assert _load("load").slider_answers(answers, (10.0, 70.0)) == [2.0, 5.0]


def test_load_summarises_any_error_in_one_line():
    """A timed-out step (asyncio's TimeoutError has no message) is noted, not a crash."""
    import asyncio
    why = _load("load").why
    assert why(asyncio.TimeoutError()) == "TimeoutError"
    assert why(ValueError("first line\nsecond")) == "ValueError: first line"


@pytest.mark.browser
@pytest.mark.slow
def test_load_benchmark_smoke():
    """benchmarks/load.py --smoke: two users (one a probe with a browser of its own) and one
    tiny training waited for until it ends; it drives the browsers through its timing proxy,
    sees no exception, and times the slider steps at the page and at the wire (no timing bar:
    the machine may be busy)."""
    res, printed = _browser_bench("load.py", "--smoke", ok_exit=False)
    assert res["exceptions"] == 0, printed
    assert res["probes"] == 1 and res["slider_moves"] >= 1, (res, printed)
    assert res["slider_moves_all"] > res["slider_moves"] and res["server_answers"] >= 2, res
    assert 0 < res["server_answer_ms_median"] <= res["server_answer_ms_p95"], res
    assert 0 < res["slider_ms_median"] <= res["slider_ms_p95"], res
    assert 0 < res["slider_ms_median_all"] <= res["slider_ms_p95_all"], res
    assert res["trainings_done"] == 1 and res["peak_rss_mb"] > 0, res
