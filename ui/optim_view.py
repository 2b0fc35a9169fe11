"""The optimiser's update rule and the learning-rate schedule, as the Train and Under-the-hood
pages show them (the rules and curves themselves are declared in :mod:`aecore.optim`)."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from aecore.config import TrainConfig, replace
from aecore.optim import OPTIMIZERS, SCHEDULES, lr_curve

from . import charts


def update_rule(optimizer: str) -> None:
    """The optimiser's words and update rule (theta the weights, eta the rate, g_t the gradient)."""
    rule = OPTIMIZERS[optimizer]
    st.markdown(f"**{rule.label}.** {rule.summary}")
    st.latex(rule.latex)


def schedule_figure(cfg: TrainConfig, total_steps: int, compare: bool = False) -> go.Figure:
    """The learning rate over ``total_steps`` steps under ``cfg.schedule`` (every schedule, the
    chosen one drawn thicker, when ``compare``)."""
    names = list(SCHEDULES) if compare else [cfg.schedule]
    series, x = {}, None
    for name in names:
        x, rates = lr_curve(replace(cfg, schedule=name), total_steps)
        series[SCHEDULES[name].label] = rates
    fig = charts.lines(x, series, title=f"Learning rate over {total_steps:,} steps",
                       xlabel="step", ylabel="learning rate")
    for tr in fig.data:
        tr.mode, tr.line.width = "lines", (4 if tr.name == SCHEDULES[cfg.schedule].label else 1.5)
    return fig
