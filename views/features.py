"""Features: how useful are the codes for classifying digits, against PCA and raw pixels?"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
import torch

from aecore import precomputed
from aecore.errors import AecoreError
from aecore.evaluate import encode_all
from aecore.features import probe_codes
from ui import charts, downloads, loaders, query
from views import specs

DEFAULTS = specs.FEATURES.defaults
N_REF, N_TEST, SWEEP = DEFAULTS["n_ref"], DEFAULTS["n_test"], DEFAULTS["sweep"]
EXTRA = ("vae_k2", "vae_k20", "dae_conv", "contractive", "stacked", "sparse_l1", "sparse_kl")


def _subsets():
    train, test = loaders.mnist_split("train"), loaders.mnist_split("test")
    return (train.float_images(slice(0, N_REF)), train.labels[:N_REF],
            test.float_images(slice(0, N_TEST)), test.labels[:N_TEST])


@st.cache_data(max_entries=32, show_spinner=False)
def model_probe(name: str) -> dict[str, float]:
    """5-NN and logistic accuracy on the codes of a shipped model (first 10k train, 2k test)."""
    shipped = precomputed.shipped_probe(name, N_REF, N_TEST)  # checked by the weights' hash
    if shipped is not None:
        return shipped
    model, _ = loaders.zoo_model(name)
    xtr, ytr, xte, yte = _subsets()
    with torch.inference_mode():
        ctr, cte = encode_all(model, xtr), encode_all(model, xte)
    return probe_codes(ctr, ytr, cte, yte)


@st.cache_data(max_entries=16, show_spinner=False)
def pca_probe(k: int) -> dict[str, float]:
    shipped = precomputed.shipped_probe(f"pca{k}", N_REF, N_TEST)
    if shipped is not None:
        return shipped
    pca = loaders.pca()
    xtr, ytr, xte, yte = _subsets()
    return probe_codes(pca.encode(xtr, k), ytr, pca.encode(xte, k), yte)


@st.cache_data(max_entries=1, show_spinner=False)
def pixel_probe() -> dict[str, float]:
    shipped = precomputed.shipped_probe("pixels", N_REF, N_TEST)
    if shipped is not None:
        return shipped
    xtr, ytr, xte, yte = _subsets()
    return probe_codes(xtr.flatten(1), ytr, xte.flatten(1), yte)


st.title("Latent codes as features")
st.markdown(
    "An autoencoder is never shown a label, yet its code often separates the digits. Here the "
    "codes are used as **features** for two simple classifiers: **5-nearest neighbours** (are "
    "codes of the same digit close together?) and **logistic regression** (are the digits "
    "linearly separable in code space?). The baselines are PCA codes of the same size k (the best "
    "linear code) and the 784 raw pixels.")
st.caption(f"For interactivity the classifiers learn from the codes of the first {N_REF:,} "
           f"training digits and are scored on the first {N_TEST:,} test digits (results are "
           "cached, so only the first visit waits). Measured here on the full sets: raw pixels "
           "with a linear classifier 92.6%; PCA codes with 5-NN 42% (k = 2), 93% (k = 10), "
           "98% (k = 32).")

ks = query.multiselect("ks", "Code sizes k (dense AEs ae_k2 ... ae_k64 against PCA)",  # ?ks=2,32
                       list(SWEEP), list(SWEEP), key="fea_ks")
extra = query.multiselect("extra", "Other shipped models to add to the table", list(EXTRA), [],
                          key="fea_extra", url=lambda v: v or None)
if not ks:
    st.warning("Choose at least one code size k.")
    st.stop()
ks = sorted(ks)

rows, ae, pc = [], {}, {}
progress = st.progress(0.0, text="Fitting classifiers on codes...")
jobs = [("ae", k) for k in ks] + [("pca", k) for k in ks] + [("px", 0)] + [("x", n) for n in extra]
try:
    for i, (kind, v) in enumerate(jobs):
        progress.progress(i / len(jobs), text=f"Fitting classifiers ({i + 1}/{len(jobs)})...")
        if kind == "ae":
            ae[v] = model_probe(SWEEP[v])
        elif kind == "pca":
            pc[v] = pca_probe(v)
        elif kind == "px":
            px = pixel_probe()
        else:
            r = model_probe(v)
            card = loaders.cards().get(v, {})
            rows.append({"features": card.get("title", v),
                         "size": card.get("config", {}).get("latent_dim"),
                         "5-NN %": round(100 * r["knn"], 1),
                         "logistic %": round(100 * r["logistic"], 1)})
except AecoreError as exc:
    st.error(f"A model could not be loaded or probed: {exc}")
    st.stop()
progress.empty()

series = {"AE codes, 5-NN": [100 * ae[k]["knn"] for k in ks],
          "AE codes, logistic": [100 * ae[k]["logistic"] for k in ks],
          "PCA codes, 5-NN": [100 * pc[k]["knn"] for k in ks],
          "PCA codes, logistic": [100 * pc[k]["logistic"] for k in ks]}
fig = charts.lines(ks, series, title="Test accuracy of classifiers on codes", xlabel="code size k",
                   ylabel="test accuracy (%)", log_x=True)
for name, dash in (("knn", "dot"), ("logistic", "dash")):
    fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[100 * px[name]] * 2, mode="lines",
                             line=dict(color="#999999", dash=dash),
                             name=f"raw pixels (784), {'5-NN' if name == 'knn' else 'logistic'}"))
fig.update_xaxes(tickvals=ks)
charts.show(fig, key="fea_chart")
downloads.download_buttons(fig, "features-accuracy-vs-k", "fea_chart_dl")

table = [{"features": f"AE code (ae_k{k})", "size": k, "5-NN %": round(100 * ae[k]["knn"], 1),
          "logistic %": round(100 * ae[k]["logistic"], 1)} for k in ks]
table += [{"features": f"PCA code", "size": k, "5-NN %": round(100 * pc[k]["knn"], 1),
           "logistic %": round(100 * pc[k]["logistic"], 1)} for k in ks]
table += [{"features": "raw pixels", "size": 784, "5-NN %": round(100 * px["knn"], 1),
           "logistic %": round(100 * px["logistic"], 1)}] + rows
st.dataframe(table, hide_index=True, key="fea_table")
st.markdown(
    "What to look for: at small k the nonlinear AE code keeps far more class information than PCA "
    "(compare the curves at k = 2); as k grows both approach the raw pixels. A linear classifier "
    "on a small AE code can beat one on all 784 pixels: the encoder has done nonlinear work.")
