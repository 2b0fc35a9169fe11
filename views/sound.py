"""Sound: noisy speech cleaned by a denoising autoencoder, beside the classic denoisers it is
measured against."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from aecore import sound as sd
from aecore.errors import AecoreError
from ui import charts, loaders
from views import specs

DEFAULTS = specs.SOUND.defaults
AE_LABEL = "denoising AE"

NOISE_LABELS = {"white": "white noise", "babble": "babble (other voices)", "hum": "mains hum (50 Hz)"}


def spectrograms(tracks: dict[str, np.ndarray]) -> go.Figure:
    """One spectrogram per track, side by side, on one colour scale."""
    fig = make_subplots(rows=1, cols=len(tracks), shared_yaxes=True, subplot_titles=list(tracks))
    for i, (name, x) in enumerate(tracks.items(), 1):
        f, t, db = sd.spectrogram(x)
        fig.add_trace(go.Heatmap(x=t, y=f, z=db, zmin=-80, zmax=0, colorscale="Magma", name=name,
                                 showscale=i == len(tracks)), row=1, col=i)
    fig.update_yaxes(title_text="Hz", row=1, col=1)
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def clean_sound() -> tuple[str, np.ndarray] | None:
    """(name, samples) of the chosen spoken number or the user's WAV, or None with a message."""
    src = st.radio("Speech", ("number", "upload"), horizontal=True, key="snd_src",
                   format_func={"number": "A spoken number (0-20)", "upload": "Your WAV file"}.get)
    if src == "number":
        word = st.select_slider("Number", sd.WORDS, "7", key="snd_word")
        held = " (held out: never trained on)" if word in sd.HELD_OUT else ""
        return f"{word}{held}", sd.load_word(word)
    up = st.file_uploader("A WAV file (PCM, up to 30 s and 5 MB)", type=["wav"], key="snd_wav")
    if up is None:
        return None
    try:
        x, notes = sd.read_wav(up.getvalue(), up.name)
    except AecoreError as exc:
        st.error(f"This file cannot be used: {exc}")
        return None
    for note in notes:
        st.warning(note)
    return "your file", x


def ae_denoiser():
    """The shipped sound AE, or None with a message (a missing or broken file never stops the
    page: the baselines still play)."""
    try:
        model, _ = loaders.zoo_model(DEFAULTS["model"])
        if getattr(model, "data_kind", None) != "sound":
            raise AecoreError(f"{DEFAULTS['model']} is not a sound model")
    except AecoreError as exc:
        st.warning(f"The denoising autoencoder cannot be loaded, so only the classic denoisers "
                   f"are shown. Rebuild it with `python -m aecore train --preset "
                   f"{DEFAULTS['model']} --out pretrained`. ({exc})")
        return None
    return model


st.title("Sound: denoising speech")
st.markdown("Add noise to speech at a chosen signal-to-noise ratio (SNR) and clean it up. The "
            "classic denoisers are a **Wiener filter** (local averaging, weighted by how much "
            "the signal varies) and **spectral subtraction** (remove the noise's typical "
            "loudness from every frequency). A denoising autoencoder learns the job from pairs "
            "of noisy and clean speech: from a few frames of the noisy spectrogram, through a "
            "short code, it predicts how much of each frequency to keep. It was trained on "
            f"{len(sd.train_words())} of the {len(sd.WORDS)} numbers; "
            f"{', '.join(sd.HELD_OUT)} are held out.")
picked = clean_sound()
if picked is None:
    st.stop()
name, clean = picked
c1, c2 = st.columns(2)
kind = c1.radio("Noise", sd.NOISES, format_func=NOISE_LABELS.get, horizontal=True, key="snd_noise")
snr = c2.slider("Input SNR (dB)", -5, 20, 5, key="snd_snr")
noisy = sd.add_noise(clean, kind, float(snr), np.random.default_rng(0))
tracks = {"clean": clean, "noisy": noisy, "Wiener filter": sd.wiener(noisy),
          "spectral subtraction": sd.spectral_subtraction(noisy)}
model = ae_denoiser()
if model is not None:
    from aecore.sound_ae import denoise
    tracks[AE_LABEL] = denoise(model, noisy)
st.text(f"Speech: {name}, {len(clean) / sd.RATE:.2f} s at {sd.RATE:,} Hz")
cols = st.columns(len(tracks))
for col, (label, x) in zip(cols, tracks.items()):
    col.markdown(f"**{label}**")
    col.audio(sd.to_wav(x), format="audio/wav")
    if label != "clean":
        col.metric("SNR", f"{sd.snr_db(clean, x):.1f} dB")
charts.show(spectrograms(tracks), key="snd_spec")
