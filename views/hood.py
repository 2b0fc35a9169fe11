"""Under the hood: any model as code, its weights as pictures, and the optimisers' update rules."""
from __future__ import annotations

import json

import numpy as np
import streamlit as st
import torch

from aecore import codegen, weight_pictures
from aecore.config import train_config_from_card
from aecore.data import load_split
from aecore.datasets import card_dataset
from aecore.pca import dataset_pca
from aecore.optim import OPTIMIZERS
from aecore.weights import to_bytes
from ui import charts, loaders, optim_view, query, widgets
from views import specs

DEFAULTS = specs.HOOD.defaults
TILES = DEFAULTS["tiles"]


def _test_split(card: dict):
    """The test split of the data set the model was trained on."""
    return load_split("test", card_dataset(card))


@st.cache_data(max_entries=8, show_spinner=False)
def _most_active(tag: str, _model, card: dict, n: int = DEFAULTS["activity_n"]) -> np.ndarray:
    """Indices of the first layer's units, most active first, on the first ``n`` test images of
    its data set (a dense layer's dead units keep their random start and look like noise)."""
    x = _test_split(card).float_images(slice(0, n))
    layer = weight_pictures._layers(_model)[0]
    with torch.inference_mode():
        if isinstance(layer, torch.nn.Linear):  # a conditional VAE's label inputs: zeros here
            flat = x.flatten(1)
            act = layer(torch.nn.functional.pad(flat, (0, layer.in_features - flat.shape[1])))
        else:
            act = layer(x)
    score = act.relu().flatten(2).mean(-1) if act.dim() == 4 else act.relu()
    return score.mean(0).argsort(descending=True).numpy()


def _code_tab(model, card: dict, title: str) -> None:
    if not codegen.supported(card):
        st.info("This kind of model has no code export yet.")
        return
    tcfg = train_config_from_card(card)
    text = codegen.script(model.cfg, tcfg, title=title)
    st.markdown("A self-contained PyTorch script: the same layers as the app's model, loading "
                "its weight file, reconstructing a few test images, and its training loop with "
                "the same settings. It needs only `torch`, `torchvision` and `safetensors`.")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download model.py", text, file_name="model.py", mime="text/x-python",
                       key="hood_dl_py", on_click="ignore")
    c2.download_button("Download notebook (.ipynb)",
                       lambda: json.dumps(codegen.notebook(model.cfg, tcfg, title=title)),
                       file_name="model.ipynb", mime="application/x-ipynb+json",
                       key="hood_dl_nb", on_click="ignore")
    c3.download_button("Download the weights", lambda: to_bytes(model, card),
                       file_name="model.safetensors", mime="application/octet-stream",
                       key="hood_dl_st", on_click="ignore")
    st.caption(f"{len(text.splitlines())} lines. Run: `python model.py model.safetensors`; "
               "train a fresh copy: `--train 1`.")
    st.code(text, language="python", line_numbers=True, wrap_lines=True)  # a keyboard cannot scroll a box


def _pictures(label: str, pics, order=None, scale: int = 2) -> None:
    arr, what = pics
    if order is not None:
        arr = arr[order]
    big = arr.shape[-1] <= 5  # 3x3 filters: enlarge them so a pixel can be seen
    img = weight_pictures.tile(arr, limit=TILES, scale=12 if big else scale)
    widgets.picture(img, f"{label}: {what}, as tiles of colour (blue negative, white zero, red "
                         "positive)",
                    caption=f"{label}: {what} (blue negative, white zero, red positive)")


def _weights_tab(key: str, model, card: dict) -> None:
    first = weight_pictures.first_layer(model)
    if first is None:
        st.info("This model's input is not an image (a signal over time, a word, a table row): "
                "its weights are not pictures.")
        return
    tag = loaders.model_tag(key, card)
    dense = first[0].shape[-1] > 5
    order = _most_active(tag, model, card) if dense else None
    st.markdown("**What the first layer looks for.** " + (
        "Each picture is one hidden unit's weights, one per pixel: the pattern it responds to "
        "most (its 'basis vector'). The most active units come first." if dense else
        "Each picture is one small convolution filter, slid over the image: edges and "
        "corners."))
    left, right = st.columns(2)
    with left:
        _pictures("First layer", first, order)
    with right:
        if dense:
            pca = dataset_pca(card_dataset(card))
            comps = pca.components[:TILES].reshape(-1, *model.in_shape).numpy()
            _pictures("PCA, for comparison", (comps, "the first principal components"))
        else:
            test = _test_split(card)
            i = query.number("digit", "Test image", 0, len(test) - 1, 0, key="hood_digit", step=1)
            x = test.float_images(slice(int(i), int(i) + 1))
            widgets.image_row([x[0]], [f"test image #{int(i)}"], alts=[f"test image #{int(i)}"])
            for name, maps in weight_pictures.feature_maps(model, x):
                widgets.picture(
                    weight_pictures.tile(maps[:, None], limit=TILES, scale=3, signed=False),
                    f"feature maps of {name} for test image #{int(i)}, one grey tile per filter",
                    caption=f"Feature maps, {name}: bright where the filter fired")
    st.markdown("**What the decoder's last layer paints.**")
    _pictures("Last layer", weight_pictures.last_layer(model))


def _optim_tab(card: dict) -> None:
    tcfg = train_config_from_card(card)
    st.markdown("Training moves every weight against its gradient: "
                r"$\theta := \theta - \eta\, \partial L / \partial \theta$. The optimisers "
                "differ in how they scale and smooth that step. This model was trained with "
                f"**{OPTIMIZERS[tcfg.optimizer].label}**.")
    for name in OPTIMIZERS:
        optim_view.update_rule(name)
    steps = max(1, tcfg.epochs * 100)
    charts.show(optim_view.schedule_figure(tcfg, steps, compare=True), key="hood_sched")
    st.caption("The schedules this app offers, over a run of that length; the model's own is "
               "drawn thicker.")


def _live(job) -> None:
    snaps = job.snapshots
    if not snaps or snaps[-1].filters is None:
        return
    st.subheader("Your training in progress")
    widgets.picture(snaps[-1].filters, f"first-layer weights after epoch {snaps[-1].epoch}, one "
                                       "tile per unit (blue negative, red positive)",
                    caption=f"First-layer weights after epoch {snaps[-1].epoch} "
                            f"of {job.total_epochs} (blue negative, red positive)")


st.title("Under the hood")
st.markdown("Any model here, opened up: its code to take home, what its neurons learned, and the "
            "rule that trained them.")
key = query.model_picker("model", "Model", "hood_model", None, f"zoo:{DEFAULTS['model']}")
model, card = widgets.load_or_stop(key)
title = str(card.get("title") or card.get("name") or "model")
job = st.session_state.get("trn_job")
if job is not None and not job.finished:
    st.fragment(run_every=1.0)(_live)(job)
code_tab, weights_tab, optim_tab = query.tabs(
    "tab", {"code": "The code", "weights": "Weights as pictures", "optim": "Optimisers"},
    "The code", key="hood_tab")
if code_tab.open:
    with code_tab:
        _code_tab(model, card, title)
if weights_tab.open:
    with weights_tab:
        _weights_tab(key, model, card)
if optim_tab.open:
    with optim_tab:
        _optim_tab(card)
