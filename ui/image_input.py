"""A reusable "choose an input digit" widget: a test digit, an uploaded image or a drawing.

Pages call :func:`digit_input` with their own key prefix (``den_in``, ``lat_in``, ...) and get an
:class:`InputDigit` (the 28x28 digit as a (1, 1, 28, 28) tensor, where it came from and, for uploads
and drawings, the preprocessing steps), or ``None`` when there is nothing usable yet; the widget has
then already told the user why (a hint or an ``st.error``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import streamlit as st
import torch

from aecore.data import Split
from aecore.datasets import DataSet
from aecore.errors import AecoreError
from aecore.preprocess import Preprocessed, preprocess_image

from . import loaders, query, widgets

SOURCES = {"test": "Test digit", "upload": "Upload an image", "draw": "Draw one"}
HOWS = {"index": "By index", "class": "Random digit of a class"}  # URL text: radio option
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "bmp", "webp")
# MIME types beside the extensions: with a MIME type present Streamlit leaves the type check to the
# browser and hands every file to us, so a renamed PDF reaches preprocess_image (which refuses it
# with a clear message) instead of raising inside st.file_uploader.
UPLOAD_TYPES = [f"image/{t}" for t in ("png", "jpeg", "gif", "bmp", "webp")] + list(UPLOAD_EXTENSIONS)
CANVAS_SIDE = 280  # 10x the MNIST field: room to draw with a mouse
STROKE_WIDTH = 18  # px on the canvas; after scaling to 20 px this is about MNIST's pen width


@dataclass(frozen=True, eq=False)  # eq=False: tensors have no single truth value
class InputDigit:
    """The digit a user chose, ready for a model."""

    image: torch.Tensor  # (1, 1, 28, 28) float32 in [0, 1], bright ink on black like MNIST
    # (another data set's test item, see test_item: (1, C, H, W))
    source: str  # "test", "upload" or "draw"
    label: str  # for captions: "test digit #42 (a 7)", the file name, "your drawing"
    prep: Preprocessed | None = None  # uploads and drawings: the steps that made the digit
    true_class: int | None = None  # test digits only


# helpers

def pick_of_class(labels: torch.Tensor, digit: int, seed: int) -> int:
    """A test-set index of class ``digit`` drawn at random by ``seed`` (reproducible)."""
    idx = torch.nonzero(labels == digit).flatten()  # (n_class,)
    g = torch.Generator().manual_seed(int(seed))
    return int(idx[torch.randint(len(idx), (1,), generator=g)].item())


def canvas_is_blank(rgba: np.ndarray | None) -> bool:
    """True when a canvas image (H, W, 3|4) uint8 has no bright, opaque stroke (or is None)."""
    if rgba is None or rgba.ndim != 3 or rgba.size == 0:
        return True
    bright = rgba[..., :3].max(axis=-1) >= 128  # strokes are white
    if rgba.shape[-1] == 4:
        bright &= rgba[..., 3] >= 128  # ... and opaque
    return not bool(bright.any())


def _crisp(arr: np.ndarray, min_side: int = 84) -> np.ndarray:
    """Enlarge a small step image by pixel repetition so the browser does not blur it."""
    f = max(1, min_side // max(1, min(arr.shape[:2])))
    return arr.repeat(f, 0).repeat(f, 1) if f > 1 else arr


@st.cache_data(max_entries=4, scope="session", show_spinner=False)
def preprocess_upload(data: bytes, filename: str) -> Preprocessed:
    """``preprocess_image`` of uploaded bytes, cached per session (reruns do not redo it).

    Raises ImageInputError (not cached) for anything that is not a usable digit image.
    """
    return preprocess_image(data, filename=filename)


def show_steps(prep: Preprocessed) -> None:
    """The preprocessing notes, and every step with its caption in an expander."""
    for note in prep.notes:
        st.caption(f":material/info: {note}")
    with st.expander("How your image became a 28x28 MNIST-style digit"):
        widgets.picture([_crisp(a) for _, a in prep.steps], [f"your image, step {i + 1}: {c}"
                        for i, (c, _) in enumerate(prep.steps)],
                        caption=[c for c, _ in prep.steps], width=110)
        st.caption("Like MNIST: bright ink on black, cropped to the ink, the longest side scaled "
                   "to 20 px, then centred by its centre of mass in a 28x28 field.")


# sources

def _test_digit(key: str, link: bool = False) -> InputDigit:
    test = loaders.mnist_split("test")
    how = query.radio("how" if link else None, "Choose it", HOWS, HOWS["index"],
                      key=f"{key}_how", horizontal=True)
    if how == HOWS["index"]:
        i = int(query.number("idx" if link else None, "Test index", 0, len(test) - 1, 0,
                             step=1, key=f"{key}_idx"))
    else:
        c1, c2 = st.columns(2)
        digit = query.select("cls" if link else None, "Class", list(range(10)), 7,
                             key=f"{key}_cls", where=c1)
        seed = query.number("digit_seed" if link else None, "Seed", 0, 1_000_000, 0, step=1,
                            key=f"{key}_seed", where=c2)
        i = pick_of_class(test.labels, int(digit), int(seed))
    c = int(test.labels[i])
    return InputDigit(test.float_images([i]), "test", f"test digit #{i} (a {c})", true_class=c)


def test_item(key: str, data: DataSet, test: Split, link: bool = False) -> InputDigit:
    """One test item of a data set other than MNIST, by index (``idx=42`` in the URL with
    ``link``), labelled with its class name where the set has classes: "test garment #42
    (Sneaker)". Its image is (1, C, H, W) in [0, 1]. The widget's key is per data set: each
    set has its own number of test items."""
    i = int(query.number("idx" if link else None, f"Test {data.item} index", 0, len(test) - 1, 0,
                         step=1, key=f"{key}_idx_{data.name}"))
    c = int(test.labels[i])
    named = f" ({data.class_name(c)})" if data.classes else ""
    return InputDigit(test.float_images([i]), "test", f"test {data.item} #{i}{named}",
                      true_class=c if data.classes else None)


def _uploaded_digit(key: str) -> InputDigit | None:
    f = st.file_uploader("An image of one handwritten digit", type=UPLOAD_TYPES, key=f"{key}_file",
                         help="PNG, JPEG, GIF, BMP or WebP: a photo, scan or screenshot. Dark ink "
                              "on light paper and light ink on dark both work.")
    if f is None:
        st.info("Upload a photo, scan or screenshot of one handwritten digit.")
        return None
    try:
        prep = preprocess_upload(f.getvalue(), f.name)
    except AecoreError as exc:  # ImageInputError: not an image, empty, blank, too large, ...
        st.error(f"This file cannot be used: {exc}")
        return None
    show_steps(prep)
    return InputDigit(prep.image.unsqueeze(0), "upload", f.name, prep)


def _drawn_digit(key: str) -> InputDigit | None:
    # imported here: the component registers itself at import, which needs a running app
    from streamlit_drawable_canvas import st_canvas

    res = st_canvas(stroke_width=STROKE_WIDTH, stroke_color="#FFFFFF", background_color="#000000",
                    height=CANVAS_SIDE, width=CANVAS_SIDE, drawing_mode="freedraw",
                    return_image_data=True, key=f"{key}_canvas")
    st.caption("Draw one digit, large, in the middle of the black square; the bin icon above it "
               "clears the canvas.")
    rgba = res.image_data  # (280, 280, 4) uint8, or None before the first stroke
    if canvas_is_blank(rgba):
        st.info("The canvas is empty: draw a digit with your mouse (or finger) to use it.")
        return None
    try:
        prep = preprocess_image(np.ascontiguousarray(rgba))
    except AecoreError as exc:
        st.error(f"This drawing cannot be used: {exc}")
        return None
    show_steps(prep)
    return InputDigit(prep.image.unsqueeze(0), "draw", "your drawing", prep)


def digit_input(key: str, allow: Sequence[str] = ("test", "upload", "draw"),
                label: str = "Input digit", link: bool = False) -> InputDigit | None:
    """Let the user choose one digit from the allowed sources; widget keys start with ``key``.
    With ``link`` the choice is kept in the URL (``src=test&how=index&idx=42``, or
    ``how=class&cls=7&digit_seed=3``; an upload or a drawing cannot travel in a link).

    Returns the digit, or None (after a hint or an error message on the page) when there is
    none yet or the upload/drawing cannot be used.
    """
    sources = [s for s in SOURCES if s in allow]
    if not sources:
        raise ValueError(f"digit_input: allow must name some of {list(SOURCES)}, got {allow!r}")
    src = (query.radio("src" if link else None, label, sources, sources[0], key=f"{key}_src",
                       format_func=SOURCES.get, horizontal=True)
           if len(sources) > 1 else sources[0])
    if src == "test":
        return _test_digit(key, link)
    if src == "upload":
        return _uploaded_digit(key)
    return _drawn_digit(key)
