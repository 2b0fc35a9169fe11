"""Figures of the Text page: a rebuilt text character by character, the encoder's final state
becoming the code, a 2-D map of word codes. Pure builders: data in, Plotly figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

RIGHT_C, WRONG_C = "#009E73", "#D55E00"


def char_figure(source: str, marks: list[tuple[str, bool]]) -> go.Figure:
    """Two rows of letter tiles: what went in, and what came back (green right, orange wrong)."""
    n = max(len(source), len(marks), 1)
    fig = go.Figure()
    for row, (label, cells) in enumerate((("in", [(c, True) for c in source]), ("out", marks))):
        colors = ["#EEEEEE" if label == "in" else (RIGHT_C if ok else WRONG_C) for _, ok in cells]
        fig.add_trace(go.Scatter(
            x=list(range(len(cells))), y=[-row] * len(cells), mode="markers+text",
            marker=dict(symbol="square", size=34, color=colors), text=[c for c, _ in cells],
            textfont=dict(size=20, color="#000000" if label == "in" else "#FFFFFF"),
            hoverinfo="skip", name=label))
    fig.update_layout(height=150, margin=dict(l=60, r=10, t=10, b=10), showlegend=False,
                      xaxis=dict(visible=False, range=[-0.7, n - 0.3]),
                      yaxis=dict(tickvals=[0, -1], ticktext=["typed", "rebuilt"], range=[-1.6, 0.6]),
                      plot_bgcolor="#FFFFFF")
    return fig


def state_to_code_figure(state: np.ndarray, code: np.ndarray, cell: str,
                         both: bool = False) -> go.Figure:
    """The encoder's final state (H,) as a square heatmap, and the code (k,) it is projected to;
    ``both``: the final states of a bidirectional encoder's two directions, side by side (2H,)."""
    side = int(np.ceil(np.sqrt(state.size)))
    grid = np.full(side * side, np.nan)
    grid[: state.size] = state
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], subplot_titles=(
        f"{cell.upper()} encoder's final states, both directions: {state.size} numbers" if both
        else f"{cell.upper()} encoder's final state: {state.size} numbers",
        f"code: {code.size} numbers (a linear map of the state)"))
    fig.add_trace(go.Heatmap(z=grid.reshape(side, side), colorscale="RdBu", zmid=0,
                             showscale=False), row=1, col=1)
    fig.add_trace(go.Bar(x=list(range(code.size)), y=code, marker_color="#0072B2"), row=1, col=2)
    fig.add_annotation(x=0.46, y=0.5, xref="paper", yref="paper", text="→", showarrow=False,
                       font=dict(size=36))
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, autorange="reversed", row=1, col=1)
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), showlegend=False)
    return fig


def word_map(xy: np.ndarray, words: list[str], color: list, color_name: str) -> go.Figure:
    """Words at their 2-D code positions (N, 2), coloured by a property."""
    numeric = all(isinstance(c, (int, float)) for c in color)
    fig = go.Figure(go.Scattergl(
        x=xy[:, 0], y=xy[:, 1], mode="markers", text=words, hovertemplate="%{text}<extra></extra>",
        marker=dict(size=5, color=color if numeric else None, colorscale="Viridis",
                    showscale=numeric, colorbar=dict(title=color_name)) if numeric else dict(size=5),
    ))
    if not numeric:
        fig.data = ()
        for v in sorted(set(color)):
            idx = [i for i, c in enumerate(color) if c == v]
            fig.add_trace(go.Scattergl(x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=str(v),
                                       text=[words[i] for i in idx], marker=dict(size=5),
                                       hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"Codes of words, projected to 2-D (PCA), coloured by {color_name}",
                      xaxis_title="component 1", yaxis_title="component 2")
    return fig
