"""Anomaly detection: an autoencoder of normal data rebuilds anything else badly.

Two image settings on MNIST (all digits against out-of-distribution inputs with a shipped AE; one
digit against the nine others with a small AE trained live on that digit in the background),
three on the other declared sets (a zoo AE of the set scores its test items: one class, or another
set's items, are the anomalies; or, as on MNIST, one class is normal and a small AE trained live
on it scores the rest), and the sequence AE on sensor signals with injected faults.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aecore import anomaly as an
from aecore import precomputed
from aecore.data import load_split
from aecore.datasets import DATASETS, DataSet
from aecore.errors import AecoreError
from aecore.jobs import get_manager
from ui import (catalog, datasets, detection, image_input, library, live, loaders, query,
                widgets)
from views import specs

DEFAULTS = specs.ANOMALY.defaults
N_NORMAL, N_PER_KIND, SEED = DEFAULTS["n_normal"], DEFAULTS["n_per_kind"], DEFAULTS["seed"]
N_ONE_CLASS = 3000  # first test items scored in the one-class mode (~300 normal, ~2,700 not)
N_GALLERY = 8
TABS = {"digits": "Images", "sensors": "Sensor signals (sequence AE)"}  # URL text: tab label
JOBS_KEY = "ano_jobs"  # {(data set, normal class): Job} of this session's one-class trainings
MODES = {"all": "All digits (vs. out-of-distribution inputs)",  # URL text: radio option
         "one": "One digit (one-class MNIST)"}
BY_DATA = DEFAULTS["by_data"]  # the other sets' models, counts, default class and OOD set


def offered(d: DataSet) -> bool:
    """Whether the data-set picker offers a set: MNIST, or one declared in views/specs.py."""
    return d.name == "mnist" or d.name in BY_DATA


def as_shape(x: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """Images (B, C, H, W) in [0, 1] brought to another set's item ``shape`` (C', H', W'), so a
    model of that set can score them: grey repeated to colour or colour averaged to grey, then
    resized (bilinear; antialiased when shrinking)."""
    c, h, w = shape
    if x.shape[1] != c:
        x = x.mean(1, keepdim=True).expand(-1, c, -1, -1)  # (B, 1, H, W) -> (B, c, H, W)
    if tuple(x.shape[-2:]) != (h, w):
        x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False,
                                            antialias=h < x.shape[-2])
    return x.clamp(0.0, 1.0).contiguous()


def heat_b64(err: torch.Tensor, vmax: float) -> str:
    """An error map (…, C, H, W) in [0, vmax] as base64 of RGB uint8 heatmap pixels (black -> red ->
    yellow -> white; a colour item's channels averaged), for ``ui.live.panel_row``."""
    hw = err.detach().cpu().reshape(-1, *err.shape[-2:]).mean(0).numpy()  # (H, W)
    a = np.clip(hw / max(vmax, 1e-8), 0.0, 1.0)
    rgb = np.stack([np.clip(3 * a, 0, 1), np.clip(3 * a - 1, 0, 1), np.clip(3 * a - 2, 0, 1)], -1)
    return live.b64((rgb * 255 + 0.5).astype(np.uint8), "u1")


@st.cache_data(max_entries=16, show_spinner="Scoring test digits and generated images...")
def ood_scores(tag: str, kinds: tuple[str, ...], _model) -> dict:
    """Scores of the first N_NORMAL test digits and of N_PER_KIND images of each OOD kind, under
    the model ``tag`` names (loaders.model_tag)."""
    x = loaders.mnist_split("test").float_images(slice(0, N_NORMAL))
    ood, names = an.ood_images(N_PER_KIND, torch.Generator().manual_seed(SEED), kinds)
    images = torch.cat([x, ood])
    name = precomputed.zoo_name(tag) if tuple(kinds) == an.OOD_KINDS else None
    scores = precomputed.shipped_ood_scores(name, N_NORMAL, N_PER_KIND, SEED) if name else None
    if scores is None:  # not shipped for this model, these kinds or its current weights
        scores = an.recon_errors(_model, images)
    return {"images": images, "scores": scores.numpy().astype(np.float64),
            "is_anom": np.r_[np.zeros(N_NORMAL, bool), np.ones(len(names), bool)],
            "group": ["MNIST digit"] * N_NORMAL + names}


@st.cache_data(max_entries=10, scope="session", show_spinner="Scoring 3,000 test items...")
def one_class_scores(job_id: str, dataset: str, normal: int, _model) -> dict:
    """The first N_ONE_CLASS test items of ``dataset`` scored by the one-class detector of class
    ``normal`` (the job ``job_id``'s model): every other class is anomalous."""
    data, test = DATASETS[dataset], load_split("test", dataset)
    images = test.float_images(slice(0, N_ONE_CLASS))  # (N, C, H, W)
    labels = test.labels[:N_ONE_CLASS]
    group = [f"digit {int(v)}" if dataset == "mnist" else data.class_name(int(v)) for v in labels]
    return {"images": images, "scores": an.recon_errors(_model, images).numpy().astype(np.float64),
            "is_anom": an.one_class_labels(labels, normal).numpy(), "group": group,
            "unit": data.item}


@st.cache_data(max_entries=8, show_spinner="Scoring test items...")
def set_scores(tag: str, dataset: str, ood: str | None, _model) -> dict:
    """Scores of the first ``n`` test items of ``dataset`` (views/specs.py), then, with ``ood``,
    as many test items of that other set brought to ``dataset``'s shape, under the model ``tag``
    names (loaders.model_tag). ``labels``: the items' classes (-1 for the other set's)."""
    n = BY_DATA[dataset]["n"]
    data, test = DATASETS[dataset], load_split("test", dataset)
    images, labels = test.float_images(slice(0, n)), test.labels[:n].long()  # (n, C, H, W), (n,)
    group = [data.class_name(int(v)) if data.classes else data.item for v in labels]
    if ood is not None:
        other = load_split("test", ood).float_images(slice(0, n))  # (n, C', H', W')
        images = torch.cat([images, as_shape(other, data.shape)])
        labels = torch.cat([labels, torch.full((len(other),), -1)])
        group += [DATASETS[ood].item] * len(other)
    return {"images": images, "labels": labels.numpy(), "group": group,
            "scores": an.recon_errors(_model, images).numpy().astype(np.float64)}


def other_set(data: DataSet) -> tuple[dict | None, object]:
    """The image tab on a set besides MNIST: its model, what is unusual (one class, or another
    set's items), the scores and their anomaly flags; (None, model) when there is nothing to
    score."""
    spec = BY_DATA[data.name]
    ood = DATASETS[spec["ood"]]
    whats = {"class": f"One class of {data.items}",
             "one": f"Only one class is normal (one-class {data.label})",
             "ood": "Items of another data set"}
    if not data.classes:  # a photo patch's label is only its photo: no class to hold out
        whats.pop("class")
        whats.pop("one")
    what = query.radio("unusual", "What is unusual?", whats, next(iter(whats.values())),
                       key=f"ano_what_{data.name}", horizontal=True)
    if what == whats.get("one"):  # a detector trained here, on the normal class alone
        return one_class_mode(data)
    key = query.model_picker("model", f"Model of normal {data.items}", f"ano_model_{data.name}",
                             datasets.on(data, catalog.rebuilds), f"zoo:{spec['model']}")
    if key is None:
        st.info(f"No model trained on {data.label} yet: train one on the Train page.")
        return None, None
    model, card = widgets.load_or_stop(key)
    tag = loaders.model_tag(key, card)
    if what == whats.get("class"):
        cls = int(query.select("odd_class", f"Unusual {data.item} class", list(range(len(data.classes))),
                               spec.get("class", 0), key=f"ano_cls_{data.name}",
                               format_func=data.class_name))
        res = set_scores(tag, data.name, None, model)
        res = {**res, "is_anom": res["labels"] == cls, "unit": data.item}
        st.caption(f"Scored: the first {len(res['labels']):,} test {data.items}; the "
                   f"{int(res['is_anom'].sum())} of class {data.class_name(cls)} count as anomalous, "
                   "the rest as normal. The zoo model saw every class in training, so this shows "
                   f"which {data.items} it rebuilds worse than the others; a model trained without "
                   "the class separates it further.")
    else:
        res = set_scores(tag, data.name, ood.name, model)
        res = {**res, "is_anom": res["labels"] < 0, "unit": "item"}
        n = int((~res["is_anom"]).sum())
        st.caption(f"Normal: the first {n:,} test {data.items}; anomalies: "
                   f"{int(res['is_anom'].sum()):,} test {ood.items} of {ood.label}, brought to "
                   f"{data.shape[0]}x{data.shape[1]}x{data.shape[2]}.")
    return res, model


def normal_name(data: DataSet, normal: int) -> str:
    """The normal class in words: "digit 4", "class Bag"."""
    return f"digit {normal}" if data.name == "mnist" else f"class {data.class_name(normal)}"


def start_training(data: DataSet, normal: int, epochs: int) -> None:
    split = load_split("train", data.name)
    job = an.submit_one_class(get_manager(), split.images, split.labels, normal, epochs,
                              on_result=library.job_saver(),  # kept in My models
                              dataset=data.name)
    st.session_state.setdefault(JOBS_KEY, {})[(data.name, normal)] = job


def one_class_model(data: DataSet, normal: int):
    """Train (in the background) or reuse this session's detector for class ``normal`` of
    ``data``; the job, or None while it trains (a fragment polls and reruns the page when it
    finishes)."""
    job = st.session_state.get(JOBS_KEY, {}).get((data.name, normal))
    what = normal_name(data, normal)
    c1, c2 = st.columns([1, 2])
    epochs = query.slider("epochs", "Epochs", 1, 10, 3, key="ano_epochs", where=c1)
    busy = job is not None and not job.finished
    label = "Retrain" if job is not None and job.model is not None else "Train the detector"
    n = int(load_split("train", data.name).labels.eq(normal).sum())
    if c2.button(f"{label} on the {n:,} training {data.items} of {what}", type="primary",
                 disabled=busy, key="ano_train"):
        try:
            start_training(data, normal, epochs)
        except AecoreError as exc:
            st.error(f"The training could not start: {exc}")
            return None
        st.rerun()
    if job is None:
        c, h, w = data.shape
        st.info(f"A dense AE ({c * h * w}-256-128-32) learns {what} only; a few epochs take seconds "
                "to a minute. It trains in the background, so you can keep using the app.")
        return None
    if not widgets.job_progress(job, f"Training on {what}"):
        return None
    if job.model is None:
        st.error(f"The training did not finish: {job.error or job.status}")
        return None
    st.caption(f"Detector trained on {what} only: {len(job.history)} epoch(s).")
    return job


def one_class_mode(data: DataSet) -> tuple[dict | None, object]:
    """One class normal, the others anomalous (Ruff et al., 2018): the class, the detector
    trained on it, and the scores of the first test items; (None, None) while it trains."""
    names = list(range(len(data.classes)))
    normal = int(query.select("normal", f"Normal {'digit' if data.name == 'mnist' else 'class'}",
                              names, 0, key="ano_digit" if data.name == "mnist"
                              else f"ano_normal_{data.name}", format_func=data.class_name))
    job = one_class_model(data, normal)
    if job is None:
        return None, None
    res = one_class_scores(job.id, data.name, normal, job.model)
    what = normal_name(data, normal)
    st.caption(f"Scored: the first {N_ONE_CLASS:,} test {data.items}; the "
               f"{int((~res['is_anom']).sum())} of {what} are normal, the rest anomalous (Ruff "
               "et al., 2018)." + (" `benchmarks/anomaly.py` runs this protocol for all ten digits."
                                   if data.name == "mnist" else ""))
    return res, job.model


def gallery(key: str, title: str, idx: np.ndarray, res: dict, model, thr: float,
            shape: tuple[int, int] = (28, 28)) -> None:
    """The examples ``idx`` as three rows drawn in the page (``ui.live.rows``, one element and
    no image requests): inputs, reconstructions and error maps, each example's group and score
    under its error map. ``shape``: an item's (H, W)."""
    idx = np.ascontiguousarray(idx)
    x = res["images"][torch.from_numpy(idx)]
    rec, err = an.error_maps(model, x)
    vmax = float(err.max())
    caps = [f"{res['group'][i]}: {res['scores'][i]:.4f}" + (" ⚑" if res["scores"][i] > thr else "")
            for i in idx]
    images: list[str] = []
    blank = [""] * len(idx)
    grid = [live.panel_row("Input", x, blank, images),
            live.panel_row("Reconstruction", rec, blank, images),
            live.panel_row("Error map", err, caps, images,
                           encode=lambda e: heat_b64(e, vmax))]
    live.rows(key, grid, images, heading=title, shape=shape, scale=3)


def scored_row(key: str, x: torch.Tensor, rec: torch.Tensor, err: torch.Tensor) -> None:
    """One scored image (each (1, C, H, W)) drawn in the page as a row of three (``ui.live.rows``,
    like the galleries: no image requests): input, reconstruction, error map."""
    images: list[str] = []
    vmax = float(err.max())
    row = live.panel_row("", [x[0], rec[0]], ["input", "reconstruction"], images)
    heat = live.panel_row("", [err[0]], ["error map"], images, encode=lambda e: heat_b64(e, vmax))
    live.rows(key, [{**row, "cells": row["cells"] + heat["cells"]}], images,
              shape=tuple(x.shape[-2:]), scale=4)


st.title("Anomaly detection")
st.markdown(
    "Train an autoencoder on **normal** data only. It learns to rebuild what it has seen, so a "
    "normal input comes back almost unchanged while anything unusual comes back wrong: the "
    "reconstruction error is an anomaly score. Pick a threshold and everything above it is flagged.")

# only the open tab is computed and drawn (a tab switch reruns): the sensor tab's series, its
# scores and three Plotly charts would slow every first visit (benchmarks/startup.py).
# A link that carries the sensor demo's settings opens its tab.
tab_img, tab_seq = query.tabs("tab", TABS, TABS["digits"], key="ano_tab",
                              opened_by={"sensors": detection.SENSOR_PARAMS})

with tab_img:
    if tab_img.open:
        data = datasets.picker("ano_data", fits=offered)  # a link: ?data=fashion-mnist
        st.latex(rf"\text{{score}}(x) = \frac{{1}}{{{int(np.prod(data.shape))}}}"  # 784 for a digit
                 r"\lVert x - g(f(x)) \rVert^2, \qquad \text{anomalous} \iff \text{score}(x) > \tau")
        res, model = None, None
        if data.name != "mnist":
            res, model = other_set(data)
        elif query.radio("mode", "What is normal?", MODES, MODES["all"], key="ano_mode",
                         horizontal=True) == MODES["all"]:  # a link may set the mode, the model...
            key = query.model_picker("model", "Model of normal digits", "ano_model",
                                     catalog.takes_images,
                                     f"zoo:{DEFAULTS['model']}")
            model, card = widgets.load_or_stop(key)
            kinds = query.multiselect("kinds", "Anomalies", list(an.OOD_KINDS), list(an.OOD_KINDS),
                                      key="ano_kinds")
            if not kinds:
                st.warning("Choose at least one kind of out-of-distribution input.")
            else:
                st.caption(f"Normal: the first {N_NORMAL:,} MNIST test digits; anomalies: "
                           f"{N_PER_KIND} generated images of each kind.")
                res = ood_scores(loaders.model_tag(key, card), tuple(kinds), model)
        else:
            res, model = one_class_mode(data)
        if res is not None:
            scores, is_anom = res["scores"], res["is_anom"]
            default = an.quantile_threshold(scores[~is_anom], 0.95)
            thr = detection.threshold_panel("ano_thr", scores, is_anom, default, param="thr",
                                            unit=res.get("unit", "image"))
            order = np.argsort(scores)
            hw = data.shape[1:]
            gallery("ano_most", "Most anomalous", order[::-1][:N_GALLERY], res, model, thr, hw)
            gallery("ano_least", "Least anomalous", order[:N_GALLERY], res, model, thr, hw)
            st.caption("Error map: |x - x̂| per pixel" + (" (mean over the colour channels)"
                       if data.colour else "") + ", brighter = worse. ⚑ = flagged at the "
                       "current threshold.")

            if data.name == "mnist":
                st.subheader("Score your own image")
                digit_in = image_input.digit_input("ano_in", label="Image to score", link=True)
            else:  # no upload or drawing outside MNIST (its preprocessing makes MNIST digits)
                st.subheader(f"Score one test {data.item}")
                digit_in = image_input.test_item("ano_in", data, load_split("test", data.name),
                                                 link=True)
            if digit_in is not None:
                rec, err = an.error_maps(model, digit_in.image)
                s = float(err.square().mean())
                scored_row("ano_in_row", digit_in.image, rec, err)
                pct = 100 * float((scores[~is_anom] < s).mean())
                msg = (f"Score {s:.5f}: higher than {pct:.0f}% of the normal images "
                       f"(threshold {thr:.5f}).")
                (st.warning if s > thr else st.success)(
                    ("Flagged as **anomalous**. " if s > thr else "Looks **normal**. ") + msg)

with tab_seq:
    if tab_seq.open:
        st.markdown("A sequence autoencoder (LSTM encoder and decoder) was trained on windows of "
                    "normal machine-sensor signals. Slid over a new series, it rebuilds normal "
                    "stretches well; spikes, drifts and stuck sensors leave a large error.")
        detection.sensor_demo("ano_seq", link=True)
