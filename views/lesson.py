"""Guided lesson: an ordered path through the app; each step asks for a prediction, then shows a
live demo and links to the full page in the matching state. The step is kept in the URL."""
from __future__ import annotations

import streamlit as st

from ui import lesson, query

N = len(lesson.STEPS)


def _go(delta: int) -> None:
    st.session_state["les_step"] = min(N, max(1, st.session_state["les_step"] + delta))


st.title("Guided lesson")
st.caption("Six short steps. In each one, make a prediction first, then reveal what real models "
           "do. Every step links to the full page, opened in the same state.")
# the step: no widget of its own (the buttons below move it), kept and linked (?step=3)
n = int(query.number("step", "Step", 1, N, 1, key="les_step", show=False))
step = lesson.STEPS[n - 1]

st.progress(n / N, text=f"Step {n} of {N}")
st.subheader(f"{n}. {step.title}")
st.markdown(step.text)

st.markdown(f"**Predict:** {step.question}")
guess = st.radio("Your prediction", step.choices, index=None, key=f"les_guess_{step.slug}")
shown_key = f"les_shown_{step.slug}"
if st.button("Reveal", key="les_reveal", type="primary", disabled=guess is None):
    st.session_state[shown_key] = True
if guess is None and not st.session_state.get(shown_key):
    st.caption("Choose an answer to unlock Reveal.")
if st.session_state.get(shown_key):
    right = step.choices[step.answer]
    if guess == right:
        st.success(f"Right: {right}. {step.explain}")
    else:
        st.info(f"The answer: {right}. {step.explain}")
    lesson.show_demo(step)

st.page_link(f"views/{step.page}.py", label="Go to the full page", icon=":material/arrow_forward:",
             query_params=lesson.step_params(step))

c1, _, c3 = st.columns([1, 3, 1])
c1.button("Previous", key="les_prev", on_click=_go, args=(-1,), disabled=n == 1, width="stretch")
c3.button("Next", key="les_next", on_click=_go, args=(1,), disabled=n == N, width="stretch")
