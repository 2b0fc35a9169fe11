"""Data sets in a real browser: the live latent map on Fashion-MNIST (its legend names the
garments, and the page's decoder draws what PyTorch's does under the pointer), and a shared
image-set link that opens the Train page on that set in another browser."""
from __future__ import annotations

import base64
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from benchmarks import _browser
from live_util import DECODE_MANY

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def server():
    reason = _browser.missing()
    if reason:
        pytest.skip(reason)
    log = _browser.ROOT / "artifacts" / "streamlit-datasets.log"
    log.parent.mkdir(exist_ok=True)
    with _browser.streamlit_server(log=log) as url:
        yield url


@pytest.fixture(scope="module")
def chrome():
    with _browser.chromium() as b:
        yield b


def test_the_live_map_on_fashion_decodes_garments_like_pytorch(chrome, server):
    from aecore.export import decode_reference
    from aecore.zoo import load_zoo_model
    page = _browser.new_page(chrome)
    try:
        page.goto(f"{server}/latent?data=fashion-mnist&model=fashion_ae_k2")
        _browser.wait_idle(page)
        live_map = page.get_by_test_id("aeLiveMap")
        live_map.wait_for()
        assert _browser.exceptions(page) == 0
        legend = page.locator(".ae-legend").inner_text()
        assert "Ankle boot" in legend and "T-shirt/top" in legend
        box = live_map.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6)
        page.wait_for_function("() => globalThis.__aeLive.stats.decodes > 0")
        model, card = load_zoo_model("fashion_ae_k2")
        ids = list(page.evaluate("() => [...globalThis.__aeLive.decoders.keys()]"))
        z = np.random.default_rng(0).normal(0, 2, (16, 2)).astype(np.float32)
        got = page.evaluate(DECODE_MANY, [ids[-1], base64.b64encode(z.tobytes()).decode(), 2])
        pixels = np.frombuffer(base64.b64decode(got), np.float32).reshape(16, 784)
        assert np.abs(pixels - decode_reference(model, z)).max() < 1e-4
    finally:
        page.context.close()


def test_the_live_map_on_colour_photos_decodes_colour_patches_like_pytorch(chrome, server):
    from aecore.export import decode_reference
    from aecore.zoo import load_zoo_model
    page = _browser.new_page(chrome)
    try:
        page.goto(f"{server}/latent?data=photos&model=photos_ae_k2")
        _browser.wait_idle(page, timeout_ms=300_000)  # a first visit codes the photo patches
        live_map = page.get_by_test_id("aeLiveMap")
        live_map.wait_for()
        assert _browser.exceptions(page) == 0
        box = live_map.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.wait_for_function("() => globalThis.__aeLive.stats.decodes > 0")
        # the decoded patch under the pointer: 32 x 32, in colour (its channels differ), named
        # as a photo patch
        canvas = page.get_by_test_id("aeLiveDigit")
        rgba = page.evaluate("""c => Array.from(c.getContext("2d")
            .getImageData(0, 0, c.width, c.height).data)""", canvas.element_handle())
        px = np.array(rgba, np.int32).reshape(32, 32, 4)
        assert np.abs(px[..., 0] - px[..., 2]).max() > 8, "a grey picture, not a colour one"
        assert canvas.get_attribute("aria-label").startswith("decoded photo patch at z = (")
        model, card = load_zoo_model("photos_ae_k2")
        ids = list(page.evaluate("() => [...globalThis.__aeLive.decoders.keys()]"))
        z = np.random.default_rng(0).normal(0, 2, (8, 2)).astype(np.float32)
        got = page.evaluate(DECODE_MANY, [ids[-1], base64.b64encode(z.tobytes()).decode(), 2])
        pixels = np.frombuffer(base64.b64decode(got), np.float32).reshape(8, 3 * 32 * 32)
        assert np.abs(pixels - decode_reference(model, z)).max() < 1e-4
    finally:
        page.context.close()


def _garden_zip() -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for c, v in (("light", 220), ("dark", 30)):
            for i in range(12):
                im = io.BytesIO()
                Image.fromarray(np.full((20, 20), v + i, np.uint8)).save(im, "PNG")
                z.writestr(f"{c}/{i}.png", im.getvalue())
    return b.getvalue()


def test_a_shared_image_set_link_opens_train_on_that_set_in_another_browser(chrome, server):
    # the teacher's set, saved and shared in the server's library (the tests' data folder)
    from aecore import imageset
    from aecore.store import open_store
    from aecore.store.base import new_id
    store = open_store()
    owner = new_id()
    raw = imageset.to_bytes(imageset.read_zip(_garden_zip(), side=28, name="Light and dark"))
    rec = store.save_dataset(owner, raw, name="Light and dark")
    sid = store.share(owner, rec.id)
    page = _browser.new_page(chrome)  # a fresh context: another browser, another owner
    try:
        page.goto(f"{server}/train?imageset={sid}")
        _browser.wait_idle(page)
        assert _browser.exceptions(page) == 0
        main = page.get_by_test_id("stMain")
        assert f"data={imageset.from_bytes(raw).dataset_name}" in page.url  # the set is picked
        assert main.get_by_text("24 grey images, 28x28, 2 classes", exact=False).count() >= 1
    finally:
        page.context.close()
