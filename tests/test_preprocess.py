"""Tests for aecore.preprocess: uploads and drawings to MNIST-like 28x28 digits.

Every image is generated here (PIL.ImageDraw, numpy, hand-made PNG chunks); nothing is committed.
"""
from __future__ import annotations

import dataclasses
import io
import struct
import warnings
import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFile

from aecore import preprocess
from aecore.errors import ImageInputError
from aecore.preprocess import (MAX_PIXELS, MAX_UPLOAD_BYTES, Preprocessed, load_image,
                               preprocess_image)

CAPTIONS_INVERTED = ("original", "grey", "inverted", "cropped to ink", "scaled to 20 px",
                     "centred 28x28")
INVERT_NOTE = "light background: colours inverted"


# ---------------------------------------------------------------------------------------------
# helpers


def draw_seven(size: tuple[int, int] = (200, 300), ink: int = 0, bg: int = 255) -> Image.Image:
    """A thick '7' (asymmetric, so a wrong rotation shows) in mode L; size is (width, height)."""
    w, h = size
    im = Image.new("L", size, bg)
    pts = [(0.2 * w, 0.17 * h), (0.8 * w, 0.17 * h), (0.45 * w, 0.87 * h)]
    ImageDraw.Draw(im).line(pts, fill=ink, width=max(2, round(0.11 * w)), joint="curve")
    return im


def encode(im: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def digit(result: Preprocessed) -> np.ndarray:
    """The (28, 28) float array of a result, after checking its type, shape and range."""
    assert isinstance(result.image, torch.Tensor)
    assert result.image.shape == (1, 28, 28)
    assert result.image.dtype == torch.float32
    x = result.image[0].numpy()
    assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0
    return x


def ink_box(x: np.ndarray, level: float = 0.1) -> tuple[int, int]:
    """(height, width) of the bounding box of pixels above ``level``."""
    rows = np.flatnonzero((x > level).any(axis=1))
    cols = np.flatnonzero((x > level).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[: x.shape[0], : x.shape[1]]
    return float((x * ys).sum() / x.sum()), float((x * xs).sum() / x.sum())


def mad(a: Preprocessed, b: Preprocessed) -> float:
    """Mean absolute difference of two results' 28x28 images."""
    return float((a.image - b.image).abs().mean())


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def blank_bilevel_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of any size, built by hand (PIL would allocate the pixels)."""
    row = bytes(1 + (width + 7) // 8)  # filter byte 0 + packed bits, all zero
    comp = zlib.compressobj(9)
    rows_per_piece = 1000
    piece = row * rows_per_piece
    parts = [comp.compress(piece) for _ in range(height // rows_per_piece)]
    parts.append(comp.compress(row * (height % rows_per_piece)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grey, no interlace
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"".join(parts))
            + png_chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def seven() -> Image.Image:
    return draw_seven()


@pytest.fixture(scope="module")
def reference(seven: Image.Image) -> Preprocessed:
    """The black-on-white '7' as a greyscale PNG: what every other encoding is compared to."""
    return preprocess_image(encode(seven), filename="seven.png")


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """20000x20000 px (400 M pixels) in a few tens of KB."""
    return blank_bilevel_png(20_000, 20_000)


# ---------------------------------------------------------------------------------------------
# the pipeline on a synthetic digit


def test_synthetic_digit_is_mnist_like(reference: Preprocessed) -> None:
    x = digit(reference)
    assert x.max() == pytest.approx(1.0)
    # inverted: ink bright, background black (the corners of the field are empty)
    assert x[0, 0] == 0 and x[-1, -1] == 0 and x.mean() < 0.3
    height, width = ink_box(x)
    assert abs(max(height, width) - 20) <= 1
    assert height > width  # aspect ratio kept (the 7 is taller than wide)
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert reference.notes == (INVERT_NOTE,)


def test_steps_are_captioned_uint8_images(reference: Preprocessed) -> None:
    captions = tuple(caption for caption, _ in reference.steps)
    assert captions == CAPTIONS_INVERTED
    for caption, arr in reference.steps:
        assert isinstance(arr, np.ndarray) and arr.dtype == np.uint8, caption
        assert arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3), caption
        assert not arr.flags.writeable, caption
    shapes = dict(reference.steps)
    assert shapes["original"].shape == (300, 200)
    assert shapes["grey"].shape == (300, 200)
    assert max(shapes["scaled to 20 px"].shape) == 20
    assert shapes["centred 28x28"].shape == (28, 28)
    # the last step is the tensor, as bytes
    np.testing.assert_allclose(shapes["centred 28x28"] / 255.0, digit(reference), atol=0.5 / 255)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reference.image = None  # type: ignore[misc]


def test_white_on_black_is_not_inverted(reference: Preprocessed) -> None:
    result = preprocess_image(encode(draw_seven(ink=255, bg=0)))
    assert [caption for caption, _ in result.steps][2] == "not inverted"
    assert INVERT_NOTE not in result.notes
    assert mad(result, reference) < 0.01


def test_pil_image_input_matches_bytes(seven: Image.Image, reference: Preprocessed) -> None:
    result = preprocess_image(seven.copy())
    assert mad(result, reference) < 1e-6
    assert result.notes == reference.notes


# ---------------------------------------------------------------------------------------------
# formats and modes


def _la(seven: Image.Image) -> Image.Image:
    # ink opaque, background transparent with a mid grey under it that must be ignored
    alpha = seven.point(lambda v: 255 - v)
    grey = seven.point(lambda v: 0 if v < 128 else 123)
    return Image.merge("LA", (grey, alpha))


def _rgba(seven: Image.Image) -> Image.Image:
    im = Image.new("RGBA", seven.size, (255, 0, 0, 0))  # transparent red, must not show
    im.paste((10, 20, 90, 255), mask=seven.point(lambda v: 255 - v))
    return im


def _palette_png(seven: Image.Image) -> bytes:
    # palette index 0 = black ink, 1 = white background marked transparent
    im = seven.point(lambda v: 1 if v > 127 else 0).convert("P")
    im.putpalette([0, 0, 0, 255, 255, 255] + [0, 0, 0] * 254)
    data = encode(im, "PNG", transparency=1)
    assert Image.open(io.BytesIO(data)).mode == "P"
    return data


def _i16(seven: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(seven).astype(np.uint16) * 257)  # full 16-bit range


def _animated(seven: Image.Image, fmt: str) -> bytes:
    other1 = Image.new("L", seven.size, 255)
    ImageDraw.Draw(other1).ellipse((20, 20, 180, 280), outline=0, width=25)
    other2 = Image.new("L", seven.size, 255)
    ImageDraw.Draw(other2).rectangle((90, 30, 110, 270), fill=0)
    frames = [im.convert("RGB") if fmt == "WEBP" else im for im in (seven, other1, other2)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0,
                  **({"lossless": True} if fmt == "WEBP" else {}))


FORMAT_CASES = {
    # name: (make bytes from the 7, tolerance vs the greyscale PNG, note substrings expected)
    "png-L": (lambda s: encode(s), 1e-6, []),
    "png-LA": (lambda s: encode(_la(s)), 0.01, ["composited on white"]),
    "png-RGB": (lambda s: encode(s.convert("RGB")), 1e-6, []),
    "png-RGBA-transparent": (lambda s: encode(_rgba(s)), 0.02, ["composited on white"]),
    "png-P-transparent": (_palette_png, 0.01, ["composited on white"]),
    "png-I;16": (lambda s: encode(_i16(s)), 0.01, ["16-bit image scaled to 8 bits"]),
    "png-1": (lambda s: encode(s.convert("1")), 1e-6, []),
    "jpeg-L": (lambda s: encode(s, "JPEG", quality=85), 0.08, []),
    "jpeg-RGB": (lambda s: encode(s.convert("RGB"), "JPEG", quality=85), 0.08, []),
    "jpeg-CMYK": (lambda s: encode(s.convert("CMYK"), "JPEG", quality=85), 0.08, []),
    "gif-animated": (lambda s: _animated(s, "GIF"), 0.01, ["animated GIF: used the first of 3"]),
    "bmp": (lambda s: encode(s.convert("RGB"), "BMP"), 1e-6, []),
    "webp": (lambda s: encode(s.convert("RGB"), "WEBP", quality=80), 0.08, []),
    "webp-animated": (lambda s: _animated(s, "WEBP"), 0.02, ["animated WebP: used the first of 3"]),
}


@pytest.mark.parametrize("case", list(FORMAT_CASES))
def test_every_format_and_mode_gives_the_same_digit(case: str, seven: Image.Image,
                                                    reference: Preprocessed) -> None:
    make, tolerance, expected_notes = FORMAT_CASES[case]
    data = make(seven)
    result = preprocess_image(data, filename=f"seven.{case}")
    digit(result)
    assert mad(result, reference) < tolerance, case
    assert INVERT_NOTE in result.notes
    for note in expected_notes:
        assert any(note in n for n in result.notes), (note, result.notes)
    if not expected_notes:
        assert result.notes == (INVERT_NOTE,)


def test_sixteen_bit_holding_8_bit_values_is_used_as_is(seven: Image.Image,
                                                        reference: Preprocessed) -> None:
    # convert("I;16") keeps 0..255; a blind >> 8 would make this image black
    data = encode(seven.convert("I;16"))
    result = preprocess_image(data)
    assert mad(result, reference) < 0.01
    assert any("16-bit" in n and "as is" in n for n in result.notes)


def test_picture_with_transparent_frame_keeps_its_own_background(
        seven: Image.Image, reference: Preprocessed) -> None:
    # an opaque scan with transparent outer margin: the margin is filled white like the paper
    alpha = Image.new("L", seven.size, 0)
    alpha.paste(255, (8, 8, seven.width - 8, seven.height - 8))
    im = seven.convert("RGBA")
    im.putalpha(alpha)
    result = preprocess_image(encode(im))
    assert "transparent background composited on white (light picture)" in result.notes
    assert mad(result, reference) < 0.01


def test_float_and_palette_pil_images(seven: Image.Image, reference: Preprocessed) -> None:
    as_float = Image.fromarray(np.asarray(seven).astype(np.float32) / 255.0)  # mode F in [0, 1]
    assert as_float.mode == "F"
    assert mad(preprocess_image(as_float), reference) < 0.01
    as_palette = seven.convert("P")  # no transparency
    result = preprocess_image(encode(as_palette))
    assert mad(result, reference) < 1e-6 and result.notes == (INVERT_NOTE,)


def test_load_image_returns_first_frame_and_notes(seven: Image.Image) -> None:
    im, notes = load_image(_animated(seven, "GIF"), filename="anim.gif")
    assert isinstance(im, Image.Image) and im.mode in ("L", "LA", "RGB", "RGBA")
    assert im.size == seven.size
    assert notes == ["animated GIF: used the first of 3 frames"]
    # first frame is the 7: its top bar row is dark, where frame 2 (an ellipse) is not
    assert np.asarray(im.convert("L"))[int(0.17 * 300), 100] < 50


@pytest.mark.parametrize("orientation, stored", [(6, Image.Transpose.ROTATE_90),
                                                 (8, Image.Transpose.ROTATE_270),
                                                 (3, Image.Transpose.ROTATE_180)])
def test_exif_rotated_jpeg_comes_out_upright(orientation: int, stored: Image.Transpose,
                                             seven: Image.Image, reference: Preprocessed) -> None:
    sideways = seven.transpose(stored)  # as the camera stored it
    exif = Image.Exif()
    exif[0x0112] = orientation
    result = preprocess_image(encode(sideways, "JPEG", quality=90, exif=exif))
    assert "EXIF rotation applied" in result.notes
    assert mad(result, reference) < 0.08
    # the check means something: the same bytes without the tag give a different digit
    unrotated = preprocess_image(encode(sideways, "JPEG", quality=90))
    assert mad(unrotated, reference) > 0.1


def test_large_photo_is_downscaled_fast(reference: Preprocessed) -> None:
    # 4000x3000 "photo": uneven light-grey paper, mild noise, a dark blue-ish 7
    rng = np.random.default_rng(0)
    ys = np.linspace(0, 1, 3000, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, 4000, dtype=np.float32)[None, :]
    paper = 215 + 20 * xs - 15 * ys + rng.normal(0, 3, (3000, 1)).astype(np.float32)
    rgb = np.repeat(np.clip(paper, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    photo = Image.fromarray(rgb)
    seven = draw_seven((1600, 2400)).point(lambda v: 255 - v)  # ink mask
    photo.paste((40, 40, 70), (1200, 300), mask=seven)
    data = encode(photo, "JPEG", quality=85)
    assert len(data) < MAX_UPLOAD_BYTES
    result = preprocess_image(data, filename="photo.jpg")
    assert any("large image (4000x3000) downscaled" in n for n in result.notes)
    assert max(dict(result.steps)["original"].shape) <= 1024
    assert mad(result, reference) < 0.08


# ---------------------------------------------------------------------------------------------
# canvas (numpy) input


def _canvas(background_alpha: int) -> np.ndarray:
    """(280, 280, 4) RGBA like streamlit-drawable-canvas: white strokes on black/transparent."""
    im = Image.new("RGBA", (280, 280), (0, 0, 0, background_alpha))
    mask = draw_seven((186, 280)).point(lambda v: 255 - v)
    im.paste((255, 255, 255, 255), (47, 0), mask=mask)
    return np.asarray(im).copy()


@pytest.mark.parametrize("background_alpha", [0, 255])
def test_canvas_rgba_white_stroke(background_alpha: int, reference: Preprocessed) -> None:
    arr = _canvas(background_alpha)
    result = preprocess_image(arr)
    x = digit(result)
    assert INVERT_NOTE not in result.notes
    assert [c for c, _ in result.steps][2] == "not inverted"
    if background_alpha == 0:
        assert any("composited on black" in n for n in result.notes)
    assert abs(max(ink_box(x)) - 20) <= 1
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert mad(result, reference) < 0.05


def test_numpy_variants_agree() -> None:
    base = preprocess_image(_canvas(0)[:, :, :3])
    grey = _canvas(255)[:, :, 0]
    for arr in (grey, grey[:, :, None], grey.astype(np.float32) / 255.0,
                grey.astype(np.float64), grey.astype(np.int64), grey > 127):
        result = preprocess_image(arr)
        assert mad(result, base) < 0.02, arr.dtype


@pytest.mark.parametrize("arr, keyword", [
    (np.zeros((3, 28, 28), np.uint8), "channels"),
    (np.zeros((28, 28, 2), np.uint8), "shape"),
    (np.zeros((2, 28, 28, 1), np.uint8), "shape"),
    (np.full((28, 28), np.nan, np.float32), "NaN"),
    (np.zeros((28, 28), np.complex64), "dtype"),
    (np.full((100, 100), 0.5, np.float32), "blank"),
    (np.zeros((4, 40), np.uint8), "8x8"),
])
def test_bad_arrays_are_refused(arr: np.ndarray, keyword: str) -> None:
    with pytest.raises(ImageInputError, match=keyword):
        preprocess_image(arr)


# ---------------------------------------------------------------------------------------------
# bad input


def _half_png(seven: Image.Image) -> bytes:
    data = encode(seven)
    return data[: len(data) // 2]


def _half_jpeg(seven: Image.Image) -> bytes:
    data = encode(seven, "JPEG")
    return data[: len(data) // 2]


ERROR_CASES = {
    # name: (bytes from the 7, filename, keywords that must all appear in the message)
    "empty": (lambda s: b"", "empty.png", ["empty", "empty.png"]),
    "text renamed .png": (lambda s: b"hello world", "x.png", ["text", "x.png"]),
    "pdf": (lambda s: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "scan.png", ["PDF"]),
    "svg": (lambda s: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "d.svg", ["SVG"]),
    "garbage": (lambda s: bytes(range(256)) * 4, None, ["not a recognised image format"]),
    "truncated png": (_half_png, "half.png", ["truncated", "corrupt"]),
    "truncated jpeg": (_half_jpeg, "half.jpg", ["truncated", "corrupt"]),
    "1x1": (lambda s: encode(Image.new("L", (1, 1), 0)), "dot.png", ["1x1", "8x8"]),
    "blank white": (lambda s: encode(Image.new("RGB", (64, 64), "white")), None, ["blank"]),
    "blank grey jpeg": (lambda s: encode(Image.new("L", (64, 64), 90), "JPEG"), None, ["blank"]),
    "transparent": (lambda s: encode(Image.new("RGBA", (64, 64), (0, 0, 0, 0))), None, ["blank"]),
    "too big in bytes": (lambda s: b"\x89PNG\r\n\x1a\n" + bytes(MAX_UPLOAD_BYTES), "big.png",
                         ["too large", "MB"]),
    "needle": (lambda s: encode(Image.new("L", (1000, 10), 0)), None, ["thin"]),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_bad_input_raises_a_clear_error(case: str, seven: Image.Image) -> None:
    make, filename, keywords = ERROR_CASES[case]
    with pytest.raises(ImageInputError) as info:
        preprocess_image(make(seven), filename=filename)
    message = str(info.value)
    assert all(k in message for k in keywords), message
    assert isinstance(info.value, ValueError)


def _no_decoding(monkeypatch) -> None:
    """Decoding a pixel fails the test: a refusal must come from the header alone."""
    def load(self):
        raise AssertionError("pixels were decoded")
    monkeypatch.setattr(Image.Image, "load", load)
    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_decompression_bomb_is_refused_fast(huge_png: bytes, monkeypatch) -> None:
    # 400 M pixels: PIL's own DecompressionBombError, raised while reading the header
    assert len(huge_png) < 200_000
    _no_decoding(monkeypatch)
    with pytest.raises(ImageInputError, match="too large") as info:
        preprocess_image(huge_png, filename="bomb.png")
    assert "pixels" in str(info.value)


def test_decompression_bomb_warning_becomes_the_same_error() -> None:
    # 100 M pixels: PIL only warns (DecompressionBombWarning); it must not leak as a warning
    data = blank_bilevel_png(10_000, 10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping preprocess_image fails the test
        with pytest.raises(ImageInputError, match="pixels"):
            preprocess_image(data)


def test_our_pixel_limit_is_checked_before_decoding(monkeypatch) -> None:
    # 7000x7000 = 49 M pixels: under PIL's own bomb limit, over ours
    data = blank_bilevel_png(7000, 7000)
    assert 7000 * 7000 > MAX_PIXELS
    _no_decoding(monkeypatch)
    with pytest.raises(ImageInputError, match="7000x7000"):
        load_image(data)


def test_unknown_input_type_is_refused() -> None:
    with pytest.raises(ImageInputError, match="expected"):
        preprocess_image("seven.png")  # type: ignore[arg-type]


def test_pil_and_warning_globals_are_untouched(seven: Image.Image, huge_png: bytes) -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    preprocess_image(encode(seven))
    for data in (huge_png, _half_png(seven)):
        with pytest.raises(ImageInputError):
            preprocess_image(data)
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES,
            list(warnings.filters)) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_core_does_not_import_streamlit() -> None:
    source = open(preprocess.__file__, encoding="utf-8").read()
    assert "import streamlit" not in source and "from streamlit" not in source


# ---------------------------------------------------------------------------------------------
# property: anything decodable gives a valid tensor or a clear error


@st.composite
def random_png(draw: st.DrawFn) -> bytes:
    width = draw(st.integers(8, 300))
    height = draw(st.integers(8, 300))
    mode = draw(st.sampled_from(["L", "RGB", "RGBA", "I;16", "P"]))
    bg = draw(st.integers(0, 255))
    fg = draw(st.integers(0, 255))  # anything from no contrast to full contrast
    x0, x1 = sorted(draw(st.integers(0, width - 1)) for _ in range(2))
    y0, y1 = sorted(draw(st.integers(0, height - 1)) for _ in range(2))
    shape = draw(st.sampled_from(["rectangle", "ellipse"]))
    im = Image.new("RGBA", (width, height), (bg, bg // 2, 255 - bg, draw(st.integers(0, 255))))
    getattr(ImageDraw.Draw(im), shape)((x0, y0, x1, y1),
                                       fill=(fg, fg, fg // 3, draw(st.integers(0, 255))))
    if mode == "I;16":
        scale = draw(st.sampled_from([1, 16, 257]))
        out = Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * scale)
    elif mode == "P":
        out = im.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        if draw(st.booleans()):
            out.info["transparency"] = 0
    else:
        out = im.convert(mode)
    return encode(out, "PNG")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=random_png())
def test_any_png_gives_a_digit_or_a_clear_error(data: bytes) -> None:
    try:
        result = preprocess_image(data, filename="random.png")
    except ImageInputError:
        return
    x = result.image
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert not torch.isnan(x).any()
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
