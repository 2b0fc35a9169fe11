"""Sound: the bundled spoken numbers load offline, noise is mixed at the asked SNR, the baselines
help, and hostile WAV uploads get clear messages."""
from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from aecore import sound as sd
from aecore.errors import ConfigError, DatasetError


def _wav(x: np.ndarray, rate=8000, channels=1, width=2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 2:
            w.writeframes((x * 32767).astype("<i2").tobytes())
        else:  # 24-bit: the low three bytes of each int32
            i = (x * (2**23 - 1)).astype("<i4")
            w.writeframes(i.view(np.uint8).reshape(-1, 4)[:, :3].tobytes())
    return buf.getvalue()


TONE = (0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)).astype(np.float32)


def test_every_spoken_number_loads_offline_with_its_licence():
    for w in sd.WORDS:
        x = sd.load_word(w)
        assert x.dtype == np.float32 and 0.3 * sd.RATE < len(x) < 2 * sd.RATE
        assert 0.05 < np.abs(x).max() <= 1
    assert "CC-BY-SA-3.0" in (sd.DATA / "COPYING-asterisk-sounds").read_text()
    assert set(sd.HELD_OUT) < set(sd.WORDS) and not set(sd.HELD_OUT) & set(sd.train_words())


@pytest.mark.parametrize("kind", sd.NOISES)
@pytest.mark.parametrize("snr", [0.0, 5.0, 20.0])
def test_noise_is_mixed_at_the_asked_snr(kind, snr):
    clean = sd.load_word("7")
    noisy = sd.add_noise(clean, kind, snr, np.random.default_rng(0))
    assert sd.snr_db(clean, noisy) == pytest.approx(snr, abs=0.01)


def test_hum_is_mains_frequency():
    f = np.abs(np.fft.rfft(sd.noise("hum", 8000, np.random.default_rng(1))))
    assert np.argmax(f) == 50  # 1 Hz bins over one second


def test_baselines_raise_the_snr_of_white_noise():
    clean = sd.load_word("13")
    noisy = sd.add_noise(clean, "white", 5.0, np.random.default_rng(2))
    assert sd.snr_db(clean, sd.wiener(noisy)) > 5.5
    assert sd.snr_db(clean, sd.spectral_subtraction(noisy)) > 5.5


def test_bad_noise_settings_get_a_message():
    with pytest.raises(ConfigError, match="noise must be"):
        sd.noise("pink", 10, np.random.default_rng())
    with pytest.raises(ConfigError, match="SNR"):
        sd.add_noise(TONE, "white", 99, np.random.default_rng())


# hostile WAV uploads

def test_a_wav_round_trips():
    x, notes = sd.read_wav(sd.to_wav(TONE))
    assert notes == [] and np.abs(x - TONE).max() < 1e-4


def test_wrong_rate_is_resampled_with_a_note():
    x, notes = sd.read_wav(_wav(np.tile(TONE, 2), rate=16000))
    assert len(x) == 8000 and any("16,000 Hz" in n for n in notes)


def test_stereo_is_mixed_to_mono_with_a_note():
    st = np.stack([TONE, -TONE * 0 + TONE], 1).reshape(-1)
    x, notes = sd.read_wav(_wav(st, channels=2))
    assert len(x) == 8000 and any("mixed to mono" in n for n in notes)


def test_24_bit_is_read():
    x, _ = sd.read_wav(_wav(TONE, width=3))
    assert np.abs(x - TONE).max() < 1e-4


def test_truncated_wav_is_read_as_far_as_it_goes():
    data = _wav(TONE)
    x, notes = sd.read_wav(data[: len(data) // 2])
    assert 3000 < len(x) < 4100 and any("truncated" in n for n in notes)


@pytest.mark.parametrize("data, message", [
    (b"", "not a WAV"),
    (b"ID3\x03\x00" + b"\x00" * 200, "not a WAV"),  # an MP3
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "cannot be read"),
    (_wav(TONE)[:44], "no sound"),
    (_wav(TONE, rate=2000), "outside 4-96 kHz"),
    (_wav(np.zeros(8000 * 31, np.float32)), "longer than 30 s"),
])
def test_hostile_wav_files_get_a_clear_message(data, message):
    with pytest.raises(DatasetError, match=message):
        sd.read_wav(data, "bad.wav")


def test_a_float_wav_is_refused_clearly():
    data = bytearray(_wav(TONE))
    data[20:22] = (3).to_bytes(2, "little")  # format 3: IEEE float
    with pytest.raises(DatasetError, match="integer PCM"):
        sd.read_wav(bytes(data))


def test_a_huge_wav_is_refused_by_size(monkeypatch):
    monkeypatch.setattr(sd, "MAX_WAV_BYTES", 1000)
    with pytest.raises(DatasetError, match="MB is more than"):
        sd.read_wav(_wav(TONE))
