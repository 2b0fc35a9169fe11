"""Pages on every data set: the Train page's data-set picker (linked to the URL) trains a model
of the set's shape on the set and says where its data came from; My image sets imports a zip,
refuses a hostile one with a message, and its set joins the Train page's picker with its class
names."""
from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image

from conftest import open_page, open_with


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("success", "error", "warning", "info", "caption",
                                              "markdown", "text") for e in at.get(kind))


def _zip() -> bytes:
    b = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(b, "w") as z:
        for c, tint in (("tulips", (220, 40, 90)), ("ferns", (40, 160, 60))):
            for i in range(12):
                arr = (np.zeros((30, 40, 3)) + tint) * rng.uniform(0.6, 1.0)
                im = io.BytesIO()
                Image.fromarray(arr.astype(np.uint8)).save(im, "PNG")
                z.writestr(f"garden/{c}/{i}.png", im.getvalue())
    return b.getvalue()


def test_train_picks_a_data_set_and_trains_a_model_of_its_shape(app):
    at = open_page(app, "train")
    picker = at.selectbox(key="trn_data")
    assert {"MNIST digits", "Fashion-MNIST", "Colour photo patches", "CIFAR-10"} <= set(picker.options)
    picker.set_value("photos").run()
    assert not at.exception and "data/photos" in _texts(at)
    at.selectbox(key="trn_type").set_value("conv").run()
    at.number_input(key="trn_k").set_value(2)
    at.number_input(key="trn_subset").set_value(200)
    at.number_input(key="trn_epochs").set_value(1).run()
    at.button(key="trn_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state["trn_job"]
    assert job.train_cfg.dataset == "photos" and job.model_cfg.shape == (3, 32, 32)
    job.cancel()
    # CIFAR-10 is not on this machine: the page says how to get it, no traceback
    at.selectbox(key="trn_data").set_value("cifar-10").run()
    assert not at.exception and "fetch cifar-10" in _texts(at)


def test_a_data_set_link_opens_the_train_page_on_that_set():
    at = open_with("train", data="fashion-mnist")
    assert at.selectbox(key="trn_data").value == "fashion-mnist"
    assert "Zalando" in _texts(at)


def test_my_image_sets_imports_a_zip_and_the_set_joins_the_pickers(app):
    at = open_page(app, "my_data")
    at.file_uploader(key="mds_zip").upload("garden.zip", _zip(), "application/zip").run()
    at.text_input(key="mds_name").set_value("Garden <b>class</b>")
    at.selectbox(key="mds_side").set_value(32)
    at.button(key="mds_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Imported 24 images, 32x32 colour, 2 classes" in _texts(at)
    assert {"tulips", "ferns"} <= {t.value for t in at.get("text")}  # folder names, as text
    at.switch_page("views/train.py").run()
    from aecore.datasets import DATASETS
    picker = at.selectbox(key="trn_data")
    mine = [n for n in DATASETS if n.startswith("user-")]
    assert len(mine) == 1 and "Garden <b>class</b> (your images)" in picker.options
    picker.set_value(mine[0]).run()
    assert not at.exception and "your image set 'Garden <b>class</b>'" in _texts(at)


def test_a_hostile_zip_gets_a_message_and_nothing_is_kept(app):
    at = open_page(app, "my_data")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for i in range(12):
            z.writestr(f"../../evil{i}.png", b"x")
    at.file_uploader(key="mds_zip").upload("evil.zip", b.getvalue(), "application/zip").run()
    at.button(key="mds_import").click().run()
    assert not at.exception
    assert "The zip was not imported" in _texts(at) and "outside it" in _texts(at)
