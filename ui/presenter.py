"""Presenter mode: one sidebar toggle for a classroom projector. Larger fonts and charts, advanced
controls hidden; kept in the URL as ``?present=1`` so a shared link opens in the same mode."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui import charts, query

KEY = "presenter"  # the toggle's key: the one place the mode lives in session state
PARAM = "present"  # URL parameter: "1" on, absent off
CSS = """<style>
html { font-size: 20px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p { font-size: 1.15rem; }
h1 { font-size: 3rem !important; }
</style>"""


def active() -> bool:
    """Whether presenter mode is on: pages hide advanced controls when it is."""
    return bool(st.session_state.get(KEY, False))


def toggle() -> bool:
    """The sidebar toggle (set from a fresh ``?present=`` in the URL first); injects the larger
    fonts when on and writes the mode back to the URL. Returns whether it is on."""
    on = query.toggle(PARAM, "Presenter mode", False, key=KEY, where=st.sidebar,
                      url=lambda on: 1 if on else None,  # ?present=1, absent when off
                      help="Larger fonts and charts for a projector; advanced controls hidden")
    if on:
        st.markdown(CSS, unsafe_allow_html=True)
    return on


def chart(fig: go.Figure) -> go.Figure:
    """``fig`` enlarged for the projector when presenter mode is on, else unchanged."""
    return charts.apply_presenter(fig) if active() else fig
