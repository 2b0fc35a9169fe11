"""Plotly figure builders the pages share (and the architecture diagram, an SVG). Pure functions:
data in, figure out."""
from __future__ import annotations

import math
from html import escape
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

# Okabe-Ito, extended to 10 distinguishable colours: safe for the common colour-vision deficiencies
DIGIT_COLORS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
                "#CC79A7", "#999999", "#882255")


def architecture(rows: Sequence[tuple[str, str]], title: str = "") -> str:
    """Encoder -> code -> decoder as an SVG drawing: one bar per layer, its height growing with
    the log of the layer's size, the code highlighted, each bar labelled with its stage and shape.

    ``rows`` are (stage, shape) pairs from ``model.describe()``. An SVG string, not a Plotly
    figure: the Home page is the first page a browser opens, and a Plotly chart there made it
    load and run plotly.js (4.7 MB) before the page was drawn (benchmarks/startup.py).
    """
    def size(shape: str) -> float:
        nums = [int(t) for t in shape.replace("(", " ").replace(")", " ").replace("x", " ").split()
                if t.isdigit()]
        return float(np.prod(nums[:3])) if nums else 1.0

    code_i = next((i for i, (s, _) in enumerate(rows) if s in ("code", "sample z")), len(rows) // 2)
    col, top, mid = 110, 30 if title else 8, 125  # px per layer, title band, bars' centre line
    width, height = col * len(rows) + 20, mid + 120 + (30 if title else 8)
    mid += top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" font-family="sans-serif" '
           f'aria-label="{escape(title or "Model architecture")}: '
           + escape(", ".join(f"{s} {sh}" for s, sh in rows)) + '">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="10" y="20" font-size="16" fill="#31333F">{escape(title)}</text>')
    for label, x in (("encoder", (code_i - 1) / 2), ("decoder", (code_i + len(rows)) / 2)):
        out.append(f'<text x="{10 + col * (x + 0.5):.0f}" y="{top + 14}" font-size="14" '
                   f'text-anchor="middle" fill="#31333F">{label}</text>')
    for i, (stage, shape) in enumerate(rows):
        h = 90 * (0.25 + math.log10(size(shape) + 1) / 3.5)  # the Plotly version's scale
        color = "#D55E00" if i == code_i else ("#0072B2" if i < code_i else "#009E73")
        cx = 10 + col * (i + 0.5)
        out.append(f'<rect x="{cx - col * 0.3:.1f}" y="{mid - h / 2:.1f}" width="{col * 0.6:.1f}" '
                   f'height="{h:.1f}" fill="{color}" fill-opacity="0.85"/>')
        for j, (text, weight) in enumerate(((stage, "bold"), (shape, "normal"))):
            out.append(f'<text x="{cx:.1f}" y="{mid + h / 2 + 16 + 14 * j:.1f}" font-size="11" '
                       f'font-weight="{weight}" text-anchor="middle" fill="#31333F">'
                       f'{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def bars(values: Sequence[float], title: str = "", xlabel: str = "unit", ylabel: str = "value"
         ) -> go.Figure:
    """A bar chart of one vector (e.g. a latent code)."""
    fig = go.Figure(go.Bar(x=list(range(len(values))), y=list(values), marker_color="#0072B2"))
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=30, b=10), title=title,
                      xaxis_title=xlabel, yaxis_title=ylabel)
    return fig


def lines(x: Sequence[float], series: dict[str, Sequence[float]], title: str = "",
          xlabel: str = "", ylabel: str = "", log_x: bool = False, log_y: bool = False
          ) -> go.Figure:
    """Several named lines over a shared x (markers on, colour-blind-safe palette)."""
    fig = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(x), y=list(ys), name=name, mode="lines+markers",
                                 line_color=DIGIT_COLORS[(i + 5) % 10]))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), title=title,
                      xaxis_title=xlabel, yaxis_title=ylabel, legend=dict(orientation="h"))
    if log_x:
        fig.update_xaxes(type="log")
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def apply_presenter(fig: go.Figure, scale: float = 1.4) -> go.Figure:
    """``fig`` with fonts and height enlarged ``scale`` times, for a projector (presenter mode).
    Changes and returns the same figure."""
    font = fig.layout.font.size or 12
    fig.update_layout(font_size=round(font * scale), height=round((fig.layout.height or 400) * scale))
    fig.update_annotations(font_size=round(font * scale))
    return fig


# the latent map's helpers that need no Streamlit (tested on their own)

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
