"""Text page through AppTest: a typed word comes back letter by letter, the interpolation and
the nearest words answer, bad input gets a message, a word AE trains through the JobManager."""
from __future__ import annotations

from conftest import open_page


def test_the_text_page_rebuilds_interpolates_and_maps(app):
    at = open_page(app, "text")
    assert not at.exception, [e.value for e in at.exception]
    charts = {c.proto.id for c in at.get("plotly_chart")}
    assert len(charts) >= 3  # letters, state -> code, word map
    # the page's own tables (the charts' data tables are there too, each in an expander)
    path = next(t.value for t in at.table if "decoded" in t.value.columns)
    assert list(path["t"])[0] == "0.0" and list(path["t"])[-1] == "1.0"
    at.slider(key="txt_t").set_value(0.0).run()
    assert at.metric[0].value == list(path["decoded"])[0]
    near = next(t.value for t in at.table if "word" in t.value.columns)
    assert len(near["word"]) == 9


def test_a_word_outside_the_alphabet_gets_a_message(app):
    at = open_page(app, "text")
    at.text_input(key="txt_word").set_value("r2-d2").run()
    assert not at.exception
    assert any("the model knows only" in w.value for w in at.warning)


def test_typing_a_word_marks_its_letters(app):
    at = open_page(app, "text")
    at.text_input(key="txt_word").set_value("cat").run()
    assert not at.exception
    fig = at.get("plotly_chart")[0].proto.spec
    assert '"cat"' not in fig and '"c"' in fig  # one tile per letter
