"""Issue 8, the rest of classroom mode: links for the Generate and Bottleneck pages (a link opens
exactly its state, a bad value falls back with a notice, the URL follows the widgets), an HTML
download under each page's main chart, and the latent page's animated GIFs."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager

from conftest import open_page, open_with
from live_util import grid_rows, live_parts, stop_captions

from ui.downloads import reveal_rows


def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def falls_back_with_one_notice(page: str, params: dict, bad: str, check) -> None:
    """A link with one bad value opens ``page`` without an error, ``check`` holds (the default
    was used), and exactly one notice quotes the bad value."""
    at = open_with(page, **params)
    assert not at.error and check(at)
    notes = toasts(at)
    assert len(notes) == 1 and repr(bad) in notes[0], notes


def captions(at) -> str:
    """Every caption of the page, and the live parts' (ui/live.py) at the sliders' stops: the
    samples' caption at the count and temperature, the panels' titles and captions."""
    live = []
    for part in live_parts(at):
        if part["kind"] == "samples":
            live.append(part["caption"].replace("{count}", str(part["count"]))
                        .replace("{temperature}", f"{part['temperature']:.1f}"))
        elif part["kind"] == "stops" and part["stops"][0]["rows"]:
            live += stop_captions(part)
    return " ".join([c.value for c in at.caption] + live)


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """{file name: () -> file bytes} of every download button the app registers, static or
    built on click."""
    files: dict = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record(self, data, mimetype, coordinates, file_name=None, **kw):
        if file_name:
            files[file_name] = lambda: data
        return add(self, data, mimetype, coordinates, file_name=file_name, **kw)

    def record_deferred(self, fn, mimetype, coordinates, file_name=None, **kw):
        if file_name:
            files[file_name] = fn
        return add_deferred(self, fn, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return files


def as_bytes(data) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


# Generate: model, count, temperature, seed, conditional digit

def test_generate_opens_the_linked_state():
    at = open_with("generate", model="vae_k20", count="8", temperature="0.5", seed="42", digit="3")
    assert at.selectbox(key="gen_model").value == "zoo:vae_k20"
    assert at.slider(key="gen_count").value == 8
    assert at.slider(key="gen_temp").value == pytest.approx(0.5)
    assert at.number_input(key="gen_seed").value == 42
    assert at.get("button_group")[0].value == 3
    assert "8 samples of" in captions(at) and "N(0, 0.5² I), seed 42" in captions(at)
    assert "8 styles of the digit 3" in captions(at)
    assert not toasts(at) and not at.error


def test_generate_same_link_same_samples():
    a = open_with("generate", seed="5", count="4")
    b = open_with("generate", seed="5", count="4")
    c = open_with("generate", seed="6", count="4")
    first = [im for im in a.image if not any(im.captions)][0].value
    assert list(first) == list([im for im in b.image if not any(im.captions)][0].value)
    assert list(first) != list([im for im in c.image if not any(im.captions)][0].value)


@pytest.mark.parametrize("params, bad, check", [
    ({"model": "cvae"}, "cvae",  # exists, but not a plain VAE that samples without a label
     lambda at: at.selectbox(key="gen_model").value == "zoo:vae_best"),
    ({"count": "5"}, "5", lambda at: at.slider(key="gen_count").value == 24),  # not a stop
    ({"count": "1000"}, "1000", lambda at: at.slider(key="gen_count").value == 24),
    ({"temperature": "9"}, "9", lambda at: at.slider(key="gen_temp").value == pytest.approx(1)),
    ({"temperature": "inf"}, "inf",
     lambda at: at.slider(key="gen_temp").value == pytest.approx(1)),
    ({"seed": "-1"}, "-1", lambda at: at.number_input(key="gen_seed").value == 0),
    ({"digit": "11"}, "11", lambda at: at.get("button_group")[0].value == 7),
], ids=["not-a-vae", "count-off-step", "count-too-big", "temp-too-high", "temp-inf",
        "seed-negative", "digit-11"])
def test_generate_bad_link_value_falls_back_with_a_notice(params, bad, check):
    at = open_with("generate", **params)
    assert not at.error
    assert check(at)
    notes = toasts(at)
    assert len(notes) == 1 and repr(bad) in notes[0] and "default" in notes[0], notes
    at.run()
    assert not toasts(at)  # once
    assert at.query_params.get(next(iter(params))) != bad


def test_generate_temperature_off_the_steps_lands_on_a_step():
    at = open_with("generate", temperature="0.73")
    assert at.slider(key="gen_temp").value == pytest.approx(0.7)
    assert float(at.query_params["temperature"]) == pytest.approx(0.7)


def test_generate_state_round_trips_through_the_url():
    at = open_with("generate")
    assert at.query_params["model"] == "vae_best" and at.query_params["seed"] == "0"
    at.slider(key="gen_count").set_value(12).run()
    at.slider(key="gen_temp").set_value(1.5).run()
    at.button(key="gen_resample").click().run()  # the seed goes 0 -> 1
    at.get("button_group")[0].set_value(4).run()
    at.selectbox(key="gen_model").set_value("zoo:vae_k2").run()
    qp = dict(at.query_params)
    assert qp["count"] == "12" and float(qp["temperature"]) == pytest.approx(1.5)
    assert qp["seed"] == "1" and qp["digit"] == "4" and qp["model"] == "vae_k2"
    at.run()  # the URL it wrote undoes nothing
    assert at.number_input(key="gen_seed").value == 1
    again = open_with("generate", **qp)
    assert again.selectbox(key="gen_model").value == "zoo:vae_k2"
    assert again.slider(key="gen_count").value == 12
    assert again.slider(key="gen_temp").value == pytest.approx(1.5)
    assert again.number_input(key="gen_seed").value == 1
    assert again.get("button_group")[0].value == 4
    assert not toasts(again)
    # a deselected digit leaves the link
    at.get("button_group")[0].set_value(None).run()
    assert "digit" not in at.query_params


# Bottleneck: the closer look's code size

def test_bottleneck_opens_the_linked_code_size():
    at = open_with("bottleneck", k="8")
    assert at.select_slider(key="bot_k").value == 8
    assert "Autoencoder\nk = 8" in captions(at)  # the live closer look, at k = 8
    assert not toasts(at)


@pytest.mark.parametrize("bad", ["3", "many", "1e99"])
def test_bottleneck_bad_code_size_falls_back_with_a_notice(bad):
    at = open_with("bottleneck", k=bad)
    assert at.select_slider(key="bot_k").value == 32
    notes = toasts(at)
    assert len(notes) == 1 and repr(bad) in notes[0] and "default" in notes[0], notes
    assert at.query_params["k"] == "32"


def test_bottleneck_code_size_round_trips_through_the_url():
    at = open_with("bottleneck")
    assert at.query_params["k"] == "32"
    at.select_slider(key="bot_k").set_value(4).run()
    assert at.query_params["k"] == "4"
    at.run()
    assert at.select_slider(key="bot_k").value == 4
    again = open_with("bottleneck", **at.query_params)
    assert again.select_slider(key="bot_k").value == 4


# an interactive HTML copy under each page's main chart (a PNG comes from the chart's modebar)

def _html_downloads(at, files: dict) -> list[str]:
    assert not at.exception
    names = [n for n in files if n.endswith(".html")]
    for n in names:
        html = as_bytes(files[n]())
        assert b"<html>" in html[:200].lower() and b"plotly" in html
    return names


def _modebars_hidden(at) -> list[str]:
    return [c.proto.id for c in at.get("plotly_chart") if '"displayModeBar":false' in
            c.proto.config.replace(" ", "")]


def test_bottleneck_offers_its_mse_chart_as_html(app, downloads):
    at = open_page(app, "bottleneck")
    assert "bottleneck-mse-vs-k.html" in _html_downloads(at, downloads)
    assert "bot_mse_dl" in {b.key for b in at.get("download_button")}
    assert not _modebars_hidden(at)


def test_reconstruct_offers_its_code_chart_as_html(app, downloads):
    at = open_page(app, "reconstruct")
    names = _html_downloads(at, downloads)
    assert any(n.startswith("code-of-test-digit-") for n in names), names
    assert not _modebars_hidden(at)


@pytest.mark.slow  # scores the test set on first use
def test_anomaly_offers_its_histogram_and_roc_as_html(app, downloads):
    at = open_page(app, "anomaly")
    names = _html_downloads(at, downloads)
    assert "ano_thr-score-histogram.html" in names and "ano_thr-roc-curve.html" in names


def test_features_offers_its_chart_as_html(app, downloads):
    app.session_state["fea_ks"] = [2]
    at = open_page(app, "features")
    assert "features-accuracy-vs-k.html" in _html_downloads(at, downloads)


def test_denoise_offers_its_curve_as_html(app, downloads):
    at = app.run()
    at.switch_page("views/denoise.py").run()
    assert "denoise-psnr-curve.html" in _html_downloads(at, downloads)


# animated GIFs on the latent page

def _frames(data: bytes) -> int:
    im = Image.open(io.BytesIO(data))
    assert im.format == "GIF"
    return im.n_frames


def test_latent_offers_the_cross_fade_and_the_manifold_as_gifs(app, downloads):
    app.session_state["lat_grid_n"] = 5
    at = open_page(app, "latent")
    for tab in ("Decoded manifold", "Morph"):  # only the open tab is drawn
        at.session_state["lat_tab"] = tab
        at.run()
        assert not at.exception
    keys = {b.key for b in at.get("download_button")}
    assert "lat_fade_gif" in keys
    steps = at.slider(key="lat_int_steps").value
    assert _frames(as_bytes(downloads["cross-fade.gif"]())) == 2 * steps - 2  # forth and back
    assert _frames(as_bytes(downloads["manifold.gif"]())) == 2 * 5 - 2
    at.session_state["lat_tab"] = "Latent map"
    at.run()
    # the map is live in the page (ui/live.py); its download is an interactive Plotly copy
    assert not [c for c in at.get("plotly_chart") if "lat_map_" in c.proto.id]
    html = as_bytes(downloads["latent-map-ae_k2.html"]()).decode()
    assert "digit 7" in html and "click to decode" not in html


def test_latent_opens_the_linked_grid_and_morph_and_writes_them_back():
    # a link with a tab's settings opens that tab; the others' wait in the URL until opened
    at = open_with("latent", grid="7", steps="6", to="12", **{"from": "3"})
    assert at.query_params["tab"] == "manifold" and at.slider(key="lat_grid_n").value == 7
    assert "7 x 7 digits" in captions(at)
    assert not toasts(at)
    at.slider(key="lat_grid_n").set_value(11).run()
    assert at.query_params["grid"] == "11"
    at.session_state["lat_tab"] = "Morph"
    at.run()
    assert at.number_input(key="lat_int_a").value == 3
    assert at.number_input(key="lat_int_b").value == 12
    assert at.slider(key="lat_int_steps").value == 6
    at.number_input(key="lat_int_b").set_value(40).run()
    assert at.query_params["tab"] == "morph" and at.query_params["to"] == "40"
    assert at.query_params["from"] == "3" and at.query_params["steps"] == "6"
    morph = open_with("latent", steps="6")
    assert morph.query_params["tab"] == "morph" and morph.slider(key="lat_int_steps").value == 6


def test_latent_link_with_a_bad_grid_size_falls_back_with_a_notice():
    at = open_with("latent", grid="400")
    assert at.slider(key="lat_grid_n").value == 15
    assert any("grid" in t and "400" in t for t in toasts(at))


def test_reveal_rows_draws_the_grid_row_by_row():
    grid = np.arange(1, 31, dtype=np.uint8).repeat(4).reshape(30, 4)  # no zero pixel
    frames = reveal_rows(grid, 3)
    assert len(frames) == 3 and np.array_equal(frames[-1], grid)
    assert frames[0][:10].all() and not frames[0][10:].any()
    assert frames[1][:20].all() and not frames[1][20:].any()


# Issue 8 audit: the rest of every page's state in its link. Each test opens a link and checks
# the widgets and what they show, then moves a widget and checks the URL it writes.

def _open_home(**params: str):
    from streamlit.testing.v1 import AppTest

    from conftest import APP_TIMEOUT, ROOT
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_home_opens_the_linked_model_and_offers_its_diagram_as_svg(downloads):
    from xml.etree import ElementTree

    from ui.loaders import cards

    at = _open_home(model="vae_k20")
    assert at.selectbox(key="home_model").value == "zoo:vae_k20"
    assert not toasts(at) and not at.get("plotly_chart")  # no plotly.js on the first page
    svg = as_bytes(downloads["architecture-vae_k20.svg"]())
    root = ElementTree.fromstring(svg)  # well-formed, and the diagram is this model's
    title = cards()["vae_k20"]["title"]
    assert root.get("aria-label").startswith(title) and "sample z 20" in root.get("aria-label")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == title and "mu, log sigma^2" in texts and "encoder" in texts
    at.selectbox(key="home_model").set_value("zoo:ae_k8").run()
    assert at.query_params["model"] == "ae_k8"
    bad = _open_home(model="nope")
    assert bad.selectbox(key="home_model").value == "zoo:ae_k32"
    assert len(toasts(bad)) == 1 and "'nope'" in toasts(bad)[0]


def test_reconstruct_opens_the_linked_digits_and_code_digit():
    threes = [18, 30, 32, 44]  # the first test digits of class 3
    at = open_with("reconstruct", model="ae_k8", digits="class", n="4", code="30",
                   **{"class": "3"})
    assert at.radio(key="rec_digits_mode").value == "By class"
    assert at.slider(key="rec_digits_n").value == 4
    assert at.selectbox(key="rec_digits_class").value == 3
    assert at.selectbox(key="rec_code_digit").value == 30
    assert at.selectbox(key="rec_code_digit").options == [f"#{i} · a 3" for i in threes]
    assert "for test digit #30" in at.get("plotly_chart")[0].proto.spec
    assert not toasts(at)


def test_reconstruct_digit_choice_round_trips_and_hidden_ones_leave_the_url():
    at = open_with("reconstruct", digits="class", **{"class": "3"})
    assert at.query_params["digits"] == "class" and at.query_params["class"] == "3"
    at.radio(key="rec_digits_mode").set_value("By index").run()
    at.number_input(key="rec_digits_index").set_value(100).run()
    at.slider(key="rec_digits_n").set_value(5).run()
    at.selectbox(key="rec_code_digit").set_value(103).run()
    qp = dict(at.query_params)
    assert qp["digits"] == "index" and qp["first"] == "100" and qp["n"] == "5"
    assert qp["code"] == "103"
    assert "class" not in qp  # the class box is gone, so is its parameter
    again = open_with("reconstruct", **qp)
    assert again.radio(key="rec_digits_mode").value == "By index"
    assert again.number_input(key="rec_digits_index").value == 100
    assert again.selectbox(key="rec_code_digit").value == 103
    assert again.selectbox(key="rec_code_digit").options[0].startswith("#100 ")


def test_bottleneck_opens_the_linked_random_digits():
    a = open_with("bottleneck", digits="random", n="3", seed="5")
    assert a.radio(key="bot_digits_mode").value == "Random"
    assert a.number_input(key="bot_digits_seed").value == 5
    b = open_with("bottleneck", digits="random", n="3", seed="6")
    caps_a, caps_b = grid_rows(a)[0][1], grid_rows(b)[0][1]  # the originals' row
    assert len(caps_a) == 3 and caps_a != caps_b  # the seed picks the digits
    assert a.query_params["seed"] == "5" and "first" not in a.query_params


@pytest.mark.parametrize("params, bad, check", [
    ({"digits": "all"}, "all", lambda at: at.radio(key="rec_digits_mode").value == "By index"),
    ({"n": "40"}, "40", lambda at: at.slider(key="rec_digits_n").value == 8),
    ({"digits": "index", "n": "16", "first": "9990"}, "9990",
     lambda at: at.number_input(key="rec_digits_index").value == 0),
    ({"code": "9999"}, "9999", lambda at: at.selectbox(key="rec_code_digit").value == 0),
], ids=["mode", "n-too-big", "first-past-the-end", "code-not-shown"])
def test_reconstruct_bad_digit_link_falls_back_with_a_notice(params, bad, check):
    falls_back_with_one_notice("reconstruct", params, bad, check)


def test_denoise_opens_the_linked_models_and_test_digit():
    from ui.image_input import pick_of_class
    from ui.loaders import mnist_split

    at = open_with("denoise", plain="ae_k16", any="True", dae="ae_k8", how="class", cls="3",
                   digit_seed="2")
    assert at.selectbox(key="den_plain").value == "zoo:ae_k16"
    assert at.checkbox(key="den_any").value is True
    assert at.selectbox(key="den_dae").value == "zoo:ae_k8"  # not noise-trained: needs any=True
    assert at.radio(key="den_in_how").value == "Random digit of a class"
    i = pick_of_class(mnist_split("test").labels, 3, 2)
    assert f"test digit #{i} (a 3)" in captions(at)
    assert "PCA, k = 16" in captions(at)  # PCA follows the plain AE
    assert not toasts(at)
    # without any=True the same denoiser is refused: it was not trained on noise
    at = open_with("denoise", dae="ae_k8")
    assert at.selectbox(key="den_dae").value == "zoo:dae_conv"
    assert len(toasts(at)) == 1 and "'ae_k8'" in toasts(at)[0]


def test_denoise_models_and_digit_round_trip_through_the_url():
    at = open_with("denoise")
    assert at.query_params["plain"] == "ae_k32" and at.query_params["dae"] == "dae_conv"
    assert at.query_params["src"] == "test" and at.query_params["idx"] == "0"
    assert "any" not in at.query_params
    at.selectbox(key="den_plain").set_value("zoo:ae_k64").run()
    at.number_input(key="den_in_idx").set_value(42).run()
    qp = dict(at.query_params)
    assert qp["plain"] == "ae_k64" and qp["idx"] == "42" and qp["how"] == "index"
    again = open_with("denoise", **qp)
    assert again.selectbox(key="den_plain").value == "zoo:ae_k64"
    assert "test digit #42" in captions(again)
    # an upload cannot travel in a link: the source does, the test digit's parameters leave
    at.radio(key="den_in_src").set_value("upload").run()
    assert at.query_params["src"] == "upload"
    assert "idx" not in at.query_params and "how" not in at.query_params


def test_generate_opens_the_linked_traversal():
    at = open_with("generate", model="vae_k20", dim="3", base="digit", idx="12", steps="7")
    assert at.selectbox(key="gen_trav_dim_zoo:vae_k20").value == 3
    assert at.radio(key="gen_trav_base").value == "The code of a test digit"
    assert at.number_input(key="gen_trav_idx").value == 12
    assert at.slider(key="gen_trav_steps").value == 7
    strip = next(im for im in at.image if im.captions and im.captions[0].startswith("z"))
    assert strip.captions[0] == "z3 = -3.0" and len(strip.captions) == 7
    assert any(c.startswith("test digit #12") for im in at.image for c in im.captions)
    assert not toasts(at)
    at.radio(key="gen_trav_base").set_value("Zero (the prior's centre)").run()
    at.slider(key="gen_trav_steps").set_value(9).run()
    assert at.query_params["base"] == "zero" and at.query_params["steps"] == "9"
    assert "idx" not in at.query_params  # the test digit box is gone
    assert open_with("generate", steps="8").slider(key="gen_trav_steps").value == 11  # no stop


def test_train_precision_follows_the_link_and_reaches_the_training_config():
    from aecore import model_types as recipes
    # the form's default: bf16 where the probe measured it faster on this CPU
    default = next(f for f in recipes.COMMON if f.name == "precision").initial()
    assert open_with("train").radio(key="trn_prec").value == default
    other = "fp32" if default == "bf16" else "bf16"
    at = open_with("train", precision=other)
    assert at.radio(key="trn_prec").value == other and not toasts(at)
    _, cfg = recipes.make_configs("dense", precision=other)
    assert cfg.precision == other
    at.radio(key="trn_prec").set_value(default).run()
    assert at.query_params["precision"] == default


def test_train_opens_the_linked_settings_and_drops_hidden_ones():
    at = open_with("train", type="vae", k="2", beta="4", lr="0.003", batch="64", epochs="3")
    assert at.selectbox(key="trn_type").value == "vae"
    assert at.number_input(key="trn_k").value == 2
    assert at.slider(key="trn_beta").value == pytest.approx(4.0)
    assert at.select_slider(key="trn_lr").value == pytest.approx(0.003)
    assert at.select_slider(key="trn_batch").value == 64
    assert at.number_input(key="trn_epochs").value == 3
    assert not toasts(at)
    at.selectbox(key="trn_type").set_value("dense").run()
    qp = dict(at.query_params)
    assert qp["type"] == "dense" and qp["k"] == "2" and "beta" not in qp
    at.number_input(key="trn_k").set_value(16).run()
    again = open_with("train", **dict(at.query_params))
    assert again.selectbox(key="trn_type").value == "dense"
    assert again.number_input(key="trn_k").value == 16


@pytest.mark.parametrize("params, bad, check", [
    ({"type": "gan"}, "gan", lambda at: at.selectbox(key="trn_type").value == "dense"),
    ({"k": "0"}, "0", lambda at: at.number_input(key="trn_k").value == 32),
    ({"lr": "7"}, "7", lambda at: at.select_slider(key="trn_lr").value == pytest.approx(1e-3)),
    ({"type": "vae", "beta": "-1"}, "-1",
     lambda at: at.slider(key="trn_beta").value == pytest.approx(1.0)),
], ids=["type", "k-zero", "lr-not-a-stop", "beta-negative"])
def test_train_bad_link_value_falls_back_with_a_notice(params, bad, check):
    falls_back_with_one_notice("train", params, bad, check)


def test_anomaly_opens_the_linked_state(downloads):
    # the sensor tab's settings: a link that carries them opens that tab (older links had no tab)
    sensors = open_with("anomaly", faults="spike,stuck", length="512", series_seed="9")
    assert sensors.query_params["tab"] == "sensors"
    assert sensors.multiselect(key="ano_seq_faults").value == ["spike", "stuck"]
    assert sensors.select_slider(key="ano_seq_len").value == 512
    assert sensors.number_input(key="ano_seq_seed").value == 9
    slider = sensors.select_slider(key="ano_seq_thr")
    slider.set_value(float(slider.options[10])).run()
    moved_seq = sensors.select_slider(key="ano_seq_thr").value
    again = open_with("anomaly", **dict(sensors.query_params))
    assert again.select_slider(key="ano_seq_thr").value == moved_seq and not toasts(again)
    assert "ano_seq-sensor-series.html" in _html_downloads(again, downloads)
    # the digits tab's
    first = open_with("anomaly", model="ae_k16", kinds="rectangles,ellipses")
    assert first.query_params["tab"] == "digits"
    assert first.selectbox(key="ano_model").value == "zoo:ae_k16"
    assert first.multiselect(key="ano_kinds").value == ["rectangles", "ellipses"]
    assert not toasts(first)
    # move the threshold off its default; the link it writes opens it there
    before = first.select_slider(key="ano_thr").value
    slider = first.select_slider(key="ano_thr")
    slider.set_value(float(slider.options[150])).run()
    moved = first.select_slider(key="ano_thr").value
    assert moved != before
    at = open_with("anomaly", **dict(first.query_params))
    assert at.select_slider(key="ano_thr").value == moved
    assert at.multiselect(key="ano_kinds").value == ["rectangles", "ellipses"]
    assert not toasts(at)
    at.multiselect(key="ano_kinds").set_value(["uniform noise"]).run()
    assert at.query_params["kinds"] == "uniform noise"
    at.radio(key="ano_mode").set_value("One digit (one-class MNIST)").run()
    at.selectbox(key="ano_digit").set_value(4).run()
    qp = dict(at.query_params)
    assert qp["mode"] == "one" and qp["normal"] == "4"
    assert "kinds" not in qp and "model" not in qp and "thr" not in qp  # not on screen now
    again = open_with("anomaly", **qp)
    assert again.radio(key="ano_mode").value.startswith("One digit")
    assert again.selectbox(key="ano_digit").value == 4


def test_anomaly_bad_kinds_fall_back_with_a_notice():
    at = open_with("anomaly", kinds="rectangles,lasers")
    assert at.multiselect(key="ano_kinds").value == ["uniform noise", "gaussian blobs",
                                                      "rectangles", "ellipses"]
    notes = toasts(at)
    assert len(notes) == 1 and "'rectangles,lasers'" in notes[0], notes


def test_features_opens_the_linked_code_sizes():
    at = open_with("features", ks="2")
    assert at.multiselect(key="fea_ks").value == [2]
    assert at.dataframe[0].value["size"].tolist()[:2] == [2, 2]  # AE and PCA rows at k = 2
    assert at.query_params["ks"] == "2" and "extra" not in at.query_params
    at.multiselect(key="fea_ks").set_value([]).run()
    assert at.query_params["ks"] == ""
    empty = open_with("features", ks="")
    assert empty.multiselect(key="fea_ks").value == []
    assert any("at least one code size" in w.value for w in empty.warning)


def test_types_opens_the_linked_view_and_its_control(downloads):
    at = open_with("types", type="pca", k="16")
    assert at.radio(key="typ_choice").value == "PCA = linear autoencoder"
    assert at.select_slider(key="typ_pca_k").value == 16
    assert any(m.label.startswith("PCA, k = 16") for m in at.metric)
    assert not toasts(at)
    at.radio(key="typ_choice").set_value("Contractive").run()
    at.slider(key="typ_ct_sigma").set_value(0.1).run()
    qp = dict(at.query_params)
    assert qp["type"] == "contractive" and qp["sigma"] == "0.1" and "k" not in qp
    again = open_with("types", **qp)
    assert again.slider(key="typ_ct_sigma").value == pytest.approx(0.1)
    assert "contractive-sensitivity.html" in _html_downloads(again, downloads)
    assert not _modebars_hidden(again)
    bad = open_with("types", type="gan")
    assert bad.radio(key="typ_choice").value == "Undercomplete vs overcomplete"
    assert len(toasts(bad)) == 1 and "'gan'" in toasts(bad)[0]


def test_a_lesson_link_applies_a_value_an_earlier_page_wrote():
    """Generate writes model=vae_k2; the student then opens the lesson (the sidebar drops the
    URL's parameters) and follows a link to Reconstruct with model=vae_k2: it is applied."""
    at = open_with("generate", model="vae_k2")
    assert at.query_params["model"] == "vae_k2"
    at.query_params.clear()  # a click in the sidebar navigation
    at.switch_page("views/lesson.py").run()
    at.query_params.clear()
    at.query_params["model"] = "vae_k2"  # the lesson's page link
    at.switch_page("views/reconstruct.py").run()
    assert not at.exception
    assert at.selectbox(key="rec_model").value == "zoo:vae_k2"
