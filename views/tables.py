"""Tables: a one-class autoencoder flags fraud and anomalies in rows of numbers, beside the
baselines a practitioner tries first (IsolationForest, PCA reconstruction error)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aecore import tabular as tb
from aecore.errors import AecoreError
from aecore.jobs import get_manager
from ui import charts, detection, library, loaders, widgets
from views import specs

DEFAULTS = specs.TABLES.defaults

SOURCES = {"tx": "Card transactions (synthetic, 1% fraud)",
           "bc": "Breast-cancer table (scikit-learn)", "csv": "Your CSV file"}
JOBS_KEY = "tab_jobs"  # {source tag: Job} of this session's trainings
N_TOP = 10


@st.cache_data(max_entries=4, show_spinner="Generating transactions...")
def transactions_split() -> tuple[torch.Tensor, tb.Table]:
    """The normal rows the shipped model trained on, and 5,000 new payments (1% fraud) to score."""
    train = tb.transactions(20_000, 0.01, seed=0)
    return train.x[~train.labels], tb.transactions(5_000, 0.01, seed=tb.EVAL_SEED)


@st.cache_data(max_entries=8, show_spinner="Reading the file...")
def read_upload(data: bytes, name: str) -> tb.Table:
    return tb.read_csv(data, name)


@st.cache_data(max_entries=8, show_spinner="Scoring rows with the AE, IsolationForest and PCA...")
def scores_of(tag: str, _model, _train_x: torch.Tensor, _test: tb.Table) -> dict[str, np.ndarray]:
    return tb.compare(_model, _train_x, _test)


def trained_model(tag: str, train_x: torch.Tensor, columns: tuple[str, ...], dataset: str):
    """This session's AE of ``tag``'s table: a button trains it through the JobManager."""
    job = st.session_state.get(JOBS_KEY, {}).get(tag)
    c1, c2 = st.columns([1, 2])
    top = get_manager().limits.max_epochs  # the server's cap on one browser training
    epochs = c1.slider("Epochs", 1, top, min(50, top), key="tab_epochs")
    busy = job is not None and not job.finished
    if c2.button(f"Train the autoencoder on {len(train_x):,} normal rows", type="primary",
                 disabled=busy, key=f"tab_train_{tag}"):
        try:
            st.session_state.setdefault(JOBS_KEY, {})[tag] = tb.submit_table(
                get_manager(), train_x, columns, dataset, epochs, on_result=library.job_saver())
        except AecoreError as exc:
            st.error(f"The training could not start: {exc}")
            return None
        st.rerun()
    if job is None:
        st.info(f"A small dense AE ({len(columns)} columns -> 32 -> code of 8) learns the normal "
                "rows in a few seconds, in the background. It is kept in My models.")
        return None
    if not widgets.job_progress(job, "Training the table AE"):
        return None
    if job.model is None:
        st.error(f"The training did not finish: {job.error or job.status}")
        return None
    return job


def pick_source():
    """(tag, model or None, train rows, test table) of the chosen source, or st.stop()."""
    src = st.radio("Data", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="tab_src")
    if src == "tx":
        model, _ = loaders.zoo_model(DEFAULTS["model"])
        train_x, test = transactions_split()
        st.caption(f"Shipped model {DEFAULTS['model']}, trained on normal payments only. Scored: "
                   f"{len(test):,} new payments, {int(test.labels.sum())} of them fraud.")
        return f"zoo:{DEFAULTS['model']}", model, train_x, test
    if src == "bc":
        train_x, test = tb.one_class_split(tb.breast_cancer())
        st.caption(f"Trained on {len(train_x)} benign tumours; scored: the other "
                   f"{int((~test.labels).sum())} benign and all {int(test.labels.sum())} malignant.")
        job = trained_model("bc", train_x, test.columns, "breast_cancer")
        return (job.id, job.model, train_x, test) if job else ("bc", None, train_x, test)
    up = st.file_uploader("A CSV file (up to 20 MB): numeric columns are used; a 0/1 column named "
                          "label, class or fraud is the ground truth", type=["csv", "txt"],
                          key="tab_csv")
    if up is None:
        st.stop()
    try:
        table = read_upload(up.getvalue(), up.name)
        train_x, test = tb.one_class_split(table)
    except AecoreError as exc:
        st.error(f"This file cannot be used: {exc}")
        st.stop()
    st.text("Columns used: " + ", ".join(table.columns))
    for note in table.notes:
        st.warning(note)
    job = trained_model(f"csv:{hash(up.getvalue())}", train_x, table.columns, "csv")
    return (job.id, job.model, train_x, test) if job else ("csv", None, train_x, test)


def top_rows_panel(model, test: tb.Table) -> None:
    idx, share = tb.top_rows(model, test.x, N_TOP)
    truth = (["fraud" if v else "normal" for v in test.labels[idx].tolist()]
             if test.labels is not None else ["?"] * len(idx))
    kinds = [test.kinds[i] for i in idx] if test.kinds else truth
    rows = [f"row {i} ({k})" for i, k in zip(idx, kinds)]
    fig = go.Figure(go.Heatmap(z=share, x=list(test.columns), y=rows, colorscale="Reds",
                               zmin=0, zmax=1, colorbar_title="share"))
    fig.update_layout(height=60 + 28 * len(rows), margin=dict(l=10, r=10, t=40, b=10),
                      yaxis_autorange="reversed",
                      title="Which columns carry each top row's error (share of its error)")
    charts.show(fig, key="tab_top")


st.title("Tables: fraud and anomalies")
st.markdown("An autoencoder is not only for pictures. Trained on **normal rows** of a table, it "
            "learns how the columns go together; a row that breaks those relations rebuilds "
            "badly, and its reconstruction error is an anomaly score. Every column is "
            "standardised first, so the error is in standard deviations.")
tag, model, train_x, test = pick_source()
if model is None:
    st.stop()
scores = scores_of(tag, model, train_x, test)
if test.labels is None or not test.labels.any() or test.labels.all():
    st.info("This table has no 0/1 ground-truth column with both classes, so only the scores "
            "are shown.")
else:
    is_anom = test.labels.numpy()
    figs = tb.detection_figures(scores, test.labels)
    st.table({"method": [detection.METHOD_NAMES[k] for k in figs],
              "AUROC": [f"{100 * f['auroc']:.1f}%" for f in figs.values()],
              "average precision": [f"{100 * f['ap']:.1f}%" for f in figs.values()]})
    st.caption("Same training rows, same test rows, same run. IsolationForest isolates rows "
               "with extreme values in single columns; PCA is the best *linear* autoencoder "
               "with as many components as the AE's code.")
    ae = scores["ae"]
    default = float(np.quantile(ae[~is_anom], 0.99))
    detection.threshold_panel("tab_thr", ae, is_anom, default, unit="row")
    charts.show(detection.pr_figure(scores, is_anom), key="tab_pr")
top_rows_panel(model, test)
