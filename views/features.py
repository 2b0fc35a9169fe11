"""Features: how useful are a data set's codes for classifying its items (digits, garments),
against PCA and raw pixels?"""
from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st
import torch

from aecore import precomputed
from aecore.data import load_split
from aecore.datasets import DataSet, card_dataset
from aecore.errors import AecoreError, DatasetError
from aecore.evaluate import encode_all
from aecore.features import probe_codes
from aecore.pca import dataset_pca
from ui import charts, datasets, downloads, loaders, query
from views import specs

DEFAULTS = specs.FEATURES.defaults
EXTRA = ("vae_k2", "vae_k20", "dae_conv", "contractive", "stacked", "sparse_l1", "sparse_kl")


def settings(dataset: str) -> dict:
    """A set's declared sweep {k: zoo model}, n_ref and n_test (views/specs.py): MNIST's at the
    top level (their probes are shipped), the others' under ``data``."""
    return DEFAULTS if dataset == "mnist" else DEFAULTS["by_data"][dataset]


def offered(d: DataSet) -> bool:
    """Whether the picker offers a set: those declared in views/specs.py."""
    return d.name == "mnist" or d.name in DEFAULTS["by_data"]


def has_train(dataset: str) -> bool:
    """Whether the set's training split is on this machine (Fashion-MNIST's is not bundled)."""
    try:
        load_split("train", dataset)
    except DatasetError:
        return False
    return True


def _subsets(dataset: str, n_ref: int, n_test: int
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_ref (n_ref, C, H, W), y_ref, x_test (n_test, C, H, W), y_test): the first training
    items the classifiers learn from and the first test items they are scored on. A set whose
    training split is missing learns from the test split's first half and is scored on its
    second half, so no item is in both."""
    test = load_split("test", dataset)
    if has_train(dataset):
        train, start = load_split("train", dataset), 0
    else:
        train, start = test, len(test) // 2
        n_ref = min(n_ref, start)
    test_idx = slice(start, min(start + n_test, len(test)))
    return (train.float_images(slice(0, n_ref)), train.labels[:n_ref],
            test.float_images(test_idx), test.labels[test_idx])


def _shipped(key: str, dataset: str, n_ref: int, n_test: int) -> dict[str, float] | None:
    # only MNIST's probes are shipped (checked by the weights' hash); other sets' are computed
    return precomputed.shipped_probe(key, n_ref, n_test) if dataset == "mnist" else None


@st.cache_data(max_entries=32, show_spinner=False)
def model_probe(name: str, dataset: str = "mnist", n_ref: int = DEFAULTS["n_ref"],
                n_test: int = DEFAULTS["n_test"]) -> dict[str, float]:
    """5-NN and logistic accuracy on the codes of a shipped model of ``dataset`` (its first
    ``n_ref`` training items, first ``n_test`` test items)."""
    shipped = _shipped(name, dataset, n_ref, n_test)
    if shipped is not None:
        return shipped
    model, _ = loaders.zoo_model(name)
    xtr, ytr, xte, yte = _subsets(dataset, n_ref, n_test)
    with torch.inference_mode():
        ctr, cte = encode_all(model, xtr), encode_all(model, xte)  # (n_ref, k), (n_test, k)
    return probe_codes(ctr, ytr, cte, yte)


@st.cache_data(max_entries=16, show_spinner=False)
def pca_probe(k: int, dataset: str = "mnist", n_ref: int = DEFAULTS["n_ref"],
              n_test: int = DEFAULTS["n_test"]) -> dict[str, float]:
    """As :func:`model_probe`, on the codes of the set's PCA with ``k`` components."""
    shipped = _shipped(f"pca{k}", dataset, n_ref, n_test)
    if shipped is not None:
        return shipped
    pca = loaders.pca() if dataset == "mnist" else dataset_pca(dataset)
    xtr, ytr, xte, yte = _subsets(dataset, n_ref, n_test)
    return probe_codes(pca.encode(xtr, k), ytr, pca.encode(xte, k), yte)


@st.cache_data(max_entries=4, show_spinner=False)
def pixel_probe(dataset: str = "mnist", n_ref: int = DEFAULTS["n_ref"],
                n_test: int = DEFAULTS["n_test"]) -> dict[str, float]:
    """As :func:`model_probe`, on the raw pixels (C * H * W numbers)."""
    shipped = _shipped("pixels", dataset, n_ref, n_test)
    if shipped is not None:
        return shipped
    xtr, ytr, xte, yte = _subsets(dataset, n_ref, n_test)
    return probe_codes(xtr.flatten(1), ytr, xte.flatten(1), yte)


def extras(data: DataSet, sweep: dict[int, str]) -> list[str]:
    """Other shipped models of the set to add to the table: MNIST's chosen few, else every zoo
    model of the set outside the sweep."""
    if data.name == "mnist":
        return list(EXTRA)
    return [n for n, c in loaders.cards().items()
            if card_dataset(c) == data.name and n not in sweep.values()]


def probe_all(data: DataSet, ks: list[int], extra: list[str], sweep: dict[int, str], n_ref: int,
              n_test: int) -> tuple[dict, dict, dict, list[dict]]:
    """Every probe the page shows, under a progress bar: (AE by k, PCA by k, raw pixels, rows
    of the extra models for the table). Raises AecoreError where a model cannot be loaded."""
    ae, pc, px, rows = {}, {}, {}, []
    progress = st.progress(0.0, text="Fitting classifiers on codes...")
    jobs = ([("ae", k) for k in ks] + [("pca", k) for k in ks] + [("px", 0)]
            + [("x", n) for n in extra])
    args = (data.name, n_ref, n_test)
    for i, (kind, v) in enumerate(jobs):
        progress.progress(i / len(jobs), text=f"Fitting classifiers ({i + 1}/{len(jobs)})...")
        if kind == "ae":
            ae[v] = model_probe(sweep[v], *args)
        elif kind == "pca":
            pc[v] = pca_probe(v, *args)
        elif kind == "px":
            px = pixel_probe(*args)
        else:
            r = model_probe(v, *args)
            card = loaders.cards().get(v, {})
            rows.append({"features": card.get("title", v),
                         "size": card.get("config", {}).get("latent_dim"),
                         "5-NN %": round(100 * r["knn"], 1),
                         "logistic %": round(100 * r["logistic"], 1)})
    progress.empty()
    return ae, pc, px, rows


st.title("Latent codes as features")
data = datasets.picker("fea_data", fits=offered)  # a link: ?data=fashion-mnist
item, items, is_mnist = data.item, data.items, data.name == "mnist"
PIXELS = math.prod(data.shape)  # raw-pixel features of one item: 784 for a digit
st.markdown(
    f"An autoencoder is never shown a label, yet its code often separates the {items}. Here the "
    "codes are used as **features** for two simple classifiers: **5-nearest neighbours** (are "
    f"codes of the same class of {item} close together?) and **logistic regression** (are the "
    f"classes linearly separable in code space?). The baselines are PCA codes of the same size "
    f"k (the best linear code) and the {PIXELS:,} raw pixels.")
if not data.classes:
    st.info(f"{data.label} have no classes (a {item}'s label says only which photo it was cut "
            "from, and the test photos are not the training ones), so there is nothing to "
            "classify here. Pick a data set with classes, such as MNIST or Fashion-MNIST.")
    st.stop()
st.caption(f"The {len(data.classes)} classes of {data.label}: "
           + ", ".join(data.class_name(c) for c in range(len(data.classes))) + ".")
SET = settings(data.name)
SWEEP, N_REF, N_TEST = SET["sweep"], SET["n_ref"], SET["n_test"]
learn_from = (f"the first {N_REF:,} training {items}" if has_train(data.name) else
              f"the first {N_REF:,} test {items} (the training split is not on this server; "
              "see docs/DATASETS.md) and are scored on the second half of the test split")
st.caption(f"For interactivity the classifiers learn from the codes of {learn_from}"
           + ("" if not has_train(data.name) else f" and are scored on the first {N_TEST:,} "
              f"test {items}") + " (results are cached, so only the first visit waits)."
           + (" Measured here on the full sets: raw pixels with a linear classifier 92.6%; PCA "
              "codes with 5-NN 42% (k = 2), 93% (k = 10), 98% (k = 32)." if is_mnist else ""))

# each set keeps its own pick of code sizes: their options differ
ks_key = "fea_ks" if is_mnist else f"fea_ks_{data.name}"
ks = query.multiselect("ks", f"Code sizes k ({', '.join(SWEEP.values())} against PCA)",  # ?ks=2,32
                       list(SWEEP), list(SWEEP), key=ks_key)
extra = query.multiselect("extra", "Other shipped models to add to the table",
                          extras(data, SWEEP), [], key="fea_extra" if is_mnist
                          else f"fea_extra_{data.name}", url=lambda v: v or None)
if not ks:
    st.warning("Choose at least one code size k.")
    st.stop()
ks = sorted(ks)

try:
    ae, pc, px, rows = probe_all(data, ks, extra, SWEEP, N_REF, N_TEST)
except AecoreError as exc:
    st.error(f"A model could not be loaded or probed: {exc}")
    st.stop()

series = {"AE codes, 5-NN": [100 * ae[k]["knn"] for k in ks],
          "AE codes, logistic": [100 * ae[k]["logistic"] for k in ks],
          "PCA codes, 5-NN": [100 * pc[k]["knn"] for k in ks],
          "PCA codes, logistic": [100 * pc[k]["logistic"] for k in ks]}
fig = charts.lines(ks, series, title=f"Test accuracy of classifiers on codes ({data.label})",
                   xlabel="code size k", ylabel="test accuracy (%)", log_x=True)
for name, dash in (("knn", "dot"), ("logistic", "dash")):
    fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[100 * px[name]] * 2, mode="lines",
                             line=dict(color="#999999", dash=dash),
                             name=f"raw pixels ({PIXELS}), "
                                  f"{'5-NN' if name == 'knn' else 'logistic'}"))
fig.update_xaxes(tickvals=ks)
charts.show(fig, key="fea_chart")
downloads.download_buttons(fig, f"features-accuracy-vs-k{'' if is_mnist else '-' + data.name}",
                           "fea_chart_dl")

table = [{"features": f"AE code ({SWEEP[k]})", "size": k, "5-NN %": round(100 * ae[k]["knn"], 1),
          "logistic %": round(100 * ae[k]["logistic"], 1)} for k in ks]
table += [{"features": "PCA code", "size": k, "5-NN %": round(100 * pc[k]["knn"], 1),
           "logistic %": round(100 * pc[k]["logistic"], 1)} for k in ks]
table += [{"features": "raw pixels", "size": PIXELS, "5-NN %": round(100 * px["knn"], 1),
           "logistic %": round(100 * px["logistic"], 1)}] + rows
st.dataframe(table, hide_index=True, key="fea_table")
st.markdown(
    "What to look for: at small k the nonlinear AE code keeps far more class information than PCA "
    "(compare the curves at k = 2); as k grows both approach the raw pixels"
    + (". A linear classifier on a small AE code can beat one on all 784 pixels: the encoder has "
       "done nonlinear work." if is_mnist else
       f", and PCA may catch up with or pass the autoencoder (these {items} are harder to tell "
       "apart than digits)."))
