"""Accessibility without a browser (issue 31): every image of every page carries a text
alternative, every chart has a one-line summary and a data table, and the map's ten classes are
told apart by symbol and label as well as colour."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from conftest import open_page
from ui import charts, widgets

PAGES = ("home", "lesson", "reconstruct", "bottleneck", "denoise", "latent", "generate", "train",
         "anomaly", "features", "types", "my_models")


def _images(at) -> list:
    """Every st.image image of the run (AppTest names the element "image" or "imgs")."""
    return [img for kind in ("image", "imgs") for el in at.get(kind) for img in el.proto.imgs]


@pytest.mark.parametrize("page", PAGES)
def test_every_image_of_every_page_has_alt_text(app, page):
    at = open_page(app, page) if page != "home" else app.run()
    assert not at.exception, [e.value for e in at.exception]
    images = _images(at)
    if page in ("home", "generate", "latent"):  # pages that always show st.image images
        assert images, f"no image found on {page}"
    for img in images:
        assert img.HasField("alt") and len(img.alt.strip()) >= 8, (page, img.caption, img.alt)


def test_home_alt_texts_say_what_the_images_show(app):
    at = app.run()
    alts = [img.alt for img in _images(at)]
    assert alts[0].startswith("Architecture diagram of Dense AE, k = 32: input 784"), alts[0]
    from aecore.data import load_split
    d0 = int(load_split("test").labels[0])  # the digit the first picture shows
    assert f"test digit {d0}, #0" in alts
    assert any(a.startswith(f"reconstruction of test digit {d0} (#0) by Dense AE, k = 32, MSE 0.")
               for a in alts), alts


def test_generate_alt_texts_name_the_temperature(app):
    at = open_page(app, "generate")
    alts = [img.alt for img in _images(at)]
    assert any(a.startswith("16 VAE samples at temperature 1.0") for a in alts), alts


def test_picture_refuses_an_image_without_alt_text():
    img = np.zeros((28, 28), np.uint8)
    with pytest.raises(ValueError):
        widgets.picture(img, "")
    with pytest.raises(ValueError):
        widgets.picture([img, img], ["only one"])


def test_line_summary_says_where_a_curve_starts_and_ends():
    fig = charts.lines([1, 2, 3, 4, 5], {"test loss": [0.21, 0.15, 0.12, 0.10, 0.09]},
                       title="Loss", xlabel="epoch")
    assert charts.summary(fig) == \
        "Loss: test loss falls from 0.21 to 0.09 as epoch goes from 1 to 5."
    t = charts.table(fig)
    assert t == {"epoch": ["1", "2", "3", "4", "5"],
                 "test loss": ["0.21", "0.15", "0.12", "0.1", "0.09"]}


def test_long_series_table_is_thinned_and_histogram_shares_bins():
    fig = charts.lines(list(range(200)), {"a": list(range(200))}, xlabel="step")
    assert len(charts.table(fig)["step"]) <= charts.TABLE_ROWS
    h = go.Figure([go.Histogram(x=[0.0, 0.1, 0.2], name="normal"),
                   go.Histogram(x=[0.9, 1.0], name="anomalous")])
    t = charts.table(h)
    assert sum(t["normal"]) == 3 and sum(t["anomalous"]) == 2 and len(t["bin"]) == 20
    assert "normal: 3 values from 0 to 0.2" in charts.summary(h)


def test_digit_traces_mark_each_class_by_symbol_and_by_a_label():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 20)
    codes = rng.normal(size=(200, 2)) + labels[:, None]  # class d around (d, d)
    traces = charts.digit_traces(codes, labels)
    assert len(traces) == 11
    assert len({t.marker.symbol for t in traces[:10]}) == 10
    text = traces[10]
    assert list(text.text) == [str(d) for d in range(10)]
    for d in range(10):  # each label sits at its class's median code
        assert abs(text.x[d] - np.median(codes[labels == d, 0])) < 1e-5
    summary = charts.summary(go.Figure(traces))
    assert summary.startswith("200 points in 10 classes")
    assert charts.table(go.Figure(traces))["points"] == [20] * 10


def test_table_puts_each_trace_at_its_own_x():
    # the Bottleneck chart: two curves over k = 2..8 and one overcomplete point at k = 800
    fig = charts.lines([2, 4, 8], {"AE": [0.3, 0.2, 0.1]}, xlabel="k")
    fig.add_trace(go.Scatter(x=[800], y=[0.0017], mode="markers", name="overcomplete"))
    assert charts.table(fig) == {"k": ["2", "4", "8", "800"], "AE": ["0.3", "0.2", "0.1", ""],
                                 "overcomplete": ["", "", "", "0.0017"]}
    assert charts.summary(fig).endswith("overcomplete: 1 point.")


def test_lines_over_one_range_name_the_range_once():
    # Denoise's curve: four lines over the same noise levels; the axis title is said once
    fig = charts.lines([0.1, 0.5, 1.0], {"noisy input": [18.7, 10.0, 6.3], "denoising AE": [13.9, 13.5, 12.7]},
                       xlabel="noise level")
    said = charts.summary(fig)
    assert said.count("noise level") == 1, said
    assert "noisy input falls from 18.7 to 6.3" in said and "denoising AE falls from 13.9 to 12.7" in said
