"""Anomaly page through AppTest: OOD mode, threshold controls, scoring an upload, one-class
training, the sensor demo."""
from __future__ import annotations

import pytest

from conftest import open_page
from live_util import live_parts, u8


def _metrics(at) -> dict[str, float]:
    return {m.label: float(m.value.rstrip("%")) for m in at.metric}


def _digit_tab_metrics(at) -> dict[str, float]:
    first4 = list(at.metric)[:4]  # the digits tab comes first, then the sensor tab
    return {m.label: float(m.value.rstrip("%")) for m in first4}


def test_ood_mode_separates_noise_from_digits(app):
    at = open_page(app, "anomaly")
    assert not at.exception
    at.multiselect(key="ano_kinds").set_value(["uniform noise"]).run()
    assert not at.exception
    m = _digit_tab_metrics(at)
    assert m["AUROC"] > 95  # i.i.d. noise reconstructs far worse than any digit
    assert at.get("plotly_chart")  # histogram + ROC


def _gallery(part: dict) -> tuple[str, list[float], list[bool]]:
    """A gallery (ui.live.rows): its heading, the scores under its error maps and their flags;
    inputs and reconstructions grey 28 x 28, error maps RGB."""
    page = part["stops"][0]
    inputs, recs, maps = page["rows"]
    assert [r["label"] for r in page["rows"]] == ["Input", "Reconstruction", "Error map"]
    size = lambda c: u8(part["images"][c["img"]]).size  # noqa: E731
    assert all(size(c) == 784 for c in inputs["cells"] + recs["cells"])
    assert all(size(c) == 3 * 784 for c in maps["cells"])
    caps = [c["caption"] for c in maps["cells"]]
    scores = [float(c.split(": ")[1].split()[0]) for c in caps]
    return page["heading"], scores, ["⚑" in c for c in caps]


def _galleries(at) -> list[dict]:
    return [p for p in live_parts(at, "rows") if p["stops"][0]["heading"]]  # not the scored image


def test_galleries_show_the_highest_and_lowest_scores_flagged_by_the_threshold(app):
    at = open_page(app, "anomaly")
    (h_most, most, flags_most), (h_least, least, flags_least) = map(_gallery, _galleries(at))
    assert (h_most, h_least) == ("Most anomalous", "Least anomalous")
    assert len(most) == len(least) == 8
    assert most == sorted(most, reverse=True) and least == sorted(least) and most[-1] >= least[0]
    assert all(flags_most) and not any(flags_least)  # noise far above the default threshold
    slider = at.select_slider(key="ano_thr")
    slider.set_value(float(slider.options[-1])).run()
    assert not at.exception
    assert not any(_gallery(_galleries(at)[0])[2])  # nothing scores above the highest


def test_threshold_slider_trades_recall_for_precision(app):
    at = open_page(app, "anomaly")
    slider = at.select_slider(key="ano_thr")
    opts = slider.options
    slider.set_value(float(opts[0])).run()
    low = _digit_tab_metrics(at)
    at.select_slider(key="ano_thr").set_value(float(opts[-1])).run()
    high = _digit_tab_metrics(at)
    assert not at.exception
    assert low["Recall"] >= high["Recall"]
    assert low["Recall"] == pytest.approx(100.0, abs=1)  # lowest threshold flags nearly all


def test_no_kinds_warns(app):
    at = open_page(app, "anomaly")
    at.multiselect(key="ano_kinds").set_value([]).run()
    assert not at.exception
    assert any("at least one kind" in w.value for w in at.warning)


def test_upload_is_scored_against_the_threshold(app, seven_png):
    at = open_page(app, "anomaly")
    at.radio(key="ano_in_src").set_value("upload").run()
    at.file_uploader(key="ano_in_file").upload("seven.png", seven_png, "image/png").run()
    assert not at.exception
    msgs = [s.value for s in at.success] + [w.value for w in at.warning]
    assert any("Score" in m and "threshold" in m for m in msgs)
    # and shown beside its reconstruction and its error map (RGB), in the page's own element
    scored = live_parts(at, "rows")[-1]  # after the two galleries
    (row,) = scored["stops"][0]["rows"]
    assert [c["caption"] for c in row["cells"]] == ["input", "reconstruction", "error map"]
    sizes = [u8(scored["images"][c["img"]]).size for c in row["cells"]]
    assert sizes == [784, 784, 3 * 784]


def test_bad_upload_shows_an_error(app):
    at = open_page(app, "anomaly")
    at.radio(key="ano_in_src").set_value("upload").run()
    at.file_uploader(key="ano_in_file").upload("x.png", b"not an image", "image/png").run()
    assert not at.exception
    assert at.error


def test_only_the_open_tab_is_drawn_and_opening_the_other_draws_it(app):
    at = open_page(app, "anomaly")
    assert at.session_state["ano_tab"] == "Images" and at.query_params["tab"] == "digits"
    assert at.select_slider(key="ano_thr") and not [w for w in at.multiselect
                                                     if w.key == "ano_seq_faults"]
    at.session_state["ano_tab"] = "Sensor signals (sequence AE)"  # a click on the tab
    at.run()
    assert not at.exception and at.query_params["tab"] == "sensors"
    assert at.multiselect(key="ano_seq_faults") and not [w for w in at.select_slider
                                                         if w.key == "ano_thr"]


def test_sensor_demo_without_faults_says_so(app):
    at = open_page(app, "anomaly")
    at.session_state["ano_tab"] = "Sensor signals (sequence AE)"
    at.run()
    at.multiselect(key="ano_seq_faults").set_value([]).run()
    assert not at.exception
    assert any("Add at least one fault" in i.value for i in at.info)


@pytest.mark.slow
def test_one_class_mode_trains_in_background_then_scores(app):
    at = open_page(app, "anomaly")
    at.radio(key="ano_mode").set_value("One digit (one-class MNIST)").run()
    at.selectbox(key="ano_digit").set_value(1).run()
    at.slider(key="ano_epochs").set_value(1).run()
    assert any("learns digit" in i.value for i in at.info)
    at.button(key="ano_train").click().run()
    assert not at.exception
    job = at.session_state["ano_jobs"][("mnist", 1)]
    assert job.wait(300) and job.status == "done", job.error
    at.run()
    assert not at.exception
    m = _digit_tab_metrics(at)
    assert m["AUROC"] > 80  # one epoch on the 1s already separates them from other digits


# the image tab on every declared data set (its picker, linked to the URL: ?data=fashion-mnist)

def _page_words(at) -> str:
    """Every text a user reads in the page's body: markdown, captions, headings, widget labels,
    the metrics' help and the galleries' headings and captions."""
    body = at.main
    labels = [w.label for kind in ("selectbox", "number_input", "radio", "select_slider")
              for w in body.get(kind)]
    gallery = [c["caption"] for p in live_parts(at, "rows") for r in p["stops"][0]["rows"]
               for c in r["cells"]] + [p["stops"][0]["heading"] for p in live_parts(at, "rows")]
    return " ".join([m.value for m in body.markdown] + [c.value for c in body.caption]
                    + [s.value for s in body.subheader] + [m.help or "" for m in body.metric]
                    + labels + gallery)


def _groups(part: dict) -> list[str]:
    """The group named under each error map of a gallery ("Bag: 0.0412 ⚑" -> "Bag")."""
    return [c["caption"].rsplit(": ", 1)[0] for c in part["stops"][0]["rows"][2]["cells"]]


def test_a_fashion_link_flags_its_declared_class_in_garment_words():
    from aecore.data import load_split
    from aecore.datasets import get_dataset
    from conftest import open_with
    from views import specs
    fashion = get_dataset("fashion-mnist")
    spec = specs.ANOMALY.defaults["by_data"]["fashion-mnist"]
    at = open_with("anomaly", data="fashion-mnist")
    assert at.selectbox(key="ano_data").value == "fashion-mnist"
    # the set's own models only, its declared one first; its classes by name
    model = at.selectbox(key="ano_model_fashion-mnist")
    assert model.value == "zoo:" + spec["model"]
    assert all(o.startswith("Fashion-MNIST:") for o in model.options)
    cls = at.selectbox(key="ano_cls_fashion-mnist")
    assert cls.options == [fashion.class_name(c) for c in range(len(fashion.classes))]
    assert cls.value == spec["class"]
    words = _page_words(at)
    assert "garment" in words and "digit" not in words.lower()
    # the galleries name each garment's class; the flagged class scores above the rest
    (most, least) = _galleries(at)
    assert set(_groups(most) + _groups(least)) <= set(fashion.classes)
    assert _digit_tab_metrics(at)["AUROC"] > 50
    # another class: the caption counts that class among the scored items
    labels = load_split("test", "fashion-mnist").labels[:spec["n"]]
    other = (spec["class"] + 1) % len(fashion.classes)
    at.selectbox(key="ano_cls_fashion-mnist").set_value(other).run()
    assert not at.exception
    assert at.query_params["odd_class"] == str(other)
    n_other = int((labels == other).sum())
    assert any(f"the {n_other} of class {fashion.class_name(other)} count as anomalous" in c.value
               for c in at.caption)
    # the confusion matrix follows the new flags: its anomalous row holds that class
    (table,) = [t.value for t in at.main.table if "flagged normal" in t.value.columns]
    assert int(table["flagged normal"].iloc[1] + table["flagged anomalous"].iloc[1]) == n_other


@pytest.mark.slow
def test_one_garment_class_as_normal_trains_a_detector_on_it_alone(app):
    from aecore.datasets import get_dataset
    fashion = get_dataset("fashion-mnist")
    at = open_page(app, "anomaly")
    at.selectbox(key="ano_data").set_value("fashion-mnist").run()
    at.radio(key="ano_what_fashion-mnist").set_value(
        "Only one class is normal (one-class Fashion-MNIST)").run()
    at.selectbox(key="ano_normal_fashion-mnist").set_value(1).run()  # Trouser
    at.slider(key="ano_epochs").set_value(1).run()
    assert any("learns class Trouser only" in i.value for i in at.info)
    assert "6,000 training garments of class Trouser" in at.button(key="ano_train").label
    at.button(key="ano_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state["ano_jobs"][("fashion-mnist", 1)]
    assert job.wait(300) and job.status == "done", job.error
    # the detector saw trousers only, and its card says it learnt garments
    assert job.train_cfg.dataset == "fashion-mnist" and job.data.y.unique().tolist() == [1]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _digit_tab_metrics(at)["AUROC"] > 80  # trousers apart from the nine other garments
    most, least = _galleries(at)
    assert set(_groups(most) + _groups(least)) <= set(fashion.classes)
    assert "Trouser" in _groups(least) and "Trouser" not in _groups(most)
    words = _page_words(at)
    assert "digit" not in words.lower()


def test_digits_shown_to_the_fashion_model_score_above_its_garments(app):
    at = open_page(app, "anomaly")
    at.selectbox(key="ano_data").set_value("fashion-mnist").run()
    at.radio(key="ano_what_fashion-mnist").set_value("Items of another data set").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _digit_tab_metrics(at)["AUROC"] > 50
    most, least = _galleries(at)
    assert _groups(most).count("digit") > _groups(least).count("digit")
    # a test garment scored against the threshold, by index
    at.number_input(key="ano_in_idx_fashion-mnist").set_value(4).run()
    assert not at.exception
    assert any(m.value.startswith(("Flagged", "Looks")) for m in [*at.success, *at.warning])


def test_photo_patches_are_scored_in_colour(app):
    at = open_page(app, "anomaly")
    at.selectbox(key="ano_data").set_value("photos").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="ano_model_photos").value.startswith("zoo:photos_")
    assert at.radio(key="ano_what_photos").options == ["Items of another data set"]  # no classes
    assert _digit_tab_metrics(at)["AUROC"] > 50
    most, _ = _galleries(at)
    sizes = {u8(most["images"][c["img"]]).size for r in most["stops"][0]["rows"]
             for c in r["cells"]}
    assert sizes == {3 * 32 * 32}  # colour inputs, reconstructions and RGB error maps
    assert "digit" in _groups(most)  # grey digits, brought to 3 x 32 x 32, rebuilt worst
