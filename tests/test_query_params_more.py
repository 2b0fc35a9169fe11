"""Issue 8, the rest of classroom mode: links for the Generate and Bottleneck pages (a link opens
exactly its state, a bad value falls back with a notice, the URL follows the widgets), an HTML
download under each page's main chart, and the latent page's animated GIFs."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager

from conftest import open_page, open_with

from ui import share


def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


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
    assert any(m.value.startswith("**Autoencoder**") and m.value.endswith("k = 8")
               for m in at.markdown)
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


def test_home_and_denoise_charts_show_their_modebar(app, downloads):
    at = app.run()
    assert at.get("plotly_chart") and not _modebars_hidden(at)
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
    keys = {b.key for b in at.get("download_button")}
    assert {"lat_fade_gif", "lat_grid_gif"} <= keys
    steps = at.slider(key="lat_int_steps").value
    assert _frames(as_bytes(downloads["cross-fade.gif"]())) == 2 * steps - 2  # forth and back
    assert _frames(as_bytes(downloads["manifold.gif"]())) == 2 * 5 - 2
    # the click plane keeps its modebar hidden (a click there picks a code)
    assert len(_modebars_hidden(at)) == 1


def test_reveal_rows_draws_the_grid_row_by_row():
    grid = np.arange(1, 31, dtype=np.uint8).repeat(4).reshape(30, 4)  # no zero pixel
    frames = share.reveal_rows(grid, 3)
    assert len(frames) == 3 and np.array_equal(frames[-1], grid)
    assert frames[0][:10].all() and not frames[0][10:].any()
    assert frames[1][:20].all() and not frames[1][20:].any()
