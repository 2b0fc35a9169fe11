"""The 2-D latent map of the Latent space page, and the helpers around it.

The map is a Plotly figure: one ``Scattergl`` trace per digit (test codes, coloured with the
colour-blind-safe palette) and an invisible dense grid over the whole plane. Streamlit forwards only
Plotly *selections*, so a click anywhere selects the nearest grid point (``hoverdistance=-1``):
that is how "click anywhere to decode" works, accurate to one grid step.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.evaluate import encode_all
from aecore.models import Autoencoder

from . import loaders
from .charts import DIGIT_COLORS

GRID_TRACE = "click grid"
YOURS_TRACE = "your digit"
CODES_KEY = "lat_user_codes"  # session memo of test codes under this session's own models


def test_codes(key: str, model: Autoencoder) -> np.ndarray:
    """Codes of all 10,000 test digits, (10000, k): cached per process for a zoo model, per
    session (by catalogue key and object id) for the user's own models."""
    src, _, name = key.partition(":")
    if src == "zoo":
        return loaders.zoo_test_codes(name)
    memo = st.session_state.setdefault(CODES_KEY, {})
    tag = (key, id(model))  # a retrained model under the same key gets new codes
    if tag not in memo:
        test = loaders.mnist_split("test")
        y = test.labels if model.conditional else None
        memo.clear()  # keep one model's codes: bounded memory per session
        memo[tag] = encode_all(model, test.float_images(), y).numpy()
    return memo[tag]


def latent_map(codes: np.ndarray, labels: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               yours: tuple[float, float] | None = None, grid_n: int = 70,
               height: int = 560) -> go.Figure:
    """The test set on the 2-D latent plane, one trace per digit, plus the invisible click grid
    over [lo, hi] (which is also the axis range) and the user's digit as a star.

    The grid's markers are transparent until selected: the clicked grid point shows as a black
    ring at once, in the browser, before the app has rerun.
    """
    fig = go.Figure()
    codes = np.asarray(codes, dtype=np.float32)  # float32: half the bytes sent to the browser
    keep = dict(marker=dict(opacity=0.7))  # a click must not dim the digits
    for d in range(10):
        m = labels == d
        fig.add_trace(go.Scattergl(
            x=codes[m, 0], y=codes[m, 1], mode="markers", name=str(d), legendgroup=str(d),
            marker=dict(size=4, color=DIGIT_COLORS[d], opacity=0.7), selected=keep, unselected=keep,
            hovertemplate=f"digit {d}<br>z = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid_n, dtype=np.float32),
                         np.linspace(lo[1], hi[1], grid_n, dtype=np.float32))
    fig.add_trace(go.Scattergl(
        x=gx.ravel(), y=gy.ravel(), mode="markers", name=GRID_TRACE, showlegend=False,
        marker=dict(size=16, color="rgba(0,0,0,0)", opacity=0,
                    line=dict(color="#000000", width=3)),
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0)),
        hovertemplate="z = (%{x:.2f}, %{y:.2f})<extra>click to decode</extra>"))
    if yours is not None:
        fig.add_trace(go.Scattergl(  # gl like the digits, so it is drawn on top of them
            x=[yours[0]], y=[yours[1]], mode="markers", name=YOURS_TRACE,
            marker=dict(symbol="star", size=20, color="#FFFFFF",
                        line=dict(color="#000000", width=2)),
            selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
            hovertemplate="your digit<br>z = (%{x:.2f}, %{y:.2f})<extra></extra>"))
    fig.update_xaxes(range=[float(lo[0]), float(hi[0])], title="z1", zeroline=False,
                     showgrid=False)
    fig.update_yaxes(range=[float(lo[1]), float(hi[1])], title="z2", zeroline=False,
                     showgrid=False)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
        hovermode="closest", hoverdistance=-1, dragmode=False, clickmode="event+select",
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, itemsizing="constant",
                    title="digit "), uirevision="latent-map")
    return fig


def without_grid(fig: go.Figure) -> go.Figure:
    """A copy of the map for export: the invisible click grid (4,900 points that only serve
    click-to-decode) left out."""
    out = go.Figure(fig)
    out.data = [t for t in out.data if t.name != GRID_TRACE]
    return out


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


PALETTE = np.array([_rgb(c) for c in DIGIT_COLORS], dtype=np.uint8)  # (10, 3)


def locator(codes: np.ndarray, labels: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            z: tuple[float, float], size: int = 168) -> np.ndarray:
    """A small picture of the map, (size, size, 3) uint8, with a crosshair at ``z``.

    Drawn with numpy in about a millisecond, so it can follow every slider step, where
    re-sending the interactive Plotly map would take far longer.
    """
    img = np.full((size, size, 3), 255, dtype=np.uint8)
    span = np.maximum(np.asarray(hi, float) - np.asarray(lo, float), 1e-9)

    def to_px(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        col = np.round((x - lo[0]) / span[0] * (size - 1)).astype(int)
        row = np.round((hi[1] - y) / span[1] * (size - 1)).astype(int)  # z2 grows upwards
        return col, row

    col, row = to_px(codes[:, 0], codes[:, 1])
    inside = (col >= 0) & (col < size - 1) & (row >= 0) & (row < size - 1)
    col, row, lab = col[inside], row[inside], np.asarray(labels)[inside]
    for dr in (0, 1):  # 2x2-pixel dots
        for dc in (0, 1):
            img[row + dr, col + dc] = PALETTE[lab]
    (c,), (r,) = to_px(np.array([z[0]]), np.array([z[1]]))
    c, r = int(np.clip(c, 0, size - 1)), int(np.clip(r, 0, size - 1))
    img[r, ::2] = 0  # dotted crosshair
    img[::2, c] = 0
    rr, cc = np.ogrid[:size, :size]
    ring = np.abs(np.hypot(rr - r, cc - c) - 7) < 1.3
    img[ring] = (213, 94, 0)  # vermillion ring: stands out on every digit colour
    img[[0, -1], :] = img[:, [0, -1]] = 190  # a light frame: the map's edges
    return img


def _nice_step(span: float) -> float:
    """About a hundredth of ``span``, rounded to 1, 2 or 5 times a power of ten."""
    raw = span / 100
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def slider_grid(lo: np.ndarray, hi: np.ndarray) -> tuple[float, list[float], list[float]]:
    """Step and ends of the z sliders: the map's range widened to whole steps."""
    step = _nice_step(float(min(hi - lo)))
    return (step, [round(math.floor(v / step) * step, 6) for v in lo],
            [round(math.ceil(v / step) * step, 6) for v in hi])


def selected_point(event: Any) -> tuple[float, float] | None:
    """The (x, y) of the first selected point of a Plotly chart event (a Streamlit event object
    or the plain dict a test writes), or None when nothing is selected."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):  # None, or no selection yet
        return None
    for p in points or []:
        try:
            return float(p["x"]), float(p["y"])
        except (KeyError, TypeError, ValueError):
            continue
    return None
