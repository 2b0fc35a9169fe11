"""Every page in a real browser (issue 4): it renders, the latent slider decodes, an upload works.

Starts ``streamlit run server.py`` on a free loopback port, drives headless Chromium (the Debian
package), and saves a screenshot of every page to ``artifacts/screens/``.
"""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image, ImageDraw

from benchmarks._browser import FILE_INPUT, decoded, press_decoded
from browser_util import SCREENS, exceptions, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _seven_png() -> bytes:
    im = Image.new("L", (120, 160), 255)
    ImageDraw.Draw(im).line([(25, 30), (95, 30), (55, 135)], fill=0, width=12)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_every_page_renders_and_answers(live_server, page):
    SCREENS.mkdir(parents=True, exist_ok=True)

    # a deep link on the fresh server: Streamlit must still run app.py (frame + router)
    page.goto(f"{live_server}/latent")
    page.get_by_role("heading", name="Latent space").wait_for()
    wait_idle(page)
    page.get_by_text("decoded at z").wait_for()
    assert page.get_by_test_id("stSidebarNav").count() == 1, "deep link skipped app.py's frame"

    # the z1 slider with the keyboard: the decoded digit changes
    before = decoded(page)
    press_decoded(page, "z1")
    wait_idle(page)
    after = decoded(page)
    assert after["caption"] != before["caption"] and after["src"] != before["src"], (before, after)
    assert exceptions(page) == 0
    # the move reran only the decoder's fragment; the sidebar's "Copy link" still follows it
    z1 = parse_qs(urlparse(page.url).query)["z1"][0]
    link = page.get_by_test_id("stSidebar").get_by_test_id("aeCopyLink")\
        .locator(".ae-link-text").inner_text()
    assert parse_qs(urlparse("".join(link.split())).query)["z1"][0] == z1, (link, page.url)

    # every page from the sidebar, in navigation order
    links = page.get_by_test_id("stSidebarNavLink")
    n = links.count()
    assert n >= 10, f"only {n} pages in the sidebar"
    failed = []
    for i in range(n):
        link = links.nth(i)
        title, href = link.inner_text().strip().splitlines()[-1], link.get_attribute("href")
        link.click()
        path = urlparse(href).path.rstrip("/")  # pages may add query parameters
        page.wait_for_url(lambda u: urlparse(u).path.rstrip("/") == path, wait_until="commit")
        wait_idle(page)
        page.get_by_test_id("stMainBlockContainer").get_by_test_id("stElementContainer") \
            .first.wait_for()
        slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or f"page_{i}"
        _shot(page, slug)
        if exceptions(page):
            failed.append(title)
    assert not failed, f"an exception on the pages {failed} (screenshots in {SCREENS})"

    # an upload on the denoise page
    page.get_by_test_id("stSidebarNav").get_by_text("Denoise", exact=True).click()
    page.get_by_role("heading", name="Denoise").wait_for()
    wait_idle(page)
    page.get_by_text("Upload an image", exact=True).click()
    wait_idle(page)
    page.locator(FILE_INPUT).set_input_files(
        files=[{"name": "my_seven.png", "mimeType": "image/png", "buffer": _seven_png()}])
    page.get_by_text("How your image became a 28x28").wait_for()
    wait_idle(page)
    _shot(page, "denoise_upload")
    # the panels are the live component's (ui/live.py): the clean digit's caption is the file name
    assert page.get_by_test_id("aeLiveStops").get_by_text("my_seven.png", exact=True) \
        .count() == 1, "the uploaded file is not the clean digit"
    assert page.get_by_text(re.compile(r"PSNR ([\d.]+ dB|identical)")).count() >= 3
    assert exceptions(page) == 0

