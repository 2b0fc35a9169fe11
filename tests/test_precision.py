"""The training precision is chosen by measurement (a probe), cached per machine, never by flags."""
from __future__ import annotations

import json
import math

import pytest

from aecore import device


def fake_step(fp32_s: float, bf16_s: float, calls: list[str] | None = None):
    """A probe whose steps take the given seconds, recording the order of calls."""
    def step(precision: str) -> float:
        if calls is not None:
            calls.append(precision)
        return fp32_s if precision == "fp32" else bf16_s
    return step


@pytest.mark.parametrize("fp32_s, bf16_s, expected", [
    (2.0, 1.0, "bf16"),            # twice as fast: worth the rounding
    (1.0, 1.0, "fp32"),            # no gain (the Xeon with AMX, in a training step)
    (1.1, 1.0, "fp32"),            # 10% is inside the 1.2x margin
    (1.0, 50.0, "fp32"),           # no bf16 units
    (1.0, math.nan, "fp32"),       # a failed measurement never picks bf16
    (0.0, 1.0, "fp32"),
])
def test_choose_precision_needs_a_clear_measured_gain(fp32_s, bf16_s, expected):
    assert device.choose_precision(fp32_s, bf16_s) == expected


def test_probe_alternates_and_gives_up_early_on_a_slow_bf16():
    calls: list[str] = []
    fp32_s, bf16_s = device.compare_precisions(fake_step(0.002, 0.3, calls), reps=5)
    assert (fp32_s, bf16_s) == (0.002, 0.3)
    # warm-up of each, then one alternating round; bf16 over 3x slower ends it
    assert calls == ["fp32", "bf16", "fp32", "bf16"]
    calls.clear()
    device.compare_precisions(fake_step(0.002, 0.001, calls), reps=3)
    assert calls == ["fp32", "bf16"] * 4


def test_probe_takes_the_fastest_step_of_each():
    times = iter([9.0, 9.0,            # warm-ups, ignored
                  0.5, 0.9, 0.2, 0.5, 0.4, 0.1])
    assert device.compare_precisions(lambda p: next(times), reps=3) == (0.2, 0.1)


def test_measured_precision_is_cached_per_machine(tmp_path, monkeypatch):
    cache = tmp_path / "precision.json"
    calls: list[str] = []
    first = device.measured_precision(cache, fake_step(0.004, 0.001, calls))
    assert first["precision"] == "bf16" and not first["cached"]
    n_calls = len(calls)
    again = device.measured_precision(cache, fake_step(0.001, 0.004, calls))
    assert again["precision"] == "bf16" and again["cached"] and len(calls) == n_calls  # no probe
    table = json.loads(cache.read_text())
    assert table[device.machine_key()]["precision"] == "bf16"
    # another machine (another CPU model) measures for itself and keeps the first entry
    monkeypatch.setattr(device, "cpu_model", lambda: "Another CPU")
    other = device.measured_precision(cache, fake_step(0.001, 0.004))
    assert other["precision"] == "fp32" and not other["cached"]
    assert len(json.loads(cache.read_text())) == 2


def test_a_damaged_or_unwritable_cache_only_means_measuring_again(tmp_path):
    cache = tmp_path / "precision.json"
    cache.write_text("{not json")
    assert device.measured_precision(cache, fake_step(0.001, 0.004))["precision"] == "fp32"
    assert json.loads(cache.read_text())[device.machine_key()]["precision"] == "fp32"
    blocked = tmp_path / "file" / "precision.json"
    (tmp_path / "file").write_text("a file where a folder should be")
    res = device.measured_precision(blocked, fake_step(0.004, 0.001))
    assert res["precision"] == "bf16" and not res["cached"]


def test_the_real_probe_runs_and_decides(tmp_path):
    res = device.measured_precision(tmp_path / "p.json")
    assert res["precision"] in ("fp32", "bf16")
    assert res["fp32_s"] > 0 and res["bf16_s"] > 0
    assert res["precision"] == device.choose_precision(res["fp32_s"], res["bf16_s"])


def test_training_precision_is_fp32_off_the_cpu_without_cuda():
    assert device.training_precision("meta") == "fp32"
    assert device.bf16_fast("cpu") == (device.training_precision("cpu") == "bf16")
