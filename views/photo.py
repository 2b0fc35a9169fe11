"""Restore a photo: denoise or inpaint a real photograph against the best classic denoiser,
colourise a black-and-white one, or clean a scanned document, with the zoo's photo autoencoders."""
from __future__ import annotations

import hashlib
import io

import numpy as np
import streamlit as st
import torch
from PIL import Image

from aecore import photo
from aecore.documents import UNSEEN_SEED, median_otsu, page_pairs
from aecore.errors import AecoreError
from ui import image_input, loaders, widgets
from views import specs

TASKS = {"denoise": "Denoise and inpaint", "colourise": "Colourise", "document": "Clean a scanned document"}
MODELS = specs.PHOTO.defaults  # the zoo's photo model of each task (aecore/presets.py)
KEY = "photo"  # widget and session keys start with this
ZOOM = 96  # side of the detail crop, in photo pixels

st.title("Restore a photo")
INTRO = ("A fully convolutional denoising autoencoder works on a photo of any size: its encoder "
           "halves the photo twice into a bottleneck of feature maps, its decoder brings it back "
           "up. One skip connection carries the fine detail past the bottleneck (without it the "
           "output is blurred), so what the bottleneck learns is what noise is *not*.")
st.caption(INTRO)


# input

@st.cache_data(max_entries=4, scope="session", show_spinner=False)
def decode(data: bytes, name: str) -> tuple[np.ndarray, list[str]]:
    """Uploaded bytes as (H, W, 3) uint8 and notes (ImageInputError for unusable files)."""
    img, notes = photo.photo_from_upload(data, name)
    return photo.to_uint8(img), notes


@st.cache_data(max_entries=8, show_spinner=False)
def sample(name: str) -> np.ndarray:
    return photo.to_uint8(photo.read_photo(name))


@st.cache_data(max_entries=1, show_spinner=False)
def _synthetic() -> tuple[np.ndarray, np.ndarray]:
    dirt, clean = page_pairs(1, UNSEEN_SEED, 384, 384)
    return photo.to_uint8(dirt[0].expand(3, -1, -1)), photo.to_uint8(clean[0].expand(3, -1, -1))


def synthetic_page() -> torch.Tensor:
    """A dirty synthetic page no model trained on (its clean twin: :func:`_synthetic`)."""
    return photo.to_tensor(_synthetic()[0])


def choose_photo(task: str) -> tuple[torch.Tensor, str] | None:
    """The photo to work on, (3, H, W), and its label; None (after a message) when none."""
    samples = (["page.png", "an unseen synthetic page"] if task == "document" else
               sorted(photo.photo_names("heldout", "RGB")))  # chelsea.png, the smallest, first
    src = st.radio("Photo", ["sample", "upload"], horizontal=True, key=f"{KEY}_src",
                   format_func={"sample": "A held-out sample photo", "upload": "Upload your own"}.get)
    if src == "sample":
        name = st.selectbox("Sample", samples, key=f"{KEY}_sample",
                            help="Photos the model never trained on (data/photos/photos.json)")
        if name == "an unseen synthetic page":
            return synthetic_page(), name
        return photo.to_tensor(sample(name)), name
    f = st.file_uploader("A photo (PNG, JPEG, GIF, BMP or WebP)", key=f"{KEY}_file",
                         type=image_input.UPLOAD_TYPES)  # MIME types too: a PDF gets our message
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


# work: each returns {panel title: (H, W, 3) uint8, caption}

def _panel(img: torch.Tensor, ref: torch.Tensor | None, title: str, extra: str = "") -> tuple:
    if ref is None or title == "Original":
        return photo.to_uint8(img), f"{title}{extra}"
    return photo.to_uint8(img), (f"{title}: PSNR {photo.photo_psnr(img, ref):.2f} dB, "
                                 f"SSIM {photo.photo_ssim(img, ref):.3f}{extra}")


def _bar():
    bar = st.progress(0.0, text="Running the autoencoder...")
    return bar, lambda d, n: bar.progress(0.8 * d / n, text=f"Running the autoencoder: tile {d} of {n}")


def denoise(img: torch.Tensor, kind: str, level: float, seed: int) -> dict:
    """Corrupt, restore (tiled, with a progress bar) and compare with the classic method."""
    c = photo.corrupt(img, kind, level, torch.Generator().manual_seed(seed))
    bar, tick = _bar()
    ours = photo.restore(loaders.zoo_model(MODELS["denoise"])[0], c, on_progress=tick)
    bar.progress(0.8, text="Running the classic method...")
    name, classic = photo.best_classic(c, kind)
    bar.empty()
    return {t: _panel(v, img, t) for t, v in (
        ("Original", img), ("Corrupted", c.image), ("Ours (autoencoder)", ours),
        (f"Classic: {photo.CLASSIC_LABELS[name]}", classic))}


def colourise(img: torch.Tensor, is_colour: bool) -> dict:
    """Take the colour out (if any) and let the colouriser put it back."""
    grey = photo.greyscale(img)
    bar, tick = _bar()
    ours = photo.colourise(loaders.zoo_model(MODELS["colourise"])[0], grey, on_progress=tick)
    bar.empty()
    ref = img if is_colour else None
    out = {"Grey input": _panel(grey, ref, "Grey input"),
           "Ours (autoencoder)": _panel(ours, ref, "Ours (autoencoder)",
                                        f", colourfulness {photo.colourfulness(ours):.3f}")}
    if is_colour:
        out["Original"] = _panel(img, None, "Original", f", colourfulness {photo.colourfulness(img):.3f}")
    return out


def document(img: torch.Tensor, label: str) -> dict:
    """Clean a scan with the document AE and with a median filter + Otsu threshold."""
    page = img.mean(0, keepdim=True)  # (1, H, W) grey
    bar, tick = _bar()
    ours = photo.run_model(loaders.zoo_model(MODELS["document"])[0], page[None], on_progress=tick)[0]
    bar.empty()
    ref = photo.to_tensor(_synthetic()[1])[:1] if label == "an unseen synthetic page" else None
    rgb = lambda t: t.expand(3, -1, -1)  # noqa: E731
    ref3 = None if ref is None else rgb(ref)
    out = {"Scan": _panel(rgb(page), ref3, "Scan"), "Ours (autoencoder)": _panel(rgb(ours), ref3, "Ours (autoencoder)"),
           "Classic: median filter + Otsu threshold": _panel(rgb(median_otsu(page)), ref3,
                                                            "Classic: median filter + Otsu threshold")}
    if ref3 is not None:
        out["Clean page"] = _panel(ref3, None, "Clean page")
    return out


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


def settings(task: str, img: torch.Tensor) -> tuple:
    """The task's widgets; returns the arguments of its work function after ``img``."""
    if task == "colourise":
        is_colour = photo.colourfulness(img) > 0.01
        if not is_colour:
            st.caption("A black-and-white photo: there is no original colour to compare with.")
        return (is_colour,)
    if task == "document":
        return ()
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
    return kind, float(level), seed


def run_once(work_key: tuple, fn, *args) -> dict:
    """``fn(*args)`` once per ``work_key`` (kept in the session), with a Cancel button while it
    runs: a click reruns the page, which stops this run at its next progress update."""
    memo = st.session_state.get(f"{KEY}_result")
    if memo is not None and memo[0] == work_key:
        return memo[1]
    if st.session_state.get(f"{KEY}_cancelled") == work_key:
        st.warning("Cancelled. Change a setting, or run it again.")
        if not st.button("Run again", key=f"{KEY}_again"):
            st.stop()
    if st.button("Cancel", key=f"{KEY}_cancel"):
        st.session_state[f"{KEY}_cancelled"] = work_key
        st.rerun()
    try:
        result = fn(*args)
    except AecoreError as exc:
        st.error(f"This photo cannot be processed: {exc}")
        st.stop()
    st.session_state[f"{KEY}_result"] = (work_key, result)
    st.rerun()  # draw the result without the Cancel button


# page

task = st.radio("Task", list(TASKS), format_func=TASKS.get, horizontal=True, key=f"{KEY}_task")
try:
    loaders.zoo_model(MODELS[task])
except AecoreError as exc:
    st.error(f"The model for this task cannot be loaded: {exc}. Rebuild it with "
             f"`python -m aecore train --preset {MODELS[task]} --out pretrained`.")
    st.stop()
chosen = choose_photo(task)
if chosen is None:
    st.stop()
img, label = chosen
args = settings(task, img)
work_key = (task, hashlib.sha256(img.numpy().tobytes()).hexdigest()[:16], label, *args)
fn = {"denoise": denoise, "colourise": colourise, "document": document}[task]
results = run_once(work_key, fn, img, *(args if task != "document" else (label,)))

h, w = img.shape[-2:]
st.caption(f"{label}: {w}x{h} px. PSNR and SSIM are measured against the original: higher is "
           "closer.")
cols = st.columns(len(results))
for col, (title, (arr, caption)) in zip(cols, results.items()):
    widgets.picture(arr, f"{title}: the whole {label}", caption=caption,
                    width="stretch", where=col, output_format="PNG")  # no JPEG artefacts
st.subheader("A detail")
z1, z2 = st.columns(2)
fy = z1.slider("Detail: from top to bottom", 0.0, 1.0, 0.5, 0.05, key=f"{KEY}_zy")
fx = z2.slider("Detail: from left to right", 0.0, 1.0, 0.5, 0.05, key=f"{KEY}_zx")
cols = st.columns(len(results))
for col, (title, (arr, _)) in zip(cols, results.items()):
    widgets.picture(zoomed(arr, fy, fx), f"{title}: a detail enlarged", caption=title,
                    width="stretch", where=col, output_format="PNG")
ours = results["Ours (autoencoder)"][0]
st.download_button(f"Download the result ({ours.shape[1]}x{ours.shape[0]} PNG)", png(ours),
                   file_name=f"{task}d.png" if task != "document" else "cleaned.png",
                   mime="image/png", key=f"{KEY}_download")
