"""Downloads made on the server, offline (no kaleido, no browser round trip): PNG and animated GIF
bytes of images, and a chart as a self-contained interactive HTML file."""
from __future__ import annotations

import io
from typing import Callable

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

def png_bytes(img: np.ndarray) -> bytes:
    """A uint8 (H, W) image as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(img, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: list[np.ndarray], ms: int = 150) -> bytes:
    """uint8 (H, W) frames as a looping animated GIF, ``ms`` milliseconds per frame, played
    forth and back so the loop has no jump."""
    ims = [Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
    ims = ims + ims[-2:0:-1]
    buf = io.BytesIO()
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=ms, loop=0)
    return buf.getvalue()


def reveal_rows(grid: np.ndarray, rows: int) -> list[np.ndarray]:
    """Frames of a uint8 (H, W) grid of ``rows`` equal rows shown row by row from the top, the
    rows not yet shown black (the digits' background): ``rows`` frames, the last the whole grid."""
    grid = np.asarray(grid, np.uint8)
    cuts = np.linspace(0, grid.shape[0], rows + 1).round().astype(int)[1:]  # bottom of each row
    frames = []
    for cut in cuts:
        f = np.zeros_like(grid)
        f[:cut] = grid[:cut]
        frames.append(f)
    return frames


def _html(fig: go.Figure) -> str:
    return fig.to_html(include_plotlyjs=True, full_html=True)


def download_buttons(fig: go.Figure | Callable[[], go.Figure], name: str, key: str,
                     where=None) -> None:
    """A download of ``fig`` as a self-contained interactive HTML file (plotly.js inlined, so it
    opens offline), in ``where`` (default the main area). A PNG comes from the chart's own modebar
    ("Download plot as png"). The file (about 5 MB) is built only when the button is clicked; so
    is the figure, where ``fig`` is a function that builds it (a chart not drawn on the page)."""
    box = where if where is not None else st
    box.download_button("Download chart (HTML)",
                        lambda: _html(fig() if callable(fig) else fig), file_name=f"{name}.html",
                        mime="text/html", key=key, on_click="ignore",
                        help="An interactive copy of this chart that opens offline in any browser")
