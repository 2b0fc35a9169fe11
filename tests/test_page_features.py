"""Features page through AppTest: accuracy of classifiers on codes vs PCA and pixels."""
from __future__ import annotations

import pytest

from conftest import open_page


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
