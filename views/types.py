"""Autoencoder types: what each one changes (its loss) and the diagnostic that shows it."""
from __future__ import annotations

import streamlit as st

from aecore.errors import AecoreError
from ui import query, types_view

st.title("Autoencoder types")
st.markdown("Every autoencoder squeezes an input through a code and rebuilds it. The types differ "
            "in **what stops the network from simply copying**: a narrow code, a penalty, noise, "
            "a probabilistic code, a label. Pick a type to see its loss and a measurement that "
            "makes its effect visible on the shipped models.")
query.qp_choice("type", types_view.LINKS, list(types_view.VIEWS)[0], key="typ_choice")  # ?type=vae
choice = st.radio("Type", list(types_view.VIEWS), horizontal=True, key="typ_choice")
query.sync(type=query.text_of(types_view.LINKS, choice))
st.subheader(choice)
try:
    types_view.VIEWS[choice]()
except AecoreError as exc:
    st.error(f"This view needs a shipped model that could not be loaded: {exc}")
