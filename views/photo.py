"""Restore a photo: corrupt a real photograph (noise, JPEG, scratches), restore it with the
photo autoencoder and with the best classic denoiser, and compare them."""
from __future__ import annotations

import hashlib
import io

import numpy as np
import streamlit as st
import torch
from PIL import Image

from aecore import photo
from aecore.errors import AecoreError
from ui import loaders

MODEL = "photo_denoise"  # the zoo's photo restorer (aecore/presets.py)
KEY = "photo"  # widget and session keys start with this
ZOOM = 96  # side of the detail crop, in photo pixels

st.title("Restore a photo")
st.caption("A fully convolutional denoising autoencoder works on a photo of any size: its encoder "
           "halves the photo twice into a bottleneck of feature maps, its decoder brings it back "
           "up. One skip connection carries the fine detail past the bottleneck (without it the "
           "output is blurred), so what the bottleneck learns is what noise is *not*.")


# input

@st.cache_data(max_entries=4, scope="session", show_spinner=False)
def decode(data: bytes, name: str) -> tuple[np.ndarray, list[str]]:
    """Uploaded bytes as (H, W, 3) uint8 and notes (ImageInputError for unusable files)."""
    img, notes = photo.photo_from_upload(data, name)
    return photo.to_uint8(img), notes


@st.cache_data(max_entries=8, show_spinner=False)
def sample(name: str) -> np.ndarray:
    return photo.to_uint8(photo.read_photo(name))


def choose_photo() -> tuple[torch.Tensor, str] | None:
    """The photo to work on, (3, H, W), and its label; None (after a message) when none."""
    samples = sorted(photo.photo_names("heldout", "RGB"))  # chelsea.png, the smallest, first
    src = st.radio("Photo", ["sample", "upload"], horizontal=True, key=f"{KEY}_src",
                   format_func={"sample": "A held-out sample photo", "upload": "Upload your own"}.get)
    if src == "sample":
        name = st.selectbox("Sample", samples, key=f"{KEY}_sample",
                            help="Photos the model never trained on (data/photos/photos.json)")
        return photo.to_tensor(sample(name)), name
    f = st.file_uploader("A photo (PNG, JPEG, GIF, BMP or WebP)", key=f"{KEY}_file",
                         type=["png", "jpg", "jpeg", "gif", "bmp", "webp"])
    if f is None:
        st.info("Upload a photo: anything over 1024 px on its longest side is scaled down.")
        return None
    try:
        arr, notes = decode(f.getvalue(), f.name)
    except AecoreError as exc:  # ImageInputError: empty, not an image, too large, corrupt...
        st.error(f"This file cannot be used: {exc}")
        return None
    for note in notes:
        st.caption(f":material/info: {note}")
    if any("downscaled" in n for n in notes):
        st.warning(f"Photos over {photo.MAX_SIDE} px on their longest side are scaled down to "
                   f"{photo.MAX_SIDE} px: this one is now {arr.shape[1]}x{arr.shape[0]} px.")
    return photo.to_tensor(arr), f.name


# work

def compute(img: torch.Tensor, kind: str, level: float, seed: int) -> dict:
    """Corrupt, restore (tiled, with a progress bar) and compare with the classic method."""
    model, _ = loaders.zoo_model(MODEL)
    c = photo.corrupt(img, kind, level, torch.Generator().manual_seed(seed))
    bar = st.progress(0.0, text="Restoring with the autoencoder...")
    ours = photo.restore(model, c, on_progress=lambda d, n: bar.progress(
        0.8 * d / n, text=f"Restoring with the autoencoder: tile {d} of {n}"))
    bar.progress(0.8, text="Running the classic method...")
    name, classic = photo.best_classic(c, kind)
    bar.empty()
    out = {"Original": img, "Corrupted": c.image, "Ours (autoencoder)": ours,
           f"Classic: {photo.CLASSIC_LABELS[name]}": classic}
    return {k: (photo.to_uint8(v), photo.photo_psnr(v, img), photo.photo_ssim(v, img))
            for k, v in out.items()}


def zoomed(arr: np.ndarray, fy: float, fx: float) -> np.ndarray:
    """A ZOOM x ZOOM detail of (H, W, 3) around fractions (fy, fx), enlarged 3x by repetition."""
    h, w = arr.shape[:2]
    z = min(ZOOM, h, w)
    i, j = int(fy * (h - z)), int(fx * (w - z))
    return arr[i:i + z, j:j + z].repeat(3, 0).repeat(3, 1)


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


# page

try:
    loaders.zoo_model(MODEL)
except AecoreError as exc:
    st.error(f"The photo restorer cannot be loaded: {exc}. Rebuild it with "
             f"`python -m aecore train --preset {MODEL} --out pretrained`.")
    st.stop()

chosen = choose_photo()
if chosen is None:
    st.stop()
img, label = chosen
c1, c2, c3 = st.columns([2, 3, 1])
kind = c1.selectbox("Damage", photo.NOISES, format_func=photo.NOISE_LABELS.get, key=f"{KEY}_kind")
lo, hi, default = photo.LEVELS[kind]
step = 1.0 if kind in ("gaussian", "jpeg") else 0.01
help_ = {"gaussian": "Standard deviation of the noise, in grey levels of 255",
         "salt_pepper": "Fraction of pixels set to black or white",
         "jpeg": "JPEG quality: lower is blockier", "scratches": "Fraction of pixels missing"}[kind]
level = c2.slider("Strength" if kind != "jpeg" else "JPEG quality", lo, hi, default, step,
                  key=f"{KEY}_level_{kind}", help=help_)
seed = int(c3.number_input("Seed", 0, 10_000, 0, key=f"{KEY}_seed"))

work_key = (hashlib.sha256(img.numpy().tobytes()).hexdigest()[:16], kind, float(level), seed)
memo = st.session_state.get(f"{KEY}_result")
if memo is None or memo[0] != work_key:
    if st.session_state.get(f"{KEY}_cancelled") == work_key:
        st.warning("Cancelled. Change a setting, or run it again.")
        if not st.button("Run again", key=f"{KEY}_again"):
            st.stop()
    # a click on Cancel reruns the page, which stops this run at its next progress update
    if st.button("Cancel", key=f"{KEY}_cancel"):
        st.session_state[f"{KEY}_cancelled"] = work_key
        st.rerun()
    try:
        memo = (work_key, compute(img, kind, float(level), seed))
    except AecoreError as exc:
        st.error(f"This photo cannot be restored: {exc}")
        st.stop()
    st.session_state[f"{KEY}_result"] = memo
    st.rerun()  # draw the result without the Cancel button
results = memo[1]

h, w = img.shape[-2:]
st.caption(f"{label}: {w}x{h} px. PSNR and SSIM are measured against the original: higher is "
           "closer.")
cols = st.columns(4)
for col, (title, (arr, p, s)) in zip(cols, results.items()):
    col.image(arr, caption=title if title == "Original" else f"{title}: PSNR {p:.2f} dB, SSIM {s:.3f}",
              width="stretch", output_format="PNG")  # JPEG would add its own artefacts
st.subheader("A detail")
z1, z2 = st.columns(2)
fy = z1.slider("Detail: from top to bottom", 0.0, 1.0, 0.5, 0.05, key=f"{KEY}_zy")
fx = z2.slider("Detail: from left to right", 0.0, 1.0, 0.5, 0.05, key=f"{KEY}_zx")
cols = st.columns(4)
for col, (title, (arr, _, _)) in zip(cols, results.items()):
    col.image(zoomed(arr, fy, fx), caption=title, width="stretch", output_format="PNG")
ours = results["Ours (autoencoder)"][0]
st.download_button(f"Download the restored photo ({ours.shape[1]}x{ours.shape[0]} PNG)", png(ours),
                   file_name="restored.png", mime="image/png", key=f"{KEY}_download")
