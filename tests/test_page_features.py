"""Features page through AppTest: accuracy of classifiers on codes vs PCA and pixels."""
from __future__ import annotations

import pytest

from conftest import open_page, open_with


@pytest.mark.slow
def test_features_chart_and_table_for_two_code_sizes(app):
    app.session_state["fea_ks"] = [2, 32]
    at = open_page(app, "features")
    assert not at.exception
    df = at.dataframe[0].value
    rows = {(r["features"], r["size"]): r for r in df.to_dict("records")}
    ae2, pca2 = rows[("AE code (ae_k2)", 2)], rows[("PCA code", 2)]
    assert 0 <= pca2["5-NN %"] <= 100 and ("raw pixels", 784) in rows
    assert ae2["5-NN %"] > pca2["5-NN %"]  # a nonlinear 2-d code beats PCA's two components
    spec = at.get("plotly_chart")[0].proto.spec
    assert "AE codes, 5-NN" in spec and "raw pixels" in spec


def test_features_needs_a_code_size(app):
    app.session_state["fea_ks"] = [2]
    at = open_page(app, "features")
    at.multiselect(key="fea_ks").set_value([]).run()
    assert not at.exception
    assert any("at least one code size" in w.value for w in at.warning)


@pytest.mark.slow
def test_a_link_opens_fashion_mnist_with_its_classes_and_codes():
    from aecore.datasets.fashion import CLASSES
    from views import specs
    sweep = specs.FEATURES.defaults["by_data"]["fashion-mnist"]["sweep"]
    at = open_with("features", data="fashion-mnist")
    assert not at.error
    assert at.selectbox(key="fea_data").value == "fashion-mnist"
    # the class names a user reads, every one of them, and the set's word for an item
    shown = " ".join(c.value for c in at.caption)
    assert all(name in shown for name in CLASSES)
    assert "garments" in shown
    rows = {(r["features"], r["size"]): r for r in at.dataframe[0].value.to_dict("records")}
    assert {size for feat, size in rows if feat == "PCA code"} == set(sweep)
    assert all(("AE code (" + name + ")", k) in rows for k, name in sweep.items())
    assert ("raw pixels", 784) in rows
    k = min(sweep)
    ae, pca = rows[(f"AE code ({sweep[k]})", k)], rows[("PCA code", k)]
    assert ae["5-NN %"] > pca["5-NN %"]  # the smallest nonlinear code beats PCA's, as on MNIST
    assert 10 < rows[("raw pixels", 784)]["logistic %"] <= 100  # better than chance (10 classes)


def test_photos_have_no_classes_and_the_page_says_so():
    at = open_with("features", data="photos")
    assert not at.error and not at.dataframe
    assert any("no classes" in i.value for i in at.info)


@pytest.mark.slow
def test_fashion_without_its_training_split_learns_from_half_the_test_split(monkeypatch,
                                                                             clear_caches):
    # Fashion-MNIST's training split is not bundled: on a machine without it the page must work
    import aecore.data
    import aecore.datasets.fashion
    monkeypatch.setattr(aecore.datasets.fashion, "candidates", lambda: [])
    aecore.data.forget("fashion-mnist")
    monkeypatch.setattr(aecore.data, "_cache", dict(aecore.data._cache))  # back after the test
    at = open_with("features", data="fashion-mnist")
    assert not at.error and not at.warning
    shown = " ".join(c.value for c in at.caption)
    assert "training split is not on this server" in shown
    rows = at.dataframe[0].value.to_dict("records")
    assert all(0 <= r["5-NN %"] <= 100 for r in rows) and len(rows) >= 3
