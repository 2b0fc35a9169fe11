"""The guided lesson (views/lesson.py, ui/lesson.py): every step renders, a prediction unlocks the
reveal and its live demo, the step lives in the URL and each step's link opens its page's state."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP_TIMEOUT, ROOT

from ui import lesson

N = len(lesson.STEPS)


def open_lesson(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.query_params.update(params)
    at.run()
    at.switch_page("views/lesson.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def title(at) -> str:
    return at.subheader[0].value


def test_emptiest_point_finds_the_hole_between_two_clusters():
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.normal((-5, 0), 0.3, (500, 2)), rng.normal((5, 0), 0.3, (500, 2))])
    (z1, z2), dist = lesson.emptiest_point(codes, np.array([-6.0, -6.0]), np.array([6.0, 6.0]))
    assert dist > 3.0
    near = np.sqrt(((codes - (z1, z2)) ** 2).sum(1)).min()
    assert near == pytest.approx(dist)
    # a dense uniform cloud has no hole
    _, small = lesson.emptiest_point(rng.uniform(-6, 6, (20000, 2)), np.array([-6.0] * 2),
                                     np.array([6.0] * 2))
    assert small < 0.5


def test_steps_are_complete_data():
    assert [s.slug for s in lesson.STEPS] == ["compress", "bottleneck", "denoise", "holes",
                                              "sampling", "anomaly"]
    for s in lesson.STEPS:
        assert 0 <= s.answer < len(s.choices) and s.demo in lesson.DEMOS
        assert (ROOT / "views" / f"{s.page}.py").exists()


@pytest.mark.slow
def test_walk_every_step_predict_then_reveal():
    at = open_lesson()
    for n, step in enumerate(lesson.STEPS, start=1):
        assert title(at) == f"{n}. {step.title}"
        assert at.query_params["step"] == str(n)
        reveal = at.button(key="les_reveal")
        assert reveal.disabled  # no reveal before a prediction
        assert not at.success and not at.info
        wrong = next(i for i in range(len(step.choices)) if i != step.answer)
        at.radio(key=f"les_guess_{step.slug}").set_value(step.choices[wrong]).run()
        assert not at.button(key="les_reveal").disabled
        images_before = len(at.get("image")) + len(at.get("imgs"))
        at.button(key="les_reveal").click().run()
        assert not at.exception, (step.slug, [e.value for e in at.exception])
        assert not at.error, (step.slug, [e.value for e in at.error])
        assert at.info and at.info[0].value.startswith(f"The answer: {step.choices[step.answer]}")
        shown = len(at.get("image")) + len(at.get("imgs")) + len(at.get("plotly_chart"))
        assert shown > images_before, f"{step.slug}: no demo after the reveal"
        link = at.get("page_link")[0].proto
        assert link.page == step.page
        assert at.button(key="les_next").disabled == (n == N)
        if n < N:
            at.button(key="les_next").click().run()
    at.button(key="les_prev").click().run()
    assert title(at) == f"{N - 1}. {lesson.STEPS[N - 2].title}"
    assert at.query_params["step"] == str(N - 1)


def test_right_prediction_is_confirmed():
    at = open_lesson(step="1")
    s = lesson.STEPS[0]
    at.radio(key="les_guess_compress").set_value(s.choices[s.answer]).run()
    at.button(key="les_reveal").click().run()
    assert at.success and at.success[0].value.startswith("Right")


def test_step_in_the_url_opens_that_step_and_round_trips():
    at = open_lesson(step="3")
    assert title(at) == f"3. {lesson.STEPS[2].title}"
    assert at.query_params["step"] == "3"
    assert not at.toast
    at.button(key="les_next").click().run()
    assert title(at) == f"4. {lesson.STEPS[3].title}"
    assert at.query_params["step"] == "4"
    at.run()  # a rerun with the written URL stays put
    assert title(at) == f"4. {lesson.STEPS[3].title}"


@pytest.mark.parametrize("bad", ["0", "99", "two"])
def test_bad_step_falls_back_to_step_one_with_a_notice(bad):
    at = open_lesson(step=bad)
    assert title(at) == f"1. {lesson.STEPS[0].title}"
    assert any("step" in t.value for t in at.toast)


@pytest.mark.slow
def test_hole_link_opens_the_latent_page_at_the_hole():
    at = open_lesson(step="4")
    q = at.get("page_link")[0].proto.query_string
    params = dict(kv.split("=") for kv in q.split("&"))
    assert params["model"] == "ae_k2" and "z1" in params and "z2" in params
    page = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    page.query_params.update(params)
    page.run()
    page.switch_page("views/latent.py").run()
    assert not page.exception
    assert page.slider(key="lat_z1_zoo:ae_k2").value == pytest.approx(float(params["z1"]), abs=0.01)
    assert page.slider(key="lat_z2_zoo:ae_k2").value == pytest.approx(float(params["z2"]), abs=0.01)
    assert not page.toast
