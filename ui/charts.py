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


# 2-D latent maps (Latent space's download, Train's live map and its animation)

YOURS_TRACE = "your digit"


DIGITS = tuple(str(d) for d in range(10))  # MNIST's class names


def latent_map(codes: np.ndarray, labels: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               yours: tuple[float, float] | None = None, height: int = 560,
               names: tuple[str, ...] = DIGITS, item: str = "digit") -> go.Figure:
    """The test set on the 2-D latent plane as a Plotly figure (the map's download), one trace per
    class (``names``, a data set's class names) over [lo, hi], and the user's digit as a star."""
    fig = go.Figure()
    codes = np.asarray(codes, dtype=np.float32)  # float32: half the bytes of the HTML file
    fig.add_traces(digit_traces(  # classes by colour, symbol and label
        codes, labels, names, item, opacity=0.7, gl=True,
        hover="%{text}<br>z = (%{x:.2f}, %{y:.2f})<extra></extra>"))
    if yours is not None:
        fig.add_trace(go.Scattergl(  # gl like the digits, so it is drawn on top of them
            x=[yours[0]], y=[yours[1]], mode="markers", name=YOURS_TRACE,
            marker=dict(symbol="star", size=20, color="#FFFFFF",
                        line=dict(color="#000000", width=2)),
            hovertemplate="your digit<br>z = (%{x:.2f}, %{y:.2f})<extra></extra>"))
    fig.update_xaxes(range=[float(lo[0]), float(hi[0])], title="z1", zeroline=False,
                     showgrid=False)
    fig.update_yaxes(range=[float(lo[1]), float(hi[1])], title="z2", zeroline=False,
                     showgrid=False)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
        hovermode="closest", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0,
                                         itemsizing="constant", title=f"{item} "))
    return fig


def loss_figure(history: tuple[dict, ...], total: int) -> go.Figure:
    """Train and validation loss per epoch, the x axis fixed to the whole run so it fills up."""
    ep = [h["epoch"] for h in history]
    series = {"train loss": [h["train_loss"] for h in history],
              "validation loss": [None if math.isnan(h["val_loss"]) else h["val_loss"]
                                  for h in history]}
    fig = lines(ep, series, title="Loss per epoch", xlabel="epoch", ylabel="loss")
    fig.update_xaxes(range=[0.5, max(total, 1) + 0.5], dtick=max(1, total // 10))
    fig.update_layout(legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"))
    return fig


def code_ranges(codes: np.ndarray) -> tuple[list[float], list[float]]:
    """Axis ranges of 2-D codes (N, 2) holding all but the 0.5 % most extreme codes on each side (a diverged,
    non-finite code set falls back to [-1, 1])."""
    finite = codes[np.isfinite(codes).all(axis=1)]
    if len(finite) == 0:
        return [-1.0, 1.0], [-1.0, 1.0]
    lo, hi = np.percentile(finite, 0.5, axis=0), np.percentile(finite, 99.5, axis=0)
    pad = np.maximum((hi - lo) * 0.08, 1e-3)
    return [float(lo[0] - pad[0]), float(hi[0] + pad[0])], [float(lo[1] - pad[1]), float(hi[1] + pad[1])]


def _code_traces(codes: np.ndarray, labels: np.ndarray, names: tuple[str, ...] = DIGITS,
                 item: str = "digit") -> list[go.Scatter]:
    return digit_traces(codes, labels, names, item)  # classes by colour, symbol and label


def latent_animation(snapshots: tuple, labels: np.ndarray, names: tuple[str, ...] = DIGITS,
                     item: str = "digit", height: int = 520) -> go.Figure:
    """The 2-D codes of the fixed test sample after every epoch, as Plotly frames with a play
    button and an epoch slider; each frame rescales the axes to its own codes."""
    snaps = [s for s in snapshots if s.codes is not None]
    last = snaps[-1]
    xr, yr = code_ranges(last.codes)
    frames = []
    for s in snaps:
        fx, fy = code_ranges(s.codes)
        frames.append(go.Frame(data=_code_traces(s.codes.astype(np.float32), labels, names, item),
                               name=str(s.epoch), layout=go.Layout(xaxis_range=fx, yaxis_range=fy)))
    fig = go.Figure(data=_code_traces(last.codes.astype(np.float32), labels, names, item),
                    frames=frames)
    play = dict(frame=dict(duration=600, redraw=True), transition=dict(duration=300),
                fromcurrent=False, mode="immediate")
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=100), title="How the latent map formed",
        xaxis=dict(range=xr, title="z1"), yaxis=dict(range=yr, title="z2"),
        legend=dict(title=item, itemsizing="constant"),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.17, xanchor="left",
                          yanchor="top", showactive=False, buttons=[
                              dict(label="▶ Play", method="animate", args=[None, play]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                      mode="immediate")])])],
        sliders=[dict(active=len(frames) - 1, x=0.3, y=-0.1, len=0.7,
                      currentvalue=dict(prefix="after epoch ", xanchor="right", font_size=12),
                      steps=[dict(label=f.name, method="animate",
                                  args=[[f.name], dict(frame=dict(duration=0, redraw=True),
                                                       mode="immediate")]) for f in frames])])
    return fig


def latent_now(snapshot, labels: np.ndarray, names: tuple[str, ...] = DIGITS,
               item: str = "digit", height: int = 420) -> go.Figure:
    """The latest 2-D codes of the fixed test sample, one colour per class."""
    xr, yr = code_ranges(snapshot.codes)
    fig = go.Figure(_code_traces(snapshot.codes.astype(np.float32), labels, names, item))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"Latent map after epoch {snapshot.epoch}",
                      xaxis=dict(range=xr, title="z1"), yaxis=dict(range=yr, title="z2"),
                      legend=dict(title=item, itemsizing="constant"))
    return fig


# accessibility: markers that do not rely on colour, a one-line summary and a data table of a
# figure, and the one call every page draws a Plotly chart with (:func:`show`)

# one marker symbol per digit class: the classes differ by shape as well as colour
DIGIT_SYMBOLS = ("circle", "square", "diamond", "cross", "x", "triangle-up", "triangle-down",
                 "star", "hexagon", "pentagon")
MARKER_EDGE = dict(width=0.5, color="rgba(0, 0, 0, 0.55)")  # 3:1 against white for light colours
TABLE_ROWS = 40  # a data table shows at most this many points per chart


def digit_traces(codes: np.ndarray, labels: np.ndarray, names: tuple[str, ...] = DIGITS,
                 item: str = "digit", *, size: int = 4, opacity: float = 0.75, gl: bool = False,
                 hover: str = "%{text}<extra></extra>") -> list:
    """Codes (N, 2) as one marker trace per class (colour, symbol and a dark edge), plus a text
    trace that writes each class's name at its median code: ``len(names) + 1`` traces, always
    (Plotly frames need the same traces in every frame), so a class is never told by colour alone.
    A point's hover text is data (``item`` and the class name), never a template: names may be a
    user's folder names."""
    codes, labels = np.asarray(codes, dtype=np.float32), np.asarray(labels)
    scatter = go.Scattergl if gl else go.Scatter
    said = (lambda name: f"{item} {name}") if tuple(names) == DIGITS else (lambda name: name)
    n_col, n_sym = len(DIGIT_COLORS), len(DIGIT_SYMBOLS)
    out = [scatter(x=codes[labels == d, 0], y=codes[labels == d, 1], mode="markers", name=name,
                   legendgroup=str(d), text=[said(name)] * int((labels == d).sum()),
                   hovertemplate=hover,
                   marker=dict(size=size, color=DIGIT_COLORS[d % n_col],
                               symbol=DIGIT_SYMBOLS[d % n_sym], opacity=opacity,
                               line=MARKER_EDGE)) for d, name in enumerate(names)]
    present = [d for d in range(len(names)) if (labels == d).any()]
    mid = [np.median(codes[labels == d], axis=0) for d in present]  # (2,) each
    out.append(go.Scatter(x=[m[0] for m in mid], y=[m[1] for m in mid], mode="text",
                          text=[names[d] for d in present], name=f"{item} labels",
                          showlegend=False, hoverinfo="skip",
                          textfont=dict(size=16, color="#000000", family="sans-serif")))
    return out


def _num(v: float) -> str:
    return f"{v:.3g}" if isinstance(v, (int, float, np.floating, np.integer)) else str(v)


def _title(layout_part) -> str:
    t = getattr(layout_part, "title", None)
    return (getattr(t, "text", None) or "") if t is not None else ""


def _line_summary(tr, xlabel: str) -> tuple[str, str]:
    """(what the line ``tr`` does, over what: "as epoch goes from 1 to 5"), for :func:`summary`."""
    ys = [float(v) for v in tr.y if v is not None and np.isfinite(float(v))]
    xs = list(tr.x) if tr.x is not None else list(range(len(ys)))
    name = tr.name or "the value"
    if len(ys) < 2:
        return (f"{name} is {_num(ys[0])}" if ys else f"{name} has no values yet"), ""
    verb = "rises" if ys[-1] > ys[0] else "falls" if ys[-1] < ys[0] else "stays"
    over = f"as {xlabel} goes from {_num(xs[0])} to {_num(xs[-1])}" if xlabel \
        else f"over {len(ys)} points"
    return f"{name} {verb} from {_num(ys[0])} to {_num(ys[-1])}", over


def _lines_summary(lines: list[tuple[str, str]]) -> list[str]:
    # lines over the same x range say that range once, first: a reader hears each curve's start
    # and end without the axis title repeated for every one
    overs = {o for _, o in lines}
    if len(overs) == 1 and len(lines) > 1 and "" not in overs:
        return [f"{overs.pop()}, {lines[0][0]}"] + [w for w, _ in lines[1:]]
    return [f"{w} {o}".strip() for w, o in lines]


def summary(fig: go.Figure) -> str:
    """One line that says what ``fig`` shows, for a screen reader and as the chart's caption:
    each line's first and last value ("test loss falls from 0.21 to 0.09 as epoch goes from 1 to
    5"), a histogram's or bar chart's range, a scatter's classes, a heat map's size."""
    xlabel = _title(fig.layout.xaxis)
    parts, lines = [], []
    for tr in fig.data:
        kind, mode = tr.type, getattr(tr, "mode", "") or ""
        if kind in ("scatter", "scattergl") and "text" in mode and "markers" not in mode:
            continue  # labels of another trace
        if kind in ("scatter", "scattergl") and "lines" in mode:
            lines.append(_line_summary(tr, xlabel))
        elif kind in ("scatter", "scattergl"):
            n = len(tr.x if tr.x is not None else [])
            parts.append(f"{tr.name or 'points'}: {n} point{'' if n == 1 else 's'}")
        elif kind == "histogram":
            v = np.asarray([x for x in (tr.x if tr.x is not None else tr.y) if x is not None], float)
            if v.size:
                parts.append(f"{tr.name or 'values'}: {v.size} values from {_num(v.min())} to "
                             f"{_num(v.max())}, median {_num(float(np.median(v)))}")
        elif kind == "bar":
            y = np.asarray(tr.y, float)
            if y.size:
                i = int(np.argmax(np.abs(y)))
                parts.append(f"{len(y)} bars from {_num(y.min())} to {_num(y.max())}; the largest "
                             f"in size is at {_num(list(tr.x)[i] if tr.x is not None else i)}")
        elif kind == "heatmap":
            z = np.asarray(tr.z, float)
            parts.append(f"{tr.name + ': ' if tr.name else ''}a {z.shape[0]} x {z.shape[1]} heat "
                         f"map of values from {_num(np.nanmin(z))} to {_num(np.nanmax(z))}")
    parts = _lines_summary(lines) + parts
    title = _title(fig.layout)
    head = f"{title}: " if title else ""
    classes = sum(tr.type in ("scatter", "scattergl") and "markers" in (tr.mode or "")
                  and "lines" not in (tr.mode or "") and bool(tr.legendgroup)
                  for tr in fig.data)  # digit_traces' classes (not "your digit")
    if classes >= 10:
        n = sum(len(tr.x) for tr in fig.data if "markers" in (getattr(tr, "mode", "") or ""))
        return f"{head}{n} points in {classes} classes, each marked by its colour, its symbol and " \
               "its name written at the middle of its points."
    return head + ("; ".join(parts) if parts else "an empty chart") + "."


def table(fig: go.Figure) -> dict[str, list]:
    """The data behind ``fig`` as columns (for ``st.table``): lines and bars point by point
    (a shared x column, one column per trace; at most :data:`TABLE_ROWS` rows), a map of many
    points as one row per class (count and median), a histogram as its bin counts."""
    traces = [t for t in fig.data if not (t.type in ("scatter", "scattergl")
                                          and "text" in (t.mode or "") and "markers" not in (t.mode or ""))]
    xlabel = _title(fig.layout.xaxis) or "x"
    if not traces:
        return {"": []}
    if all(t.type in ("scatter", "scattergl") and "lines" not in (t.mode or "") for t in traces) \
            and sum(len(t.x) for t in traces if t.x is not None) > TABLE_ROWS:  # a map of points
        cols = {"class": [], "points": [], f"median {xlabel}": [],
                f"median {_title(fig.layout.yaxis) or 'y'}": []}
        for t in traces:
            x, y = np.asarray(t.x, float), np.asarray(t.y, float)
            for c, v in zip(cols.values(), (t.name, len(x), _num(float(np.median(x))) if len(x)
                                            else "", _num(float(np.median(y))) if len(y) else "")):
                c.append(v)
        return cols
    if traces[0].type == "histogram":
        vals = [np.asarray(t.x if t.x is not None else t.y, float) for t in traces]
        vals = [v[np.isfinite(v)] for v in vals]
        edges = np.histogram_bin_edges(np.concatenate(vals), bins=20)  # shared by every trace
        cols = {"bin": [f"{_num(a)} to {_num(b)}" for a, b in zip(edges, edges[1:])]}
        for t, v in zip(traces, vals):
            cols[t.name or f"count ({len(cols)})"] = np.histogram(v, bins=edges)[0].tolist()
        return cols
    if traces[0].type == "heatmap":
        z = np.asarray(traces[0].z, float)
        return {"": [f"row {i}" for i in range(min(len(z), TABLE_ROWS))],
                **{f"col {j}": [_num(v) for v in z[:TABLE_ROWS, j]] for j in range(min(z.shape[1], 12))}}
    rows: dict[str, dict[str, str]] = {}  # x -> {trace name: y}, over the union of the traces' x
    names = []
    for t in traces:
        name = t.name or _title(fig.layout.yaxis) or "y"
        name = name if name not in names and name != xlabel else f"{name} ({len(names) + 1})"
        names.append(name)
        xs = list(t.x) if t.x is not None else list(range(len(t.y)))
        for x, y in zip(xs, t.y):
            rows.setdefault(_num(x), {})[name] = _num(y) if y is not None else ""
    keys = list(rows)
    try:
        keys.sort(key=float)
    except ValueError:
        pass  # categories: in the order the traces give them
    keys = keys[::max(1, math.ceil(len(keys) / TABLE_ROWS))]  # every n-th point of a long series
    return {xlabel: keys, **{n: [rows[k].get(n, "") for k in keys] for n in names}}


def show(fig: go.Figure, key: str, *, where=None, summary_text: str | None = None,
         **kwargs) -> None:
    """Draw a Plotly chart the accessible way, in ``where`` (a column; default the page): the
    chart, its one-line summary (``summary_text`` or :func:`summary`) as a caption, and its data
    as a table in an expander, one click away. ``kwargs`` go to ``st.plotly_chart``."""
    import streamlit as st  # here: the figure builders above stay usable without Streamlit

    where = where or st
    where.plotly_chart(fig, key=key, **kwargs)
    where.caption(summary_text or summary(fig))
    with where.expander("Data table of this chart"):
        st.table(table(fig))
