"""The Denoise page, its input widget (ui/image_input.py) and the core functions behind it."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from conftest import ROOT, digit_png, open_page, open_with_session_model

from aecore.errors import ConfigError
from aecore.evaluate import denoise_curve, recon_error_quantile
from aecore.noise import MAX_LEVEL

from browser_util import wait_idle  # noqa: E402
from live_util import live_parts, plotly_figures, stop_captions  # noqa: E402

PSNR_RE = re.compile(r"PSNR ([\d.]+) dB\s+SSIM (-?[\d.]+)")


# helpers

def psnr_captions(at) -> list[float]:
    """PSNR values of the result panels, in panel order (noisy, plain AE, DAE, PCA), at the
    slider's stop: the panels are the live component's (ui/live.py), sent for every stop."""
    shown = [c for part in live_parts(at, "stops") if part["stops"][0]["rows"]
             for c in stop_captions(part)]
    return [float(m.group(1)) for c in shown if (m := PSNR_RE.search(c))]


def image_captions(at) -> list[str]:
    """Captions of every st.image on the page (the preprocessing steps live there)."""
    return [c for el in at.get("image") for c in el.captions]


def shown_text(at) -> list[str]:
    """Captions and markdown of the page, and the live panels' titles and captions at the
    slider's stop."""
    live = [c for part in live_parts(at, "stops") if part["stops"][0]["rows"]
            for c in stop_captions(part)]
    return [c.value for c in at.caption] + [m.value for m in at.markdown] + live


def curve_figure(at) -> dict:
    """The PSNR curve the page draws (a Plotly figure with a "your level" line)."""
    (fig,) = [f for f in plotly_figures(at) if any(t.get("name") == "noisy input" for t in f["data"])]
    return fig


def curve_traces(at) -> dict[str, list[float]]:
    return {t["name"]: t["y"] for t in curve_figure(at)["data"]}


def choose_source(at, source_label: str):
    at.radio(key="den_in_src").set_value(source_label).run()
    return at


# the core: aecore.evaluate.denoise_curve and recon_error_quantile

def test_denoise_curve_identity_matches_noisy_input_and_falls_with_level():
    x = torch.rand(16, 1, 28, 28)
    levels = [0.1, 0.3, 0.6, 1.0]
    curve = denoise_curve({"copy": lambda t: t, "black": torch.zeros_like}, x, "gaussian",
                          levels, seed=3)
    assert set(curve) == {"noisy input", "copy", "black"}
    assert all(len(v) == len(levels) for v in curve.values())
    assert curve["copy"] == pytest.approx(curve["noisy input"])  # copying removes no noise
    assert curve["noisy input"] == sorted(curve["noisy input"], reverse=True)
    # a constant output does not depend on the noise at all
    assert max(curve["black"]) - min(curve["black"]) < 1e-6


def test_denoise_curve_is_reproducible_and_checks_its_arguments():
    x = torch.rand(8, 1, 28, 28)
    a = denoise_curve({}, x, "salt_pepper", [0.2, 0.5], seed=1)
    assert a == denoise_curve({}, x, "salt_pepper", [0.2, 0.5], seed=1)
    assert a != denoise_curve({}, x, "salt_pepper", [0.2, 0.5], seed=2)
    with pytest.raises(ConfigError):
        denoise_curve({"noisy input": lambda t: t}, x, "gaussian", [0.1])
    with pytest.raises(ConfigError):
        denoise_curve({}, x, "gaussian", [MAX_LEVEL["gaussian"] + 1])
    with pytest.raises(ConfigError):
        denoise_curve({}, x, "rain", [0.1])


def test_recon_error_quantile():
    x = torch.rand(100, 1, 28, 28)
    assert recon_error_quantile(lambda t: t, x) == 0.0
    per_image = x.square().flatten(1).mean(1)  # error of an all-black output
    q = recon_error_quantile(torch.zeros_like, x, q=0.9, chunk=7)
    assert q == pytest.approx(torch.quantile(per_image, 0.9).item(), rel=1e-5)
    assert (per_image > q).sum().item() == 10
    with pytest.raises(ConfigError):
        recon_error_quantile(lambda t: t, x, q=1.5)


# ui/image_input.py helpers

def test_pick_of_class_is_of_that_class_and_reproducible():
    from ui.image_input import pick_of_class
    labels = torch.tensor([3, 1, 3, 7, 3, 1, 3, 3, 0, 3])
    picks = {pick_of_class(labels, 3, s) for s in range(20)}
    assert all(labels[i] == 3 for i in picks)
    assert len(picks) > 1  # different seeds reach different digits
    assert pick_of_class(labels, 1, 5) == pick_of_class(labels, 1, 5)


def test_canvas_is_blank():
    from ui.image_input import canvas_is_blank
    black = np.zeros((280, 280, 4), np.uint8)
    black[..., 3] = 255  # opaque black background, no stroke
    assert canvas_is_blank(None)
    assert canvas_is_blank(black)
    assert canvas_is_blank(np.zeros((280, 280, 4), np.uint8))  # fully transparent
    stroke = black.copy()
    stroke[100:140, 130:150, :3] = 255
    assert not canvas_is_blank(stroke)
    ghost = np.zeros((280, 280, 4), np.uint8)
    ghost[100:140, 130:150, :3] = 255  # white but fully transparent: nothing visible
    assert canvas_is_blank(ghost)


# the page through the real app

def test_opens_with_a_test_digit_and_five_panels(app):
    at = open_page(app, "denoise")
    assert not at.exception
    assert not at.error
    (panels,) = [p for p in live_parts(at, "stops") if p["stops"][0]["rows"]]
    cells = panels["stops"][panels["index"]]["rows"][0]["cells"]
    assert [c["title"] for c in cells] == [
        "clean", "noisy input", "plain AE", "denoising AE", "PCA, k = 32"]
    assert len(psnr_captions(at)) == 4
    assert "test digit #0" in cells[0]["caption"]


def test_noise_level_seed_and_kind_change_the_scores(app):
    at = open_page(app, "denoise")
    at.slider(key="den_level_gaussian").set_value(0.1).run()
    low = psnr_captions(at)
    at.slider(key="den_level_gaussian").set_value(0.9).run()
    high = psnr_captions(at)
    assert not at.exception
    assert high[0] < low[0]  # stronger noise, lower PSNR of the noisy input
    at.number_input(key="den_seed").set_value(7).run()
    assert psnr_captions(at)[0] != high[0]  # another draw of the same noise
    at.selectbox(key="den_kind").set_value("masking").run()
    assert not at.exception
    assert any("Masking noise" in s.value for s in at.subheader)
    assert psnr_captions(at)[0] != high[0]


def test_test_digit_by_class_and_seed(app):
    at = open_page(app, "denoise")
    at.radio(key="den_in_how").set_value("Random digit of a class").run()
    at.selectbox(key="den_in_cls").set_value(3).run()
    first = [c for c in shown_text(at) if "test digit" in c]
    assert first and "(a 3)" in first[0]
    at.number_input(key="den_in_seed").set_value(11).run()
    second = [c for c in shown_text(at) if "test digit" in c]
    assert "(a 3)" in second[0] and second != first
    assert not at.exception


def test_psnr_chart_has_one_trace_per_method(app):
    at = open_page(app, "denoise")
    traces = curve_traces(at)
    assert set(traces) == {"noisy input", "plain AE", "denoising AE", "PCA, k = 32"}
    assert all(len(v) == 7 for v in traces.values())
    noisy = traces["noisy input"]
    assert noisy == sorted(noisy, reverse=True)  # more noise, lower PSNR
    at.selectbox(key="den_kind").set_value("speckle").run()
    fig = curve_figure(at)
    assert max(fig["data"][0]["x"]) == pytest.approx(MAX_LEVEL["speckle"])
    (line,) = fig["layout"]["shapes"]  # "your level"
    assert line["x0"] == pytest.approx(at.slider(key="den_level_speckle").value)


def test_upload_shows_the_steps_and_the_results(app):
    at = open_page(app, "denoise")
    choose_source(at, "upload")
    assert any("Upload a photo" in i.value for i in at.info)  # nothing uploaded yet: a hint
    assert not psnr_captions(at)
    at.get("file_uploader")[0].upload("seven.png", digit_png(), "image/png").run()
    assert not at.exception
    assert not at.error
    caps = image_captions(at)
    for step in ("original", "grey", "inverted", "cropped to ink", "scaled to 20 px",
                 "centred 28x28"):
        assert step in caps
    assert any("colours inverted" in c.value for c in at.caption)  # the notes are shown
    assert len(psnr_captions(at)) == 4
    assert any("seven.png" in c for c in shown_text(at))


@pytest.mark.parametrize("name, data, mime", [
    ("note.png", b"this is a text file, not a picture\n", "image/png"),
    ("empty.png", b"", "image/png"),
    ("scan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"),
])
def test_bad_uploads_give_a_message_not_an_exception(app, name, data, mime):
    at = open_page(app, "denoise")
    choose_source(at, "upload")
    at.get("file_uploader")[0].upload(name, data, mime).run()
    assert not at.exception
    assert len(at.error) == 1 and name in at.error[0].value
    assert not psnr_captions(at)  # no results for an unusable file
    assert curve_traces(at)  # the chart does not depend on the input and stays


def test_blank_upload_is_refused(app):
    at = open_page(app, "denoise")
    choose_source(at, "upload")
    white = digit_png(ink=(255, 255, 255))  # white on white: no digit
    at.get("file_uploader")[0].upload("white.png", white, "image/png").run()
    assert not at.exception
    assert at.error and "no digit" in at.error[0].value


def test_unlike_training_data_warns(app):
    """A checkerboard is nothing like a digit: the plain AE rebuilds it badly, so a warning."""
    import io
    from PIL import Image
    board = ((np.indices((120, 120)) // 15).sum(0) % 2 * 255).astype(np.uint8)  # 8x8 squares
    buf = io.BytesIO()
    Image.fromarray(board).save(buf, format="PNG")
    at = open_page(app, "denoise")
    choose_source(at, "upload")
    at.get("file_uploader")[0].upload("board.png", buf.getvalue(), "image/png").run()
    assert not at.exception
    assert any("unlike the MNIST training digits" in w.value for w in at.warning)
    # a real test digit never gets the warning
    choose_source(at, "test")
    assert not any("unlike" in w.value for w in at.warning)


def test_draw_on_empty_canvas_gives_a_hint(app):
    at = open_page(app, "denoise")
    choose_source(at, "draw")
    assert not at.exception
    assert not at.error
    assert any("canvas is empty" in i.value for i in at.info)
    assert not psnr_captions(at)


def canvas_state(rgba: np.ndarray) -> dict:
    """What st_canvas keeps in session state after a stroke: the canvas as a PNG data URL."""
    import base64
    import io
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}], "background": "#000000"},
                        "data": url}, "backgroundFit": None}


def test_a_drawing_is_preprocessed_and_denoised(app):
    at = open_page(app, "denoise")
    choose_source(at, "draw")
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255  # the canvas's opaque black background
    rgba[50:230, 130:150, :3] = 255  # one white vertical stroke: a "1"
    at.session_state["den_in_canvas"] = canvas_state(rgba)
    at.run()
    assert not at.exception
    assert not at.error
    assert not any("canvas is empty" in i.value for i in at.info)
    assert "centred 28x28" in image_captions(at)
    assert len(psnr_captions(at)) == 4
    assert any("your drawing" in c for c in shown_text(at))


# the page in a real browser: drawing on the canvas with the mouse

@pytest.mark.browser
@pytest.mark.slow
def test_drawing_with_the_mouse_gives_results(live_server, page):
    page.goto(f"{live_server}/denoise")
    page.get_by_test_id("aeLiveStops").first.wait_for()  # the live panels drawn
    page.get_by_text("Draw one").click()
    page.get_by_text("canvas is empty").wait_for()
    wait_idle(page)  # the run that drew the canvas is over (a busy server answers late)
    box = page.locator("canvas").first.bounding_box()
    assert box and box["width"] >= 200
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 140, y0 + 40)
    page.mouse.down()
    for i in range(1, 31):  # a vertical stroke: a "1"
        page.mouse.move(x0 + 140, y0 + 40 + 7 * i)
    page.mouse.up()
    page.get_by_text("your drawing").wait_for()
    assert page.get_by_text("canvas is empty").count() == 0
    assert page.get_by_text(re.compile(r"PSNR [\d.]+ dB")).count() == 4
    assert page.get_by_test_id("stException").count() == 0


def test_a_model_of_this_session_can_be_the_denoiser(app):
    """A user model (key "user:...") is offered when its card says it saw noise, and the page
    scores it (its curve is cached per session, not shared)."""
    from aecore.config import AEConfig
    at = open_with_session_model(app, "denoise", AEConfig(latent_dim=8, hidden=(64,)),
                                 "My tiny DAE", name="tiny", seed=0,
                                 train={"noise": "gaussian", "noise_level": 0.5})
    dae_box = at.selectbox(key="den_dae")
    # options are shown by their labels
    assert any(o.startswith("My tiny DAE (yours") for o in dae_box.options), dae_box.options
    dae_box.set_value("user:tiny").run()
    at.selectbox(key="den_plain").set_value("user:tiny").run()
    assert not at.exception
    assert "PCA, k = 8" in shown_text(at)  # PCA follows the plain AE's k
    assert len(psnr_captions(at)) == 4
    assert set(curve_traces(at)) == {"noisy input", "plain AE", "denoising AE", "PCA, k = 8"}


def test_denoiser_picker_offers_noise_trained_models_unless_asked_for_all(app):
    from ui.loaders import cards
    at = open_page(app, "denoise")
    titles = {c.get("title") or n: c.get("train", {}).get("noise", "none")
              for n, c in cards().items()}
    offered = at.selectbox(key="den_dae").options
    assert offered and all(titles[t] != "none" for t in offered)
    at.checkbox(key="den_any").check().run()
    assert not at.exception
    assert len(at.selectbox(key="den_dae").options) > len(offered)
    assert cards()["ae_k32"]["title"] in at.selectbox(key="den_dae").options  # a plain AE


# the page on every data set (its picker, linked to the URL: ?data=fashion-mnist)

def cells_at_stop(at) -> list[dict]:
    """The panels' cells (clean, noisy input, plain AE, denoising AE, PCA) at the slider's stop."""
    (panels,) = [p for p in live_parts(at, "stops") if p["stops"][0]["rows"]]
    return panels["stops"][panels["index"]]["rows"][0]["cells"]


def page_words(at) -> list[str]:
    """Every text a user reads in the page's body (not the app's sidebar): markdown, captions,
    headings, widget labels and the live panels' texts."""
    body = at.main
    labels = [w.label for kind in ("selectbox", "number_input", "radio", "slider", "checkbox")
              for w in body.get(kind)]
    live = [c for part in live_parts(at, "stops") for c in stop_captions(part)]
    return ([m.value for m in body.markdown] + [c.value for c in body.caption]
            + [s.value for s in body.subheader] + labels + live)


def test_fashion_names_garments_and_its_dae_beats_the_noisy_input(app):
    from aecore.data import load_split
    from aecore.datasets import get_dataset
    fashion, labels = get_dataset("fashion-mnist"), load_split("test", "fashion-mnist").labels
    at = open_page(app, "denoise")
    at.selectbox(key="den_data").set_value("fashion-mnist").run()
    assert not at.exception, [e.value for e in at.exception]
    # the set's own zoo models, picked by default; no MNIST model offered
    assert at.selectbox(key="den_plain").value == "zoo:fashion_ae_k32"
    assert at.selectbox(key="den_dae").value == "zoo:fashion_dae_conv"
    assert all(o.startswith("Fashion-MNIST:") for o in at.selectbox(key="den_plain").options)
    # a test garment by index, captioned with its class name
    at.number_input(key="den_in_idx_fashion-mnist").set_value(5).run()
    name = fashion.class_name(int(labels[5]))  # e.g. "Trouser": read from the set, not typed here
    assert cells_at_stop(at)[0]["caption"] == f"test garment #5 ({name})"
    words = " ".join(page_words(at))
    assert "garment" in words and "digit" not in words.lower()
    # the curve: the denoising AE above the noisy input at a medium level (the middle one)
    traces = curve_traces(at)
    assert set(traces) == {"noisy input", "plain AE", "denoising AE", "PCA, k = 32"}
    mid = len(traces["noisy input"]) // 2
    assert traces["denoising AE"][mid] > traces["noisy input"][mid]
    noisy, plain, dae, pca = psnr_captions(at)  # the panels at the default level, 0.5
    assert dae > noisy


def test_photo_patches_are_denoised_in_colour(app):
    from live_util import u8
    at = open_page(app, "denoise")
    # the first visit fits the photo patches' PCA (3,072-D): slow on a busy machine
    at.selectbox(key="den_data").set_value("photos").run(timeout=600)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="den_dae").value == "zoo:photos_dae_conv"
    (panels,) = [p for p in live_parts(at, "stops") if p["stops"][0]["rows"]]
    assert (panels["h"], panels["w"]) == (32, 32)
    cells = cells_at_stop(at)
    assert [c["title"] for c in cells] == [
        "clean", "noisy input", "plain AE", "denoising AE", "PCA, k = 32"]
    assert cells[0]["caption"] == "test photo patch #0"  # the set has no classes
    rgb = [u8(panels["images"][c["img"]]).reshape(32, 32, 3) for c in cells]  # 3 channels each
    assert (rgb[0][..., 0] != rgb[0][..., 1]).any()  # a colour photo, not grey
    assert len(psnr_captions(at)) == 4
    assert set(curve_traces(at)) == {"noisy input", "plain AE", "denoising AE", "PCA, k = 32"}


def test_a_link_opens_denoise_on_fashion_at_a_test_garment():
    from conftest import open_with
    at = open_with("denoise", data="fashion-mnist", idx="3")
    assert at.selectbox(key="den_data").value == "fashion-mnist"
    assert cells_at_stop(at)[0]["caption"].startswith("test garment #3 (")


def test_a_users_image_set_without_then_with_a_model(app):
    """My image sets: a set with no model yet says so (its name as text); a model trained on
    it is offered and denoises its images, captioned with the user's class names."""
    from aecore.config import AEConfig, TrainConfig, config_to_dict
    from aecore.datasets import DATASETS
    from test_page_datasets import _zip
    before = set(DATASETS)  # sets other tests of this process imported
    at = open_page(app, "my_data")
    # a set of its own: no model another test trained on a set is ever trained on this one
    at.file_uploader(key="mds_zip").upload("garden.zip", _zip(seed=7), "application/zip").run()
    at.text_input(key="mds_name").set_value("Garden *class*")
    at.selectbox(key="mds_side").set_value(32)
    at.button(key="mds_import").click().run()
    (mine,) = [n for n in DATASETS if n.startswith("user-") and n not in before]
    at.switch_page("views/denoise.py").run()
    at.selectbox(key="den_data").set_value(mine).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No model trained on `Garden *class*` yet" in i.value for i in at.info)
    assert not live_parts(at, "stops")
    model = AEConfig(latent_dim=8, hidden=(32,), shape=(3, 32, 32))
    from aecore.models import build_model
    from aecore.weights import make_card
    ae = build_model(model, seed=0).eval()
    card = make_card(ae, title="My garden AE", data=mine,
                     train=config_to_dict(TrainConfig(dataset=mine)))
    at.session_state["user_models"] = {"garden": (ae, card)}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="den_plain").value == "user:garden"
    assert at.selectbox(key="den_dae").value == "user:garden"  # no noise-trained model: any
    assert re.fullmatch(r"test image #0 \((tulips|ferns)\)", cells_at_stop(at)[0]["caption"])
    assert len(psnr_captions(at)) == 4
