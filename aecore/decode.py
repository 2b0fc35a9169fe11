"""Decode an uploaded image (hostile bytes included) or a canvas array into a PIL image of 8-bit
pixels, side at most ``WORK_SIDE`` px: step 1 of :mod:`aecore.preprocess`.

Only PNG, JPEG, GIF, BMP and WebP reach PIL's decoders; what is not an image (a text file, a
PDF, another format) is named in the message. Size limits are checked before any pixel is
decoded (decompression bombs), an animation gives its first frame, EXIF orientation is applied,
and the longest side is brought down before any float work.

Bit depth rule. 16- and 32-bit integer images are scaled by their actual maximum (the brightest
pixel becomes 255) when it exceeds 255, so a 12-bit scan or a dark 16-bit export does not come out
nearly black; an image whose values all fit in 0..255 (e.g. an 8-bit image saved as 16-bit) is
used as is, where a blind ``>> 8`` would turn it black. Float images and float arrays are taken
as [0, 1] when their maximum is <= 1, else as [0, 255] (scaled by the maximum if it is above 255).

Nothing here imports the UI; errors are ``ImageInputError`` with a message fit for a user.
"""
from __future__ import annotations

import io
import re
import struct
import warnings
from pathlib import PurePath

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageInputError

MAX_UPLOAD_BYTES: int = 10 * 1024 * 1024  # larger input refused with a message
MAX_PIXELS: int = 40_000_000  # width*height above this refused (decompression bomb)
MIN_SIDE: int = 8  # smaller images cannot hold a recognisable digit
MAX_ASPECT: int = 64  # longer/shorter side; thinner strips are not a digit
WORK_SIDE: int = 1024  # longest side kept for processing; plenty for a 20 px result

# Formats PIL may decode. Restricting Image.open keeps exotic decoders (and their bugs) out of
# reach of uploaded bytes.
_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
_FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "BMP": "BMP", "WEBP": "WebP"}
_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
# What PIL raises on a truncated or malformed file (it has no single exception class for this).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
                  ZeroDivisionError)
_EXIF_ORIENTATION = 0x0112


# ---------------------------------------------------------------------------------------------
# errors


def _error(message: str, filename: str | None) -> ImageInputError:
    """An ImageInputError whose message names the file when we know it."""
    return ImageInputError(f"{filename}: {message}" if filename else message)


def _check_dimensions(width: int, height: int, filename: str | None) -> None:
    """Refuse sizes we cannot or will not process; called before any pixel is decoded."""
    if width < MIN_SIDE or height < MIN_SIDE:
        raise _error(f"image is {width}x{height} px; draw or upload a digit at least "
                     f"{MIN_SIDE}x{MIN_SIDE} px", filename)
    if width * height > MAX_PIXELS:
        raise _error(f"image is too large: {width}x{height} px = {width * height:,} pixels; the "
                     f"limit is {MAX_PIXELS:,} pixels. Resize it first (a digit needs only a few "
                     "hundred pixels a side)", filename)
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise _error(f"image is {width}x{height} px: too long and thin to hold a digit; crop it "
                     "around the digit", filename)


def _bomb_error(exc: Exception, filename: str | None) -> ImageInputError:
    """Turn PIL's decompression-bomb error or warning into our 'too many pixels' message."""
    # PIL says "Image size (400000000 pixels) exceeds limit of ..."; quote the count if present
    found = re.search(r"\((\d+) pixels\)", str(exc))
    count = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
    return _error(f"image is too large: {count} (a possible decompression bomb); the limit is "
                  f"{MAX_PIXELS:,} pixels. Resize it first", filename)


# ---------------------------------------------------------------------------------------------
# recognising what the bytes are


def _image_format(head: bytes) -> str | None:
    """The format our magic bytes say, or None when they match no allowed image format."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"BM"):
        return "BMP"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _looks_like_text(head: bytes) -> bool:
    """True when the first bytes decode as mostly printable UTF-8 (a text file renamed .png)."""
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a bad byte that is not just a character cut at the end
            return False
        text = head[:exc.start].decode("utf-8")
    if not text:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable / len(text) > 0.95


def _refuse_non_image(data: bytes, filename: str | None) -> None:
    """Raise a specific message for bytes that are not one of the allowed image formats."""
    head = data[:4096]
    if _image_format(head) is not None:
        return
    if b"%PDF" in head[:1024]:  # PDF readers accept junk before the header
        raise _error("this is a PDF, not an image; export the page as PNG or JPEG", filename)
    lowered = head[:1024].lower()
    if b"<svg" in lowered or (lowered.lstrip().startswith(b"<?xml") and b"svg" in lowered):
        raise _error("this is an SVG vector drawing, not a bitmap image; export it as PNG",
                     filename)
    if head[4:8] == b"ftyp":
        raise _error("this looks like a HEIC/AVIF photo or a video, which is not supported; "
                     "convert it to JPEG or PNG", filename)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        raise _error("TIFF images are not supported; save it as PNG or JPEG", filename)
    if _looks_like_text(head):
        ext = PurePath(filename).suffix.lower() if filename else ""
        renamed = (f" (its name ends in {ext}, but renaming a file does not convert it)"
                   if ext in _IMAGE_EXTS else "")
        raise _error(f"this file contains text, not an image{renamed}; upload a PNG, JPEG, GIF, "
                     "BMP or WebP image", filename)
    raise _error("not a recognised image format (PNG, JPEG, GIF, BMP, WebP)", filename)


# ---------------------------------------------------------------------------------------------
# decoding and normalising a PIL image


def _first_frame(im: Image.Image) -> str | None:
    """Go to frame 0 of an animation; return a note saying so, or None for a still image."""
    frames = int(getattr(im, "n_frames", 1) or 1)
    if frames <= 1:
        return None
    im.seek(0)
    name = _FORMAT_NAMES.get(im.format or "", im.format or "image")
    return f"animated {name}: used the first of {frames} frames"


def _draft_jpeg(im: Image.Image) -> None:
    """Ask the JPEG decoder to decode at 1/2, 1/4 or 1/8 scale when the photo is large.

    The DCT scaling makes a 4000x3000 photo decode several times faster. The result stays at least
    WORK_SIDE on its longest side, so the LANCZOS resize afterwards decides the final size. We keep
    the colour mode (not ``draft("L")``) so the "original" step still shows the photo in colour;
    the colour conversion at the reduced size is cheap. A no-op for other formats or loaded images.
    """
    width, height = im.size
    longest = max(width, height)
    if im.format != "JPEG" or longest < 2 * WORK_SIDE:
        return
    target = (max(1, width * WORK_SIDE // longest), max(1, height * WORK_SIDE // longest))
    im.draft(im.mode, target)


def _apply_exif(im: Image.Image) -> tuple[Image.Image, str | None]:
    """Rotate/mirror per the EXIF orientation tag; return the image and a note if it changed."""
    try:
        orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    except _DECODE_ERRORS:  # a broken EXIF block should not make a readable image unusable
        return im, "EXIF data unreadable: orientation ignored"
    if orientation not in range(2, 9):
        return im, None
    return ImageOps.exif_transpose(im), "EXIF rotation applied"


def _normalise_mode(im: Image.Image) -> Image.Image:
    """Convert to one of L, LA, RGB, RGBA, I, F: modes PIL resamples correctly (alpha-aware)."""
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA", "I", "F"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode in ("P", "PA"):
        # palette transparency ("transparency" in info or a PA alpha band) must survive
        return im.convert("RGBA" if mode == "PA" or im.has_transparency_data else "RGB")
    if mode.startswith("I;16"):
        return im.convert("I")  # I;16 cannot be resized; I (int32) can, without losing values
    if mode == "La":
        return im.convert("LA")
    if mode == "RGBa":
        return im.convert("RGBA")
    return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX ...


def _downscale(im: Image.Image, original_size: tuple[int, int]) -> tuple[Image.Image, str | None]:
    """Bring the longest side to at most WORK_SIDE (LANCZOS, with PIL's fast reduce first)."""
    width, height = im.size
    longest = max(width, height)
    if longest > WORK_SIDE:
        size = (max(1, round(width * WORK_SIDE / longest)),
                max(1, round(height * WORK_SIDE / longest)))
        # reducing_gap: a cheap box reduce by an integer factor, then LANCZOS for the rest
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if max(original_size) > WORK_SIDE:  # also true when the JPEG draft already did the work
        ow, oh = original_size
        return im, f"large image ({ow}x{oh}) downscaled to {im.width}x{im.height}"
    return im, None


def _to_uint8(values: np.ndarray, *, is_float: bool) -> tuple[np.ndarray, list[str]]:
    """Map integer or float samples to uint8 by the bit-depth rule in the module docstring.

    ``values``: any shape. Raises on NaN/inf; negative values are clipped to 0 with a note.
    """
    notes: list[str] = []
    values = values.astype(np.float32, copy=False)  # float32: half the memory, ample precision
    if not np.isfinite(values).all():
        raise ImageInputError("the image contains NaN or infinite values; supply finite pixel "
                              "values in [0, 1] or [0, 255]")
    if values.size and values.min() < 0:
        notes.append("negative values clipped to 0")
        values = np.clip(values, 0, None)
    high = float(values.max()) if values.size else 0.0
    if is_float and high <= 1.0:
        scale = 255.0
    elif high <= 255.0:
        scale = 1.0
    else:
        scale = 255.0 / high
    return np.rint(values * scale).clip(0, 255).astype(np.uint8), notes


def _to_8bit(im: Image.Image, source_mode: str) -> tuple[Image.Image, list[str]]:
    """Turn an I or F image into L by the bit-depth rule; other modes pass through."""
    if im.mode not in ("I", "F"):
        return im, []
    values = np.asarray(im)  # (H, W) int32 or float32
    grey, notes = _to_uint8(values, is_float=im.mode == "F")
    high = values.max()
    if im.mode == "F":
        notes.append("floating-point image converted to 8 bits")
    elif high > 255:
        bits = "16-bit" if source_mode.startswith("I;16") or high <= 65535 else "32-bit"
        notes.append(f"{bits} image scaled to 8 bits (brightest value {int(high)} -> 255)")
    else:
        notes.append(f"16-bit image scaled to 8 bits: its values fit 0..255 (max {int(high)}), "
                     "so they were used as is")
    return Image.fromarray(grey), notes  # (H, W) uint8 -> mode L


def prepare_image(im: Image.Image, filename: str | None) -> tuple[Image.Image, list[str]]:
    """Checks, first frame, decode, EXIF, mode and size: an L/LA/RGB/RGBA image of side <= 1024.

    Must run inside ``decoding`` so PIL's errors and warnings become ImageInputError.
    """
    original_size = im.size
    _check_dimensions(*original_size, filename)  # header only: no pixel decoded yet
    notes: list[str] = []
    frame_note = _first_frame(im)
    if frame_note:
        notes.append(frame_note)
    _draft_jpeg(im)
    im.load()
    im, exif_note = _apply_exif(im)
    if exif_note:
        notes.append(exif_note)
    source_mode = im.mode
    im = _normalise_mode(im)
    im, size_note = _downscale(im, original_size)
    if size_note:
        notes.append(size_note)
    im, depth_notes = _to_8bit(im, source_mode)
    notes.extend(depth_notes)
    return im, notes


class decoding:
    """Context: PIL failures while opening/decoding become ImageInputError.

    ``warnings.catch_warnings`` changes the warning filters for the block only (no PIL global is
    touched), turning DecompressionBombWarning into an exception we translate. (It is not
    thread-safe before Python 3.14; the worst a race can do is leave that one filter in place,
    and since MAX_PIXELS is below PIL's warning threshold such images are refused anyway.)
    """

    def __init__(self, filename: str | None, fmt: str | None) -> None:
        self.filename = filename
        self.fmt = fmt
        self._warnings = warnings.catch_warnings()

    def __enter__(self) -> "decoding":
        self._warnings.__enter__()
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._warnings.__exit__(exc_type, exc, tb)
        if exc is None or isinstance(exc, ImageInputError):
            return False
        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise _bomb_error(exc, self.filename) from exc
        if isinstance(exc, _DECODE_ERRORS):
            what = f"the {_FORMAT_NAMES.get(self.fmt or '', 'image')} file"
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, UnidentifiedImageError):
                reason = "PIL cannot identify it"
            raise _error(f"{what} is truncated or corrupt and cannot be decoded ({reason}); "
                         "re-save or re-upload it", self.filename) from exc
        return False


def load_image(data: bytes, *, filename: str | None = None) -> tuple[Image.Image, list[str]]:
    """Safely decode uploaded bytes; return the image and user-facing notes.

    Refuses (ImageInputError) empty or oversized files, non-images (with a hint for PDF, SVG,
    HEIC, TIFF, text), corrupt or truncated files, and images whose header declares too many
    pixels (checked before any pixel is decoded). The returned image is the first frame,
    EXIF-oriented, in mode L, LA, RGB or RGBA, with its longest side at most ``WORK_SIDE``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageInputError(f"expected the file's bytes; got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise _error("the file is empty (0 bytes); upload an image file", filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _error(f"the file is too large: {len(data):,} bytes ({len(data) / 2**20:.1f} MB); "
                     f"the limit is {MAX_UPLOAD_BYTES:,} bytes ({MAX_UPLOAD_BYTES / 2**20:g} MB). "
                     "Resize or compress it first", filename)
    _refuse_non_image(data, filename)
    with decoding(filename, _image_format(data[:16])):
        # lazy: reads the header only, so the size check in prepare_image runs before decoding
        im = Image.open(io.BytesIO(data), formats=_FORMATS)
        return prepare_image(im, filename)


# ---------------------------------------------------------------------------------------------
# numpy arrays (canvas drawings)


def array_to_image(arr: np.ndarray) -> tuple[Image.Image, list[str]]:
    """A (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array as an L/RGB/RGBA image of side <= 1024."""
    shape = arr.shape
    if arr.ndim == 3 and shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        hint = (" (channels must come last)" if arr.ndim == 3 and shape[0] in (1, 3, 4) else "")
        raise ImageInputError(f"expected an image array of shape (H, W), (H, W, 1), (H, W, 3) or "
                              f"(H, W, 4); got {shape}{hint}")
    _check_dimensions(arr.shape[1], arr.shape[0], None)
    notes: list[str] = []
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise ImageInputError(f"expected an array of numbers; got dtype {arr.dtype}")
        arr, notes = _to_uint8(arr, is_float=np.issubdtype(arr.dtype, np.floating))
    im = Image.fromarray(np.ascontiguousarray(arr))  # mode L, RGB or RGBA from the shape
    im, size_note = _downscale(im, im.size)
    if size_note:
        notes.append(size_note)
    return im, notes
