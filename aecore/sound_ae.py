"""The speech denoising autoencoder's features, training data and use (model: aecore.models.sound).

A noisy word becomes STFT frames (8 kHz, n_fft-sample Hann frames, half overlap); each frame's
log magnitude and its ``context`` neighbours each side feed the model, which returns a mask in
[0, 1] per frequency; mask x noisy magnitude with the noisy phase is turned back into a waveform.
Trained on mixtures of the training words (:func:`aecore.sound.train_words`) with white, babble or
hum noise at 0-15 dB; measured on the held-out words (:data:`aecore.sound.HELD_OUT`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import sound as sd

MIXTURES = 48      # noisy copies of each training word (random kind, SNR, loudness)
VAL_MIXTURES = 4   # of each training word, from another seed, for the validation loss
SNR_RANGE = (0.0, 15.0)
GAIN_RANGE = (0.2, 1.0)  # the clean word's loudness: an upload is not as loud as the recordings
EVAL_SNR = 5.0
SHIPPED = "sound_dae"
LOG_FLOOR = 1e-5  # magnitudes below this are silence (scipy's STFT of 16-bit audio)


def _stft(x: np.ndarray, n_fft: int) -> np.ndarray:
    from scipy.signal import stft
    return stft(x, sd.RATE, nperseg=n_fft)[2]  # (F, T) complex


def features(z: np.ndarray, context: int) -> np.ndarray:
    """(T, (2c+1) * F) log magnitudes of every frame of the STFT ``z`` (F, T) and its ``context``
    neighbours each side (edge frames repeated), oldest first."""
    logmag = np.log(np.abs(z).T + LOG_FLOOR).astype(np.float32)  # (T, F)
    padded = np.pad(logmag, ((context, context), (0, 0)), mode="edge")
    t = logmag.shape[0]
    return np.concatenate([padded[i:i + t] for i in range(2 * context + 1)], axis=1)


def rows(clean: np.ndarray, noisy: np.ndarray, context: int, n_fft: int) -> np.ndarray:
    """Training rows (T, (2c+1)F + 2F) of one mixture: [features | |X| | phase-sensitive target
    |S| cos(angle S - angle X), clipped to [0, |X|]] (see SoundAE.loss)."""
    zx, zs = _stft(noisy, n_fft), _stft(clean, n_fft)
    mag = np.abs(zx)
    target = np.clip(np.abs(zs) * np.cos(np.angle(zs) - np.angle(zx)), 0, mag)
    return np.concatenate([features(zx, context), mag.T, target.T], axis=1).astype(np.float32)


def mixtures(words: tuple[str, ...], per_word: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(clean, noisy) pairs: each word ``per_word`` times, at a random loudness, with a random
    noise kind at a random SNR in :data:`SNR_RANGE`."""
    rng = np.random.default_rng(seed)
    out = []
    for w in words:
        base = sd.load_word(w)
        for _ in range(per_word):
            clean = (base * rng.uniform(*GAIN_RANGE)).astype(np.float32)
            kind = sd.NOISES[int(rng.integers(len(sd.NOISES)))]
            out.append((clean, sd.add_noise(clean, kind, float(rng.uniform(*SNR_RANGE)), rng)))
    return out


def prepare(model, cfg):
    """Training data for ``dataset="speech"``: frames of mixtures of the training words; the
    validation frames are other mixtures of the same words (the held-out words stay unseen)."""
    from .train import TrainData
    mc = model.cfg

    def stack(pairs):
        return torch.from_numpy(np.concatenate([rows(c, n, mc.context, mc.n_fft) for c, n in pairs]))

    x = stack(mixtures(sd.train_words(), MIXTURES, cfg.seed))
    val = stack(mixtures(sd.train_words(), VAL_MIXTURES, cfg.seed + 10_000))
    if cfg.subset:
        x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.subset]]
    return TrainData(x, None, val, None)


@torch.inference_mode()
def denoise(model, noisy: np.ndarray) -> np.ndarray:
    """``noisy`` (N,) samples at 8 kHz, cleaned by the sound AE: its mask on each frame's
    magnitude, the noisy phase kept; (N,) float32."""
    from scipy.signal import istft
    mc = model.cfg
    z = _stft(noisy.astype(np.float32), mc.n_fft)  # (F, T)
    m = model.eval().mask(torch.from_numpy(features(z, mc.context))).numpy().T  # (F, T)
    _, x = istft(z * m, sd.RATE, nperseg=mc.n_fft)
    x = x[: len(noisy)]
    return np.pad(x, (0, len(noisy) - len(x))).astype(np.float32)


def snr_gains(method, snr: float = EVAL_SNR, words: tuple[str, ...] = sd.HELD_OUT,
              kinds: tuple[str, ...] = sd.NOISES) -> dict[str, float]:
    """Mean SNR gain (dB) of ``method(noisy) -> cleaned`` over ``words`` for each noise kind at
    input SNR ``snr``, and their mean ("mean"). The noise is seeded by word and kind, so every
    method is measured on the same mixtures."""
    out = {}
    for j, kind in enumerate(kinds):
        gains = []
        for i, w in enumerate(words):
            clean = sd.load_word(w)
            noisy = sd.add_noise(clean, kind, snr, np.random.default_rng(1000 * j + i))
            gains.append(sd.snr_db(clean, method(noisy)) - sd.snr_db(clean, noisy))
        out[kind] = round(float(np.mean(gains)), 2)
    out["mean"] = round(float(np.mean([out[k] for k in kinds])), 2)
    return out


def evaluate(model, dataset: str = "speech", n: int | None = None) -> dict:
    """Card metrics: the SNR gain (dB) on the held-out words at 5 dB, per noise kind and mean."""
    gains = snr_gains(lambda x: denoise(model, x), words=sd.HELD_OUT[:n] if n else sd.HELD_OUT)
    return {f"snr_gain_db_{k}": v for k, v in gains.items()}


def load_shipped(folder: Path | None = None):
    """(model, card) of the shipped sound AE in ``pretrained/`` (or ``folder``); raises
    :class:`aecore.errors.WeightsError` with a message if the file is missing or not a sound AE."""
    from .errors import WeightsError
    from .weights import load_model
    folder = folder or Path(__file__).resolve().parent.parent / "pretrained"
    model, card = load_model(folder / f"{SHIPPED}.safetensors")
    if getattr(model, "data_kind", None) != "sound":
        raise WeightsError(f"{SHIPPED}.safetensors holds a {type(model.cfg).kind} model, not a sound AE")
    return model, card
