"""Tests for aecore.sensors: shapes, reproducibility, standardisation and fault injection."""
from __future__ import annotations

import pytest
import torch

from aecore.errors import ConfigError
from aecore.sensors import (
    FAULT_KINDS,
    SensorSeries,
    generate_series,
    make_windows,
    sensor_dataset,
    window_labels,
)


def test_shapes_and_names() -> None:
    s = generate_series(300, channels=6, seed=0)
    assert isinstance(s, SensorSeries)
    assert s.x.shape == (300, 6) and s.x.dtype == torch.float32
    assert s.fault_mask.shape == (300,) and s.fault_mask.dtype == torch.bool
    assert not s.fault_mask.any() and s.faults == ()
    assert s.channel_names[:4] == ("temperature", "vibration", "pressure", "current")
    assert s.channel_names[4:] == ("temperature_2", "vibration_2")
    assert torch.isfinite(s.x).all()


def test_deterministic_per_seed() -> None:
    a = generate_series(256, faults=("spike",), n_faults=2, seed=7)
    b = generate_series(256, faults=("spike",), n_faults=2, seed=7)
    c = generate_series(256, faults=("spike",), n_faults=2, seed=8)
    assert torch.equal(a.x, b.x) and torch.equal(a.fault_mask, b.fault_mask)
    assert a.faults == b.faults and len(a.faults) == 3 and a.faults[0][0] == "spike"
    assert not torch.equal(a.x, c.x)
    # an explicit generator gives the same stream as the seed it was seeded with
    g = generate_series(256, faults=("spike",), n_faults=2,
                        generator=torch.Generator().manual_seed(7))
    assert torch.equal(a.x, g.x)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_data_is_standardised(seed: int) -> None:
    x = generate_series(4000, channels=4, seed=seed).x
    assert torch.all(x.mean(dim=0).abs() < 0.3), x.mean(dim=0)
    std = x.std(dim=0)
    assert torch.all((std > 0.5) & (std < 1.5)), std


def test_pressure_follows_temperature() -> None:
    x = generate_series(4000, seed=3).x
    corr = torch.corrcoef(x.T)  # (4, 4)
    assert corr[0, 2] > 0.7  # pressure tracks (lagged) temperature
    assert abs(float(corr[0, 1])) < 0.2  # vibration does not


@pytest.mark.parametrize("kind", FAULT_KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fault_changes_only_its_span(kind: str, seed: int) -> None:
    clean = generate_series(128, seed=seed)
    bad = generate_series(128, faults=(kind,), seed=seed)
    ((k, ch, start, end),) = bad.faults
    assert k == kind and 0 <= ch < 4 and 0 <= start < end <= 128
    expected_mask = torch.zeros(128, dtype=torch.bool)
    expected_mask[start:end] = True
    assert torch.equal(bad.fault_mask, expected_mask)
    changed = bad.x != clean.x  # (T, C)
    # nothing outside the span or on another channel moves; every step inside the span does
    outside = changed.clone()
    outside[start:end, ch] = False
    assert not outside.any()
    assert changed[start:end, ch].all()
    if kind == "spike":
        assert (bad.x - clean.x)[start:end, ch].abs().min() >= 5.0
    elif kind == "drift":
        assert end == 128  # lasts to the end of the series
        ramp = (bad.x - clean.x)[start:end, ch].abs()
        assert torch.all(ramp[1:] >= ramp[:-1] - 1e-5) and 3.0 - 1e-4 <= ramp[-1] <= 5.0 + 1e-4
    else:  # stuck: holds the reading from just before the span
        assert torch.all(bad.x[start:end, ch] == clean.x[start - 1, ch])


def test_random_faults_mask_is_union_of_spans() -> None:
    s = generate_series(500, channels=3, n_faults=5, seed=11)
    assert len(s.faults) == 5 and all(f[0] in FAULT_KINDS for f in s.faults)
    expected = torch.zeros(500, dtype=torch.bool)
    for _, ch, start, end in s.faults:
        assert 0 <= ch < 3
        expected[start:end] = True
    assert torch.equal(s.fault_mask, expected)


def test_windows_and_labels_consistent() -> None:
    s = generate_series(100, faults=("spike",), seed=4)
    w = make_windows(s.x, window=16, stride=8)
    lab = window_labels(s.fault_mask, window=16, stride=8)
    assert w.shape == ((100 - 16) // 8 + 1, 16, 4) and lab.shape == (w.shape[0],)
    for i in range(w.shape[0]):
        assert torch.equal(w[i], s.x[i * 8:i * 8 + 16])
        assert bool(lab[i]) == bool(s.fault_mask[i * 8:i * 8 + 16].any())
    assert lab.any() and not lab.all()


def test_sensor_dataset() -> None:
    ds = sensor_dataset(40, window=32, channels=3, fault_fraction=0.25, seed=1)
    assert ds.x.shape == (40, 32, 3) and ds.x.dtype == torch.float32
    assert ds.labels.shape == (40,) and int(ds.labels.sum()) == 10
    again = sensor_dataset(40, window=32, channels=3, fault_fraction=0.25, seed=1)
    assert torch.equal(ds.x, again.x) and torch.equal(ds.labels, again.labels)
    other = sensor_dataset(40, window=32, channels=3, fault_fraction=0.25, seed=2)
    assert not torch.equal(ds.x, other.x)
    # faulty windows stand out: their largest deviation from zero is bigger on average
    peak = ds.x.abs().amax(dim=(1, 2))
    assert peak[ds.labels].mean() > peak[~ds.labels].mean()
    normal = sensor_dataset(20, window=4, seed=0)  # the shortest window the sequence AE allows
    assert normal.x.shape == (20, 4, 4) and not normal.labels.any()


def test_bad_arguments_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="length"):
        generate_series(2)
    with pytest.raises(ConfigError, match="channels"):
        generate_series(100, channels=0)
    with pytest.raises(ConfigError, match="fault kind"):
        generate_series(100, faults=("melt",))
    with pytest.raises(ConfigError):
        generate_series(100, n_faults=-1)
    with pytest.raises(ConfigError):
        make_windows(torch.zeros(10, 2), window=12, stride=1)
    with pytest.raises(ConfigError):
        window_labels(torch.zeros(10, dtype=torch.bool), window=4, stride=0)
    with pytest.raises(ConfigError, match="fault fraction"):
        sensor_dataset(10, fault_fraction=1.5)
    with pytest.raises(ConfigError):
        sensor_dataset(0)


def test_fixed_statistics_match_many_series() -> None:
    # NORMAL_MEAN / NORMAL_STD are closed forms over the parameter distributions: pooled over
    # many independent series, each channel type must come out at mean 0, std 1
    x = torch.stack([generate_series(1024, seed=1000 + i).x for i in range(150)])  # (150, T, 4)
    assert torch.all(x.mean(dim=(0, 1)).abs() < 0.05), x.mean(dim=(0, 1))
    assert torch.all((x.std(dim=(0, 1)) - 1).abs() < 0.05), x.std(dim=(0, 1))
