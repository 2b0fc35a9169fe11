"""The "Restore a photo" page through AppTest: each damage kind gives four panels of the photo's
own size with PSNR and SSIM, and the hostile-upload suite (tests/test_hostile_uploads.py) gets a
clear message or a result in photo mode too."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from conftest import open_page
from test_hostile_uploads import CASES, encode

from aecore import photo


def captions(at) -> list[str]:
    return [m.caption for el in at.get("image") for m in el.proto.imgs if m.caption]


def scored(at) -> list[str]:
    return [c for c in captions(at) if re.search(r"PSNR [\d.]+ dB, SSIM [\d.]+", c)]


def result_sizes(at) -> str:
    return next(c.value for c in at.caption if " px. PSNR and SSIM" in c.value)


@pytest.mark.parametrize("kind", photo.NOISES)
def test_each_damage_kind_gives_four_scored_panels(app, kind):
    at = open_page(app, "photo")
    at.selectbox(key="photo_kind").set_value(kind).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    got = scored(at)
    assert len(got) == 3, captions(at)  # corrupted, ours, classic (the original scores itself)
    assert any("Ours (autoencoder)" in c for c in got)
    classic = {"gaussian": "non-local means", "salt_pepper": "median", "jpeg": "total variation",
               "scratches": "biharmonic"}[kind]
    assert any(classic in c for c in got), got
    assert "chelsea.png: 451x300 px" in result_sizes(at)  # the photo's own size, not 28x28
    dl = at.get("download_button")
    assert dl and "451x300" in dl[0].proto.label


@pytest.mark.parametrize("name, make, mime, expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_upload_in_photo_mode(app, name, make, mime, expected):
    at = open_page(app, "photo")
    at.radio(key="photo_src").set_value("upload").run()
    at.get("file_uploader")[0].upload(name, make(), mime).run()
    assert not at.exception, [e.value for e in at.exception]
    outcome, words = expected
    if outcome == "error":
        assert len(at.error) == 1, [e.value for e in at.error]
        assert name in at.error[0].value and words in at.error[0].value
        assert not scored(at)
    else:
        assert not at.error, [e.value for e in at.error]
        assert len(scored(at)) == 3
        if words is not None:
            assert any(words in c.value for c in at.caption), [c.value for c in at.caption]
        if name == "photo.jpg":  # 4000x3000: scaled to 1024 px, and the page says so
            assert any("scaled down to 1024 px" in w.value for w in at.warning)
            assert "1024x768 px" in result_sizes(at)
    # the same session keeps working with a sample photo
    at.radio(key="photo_src").set_value("sample").run()
    assert not at.exception and not at.error and len(scored(at)) == 3


def test_a_colour_upload_keeps_its_size_and_colour(app):
    rng = np.random.default_rng(0)
    arr = (rng.random((90, 130, 3)) * 255).astype(np.uint8)
    at = open_page(app, "photo")
    at.radio(key="photo_src").set_value("upload").run()
    at.get("file_uploader")[0].upload("mine.png", encode(Image.fromarray(arr)), "image/png").run()
    assert not at.exception and not at.error
    assert "mine.png: 130x90 px" in result_sizes(at)
    assert len(scored(at)) == 3


def test_colourise_takes_the_colour_out_and_puts_it_back(app):
    at = open_page(app, "photo")
    at.radio(key="photo_task").set_value("colourise").run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    got = captions(at)
    assert any(c.startswith("Grey input: PSNR") for c in got), got
    ours = next(c for c in got if c.startswith("Ours (autoencoder): PSNR"))
    assert float(re.search(r"colourfulness ([\d.]+)", ours).group(1)) > 0.005  # not grey
    assert any(c.startswith("Original, colourfulness") for c in got)


def test_documents_the_real_scan_and_an_unseen_page(app):
    at = open_page(app, "photo")
    at.radio(key="photo_task").set_value("document").run()
    assert not at.exception and not at.error
    assert "page.png: 384x191 px" in result_sizes(at)  # the real scan, at its own size
    assert {"Scan", "Ours (autoencoder)", "Classic: median filter + Otsu threshold"} <= set(captions(at))
    at.selectbox(key="photo_sample").set_value("an unseen synthetic page").run()
    assert not at.exception and not at.error
    got = captions(at)
    ours = float(re.search(r"Ours \(autoencoder\): PSNR ([\d.]+)", " ".join(got)).group(1))
    base = float(re.search(r"Otsu threshold: PSNR ([\d.]+)", " ".join(got)).group(1))
    assert ours > base  # cleaner than the classic median + Otsu
