"""Anomaly-detection panels shared by the Anomaly page and the Types page's sequence AE view.

Pure figure builders (scores in, plotly figure out) plus :func:`threshold_panel`, the shared
"slider -> precision, recall, F1, confusion matrix, ROC" block. Keys are passed in by the page.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aecore.anomaly import SeriesScores, flagged_spans
from aecore.metrics import auroc, roc_curve, threshold_stats
from ui import charts, downloads, query

NORMAL_C, ANOM_C, THR_C = "#0072B2", "#D55E00", "#000000"
N_CANDIDATES = 201  # threshold positions on the slider: quantiles of all scores
LENGTHS = (256, 512, 1024, 2048)  # the sensor demo's series lengths


def score_histogram(scores: np.ndarray, is_anom: np.ndarray, threshold: float,
                    names: tuple[str, str] = ("normal", "anomalous")) -> go.Figure:
    """Overlaid histograms of log10 reconstruction error, normal vs anomalous, and the threshold."""
    lo = np.log10(np.maximum(scores, 1e-8))
    bins = dict(start=float(lo.min()), end=float(lo.max()) + 1e-6, size=float(np.ptp(lo) / 60 or 0.01))
    fig = go.Figure()
    for mask, name, color in ((~is_anom, names[0], NORMAL_C), (is_anom, names[1], ANOM_C)):
        fig.add_trace(go.Histogram(x=lo[mask], name=f"{name} ({int(mask.sum())})", xbins=bins,
                                   marker_color=color, opacity=0.6, histnorm="probability"))
    fig.add_vline(x=float(np.log10(max(threshold, 1e-8))), line_color=THR_C, line_dash="dash",
                  annotation_text="threshold")
    fig.update_layout(barmode="overlay", height=320, margin=dict(l=10, r=10, t=40, b=10),
                      title="Reconstruction error", xaxis_title="log10 of the MSE per pixel",
                      yaxis_title="fraction of the group",
                      legend=dict(orientation="h", y=-0.3, yanchor="top"))  # below the axis title
    return fig


def roc_figure(scores: np.ndarray, is_anom: np.ndarray, threshold: float) -> go.Figure:
    """ROC curve with its AUROC in the title and the current threshold's operating point."""
    fpr, tpr, _ = roc_curve(scores, is_anom)
    st_ = threshold_stats(scores, is_anom, threshold)
    fp_rate = st_["fp"] / max(1, st_["fp"] + st_["tn"])
    fig = go.Figure(go.Scatter(x=fpr, y=tpr, mode="lines", line_color=NORMAL_C, name="ROC"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#999999", dash="dot"),
                             name="chance"))
    fig.add_trace(go.Scatter(x=[fp_rate], y=[st_["recall"]], mode="markers", name="threshold",
                             marker=dict(color=ANOM_C, size=11)))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), showlegend=False,
                      title=f"ROC curve: AUROC = {100 * auroc(scores, is_anom):.1f}%",
                      xaxis_title="false-positive rate", yaxis_title="true-positive rate (recall)")
    return fig


def candidates(scores: np.ndarray) -> list[float]:
    """Threshold positions for the slider: quantiles 0..100% of all scores, distinct, ascending."""
    q = np.quantile(scores, np.linspace(0, 1, N_CANDIDATES))
    return sorted({float(f"{v:.6g}") for v in q})


def threshold_panel(key: str, scores: np.ndarray, is_anom: np.ndarray, default: float,
                    unit: str = "image", param: str | None = None) -> float:
    """Threshold slider, precision / recall / F1, confusion matrix, histogram and ROC; with
    ``param`` the threshold is kept in the URL under that name. Returns the chosen threshold
    (flag a score strictly above it)."""
    cands = candidates(scores)
    start = min(cands, key=lambda c: abs(c - default))
    thr = query.select_slider(param, "Threshold: flag as anomalous above this reconstruction "
                              "error", cands, start, key=key, format_func=lambda v: f"{v:.5f}")
    s = threshold_stats(scores, is_anom, thr)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Precision", f"{100 * s['precision']:.1f}%")
    c2.metric("Recall", f"{100 * s['recall']:.1f}%")
    c3.metric("F1", f"{100 * s['f1']:.1f}%")
    c4.metric("AUROC", f"{100 * auroc(scores, is_anom):.1f}%",
              help="Threshold-free: the chance that a random anomalous " + unit +
                   " scores above a random normal one.")
    left, right = st.columns(2)
    hist, roc = score_histogram(scores, is_anom, thr), roc_figure(scores, is_anom, thr)
    charts.show(hist, key=f"{key}_hist", where=left)
    downloads.download_buttons(hist, f"{key}-score-histogram", f"{key}_hist_dl", where=left)
    charts.show(roc, key=f"{key}_roc", where=right)
    downloads.download_buttons(roc, f"{key}-roc-curve", f"{key}_roc_dl", where=right)
    st.markdown("**Confusion matrix** at this threshold")
    st.table({"": ["truly normal", "truly anomalous"],
              "flagged normal": [s["tn"], s["fn"]],
              "flagged anomalous": [s["fp"], s["tp"]]})
    return thr


def series_figure(x: torch.Tensor, sc: SeriesScores, names: Sequence[str], threshold: float,
                  fault_mask: torch.Tensor) -> go.Figure:
    """Each channel with its reconstruction, the per-step error below, flagged spans shaded
    orange and the true fault spans marked grey."""
    from plotly.subplots import make_subplots

    c = x.shape[1]
    t = np.arange(x.shape[0])
    fig = make_subplots(rows=c + 1, cols=1, shared_xaxes=True, vertical_spacing=0.02,
                        subplot_titles=[*names, "reconstruction error per step"])
    for i in range(c):
        fig.add_trace(go.Scatter(x=t, y=x[:, i].numpy(), mode="lines", line=dict(color="#000000", width=1),
                                 name="signal", showlegend=i == 0), row=i + 1, col=1)
        fig.add_trace(go.Scatter(x=t, y=sc.recon[:, i].numpy(), mode="lines",
                                 line=dict(color=NORMAL_C, width=1.5), name="reconstruction",
                                 showlegend=i == 0), row=i + 1, col=1)
    fig.add_trace(go.Scatter(x=t, y=sc.step_error.numpy(), mode="lines", line_color=ANOM_C,
                             name="error"), row=c + 1, col=1)
    fig.add_hline(y=threshold, line_dash="dash", line_color=THR_C, row=c + 1, col=1)
    # the spans as full-height shapes, set once: plotly's add_vrect re-walks every shape and
    # subplot on each call (quadratic in the spans; benchmarks/startup.py's Anomaly visit)
    span = dict(type="rect", xref="x", yref="paper", y0=0, y1=1)  # x axes are shared
    shapes = [dict(span, x0=a - 0.5, x1=b - 0.5, fillcolor=ANOM_C, opacity=0.18, line_width=0)
              for a, b in flagged_spans(sc.step_error > threshold)]
    shapes += [dict(span, x0=a - 0.5, x1=b - 0.5, fillcolor="#999999", opacity=0.0,
                    line=dict(color="#555555", width=1, dash="dot"))
               for a, b in flagged_spans(fault_mask)]
    fig.layout.shapes = (*fig.layout.shapes, *shapes)
    fig.update_yaxes(type="log", row=c + 1, col=1)
    fig.update_layout(height=130 * (c + 1) + 60, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=1.04))
    return fig


# the sensor demo (anomaly page and the types page's sequence AE view)

@st.cache_data(max_entries=16, show_spinner="Scoring the sensor series...")
def _sensor_run(length: int, faults: tuple[str, ...], seed: int):
    from aecore.anomaly import series_scores
    from aecore.sensors import generate_series
    from ui import loaders

    model, _ = loaders.zoo_model("seq_lstm")
    s = generate_series(length, channels=model.cfg.channels, faults=faults, seed=seed)
    clean = generate_series(length, channels=model.cfg.channels, seed=seed + 10_000)
    return s, series_scores(model, s.x), series_scores(model, clean.x).step_error


SENSOR_PARAMS = ("faults", "length", "series_seed", "series_thr")  # sensor_demo's URL names


def sensor_demo(key: str, link: bool = False) -> None:
    """The sequence AE (shipped ``seq_lstm``) on a synthetic 4-channel series with injected
    faults: signal, reconstruction, error over time, flagged steps, threshold controls. With
    ``link`` the controls are kept in the URL (``faults``, ``length``, ``series_seed``,
    ``series_thr``)."""
    from aecore.errors import AecoreError
    from aecore.sensors import FAULT_KINDS

    c1, c2, c3 = st.columns([2, 1, 1])
    faults = query.multiselect(SENSOR_PARAMS[0] if link else None, "Faults to inject", list(FAULT_KINDS),
                               list(FAULT_KINDS), key=f"{key}_faults", where=c1,
                               help="spike: a few samples jump 5-8 sd; drift: a slow ramp to 3-5 "
                                    "sd; stuck: the sensor repeats one reading.")
    length = query.select_slider(SENSOR_PARAMS[1] if link else None, "Series length", LENGTHS, 1024,
                                 key=f"{key}_len", where=c2)
    seed = query.number(SENSOR_PARAMS[2] if link else None, "Seed", 0, 10_000, 3, step=1,
                        key=f"{key}_seed", where=c3)
    try:
        s, sc, clean_err = _sensor_run(int(length), tuple(faults), int(seed))
    except AecoreError as exc:
        st.error(f"This series cannot be scored: {exc}")
        return
    default = float(np.quantile(clean_err.numpy(), 0.99))
    st.caption(f"Default threshold: the 99th percentile of the per-step error on a fault-free series "
               f"({default:.3f}). The model was trained on normal windows only (64 steps, 4 channels).")
    err = sc.step_error.numpy().astype(np.float64)
    mask = s.fault_mask.numpy()
    if mask.all() or not mask.any():
        st.info("Add at least one fault to score detections against the ground truth." if not mask.any()
                else "Every step is faulty: there is nothing normal to compare with.")
        fig = series_figure(s.x, sc, s.channel_names, default, s.fault_mask)
        charts.show(fig, key=f"{key}_series0")  # its modebar offers "Download plot as png"
        downloads.download_buttons(fig, f"{key}-sensor-series", f"{key}_series0_dl")
        return
    thr = threshold_panel(f"{key}_thr", err, mask, default, unit="time step",
                          param=SENSOR_PARAMS[3] if link else None)
    fig = series_figure(s.x, sc, s.channel_names, thr, s.fault_mask)
    charts.show(fig, key=f"{key}_series")  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, f"{key}-sensor-series", f"{key}_series_dl")
    st.caption("Black: the signal; blue: its reconstruction; orange bands: steps flagged above the "
               "threshold; dotted boxes: where faults were really injected ("
               + ", ".join(f"{k} on {s.channel_names[ch]} at {a}-{b}" for k, ch, a, b in s.faults)
               + ").")
    sensor_code_map(key)


METHOD_C = {"ae": NORMAL_C, "isolation_forest": "#009E73", "pca": "#CC79A7"}
METHOD_NAMES = {"ae": "autoencoder", "isolation_forest": "IsolationForest", "pca": "PCA error"}


def pr_figure(scores: dict[str, np.ndarray], is_anom: np.ndarray) -> go.Figure:
    """Precision-recall curves of several scorers on the same rows, each with its average
    precision; the dotted line is chance (the share of anomalies)."""
    from aecore.metrics import average_precision, pr_curve

    fig = go.Figure()
    for name, s in scores.items():
        p, r, _ = pr_curve(s, is_anom)
        fig.add_trace(go.Scatter(x=r, y=p, mode="lines", line_color=METHOD_C.get(name),
                                 name=f"{METHOD_NAMES.get(name, name)} "
                                      f"(AP {100 * average_precision(s, is_anom):.1f}%)"))
    base = float(np.mean(is_anom))
    fig.add_hline(y=base, line=dict(color="#999999", dash="dot"), annotation_text="chance")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), title="Precision-recall",
                      xaxis_title="recall", yaxis_title="precision", yaxis_range=[0, 1.02],
                      legend=dict(orientation="h", y=-0.3, yanchor="top"))
    return fig


@st.cache_data(max_entries=2, show_spinner="Coding sensor windows...")
def _sensor_codes(n: int) -> tuple[np.ndarray, np.ndarray]:
    from aecore.pca import PCA
    from aecore.sensors import sensor_dataset
    from ui import loaders

    model, _ = loaders.zoo_model("seq_lstm")
    ds = sensor_dataset(n, window=model.cfg.seq_len, channels=model.cfg.channels,
                        fault_fraction=0.3, seed=7)
    with torch.inference_mode():
        z = model.encode(ds.x)  # (n, k): each window's code
    return PCA.fit(z).encode(z, 2).numpy(), ds.labels.numpy()


def sensor_code_map(key: str, n: int = 1500) -> None:
    """The sequence AE's codes of sensor windows as a 2-D map (PCA), faulty windows coloured:
    a time-series embedding."""
    xy, faulty = _sensor_codes(n)
    fig = go.Figure()
    for mask, name, color in ((~faulty, "normal window", NORMAL_C), (faulty, "window with a fault", ANOM_C)):
        fig.add_trace(go.Scattergl(x=xy[mask, 0], y=xy[mask, 1], mode="markers", name=name,
                                   marker=dict(size=4, color=color, opacity=0.6)))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10),
                      title="The sequence AE's codes of 64-step windows (2-D PCA of the code)",
                      xaxis_title="component 1", yaxis_title="component 2",
                      legend=dict(orientation="h", y=-0.25, yanchor="top"))
    charts.show(fig, key=f"{key}_codes")
    st.caption("Each point is one window's code: a time-series embedding. Normal windows share a "
               "region; faults the model never saw push codes elsewhere.")
