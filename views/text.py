"""Text: a character-level autoencoder squeezes a word into 32 numbers and spells it back."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aecore import text as tx
from aecore.pca import PCA
from aecore.errors import AecoreError
from aecore.jobs import get_manager
from ui import catalog, charts, library, loaders, query, text_charts, widgets
from views import specs

JOBS_KEY = "txt_jobs"  # this session's word-AE trainings
N_MAP = 2000
PROPS = {"length": "length", "first": "first letter", "vowels": "share of vowels"}


def checked(word: str, model) -> str | None:
    """``word`` if the model can read it, else a message on the page and None."""
    try:
        tx.encode_texts([word], model.cfg.alphabet, model.cfg.max_len)
        return word.strip().lower()
    except AecoreError as exc:
        st.warning(str(exc))
        return None


def rebuild_section(model) -> str | None:
    st.subheader("Type a word, see what comes back")
    word = checked(st.text_input("Word (a-z, up to 10 letters like the training words)", "elephant",
                                 key="txt_word"), model)
    if word:
        got = tx.rebuild(model, [word])[0]
        charts.show(text_charts.char_figure(word, tx.char_marks(word, got)), key="txt_chars")
        (st.success if got == word else st.warning)(
            "Rebuilt exactly." if got == word else "Orange letters came back wrong.")
        state, code = tx.state_and_code(model, word)
        charts.show(text_charts.state_to_code_figure(state, code, model.cfg.cell,
                                                            model.cfg.bidirectional), key="txt_state")
    return word


def between_section(model) -> None:
    st.subheader("Slide between two words")
    c1, c2 = st.columns(2)
    a = checked(c1.text_input("From", "cat", key="txt_a"), model)
    b = checked(c2.text_input("To", "zebra", key="txt_b"), model)
    if not (a and b):
        return
    path = tx.interpolate(model, a, b, 11)
    t = st.slider("Position on the line between their codes", 0.0, 1.0, 0.5, 0.1, key="txt_t")
    here = min(path, key=lambda p: abs(p[0] - t))[1]
    st.metric(f"Decoded at t = {t:.1f}", here or "(empty)")
    st.table({"t": [f"{p:.1f}" for p, _ in path], "decoded": [w or "(empty)" for _, w in path]})


def nearest_section(model, tag: str, word: str | None) -> None:
    st.subheader("Nearest words of a code")
    if not word:
        return
    words, vc = loaders.word_codes(tag, model)
    z = tx.codes(model, [word])[0]
    near = tx.nearest(model, z, words, torch.from_numpy(vc), 9)
    st.table({"word": [w for w, _ in near], "distance": [f"{d:.2f}" for _, d in near]})


def typo_section() -> None:
    st.subheader("Repair typos (a denoising text autoencoder)")
    typo_models = catalog.entries(lambda c: catalog.words_model(c) and c["config"].get("typo_rate", 0) > 0)
    if not typo_models:
        st.info("Trained on words with one random typo and asked for the clean word, the same "
                "network learns to repair spelling. Train one below with *With typos* ticked "
                "(or: python -m aecore train --preset words_typo), then it appears here.")
        return
    model, _ = catalog.get(typo_models[-1].key)
    seed = st.number_input("Typo seed", 0, 10_000, 3, key="txt_typo_seed")
    clean = tx.split(tx.load_words())[1][int(seed) % 2400]
    typed = checked(st.text_input("A misspelt word", tx.typo(clean, model.cfg.alphabet, int(seed)),
                                  key=f"txt_typo_{seed}"), model)
    if typed:
        st.text(f"{typed}  ->  {tx.rebuild(model, [typed])[0]}   (the held-out word was: {clean})")


def map_section(model, tag: str) -> None:
    st.subheader("A map of the words")
    prop = st.radio("Colour by", list(PROPS), format_func=PROPS.get, horizontal=True, key="txt_prop")
    words, vc = loaders.word_codes(tag, model)
    idx = np.random.default_rng(0).choice(len(words), N_MAP, replace=False)
    xy = PCA.fit(torch.from_numpy(vc[idx])).encode(torch.from_numpy(vc[idx]), 2).numpy()
    w = [words[i] for i in idx]
    color = {"length": [len(s) for s in w], "first": [s[0] for s in w],
             "vowels": [sum(c in "aeiou" for c in s) / len(s) for s in w]}[prop]
    charts.show(text_charts.word_map(xy, w, color, PROPS[prop]), key="txt_map")


def train_section() -> None:
    with st.expander("Train your own word autoencoder (LSTM, GRU or Transformer)"):
        c1, c2, c3 = st.columns(3)
        cell = c1.radio("Cell", ("lstm", "gru", "transformer"), key="txt_cell")
        epochs = c2.slider("Epochs", 1, 20, 3, key="txt_epochs")
        typos = c3.checkbox("With typos (denoising)", key="txt_typos")
        job = st.session_state.get(JOBS_KEY)
        if st.button("Train on the word list", key="txt_train", disabled=bool(job and not job.finished)):
            try:
                st.session_state[JOBS_KEY] = tx.submit_text(get_manager(), cell, epochs,
                                                            0.5 if typos else 0.0,
                                                            on_result=library.job_saver())
            except AecoreError as exc:
                st.error(f"The training could not start: {exc}")
            st.rerun()
        if job is not None and widgets.job_progress(job, "Training the word AE"):
            (st.success if job.model is not None else st.error)(
                "Done: pick it above (kept in My models)." if job.model is not None
                else f"The training did not finish: {job.error or job.status}")


st.title("Text: words in 32 numbers")
st.markdown("An autoencoder is not only for pictures. This one reads a word **character by "
            "character** with a recurrent network (or a small Transformer); its final state "
            "becomes a code of 32 numbers, and a decoder spells the word back from the code "
            "alone. Trained on 21,600 English words, it also rebuilds words it never saw.")
key = query.model_picker("model", "Word model", "txt_model", catalog.words_model,
                         f"zoo:{specs.TEXT.defaults['model']}")
model, card = widgets.load_or_stop(key)
tag = loaders.model_tag(key, card)
word = rebuild_section(model)
between_section(model)
nearest_section(model, tag, word)
typo_section()
map_section(model, tag)
train_section()
