"""ui/query.py's linked widgets: one call reads the URL, draws the widget, writes the URL back
and keeps the value across page switches (Streamlit drops the state of a widget it did not draw)."""
from __future__ import annotations

import pytest

from conftest import open_page, open_with


def test_a_value_survives_a_visit_to_another_page(app):
    at = open_page(app, "generate")
    at.slider(key="gen_count").set_value(12).run()
    at.number_input(key="gen_seed").set_value(5).run()
    at.switch_page("views/lesson.py").run()
    assert "gen_count" not in at.session_state  # Streamlit forgot the widget it did not draw
    at.switch_page("views/generate.py").run()
    assert not at.exception
    assert at.slider(key="gen_count").value == 12 and at.number_input(key="gen_seed").value == 5
    assert at.query_params["count"] == "12" and at.query_params["seed"] == "5"


def test_a_train_setting_survives_a_page_switch_and_a_type_change(app):
    at = open_page(app, "train")
    at.selectbox(key="trn_type").set_value("vae").run()
    at.slider(key="trn_beta").set_value(4.0).run()
    at.number_input(key="trn_k").set_value(2).run()
    at.switch_page("views/lesson.py").run()
    at.switch_page("views/train.py").run()
    assert at.selectbox(key="trn_type").value == "vae"
    assert at.slider(key="trn_beta").value == pytest.approx(4.0)
    assert at.number_input(key="trn_k").value == 2
    at.selectbox(key="trn_type").set_value("dense").run()  # beta is not a dense AE's setting:
    assert "beta" not in at.query_params and at.query_params["k"] == "2"  # it leaves the URL
    at.selectbox(key="trn_type").set_value("vae").run()
    assert at.slider(key="trn_beta").value == pytest.approx(4.0)  # and comes back with the type


def test_a_hidden_control_keeps_its_linked_value():
    """Presenter mode hides the noise seed: the link's seed still applies and stays in the URL."""
    at = open_with("denoise", present="1", seed="7")
    assert not any(n.key == "den_seed" for n in at.number_input)
    assert at.query_params["seed"] == "7"


def test_slider_links_parse_to_their_stops():
    from ui.query import _bounded

    parse, fix = _bounded(4, 64, 24, 4, stops=True, snap=False)  # a whole-number slider, step 4
    assert parse("12") == 12
    for bad in ("13", "68", "x", "1e9"):
        with pytest.raises(ValueError):
            parse(bad)
    assert fix(100) == 64 and fix(None) == 24 and fix(True) == 24  # into the current range
    parse, _ = _bounded(0.1, 2.0, 1.0, 0.1, stops=True, snap=True)  # a snapping decimal slider
    assert parse("0.73") == pytest.approx(0.7)
    with pytest.raises(ValueError):
        parse("inf")
    parse, _ = _bounded(0.0, 1.0, 0.5, 0.025, stops=True, snap=False)
    assert parse("0.333") == pytest.approx(0.333)  # a decimal slider without snap keeps it
