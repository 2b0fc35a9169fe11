"""Synthetic multichannel machine-sensor signals with injectable faults.

The sequence autoencoder (LSTM/GRU) and the anomaly page train on *normal* behaviour and flag
windows they reconstruct badly. Real sensor logs are not bundled, so this module generates them:
every series is reproducible from a seed, and every injected fault is recorded with its span, so
the anomaly page can score detections against exact ground truth.

Channel types cycle through four plausible machine sensors (channel ``c`` has type ``c % 4``; the
5th to 8th channels are a second machine group, and so on):

* ``temperature``: a slow sinusoid (period 200-300 samples) around 60 degrees plus noise;
* ``vibration``: a fast sinusoid (period 10-16) with 2nd and 3rd harmonics plus noise;
* ``pressure``: follows its group's temperature with a lag of 5-15 samples, plus a small own
  oscillation and noise;
* ``current``: a smoothed square wave (period 40-60, duty cycle 40-60%) between about 2 and 8 A.

Amplitudes, periods and phases are drawn per series within narrow ranges. Each channel is then
standardised with the *fixed* statistics of normal behaviour (:data:`NORMAL_MEAN`,
:data:`NORMAL_STD`, derived in closed form from the distributions above), so normal data has
about zero mean and unit variance per channel while faults stay visible as departures from it.

Faults (:data:`FAULT_KINDS`) are added to the standardised signal of one channel:

* ``spike``: 1-3 consecutive samples jump by 5-8 standard deviations (random sign each);
* ``drift``: from a point between 1/4 and 7/8 of the series onward, a linear ramp reaching 3-5
  standard deviations (random sign) at the end of the series;
* ``stuck``: the sensor repeats its last good reading for a stretch of 1/8 to 1/3 of the series
  (cut short at the end of the series).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .errors import ConfigError

__all__ = [
    "CHANNEL_TYPES",
    "FAULT_KINDS",
    "MAX_CHANNELS",
    "MIN_LENGTH",
    "NORMAL_MEAN",
    "NORMAL_STD",
    "SensorDataset",
    "SensorSeries",
    "channel_names",
    "generate_series",
    "make_windows",
    "sensor_dataset",
    "window_labels",
]

FAULT_KINDS = ("spike", "drift", "stuck")
CHANNEL_TYPES = ("temperature", "vibration", "pressure", "current")
MIN_LENGTH = 4  # the shortest series (and window) in which every fault kind fits
MAX_LENGTH = 1_000_000
MAX_CHANNELS = 64
MAX_WINDOWS = 1_000_000
SENSOR_WINDOWS = 6000  # normal-behaviour windows generated to train a sequence AE (subset caps it)

# Noise standard deviation per channel type, in raw units.
_NOISE = (0.3, 0.15, 0.03, 0.15)
_CURRENT_SHARPNESS = 8.0  # slope of the sigmoid that smooths the current's square wave

# Mean and standard deviation of each channel type under normal behaviour, over the random phases
# and parameters (so over many series, not within one short window). Closed forms, with
# E[a^2] = m^2 + w^2/12 for a ~ U(m - w/2, m + w/2) and a sinusoid of random phase having mean 0
# and variance a^2 / 2:
#   temperature  60 + U(-.5,.5) + a sin(.) + N(0, .3^2), a ~ U(4, 6):
#                var = (25 + 1/3)/2 + 1/12 + .09
#   vibration    a (sin + .45 sin 2x + .2 sin 3x) + N(0, .15^2), a ~ U(.9, 1.1):
#                var = (1 + .04/12)(1 + .45^2 + .2^2)/2 + .15^2
#   pressure     2 + U(-.025,.025) + .08 T_sin(t - lag) + .1 sin(.) + N(0, .03^2):
#                var = .08^2 (25 + 1/3)/2 + .01/2 + .05^2/12 + .03^2
#   current      2 + 6 sigmoid(8 (sin x - cos(pi d))) + N(0, .15^2), d ~ U(.4, .6): the mean is 5
#                by symmetry of d about .5; E[s^2] = .458014 by numerical integration, so
#                var = 36 (.458014 - .25) + .15^2
NORMAL_MEAN = (60.0, 0.0, 2.0, 5.0)
NORMAL_STD = (
    math.sqrt((25 + 1 / 3) / 2 + 1 / 12 + 0.09),  # 3.5833
    math.sqrt((1 + 0.04 / 12) * (1 + 0.45**2 + 0.2**2) / 2 + 0.15**2),  # 0.8036
    math.sqrt(0.08**2 * (25 + 1 / 3) / 2 + 0.01 / 2 + 0.05**2 / 12 + 0.03**2),  # 0.2953
    2.740621,
)


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors field-wise is ambiguous
class SensorSeries:
    """One generated multichannel series with its ground-truth faults."""

    x: Tensor  # (T, C) float32, standardised with NORMAL_MEAN / NORMAL_STD per channel type
    fault_mask: Tensor  # (T,) bool, True where any fault is active
    faults: tuple[tuple[str, int, int, int], ...]  # (kind, channel, start, end), end exclusive
    channel_names: tuple[str, ...]  # (C,), e.g. ("temperature", "vibration", ...)


@dataclass(frozen=True, eq=False)
class SensorDataset:
    """Fixed-length windows of sensor data with a per-window fault label."""

    x: Tensor  # (N, window, C) float32
    labels: Tensor  # (N,) bool, True = the window contains an injected fault

    def __len__(self) -> int:
        return int(self.labels.shape[0])


# ----------------------------------------------------------------------------- validation


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _generator(seed: int, generator: torch.Generator | None) -> torch.Generator:
    """The generator to draw from: the caller's, or a fresh one seeded with ``seed``."""
    if generator is not None:
        return generator
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed must be a whole number, got {seed!r}")
    return torch.Generator().manual_seed(seed)


def channel_names(channels: int) -> tuple[str, ...]:
    """Names of the first ``channels`` channels: the four types, then ``temperature_2``, ...."""
    _check_int("channels", channels, 1, MAX_CHANNELS)
    return tuple(CHANNEL_TYPES[c % 4] + ("" if c < 4 else f"_{c // 4 + 1}")
                 for c in range(channels))


# ----------------------------------------------------------------------------- generation


def _normal_signals(length: int, channels: int, gen: torch.Generator) -> Tensor:
    """Standardised normal behaviour, (T, C) float64. Draws params (C, 6) then noise (T, C)."""
    u = torch.rand(channels, 6, generator=gen, dtype=torch.float64)  # per-channel parameters
    noise = torch.randn(length, channels, generator=gen, dtype=torch.float64)  # (T, C)
    t = torch.arange(length, dtype=torch.float64)  # (T,)
    two_pi = 2.0 * math.pi
    out = torch.empty(length, channels, dtype=torch.float64)

    def temp_sine(c: int, lag: Tensor | float = 0.0) -> Tensor:
        """The sinusoidal part of temperature channel ``c``, optionally delayed; (T,)."""
        amp, period, phase = 4.0 + 2.0 * u[c, 0], 200.0 + 100.0 * u[c, 1], two_pi * u[c, 2]
        return amp * torch.sin(two_pi * (t - lag) / period + phase)

    for c in range(channels):
        kind = c % 4
        if kind == 0:  # temperature
            raw = 60.0 + (u[c, 3] - 0.5) + temp_sine(c)
        elif kind == 1:  # vibration: fundamental + 2nd and 3rd harmonics
            amp, w = 0.9 + 0.2 * u[c, 0], two_pi / (10.0 + 6.0 * u[c, 1])
            raw = amp * (torch.sin(w * t + two_pi * u[c, 2])
                         + 0.45 * torch.sin(2 * w * t + two_pi * u[c, 3])
                         + 0.2 * torch.sin(3 * w * t + two_pi * u[c, 4]))
        elif kind == 2:  # pressure follows the lagged temperature of its group (channel c - 2)
            lag = 5.0 + 10.0 * u[c, 0]
            own = 0.1 * torch.sin(two_pi * t / (60.0 + 30.0 * u[c, 1]) + two_pi * u[c, 2])
            raw = 2.0 + 0.05 * (u[c, 3] - 0.5) + 0.08 * temp_sine(c - 2, lag) + own
        else:  # current: smoothed square wave, "on" for a fraction `duty` of each period
            period, phase, duty = 40.0 + 20.0 * u[c, 0], two_pi * u[c, 1], 0.4 + 0.2 * u[c, 2]
            # sin(x) > cos(pi d) holds for a fraction d of a period
            level = torch.sin(two_pi * t / period + phase) - torch.cos(math.pi * duty)
            raw = 2.0 + 6.0 * torch.sigmoid(_CURRENT_SHARPNESS * level)
        raw = raw + _NOISE[kind] * noise[:, c]
        out[:, c] = (raw - NORMAL_MEAN[kind]) / NORMAL_STD[kind]
    return out


def _randint(lo: int, hi: int, gen: torch.Generator) -> int:
    """A uniform integer in [lo, hi] (inclusive), drawn from ``gen``."""
    return int(torch.randint(lo, hi + 1, (1,), generator=gen))


def _uniform(lo: float, hi: float, gen: torch.Generator) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=gen, dtype=torch.float64))


def _inject(x: Tensor, kind: str, gen: torch.Generator) -> tuple[str, int, int, int]:
    """Add one fault of ``kind`` to ``x`` (T, C) in place; returns (kind, channel, start, end)."""
    length, channels = x.shape
    ch = _randint(0, channels - 1, gen)
    if kind == "spike":
        span = _randint(1, min(3, length), gen)
        start = _randint(0, length - span, gen)
        end = start + span
        size = 5.0 + 3.0 * torch.rand(span, generator=gen, dtype=torch.float64)  # (span,)
        sign = torch.randint(0, 2, (span,), generator=gen).to(torch.float64) * 2 - 1
        x[start:end, ch] += size * sign
    elif kind == "drift":
        # starts somewhere in [T/4, T - T/8) and lasts to the end of the series
        start = _randint(max(1, length // 4), length - max(1, length // 8), gen)
        end = length
        size = _uniform(3.0, 5.0, gen) * (1 if _randint(0, 1, gen) else -1)
        ramp = torch.arange(1, end - start + 1, dtype=torch.float64) / (end - start)  # (0, 1]
        x[start:end, ch] += size * ramp
    elif kind == "stuck":
        # repeats the reading just before `start`, so every sample of the span is altered
        span = _randint(max(1, length // 8), max(1, length // 3), gen)
        start = _randint(1, length - 1, gen)
        end = min(length, start + span)
        x[start:end, ch] = x[start - 1, ch]
    else:  # unreachable: kinds are validated by the caller
        raise ConfigError(f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}")
    return (kind, ch, start, end)


def generate_series(length: int, *, channels: int = 4, faults: Sequence[str] = (),
                    n_faults: int = 0, seed: int = 0,
                    generator: torch.Generator | None = None) -> SensorSeries:
    """Generate one standardised multichannel sensor series, optionally with injected faults.

    ``length`` samples (at least :data:`MIN_LENGTH`) of ``channels`` channels (1 to 64, types
    cycling through :data:`CHANNEL_TYPES`). ``faults`` lists fault kinds to inject, one fault
    each, in order; ``n_faults`` adds that many more of kinds drawn uniformly from
    :data:`FAULT_KINDS`. Each fault hits one random channel over a random span; faults may overlap
    (a later "stuck" can overwrite an earlier spike). Randomness comes from ``generator`` when
    given, else from a fresh generator seeded with ``seed``. The normal signal is drawn before any
    fault, so the same seed with and without faults gives the same data outside the fault spans.
    """
    length = _check_int("series length", length, MIN_LENGTH, MAX_LENGTH)
    names = channel_names(channels)
    if isinstance(faults, str):  # a bare "spike" would otherwise be read as 5 kinds
        faults = (faults,)
    kinds = list(faults)
    for kind in kinds:
        if kind not in FAULT_KINDS:
            raise ConfigError(f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}")
    _check_int("number of faults", n_faults, 0, 1000)
    gen = _generator(seed, generator)

    x = _normal_signals(length, channels, gen)  # (T, C) float64
    kinds += [FAULT_KINDS[_randint(0, len(FAULT_KINDS) - 1, gen)] for _ in range(n_faults)]
    mask = torch.zeros(length, dtype=torch.bool)  # (T,)
    spans = []
    for kind in kinds:
        span = _inject(x, kind, gen)
        mask[span[2]:span[3]] = True
        spans.append(span)
    return SensorSeries(x=x.float(), fault_mask=mask, faults=tuple(spans), channel_names=names)


# ----------------------------------------------------------------------------- windows


def _check_window(name: str, n: int, window: int, stride: int) -> None:
    _check_int("window", window, 1, MAX_LENGTH)
    _check_int("stride", stride, 1, MAX_LENGTH)
    if n < window:
        raise ConfigError(f"{name} has {n} time steps, fewer than one window of {window}")


def make_windows(x: Tensor, window: int, stride: int) -> Tensor:
    """Cut a series ``x`` (T, C) into windows (N, window, C), N = (T - window) // stride + 1.

    Window ``i`` covers time steps ``[i * stride, i * stride + window)``; a tail shorter than a
    window is dropped. The result is a contiguous copy, safe to modify. A 1-D series (T,) gives
    (N, window).
    """
    if not isinstance(x, Tensor) or x.ndim not in (1, 2):
        raise ConfigError("make_windows: expected a series of shape (T, C) or (T,)")
    _check_window("the series", int(x.shape[0]), window, stride)
    w = x.unfold(0, window, stride)  # (N, C, window) or (N, window)
    return (w.movedim(-1, 1) if x.ndim == 2 else w).contiguous()  # (N, window, C)


def window_labels(fault_mask: Tensor, window: int, stride: int) -> Tensor:
    """Per-window fault labels (N,) bool, True where any step of the window is faulty.

    Uses the same windows as :func:`make_windows` with the same ``window`` and ``stride``, so
    ``make_windows(s.x, w, st)[i]`` is labelled by ``window_labels(s.fault_mask, w, st)[i]``.
    """
    if not isinstance(fault_mask, Tensor) or fault_mask.ndim != 1:
        raise ConfigError("window_labels: expected a fault mask of shape (T,)")
    _check_window("the fault mask", int(fault_mask.shape[0]), window, stride)
    return fault_mask.bool().unfold(0, window, stride).any(dim=1)  # (N,)


_WINDOWS_PER_SERIES = 16  # normal windows cut (without overlap) from each generated series


def sensor_dataset(n_windows: int, *, window: int = 64, channels: int = 4,
                   fault_fraction: float = 0.0, seed: int = 0,
                   generator: torch.Generator | None = None) -> SensorDataset:
    """A shuffled set of ``n_windows`` sensor windows, a ``fault_fraction`` of them faulty.

    Normal windows are cut without overlap from independent fault-free series of 16 windows
    each. Each faulty window (``round(fault_fraction * n_windows)`` of them) is its own series of
    one window's length with exactly one injected fault of a uniformly random kind, so its label
    is exact. Labels are True for faulty windows. Randomness comes from ``generator`` when given,
    else from one seeded with ``seed``; the same arguments always give the same data.
    """
    _check_int("number of windows", n_windows, 1, MAX_WINDOWS)
    _check_int("window", window, MIN_LENGTH, 4096)
    channel_names(channels)  # validates channels
    if not isinstance(fault_fraction, (int, float)) or not 0.0 <= fault_fraction <= 1.0:
        raise ConfigError(f"fault fraction must be between 0 and 1, got {fault_fraction!r}")
    gen = _generator(seed, generator)

    n_fault = int(round(fault_fraction * n_windows))
    n_normal = n_windows - n_fault
    series_len = window * _WINDOWS_PER_SERIES
    parts = []  # normal windows first, then faulty ones; shuffled at the end
    for _ in range(math.ceil(n_normal / _WINDOWS_PER_SERIES)):
        s = generate_series(series_len, channels=channels, generator=gen)
        parts.append(make_windows(s.x, window, window))  # (16, window, C)
    normal = torch.cat(parts)[:n_normal] if parts else torch.empty(0, window, channels)
    faulty = [generate_series(window, channels=channels, n_faults=1, generator=gen).x[None]
              for _ in range(n_fault)]  # each (1, window, C)
    x = torch.cat([normal, *faulty])  # (N, window, C)
    labels = torch.zeros(n_windows, dtype=torch.bool)
    labels[n_normal:] = True
    perm = torch.randperm(n_windows, generator=gen)  # mix the classes
    return SensorDataset(x=x[perm].contiguous(), labels=labels[perm])
