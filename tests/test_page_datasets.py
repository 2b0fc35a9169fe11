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


def _zip(seed: int = 0) -> bytes:
    """Two classes of tinted images; another ``seed`` gives other pixels, so another set (a set's
    name in the library is its content's hash)."""
    b = io.BytesIO()
    rng = np.random.default_rng(seed)
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


def _session_model(at, page, cfg, dataset, title):
    """Open ``page`` with a model of ``cfg`` trained (untrained weights will do) on ``dataset``."""
    from aecore.config import TrainConfig, config_to_dict
    from conftest import open_with_session_model
    return open_with_session_model(at, page, cfg, title, data=dataset,
                                   train=config_to_dict(TrainConfig(dataset=dataset)))


def test_reconstruct_on_fashion_names_garments_and_offers_only_fashion_models(app):
    from aecore.config import AEConfig
    at = _session_model(app, "reconstruct", AEConfig(latent_dim=8, hidden=(32,)),
                        "fashion-mnist", "My garment AE")
    at.selectbox(key="rec_data").set_value("fashion-mnist").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="rec_model")
    assert "My garment AE (yours, this session only)" in picker.options
    assert not any(o.startswith("Dense AE, k =") for o in picker.options)  # MNIST's zoo: not here
    at.radio(key="rec_digits_mode").set_value("By class").run()
    assert "Ankle boot" in at.selectbox(key="rec_digits_class").options
    assert "Each garment (28x28: 784 numbers)" in _texts(at)
    assert at.radio(key="rec_digits_mode").label == "Garments"
    # and MNIST's page still offers the MNIST zoo only, not the garment model
    at.selectbox(key="rec_data").set_value("mnist").run()
    assert "My garment AE (yours, this session only)" not in at.selectbox(key="rec_model").options


def test_reconstruct_and_latent_on_colour_photo_patches(app):
    from aecore.config import ConvAEConfig
    at = _session_model(app, "reconstruct", ConvAEConfig(latent_dim=2, hidden=(8, 8),
                                                         shape=(3, 32, 32)),
                        "photos", "My photo AE")
    # the first visit fits the photo patches' PCA (3,072-D): slow on a busy machine
    at.selectbox(key="rec_data").set_value("photos").run(timeout=600)
    assert not at.exception, [e.value for e in at.exception]
    assert "32x32 colour" in _texts(at) and "photo patch" in _texts(at)
    at.switch_page("views/latent.py").run()
    at.selectbox(key="lat_data").set_value("photos").run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    # the photo patches' own 2-D models only: the zoo's and this session's, no MNIST one
    assert set(at.selectbox(key="lat_model").options) == {"Colour photos: conv AE, k = 2",
                                                          "My photo AE (yours, this session only)"}


def test_latent_map_on_fashion_is_live_and_its_legend_names_the_garments(app):
    from aecore.config import AEConfig
    from live_util import live_part
    at = _session_model(app, "latent", AEConfig(latent_dim=2, hidden=(32,)), "fashion-mnist",
                        "My garment map")
    at.selectbox(key="lat_data").set_value("fashion-mnist").run()
    assert not at.exception, [e.value for e in at.exception]
    live_map = live_part(at, "map")
    assert live_map["names"][9] == "Ankle boot" and "garments" in live_map["aria"]
    assert live_part(at, "carry")["payload"]["out_shape"] == [1, 28, 28]


def test_generate_samples_a_colour_vae_and_hides_mnist_only_sections(app):
    from aecore.config import VAEConfig
    at = _session_model(app, "generate", VAEConfig(latent_dim=4, hidden=(16,), shape=(3, 32, 32)),
                        "photos", "My photo VAE")
    at.selectbox(key="gen_data").set_value("photos").run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Generate new photo patches"
    # the page decodes the colour samples itself (ui/static/decoder.js), as it does digits
    from live_util import live_part
    carry = live_part(at, "carry")["payload"]
    assert carry["out_shape"] == [3, 32, 32]
    assert live_part(at, "samples")["model"] == carry["id"]
    assert "Conditional VAE" not in " ".join(h.value for h in at.subheader)
    at.selectbox(key="gen_data").set_value("mnist").run()
    assert not at.exception and "Conditional VAE" in " ".join(h.value for h in at.subheader)
