"""The speech denoising AE: its config is bounded, the shipped model loads from pretrained/ and
cleans a held-out word, its features have the shapes the model expects."""
from __future__ import annotations

import numpy as np
import pytest

from aecore import sound as sd
from aecore import sound_ae as sa
from aecore.config import SoundAEConfig
from aecore.errors import ConfigError, WeightsError


@pytest.fixture(scope="module")
def shipped():
    return sa.load_shipped()[0]


def test_the_config_is_bounded():
    with pytest.raises(ConfigError):
        SoundAEConfig(context=11)
    with pytest.raises(ConfigError):
        SoundAEConfig(n_fft=300)
    assert SoundAEConfig(hidden=[128]).hidden == (128,)  # JSON's lists become tuples


def test_features_are_frames_with_their_context():
    z = np.random.default_rng(0).standard_normal((129, 10)) + 0j
    f = sa.features(z, context=2)
    assert f.shape == (10, 5 * 129)
    logmag = np.log(np.abs(z).T + sa.LOG_FLOOR)
    np.testing.assert_allclose(f[4, 2 * 129:3 * 129], logmag[4], rtol=1e-5)  # the middle: frame 4
    np.testing.assert_allclose(f[4, :129], logmag[2], rtol=1e-5)              # two before it
    np.testing.assert_allclose(f[0, :129], logmag[0], rtol=1e-5)              # the edge repeated


def test_the_shipped_model_raises_the_snr_of_a_held_out_word(shipped):
    assert "3" in sd.HELD_OUT and "3" not in sd.train_words()
    clean = sd.load_word("3")
    noisy = sd.add_noise(clean, "white", 5.0, np.random.default_rng(7))
    out = sa.denoise(shipped, noisy)
    assert out.shape == noisy.shape and out.dtype == np.float32
    before, after = sd.snr_db(clean, noisy), sd.snr_db(clean, out)
    assert abs(before - 5.0) < 0.05
    assert after > before + 3, (before, after)


def test_a_non_sound_model_in_its_place_is_refused(tmp_path):
    import shutil
    from aecore.zoo import PRETRAINED_DIR
    for ext in (".safetensors", ".json"):
        shutil.copy(PRETRAINED_DIR / f"ae_k2{ext}", tmp_path / f"{sa.SHIPPED}{ext}")
    with pytest.raises(WeightsError, match="not a sound AE"):
        sa.load_shipped(tmp_path)
    with pytest.raises(WeightsError):
        sa.load_shipped(tmp_path / "missing")


def test_the_sound_benchmark_runs_and_prints_its_json_line(capsys):
    import json

    from benchmarks import sound
    sound.main(["--quick"])
    lines = capsys.readouterr().out.strip().splitlines()
    out = json.loads(lines[-1])
    assert set(out) == {"sound", "train_s", "cpu"}
    gains = out["sound"]["snr_gain_db"]
    assert set(gains) == {"ae", "wiener", "spectral_subtraction"}
    assert all(isinstance(v, float) for v in gains.values())
    assert set(out["train_s"]) == {"sound_dae"} and out["train_s"]["sound_dae"] > 0
    assert any(line.startswith("wiener") for line in lines)  # the per-noise table
