"""Turn an uploaded image or a canvas drawing into an MNIST-like 28x28 digit.

The pipeline follows what the MNIST creators did to the NIST scans, and keeps every step so a page
can show it:

1. **original**: decode safely (:mod:`aecore.decode`: size limits, decompression bombs, first
   frame of an animation, EXIF orientation, bit depth), longest side at most ``WORK_SIDE`` px.
2. **grey**: luminance in 0..255. Transparent pixels are composited first (rule below).
3. **inverted** / **not inverted**: MNIST has bright ink on black. The background tone is the median
   of the outer ring of pixels; when it is light (> 127) the image is inverted.
4. **cropped to ink**: the background level is subtracted, the ink is found as the pixels above
   ``INK_THRESHOLD`` of the brightest one, and the image is cropped to their bounding box plus a
   margin of 2 % of its longest side (room for the anti-aliased fringe); contrast is stretched so
   the brightest ink is 255.
5. **scaled to 20 px**: longest side to 20 px, aspect ratio kept, LANCZOS (anti-aliased) resampling.
6. **centred 28x28**: placed in a 28x28 field with an integer shift that puts the centre of mass at
   pixel (14, 14), as measured on MNIST itself (row/column index coordinates); the result is
   float32 in [0, 1] with its brightest pixel at 1.

The resize and the placing in the field are torchvision's ``transforms.v2`` functions, imported
on the first digit (torchvision takes about a second to import, and most visits never upload
one); tests/test_library_parity.py checks them against the numpy/PIL code they replaced, on the
same images: equal to the last bit. The crop is a plain slice: its box always lies inside the
image, where ``v2.crop`` is that same slice.

Transparency rule. Transparent pixels have no colour of their own, so they are composited on a
plain background chosen so the digit stands out. Let *visible* be the pixels with alpha >= 50 %:

* visible pixels cover less than half the image: they are strokes on a transparent sheet (a
  canvas drawing, a logo). The sheet gets the tone opposite to the strokes' median: light strokes
  on black, dark strokes on white. (streamlit-drawable-canvas returns white strokes on
  transparent black, which would vanish on white.)
* visible pixels cover half the image or more: the transparency is a frame or hole around a
  picture that has its own background, so it is filled with that picture's median tone, rounded
  to white or black.

Nothing here imports the UI; errors are ``ImageInputError`` with a message fit for a user.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .decode import (MAX_PIXELS, MAX_UPLOAD_BYTES, array_to_image, decoding,  # noqa: F401
                     prepare_image, load_image)
from .errors import ImageInputError

DIGIT_BOX: int = 20  # MNIST: the digit fits a 20x20 box ...
FIELD: int = 28  # ... centred in a 28x28 field
INK_THRESHOLD: float = 0.25  # ink = above this fraction of the brightest (background-removed) pixel
MIN_CONTRAST: int = 24  # ink must stand this many grey levels (of 255) above the background
CROP_MARGIN: float = 0.02  # margin around the ink box, as a fraction of its longest side


@dataclass(frozen=True, eq=False)  # eq=False: tensors and arrays have no single truth value
class Preprocessed:
    """An MNIST-like digit made from user input, with the steps that made it."""

    image: torch.Tensor  # (1, 28, 28) float32 in [0, 1], ink bright on black like MNIST
    steps: tuple[tuple[str, np.ndarray], ...]  # (caption, uint8 HxW or HxWx3), pipeline order
    notes: tuple[str, ...]  # user-facing remarks on what was done to the input


# ---------------------------------------------------------------------------------------------
# the pipeline on 8-bit pixels


def _background_for_alpha(grey: np.ndarray, alpha: np.ndarray) -> tuple[int, str]:
    """Pick the tone (0 or 255) under transparent pixels, by the rule in the module docstring.

    ``grey``, ``alpha``: (H, W) uint8. Returns the tone and a note.
    """
    visible = alpha >= 128
    if not visible.any():
        raise ImageInputError("no digit found: the image is blank/uniform (fully transparent)")
    light = float(np.median(grey[visible])) > 127
    if visible.mean() < 0.5:  # sparse: strokes on a transparent sheet
        tone = 0 if light else 255
        why = "light strokes" if light else "dark strokes"
    else:  # dense: a picture with a transparent frame; extend its own background
        tone = 255 if light else 0
        why = "light picture" if light else "dark picture"
    colour = "white" if tone == 255 else "black"
    return tone, f"transparent background composited on {colour} ({why})"


def _original_and_grey(im: Image.Image) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Display copy (H, W) or (H, W, 3) and grey (H, W), both uint8, transparency composited."""
    alpha = None
    if im.mode in ("LA", "RGBA"):
        alpha = np.asarray(im.getchannel("A"))
        im = im.convert(im.mode[:-1])  # drops alpha; the colour under it is weighted by alpha
        if alpha.min() == 255:
            alpha = None
    shown = np.asarray(im)  # (H, W) for L, (H, W, 3) for RGB
    grey = shown if im.mode == "L" else np.asarray(im.convert("L"))
    if alpha is None:
        return shown, grey, None
    tone, note = _background_for_alpha(grey, alpha)
    weight = alpha.astype(np.float32) / 255.0  # (H, W)

    def over(pixels: np.ndarray) -> np.ndarray:
        w = weight if pixels.ndim == 2 else weight[:, :, None]
        return np.rint(pixels * w + tone * (1.0 - w)).astype(np.uint8)

    return over(shown), over(grey), note


def _border_tone(grey: np.ndarray) -> float:
    """Median of the outer ring (about 3 % of the shorter side, >= 1 px) of a (H, W) image."""
    h, w = grey.shape
    ring = max(1, round(0.03 * min(h, w)))
    parts = (grey[:ring].ravel(), grey[-ring:].ravel(),
             grey[ring:-ring, :ring].ravel(), grey[ring:-ring, -ring:].ravel())
    return float(np.median(np.concatenate(parts)))


def _v2():
    """torchvision.transforms.v2.functional, imported on first use (see the module docstring)."""
    from torchvision.transforms.v2 import functional

    return functional


def _crop_to_ink(bright: np.ndarray) -> np.ndarray:
    """Crop a bright-ink (H, W) uint8 image to its ink; background removed, ink stretched to 255.

    Raises ImageInputError when nothing stands out from the background.
    """
    # subtract the background level so grey paper in a photo becomes black like MNIST
    ink = np.clip(bright.astype(np.int16) - int(round(_border_tone(bright))), 0, None)
    peak = int(ink.max())
    if peak < MIN_CONTRAST:
        raise ImageInputError("no digit found: the image is blank/uniform; draw a digit or "
                              "upload an image where the digit stands out from the background")
    rows = np.flatnonzero((ink >= INK_THRESHOLD * peak).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD * peak).any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = int(CROP_MARGIN * max(bottom - top, right - left) + 0.5)
    h, w = ink.shape
    box = ink[max(0, top - margin):min(h, bottom + margin),
              max(0, left - margin):min(w, right + margin)]  # (h', w') int16, inside the image
    return np.rint(box * (255.0 / peak)).astype(np.uint8)


def _scale_to_box(crop: np.ndarray) -> np.ndarray:
    """Resize a (h, w) uint8 crop so its longest side is DIGIT_BOX px, aspect kept (LANCZOS)."""
    h, w = crop.shape
    factor = DIGIT_BOX / max(h, w)
    size = [min(DIGIT_BOX, max(1, round(h * factor))), min(DIGIT_BOX, max(1, round(w * factor)))]
    v2 = _v2()  # on a PIL image: PIL's own LANCZOS resize, (h, w) order
    return np.asarray(v2.resize(Image.fromarray(crop), size, v2.InterpolationMode.LANCZOS))


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place a (h, w) uint8 digit (h, w <= 20) in a 28x28 float field, centre of mass at (14, 14).

    Returns (28, 28) float32 in [0, 1] with maximum 1.
    """
    h, w = digit.shape
    mass = digit.astype(np.float64)
    total = mass.sum()
    if total <= 0:
        raise ImageInputError("no digit found: the image is blank/uniform after scaling; draw a "
                              "larger or bolder digit")
    cy = (mass.sum(axis=1) * np.arange(h)).sum() / total
    cx = (mass.sum(axis=0) * np.arange(w)).sum() / total
    centre = FIELD // 2  # MNIST's centre of mass sits at index (14, 14)
    # integer shift like MNIST; clamped so no ink leaves the field (the patch is <= 20 px)
    top = int(np.clip(round(centre - cy), 0, FIELD - h))
    left = int(np.clip(round(centre - cx), 0, FIELD - w))
    padding = [left, top, FIELD - w - left, FIELD - h - top]  # left, top, right, bottom
    field = _v2().pad(torch.from_numpy(mass.astype(np.float32))[None], padding)[0].numpy()
    return field / field.max()  # (28, 28) float32


def _readonly(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous read-only copy, so a frozen Preprocessed cannot be changed through it."""
    out = np.array(arr, dtype=np.uint8, copy=True, order="C")
    out.setflags(write=False)
    return out


def preprocess_image(source: bytes | np.ndarray | Image.Image, *,
                     filename: str | None = None) -> Preprocessed:
    """Turn image bytes, a canvas array or a PIL image into an MNIST-like (1, 28, 28) digit.

    ``source``: the bytes of an uploaded file (PNG, JPEG, GIF, BMP, WebP), a numpy array
    (H, W) / (H, W, 1|3|4) of uint8, integers or floats (in [0, 1] when max <= 1), or a PIL image.
    ``filename`` is only used in messages. Raises ImageInputError, with a message fit for the
    user, for anything that cannot become a digit. See the module docstring for the steps.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        im, notes = load_image(bytes(source), filename=filename)
    elif isinstance(source, np.ndarray):
        im, notes = array_to_image(source)
    elif isinstance(source, Image.Image):
        with decoding(filename, source.format):
            im, notes = prepare_image(source, filename)
    else:
        raise ImageInputError("expected image bytes, a numpy array or a PIL image; got "
                              f"{type(source).__name__}")
    shown, grey, alpha_note = _original_and_grey(im)
    if alpha_note:
        notes.append(alpha_note)
    invert = _border_tone(grey) > 127  # light background: MNIST wants bright ink on black
    bright = 255 - grey if invert else grey
    if invert:
        notes.append("light background: colours inverted")
    crop = _crop_to_ink(bright)
    digit = _scale_to_box(crop)
    field = _centre_by_mass(digit)  # (28, 28) float32
    steps = (("original", shown), ("grey", grey),
             ("inverted" if invert else "not inverted", bright), ("cropped to ink", crop),
             ("scaled to 20 px", digit), ("centred 28x28", np.rint(field * 255)))
    return Preprocessed(
        image=torch.from_numpy(field).unsqueeze(0),  # (1, 28, 28)
        steps=tuple((caption, _readonly(arr)) for caption, arr in steps),
        notes=tuple(notes),
    )
