"""Types page through AppTest: every type's view renders its loss and diagnostic."""
from __future__ import annotations

import time

import pytest

from conftest import open_page

FAST = ["Undercomplete vs overcomplete", "Sparse", "Contractive", "Variational (VAE)",
        "Conditional VAE", "PCA = linear autoencoder"]


@pytest.mark.parametrize("choice", FAST)
def test_type_view_renders_with_its_loss(app, choice):
    at = open_page(app, "types")
    at.radio(key="typ_choice").set_value(choice).run()
    assert not at.exception
    assert at.latex  # every view states its loss


def test_sparse_view_shows_sparser_codes_with_a_penalty(app):
    at = open_page(app, "types")
    at.radio(key="typ_choice").set_value("Sparse").run()
    near = {m.label.split(":")[0]: float(m.value.rstrip("%")) for m in at.metric}
    assert near["sparse_l1"] > near["ae_overcomplete"]


def test_contractive_view_is_less_sensitive_than_plain_ae(app):
    at = open_page(app, "types")
    at.radio(key="typ_choice").set_value("Contractive").run()
    rows = {r["model"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert (rows["contractive"]["Jacobian norm / code spread"]
            < rows["ae_k32"]["Jacobian norm / code spread"])


def test_cvae_view_changes_the_label(app):
    at = open_page(app, "types")
    at.radio(key="typ_choice").set_value("Conditional VAE").run()
    assert not at.exception
    captions = [img.caption for el in at.get("image") for img in el.proto.imgs]
    assert "as 0" in captions and "as 9" in captions


@pytest.mark.slow
def test_stacked_view_trains_and_shows_each_stage(app):
    at = open_page(app, "types")
    at.radio(key="typ_choice").set_value("Stacked").run()
    at.toggle(key="typ_st_run").set_value(True).run()
    assert not at.exception
    # it trains on the job manager in the background: AppTest polls by rerunning the page
    t0 = time.monotonic()
    while not at.get("plotly_chart") and time.monotonic() - t0 < 180:
        assert not at.exception and not at.error, [e.value for e in at.error]
        time.sleep(0.5)
        at.run()
    spec = at.get("plotly_chart")[0].proto.spec
    assert "pretrain layer 1" in spec and '"train"' in spec


@pytest.mark.slow
def test_sequence_view_shows_the_sensor_demo(app):
    at = open_page(app, "types")
    at.radio(key="typ_choice").set_value("Sequence (LSTM)").run()
    assert not at.exception
    assert any(m.label == "AUROC" for m in at.metric)
