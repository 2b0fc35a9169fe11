"""A real browser uploads a colour photo to "Restore a photo": the results are photos of the
upload's own size (not 28x28 digits), and the download is the full-size restored photo.

Uses the shared fixtures of ``tests/browser_util.py`` (over ``benchmarks/_browser.py``).
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from benchmarks._browser import FILE_INPUT
from browser_util import SCREENS, browser, exceptions, live_server, page, wait_idle  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def colour_photo(w: int = 320, h: int = 240) -> bytes:
    """A smooth colour gradient with a red disc: colour everywhere, no digit anywhere."""
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([xx / w, yy / h, 1 - xx / w], -1) * 255
    arr[(xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (h / 4) ** 2] = (220, 30, 30)
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_upload_a_colour_photo_and_download_it_full_size(page, live_server, tmp_path):
    page.goto(f"{live_server}/photo")
    wait_idle(page)
    page.get_by_text("Upload your own", exact=True).click()
    page.locator(FILE_INPUT).set_input_files(
        {"name": "garden.png", "mimeType": "image/png", "buffer": colour_photo()})
    page.get_by_text("garden.png: 320x240 px", exact=False).wait_for(timeout=120_000)
    wait_idle(page, timeout_ms=120_000)
    assert exceptions(page) == 0
    ours = page.get_by_test_id("stImage").filter(has_text="Ours (autoencoder): PSNR").first
    size = ours.locator("img").evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert size == [320, 240]  # the photo itself, not a 28x28 digit
    page.screenshot(path=str(SCREENS / "photo_restore.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_text("Download the result (320x240 PNG)").click()
    path = tmp_path / "restored.png"
    info.value.save_as(path)
    with Image.open(path) as im:
        assert im.size == (320, 240) and im.mode == "RGB"
