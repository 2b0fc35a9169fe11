"""Hostile and unusual uploads through the real Denoise page (issue 7).

Every case gets a clear message on the page (an ``st.error`` saying what was wrong and what to try,
or the results with a note saying what was done to the image), never an exception; and the same
session keeps working afterwards: switching to a test digit shows results again.
All files are generated here.
"""
from __future__ import annotations

import io
import re
import struct
import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from PIL import Image, ImageDraw

from conftest import open_page
from live_util import live_parts, stop_captions

from aecore.errors import ImageInputError
from aecore.preprocess import preprocess_image

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# image builders

def seven(size: tuple[int, int] = (200, 300)) -> Image.Image:
    """A thick black '7' on white, mode L; size is (width, height)."""
    w, h = size
    im = Image.new("L", size, 255)
    ImageDraw.Draw(im).line([(0.2 * w, 0.17 * h), (0.8 * w, 0.17 * h), (0.45 * w, 0.87 * h)],
                            fill=0, width=max(2, round(0.11 * w)))
    return im


def encode(im: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def bomb_png(side: int = 20_000) -> bytes:
    """A valid side x side 1-bit PNG in a few tens of KB (built by hand: PIL would allocate it)."""
    row = bytes(1 + (side + 7) // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row * 1000) for _ in range(side // 1000)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def animated_gif() -> bytes:
    frames = [seven().convert("P"), Image.new("P", (200, 300), 0)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def png16() -> bytes:
    return encode(Image.fromarray(np.asarray(seven(), dtype=np.uint16) * 257))


def transparent_png() -> bytes:
    im = Image.new("RGBA", (200, 300), (0, 0, 0, 0))  # a black stroke on a clear sheet
    ImageDraw.Draw(im).line([(40, 50), (160, 50), (90, 260)], fill=(0, 0, 0, 255), width=22)
    return encode(im)


def exif_rotated_jpeg() -> bytes:
    """The 7 stored lying on its side, with EXIF orientation 6 (display rotated 90 deg clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(seven().rotate(90, expand=True).convert("RGB"), "JPEG", exif=exif)


# (file name, bytes factory, MIME type, expected: ("error", words) or ("ok", note words or None))
CASES = [
    ("empty.png", lambda: b"", "image/png", ("error", "empty")),
    ("notes.png", lambda: b"shopping list: eggs, milk\n", "image/png", ("error", "text, not an image")),
    ("cut.png", lambda: encode(seven())[:300], "image/png", ("error", "truncated")),
    ("bomb.png", bomb_png, "image/png", ("error", "too large")),
    ("dot.png", lambda: encode(Image.new("L", (1, 1), 0)), "image/png", ("error", "1x1")),
    ("anim.gif", animated_gif, "image/gif", ("ok", "first of 2 frames")),
    ("deep.png", png16, "image/png", ("ok", "16-bit")),
    ("print.jpg", lambda: encode(seven().convert("CMYK"), "JPEG"), "image/jpeg", ("ok", None)),
    ("clear.png", transparent_png, "image/png", ("ok", "transparent")),
    ("phone.jpg", exif_rotated_jpeg, "image/jpeg", ("ok", "EXIF rotation")),
    ("photo.jpg", lambda: encode(seven((4000, 3000)).convert("RGB"), "JPEG", quality=90),
     "image/jpeg", ("ok", "downscaled")),
    ("scan.pdf", lambda: PDF, "application/pdf", ("error", "PDF")),
]


def live_captions(at) -> list[str]:
    """Titles and captions of the result panels at the slider's stop (the live component's,
    ui/live.py, sent for every stop)."""
    return [c for part in live_parts(at, "stops") if part["stops"][0]["rows"]
            for c in stop_captions(part)]


def psnr_captions(at) -> list[str]:
    """Captions under the result panels ("PSNR 12.3 dB  SSIM 0.45"), not the explanation."""
    return [c for c in live_captions(at) if re.match(r"PSNR (identical|[\d.]+ dB)", c)]


@pytest.mark.parametrize("name, make, mime, expected", CASES, ids=[c[0] for c in CASES])
def test_upload_case_through_the_denoise_page(app, name, make, mime, expected):
    at = open_page(app, "denoise")
    at.radio(key="den_in_src").set_value("upload").run()
    data = make()
    at.get("file_uploader")[0].upload(name, data, mime).run()
    assert not at.exception, [e.value for e in at.exception]
    outcome, words = expected
    if outcome == "error":
        assert len(at.error) == 1, [e.value for e in at.error]
        msg = at.error[0].value
        assert name in msg and words in msg  # names the file and says what was wrong
        assert not psnr_captions(at)  # no results from an unusable file
    else:
        assert not at.error, [e.value for e in at.error]
        assert len(psnr_captions(at)) == 4  # noisy input, plain AE, denoising AE, PCA
        if words is not None:
            shown = [c.value for c in at.caption] + live_captions(at)
            assert any(words in c for c in shown), shown
    # the same session keeps working: a test digit gives results again
    at.radio(key="den_in_src").set_value("test").run()
    assert not at.exception
    assert not at.error
    assert len(psnr_captions(at)) == 4



# property: any array a caller hands over (sizes, channels, dtypes, value ranges) gives a valid
# digit or an ImageInputError, never another exception

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=hst.integers(1, 120), w=hst.integers(1, 120),
       channels=hst.sampled_from([None, 1, 3, 4]),
       dtype=hst.sampled_from(["uint8", "uint16", "int32", "float32", "float64"]),
       lo=hst.floats(-1e6, 1e6, allow_subnormal=False), span=hst.floats(0, 1e6, allow_subnormal=False), seed=hst.integers(0, 2**16),
       special=hst.sampled_from([None, "nan", "inf"]))
def test_any_array_gives_a_digit_or_a_clear_error(h, w, channels, dtype, lo, span, seed, special):
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    arr = lo + span * rng.random(shape)
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        arr = np.clip(arr, info.min, info.max)
    arr = arr.astype(dtype)
    if special and arr.dtype.kind == "f":
        arr.flat[rng.integers(arr.size)] = np.nan if special == "nan" else np.inf
    try:
        result = preprocess_image(arr)
    except ImageInputError:
        return
    x = result.image
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert torch.isfinite(x).all() and float(x.min()) >= 0.0 and float(x.max()) <= 1.0
