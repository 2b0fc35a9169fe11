"""Sound for a denoising autoencoder: spoken numbers, noise at a chosen SNR, the classic
baselines (Wiener filter, spectral subtraction), and a WAV reader for hostile uploads.

Data: ``data/speech/0.wav`` .. ``20.wav``, the numbers zero to twenty spoken by Allison Smith
(Debian's ``asterisk-core-sounds-en-wav``, CC BY-SA 3.0; ``data/speech/README.md``), 8 kHz mono.
Four of them (:data:`HELD_OUT`) are never trained on.
"""
from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from .errors import ConfigError, DatasetError

RATE = 8000
DATA = Path(__file__).resolve().parent.parent / "data" / "speech"
WORDS = tuple(str(i) for i in range(21))
HELD_OUT = ("3", "8", "13", "17")
NOISES = ("white", "babble", "hum")
MAX_WAV_BYTES = 5 * 1024 * 1024
MAX_SECONDS = 30.0


# reading and writing WAV

def _pcm(frames: bytes, width: int) -> np.ndarray:
    """Little-endian PCM samples of ``width`` bytes as floats in [-1, 1]."""
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(frames, np.uint8).astype(np.float32) - 128) / 128
    if width == 2:
        return np.frombuffer(frames, "<i2").astype(np.float32) / 32768
    if width == 3:  # 24-bit: pad each sample to 32 bits
        b = np.frombuffer(frames, np.uint8).reshape(-1, 3)
        i32 = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8)
               | (b[:, 2].astype(np.int8).astype(np.int32) << 16))
        return i32.astype(np.float32) / 2**23
    if width == 4:
        return (np.frombuffer(frames, "<i4").astype(np.float64) / 2**31).astype(np.float32)
    raise DatasetError(f"{width * 8}-bit samples are not supported")


def read_wav(data: bytes, name: str = "uploaded file") -> tuple[np.ndarray, list[str]]:
    """A WAV file as mono float32 samples at 8 kHz in [-1, 1], and notes on what was changed.

    Stereo is mixed to mono, another sample rate (4-96 kHz) is resampled, 8/16/24/32-bit PCM is
    read. Raises :class:`DatasetError` with a message for the page: not a WAV, compressed or
    float samples, truncated, empty, longer than 30 s or larger than 5 MB.
    """
    if len(data) > MAX_WAV_BYTES:
        raise DatasetError(f"{name}: {len(data) / 2**20:.1f} MB is more than this page reads "
                           f"({MAX_WAV_BYTES // 2**20} MB)")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise DatasetError(f"{name}: not a WAV file (a WAV starts with RIFF....WAVE)")
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            frames = w.readframes(n)
    except (wave.Error, EOFError) as exc:
        raise DatasetError(f"{name}: this WAV cannot be read ({exc}); only uncompressed integer "
                           "PCM is supported") from exc
    if ch < 1 or width < 1 or rate < 1:
        raise DatasetError(f"{name}: the WAV header is invalid")
    got = len(frames) // (ch * width)
    if got == 0:
        raise DatasetError(f"{name}: the file holds no sound")
    notes = [] if got == n else [f"The file is truncated: {got:,} of {n:,} samples were read."]
    x = _pcm(frames[: got * ch * width], width).reshape(got, ch)
    if ch > 1:
        notes.append(f"{ch} channels were mixed to mono.")
    x = x.mean(axis=1)
    if not 4000 <= rate <= 96000:
        raise DatasetError(f"{name}: a sample rate of {rate} Hz is outside 4-96 kHz")
    if got / rate > MAX_SECONDS:
        raise DatasetError(f"{name}: {got / rate:.0f} s is longer than {MAX_SECONDS:.0f} s")
    if rate != RATE:
        from math import gcd

        from scipy.signal import resample_poly
        g = gcd(rate, RATE)
        x = resample_poly(x, RATE // g, rate // g).astype(np.float32)
        notes.append(f"Resampled from {rate:,} Hz to {RATE:,} Hz.")
    return np.clip(x, -1, 1).astype(np.float32), notes


def to_wav(x: np.ndarray) -> bytes:
    """16-bit mono WAV bytes of samples ``x`` in [-1, 1] at 8 kHz (for ``st.audio``)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


# the bundled words

def load_word(word: str) -> np.ndarray:
    """The spoken number ``word`` ("0".."20") as 8 kHz float32 samples."""
    if word not in WORDS:
        raise ConfigError(f"no recording of {word!r}; choose one of 0 to 20")
    path = DATA / f"{word}.wav"
    try:
        return read_wav(path.read_bytes(), path.name)[0]
    except OSError as exc:
        raise DatasetError(f"{path} is missing; it is part of the repository (from Debian's "
                           "asterisk-core-sounds-en-wav: /usr/share/asterisk/sounds/en/digits)") from exc


def train_words() -> tuple[str, ...]:
    return tuple(w for w in WORDS if w not in HELD_OUT)


# noise and quality

def snr_db(clean: np.ndarray, other: np.ndarray) -> float:
    """Signal-to-noise ratio of ``other`` against ``clean``, in dB."""
    err = float(np.sum((other - clean) ** 2))
    return 10 * np.log10(float(np.sum(clean**2)) / max(err, 1e-12))


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of white noise, babble (five training words summed at random offsets) or
    mains hum (50 Hz with harmonics), each of unit power."""
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "babble":
        x = np.zeros(n)
        for w in rng.choice(train_words(), 5):
            s = load_word(str(w))
            x += np.roll(np.resize(s, n), int(rng.integers(n)))
    elif kind == "hum":
        t = np.arange(n) / RATE
        phase = rng.uniform(0, 2 * np.pi, 3)
        x = sum(a * np.sin(2 * np.pi * f * t + p) for a, f, p in zip((1, 0.5, 0.3), (50, 100, 150), phase))
    else:
        raise ConfigError(f"noise must be one of {', '.join(NOISES)}; got {kind!r}")
    return (x / max(np.sqrt(np.mean(x**2)), 1e-12)).astype(np.float32)


def add_noise(clean: np.ndarray, kind: str, snr: float, rng: np.random.Generator) -> np.ndarray:
    """``clean`` plus ``kind`` noise scaled so the mixture's SNR is ``snr`` dB."""
    if not -20 <= snr <= 40:
        raise ConfigError(f"the SNR must be between -20 and 40 dB, got {snr!r}")
    power = float(np.mean(clean**2))
    return (clean + noise(kind, len(clean), rng) * np.sqrt(power / 10 ** (snr / 10))).astype(np.float32)


def wiener(noisy: np.ndarray) -> np.ndarray:
    """scipy's adaptive Wiener filter (local mean and variance over 15 samples)."""
    from scipy.signal import wiener as _wiener
    return _wiener(noisy.astype(np.float64), 15).astype(np.float32)


def spectral_subtraction(noisy: np.ndarray, floor: float = 0.05) -> np.ndarray:
    """Magnitude spectral subtraction (Boll, 1979): the noise magnitude of each frequency is
    estimated as its 10th percentile over frames (speech is absent in some frames), subtracted,
    floored at ``floor`` of the noisy magnitude; the noisy phase is kept."""
    from scipy.signal import istft, stft
    _, _, z = stft(noisy, RATE, nperseg=256)
    mag = np.abs(z)
    est = np.percentile(mag, 10, axis=1, keepdims=True)
    clean_mag = np.maximum(mag - est, floor * mag)
    _, x = istft(clean_mag * np.exp(1j * np.angle(z)), RATE, nperseg=256)
    return x[: len(noisy)].astype(np.float32)


def spectrogram(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequencies Hz, times s, dB magnitude (F, T)) of ``x`` for a figure."""
    from scipy.signal import stft
    f, t, z = stft(x, RATE, nperseg=256)
    return f, t, 20 * np.log10(np.abs(z) + 1e-6)
