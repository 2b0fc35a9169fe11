"""Denoise: corrupt an image of a data set (a digit, a garment, a photo patch, ...), then clean it
with a plain AE, a denoising AE and PCA, all three of that data set."""
from __future__ import annotations

import hashlib

import streamlit as st
import torch

from aecore.datasets import DataSet
from aecore.evaluate import recon_error_quantile
from aecore.precomputed import (curve_denoisers, curve_levels, curve_series, denoise_curve_of,
                                shipped_curve, zoo_name)
from aecore.metrics import PSNR_CAP_DB, mse
from aecore.noise import KINDS, LABELS, MAX_LEVEL
from aecore.stops import denoise_stops
from ui import (catalog, charts, datasets, downloads, fragments, image_input, live, loaders,
                presenter, query, recon, widgets)
from views import specs

DEFAULTS = specs.DENOISE.defaults
# the PSNR curve: shipped for the default models (pretrained/precomputed.safetensors), computed
# for any other
CURVE_SETTINGS = {"n": DEFAULTS["curve_n"], "steps": DEFAULTS["curve_steps"],
                  "seed": DEFAULTS["curve_seed"]}
CURVE_N = CURVE_SETTINGS["n"]
OOD_N = 1000  # test digits behind the "unlike the training data" threshold
OOD_Q = 0.99  # warn above the error of 99 % of real test digits
DEFAULT_LEVEL = {"gaussian": 0.5, "salt_pepper": 0.3, "masking": 0.5, "speckle": 1.0}
UNIT = {"gaussian": "standard deviation of the added noise",
        "salt_pepper": "fraction of pixels set to black or white",
        "masking": "fraction of pixels dropped to black",
        "speckle": "standard deviation of the multiplicative noise"}


def trained_on_noise(card: dict) -> bool:
    """A model that rebuilds images (any data set) and whose card says it saw noisy inputs."""
    return catalog.rebuilds(card) and card.get("train", {}).get("noise", "none") != "none"


def default_model(dataset: str, role: str) -> str:
    """The catalogue key the ``role`` ("plain" or "dae") picker starts on for ``dataset``
    (views/specs.py: MNIST's pair, then ``by_data``); "" where the zoo has none (the picker then
    starts on its first model)."""
    pair = ({"plain": DEFAULTS["plain"], "dae": DEFAULTS["dae"]} if dataset == "mnist"
            else DEFAULTS["by_data"].get(dataset, {}))
    return f"zoo:{pair[role]}" if role in pair else ""


def _curve(tags: tuple[str, str], kind: str, dataset: str, plain, dae,
           pca) -> dict[str, list[float]]:
    names = tuple(zoo_name(t) for t in tags)
    shipped = shipped_curve(*names, kind, **CURVE_SETTINGS) if None not in names else None
    if shipped is not None:  # only the declared pairs are shipped (startup/plan.py)
        return dict(zip(curve_series(plain, pca.dim), shipped))
    return denoise_curve_of(plain, dae, pca, kind, **CURVE_SETTINGS, dataset=dataset)


@st.cache_data(max_entries=32, show_spinner=f"Scoring {CURVE_N} test images at "
                                             f"{CURVE_SETTINGS['steps']} noise levels...")
def curve(tags: tuple[str, str], kind: str, dataset: str, _plain, _dae, _pca
          ) -> dict[str, list[float]]:
    """PSNR per noise level of the plain and denoising AEs (``tags``: their loaders.model_tag;
    PCA's k follows the plain AE) and PCA (``_pca``: of ``dataset``, the set both models were
    trained on), over its first test items: shipped for shipped models, else computed."""
    return _curve(tags, kind, dataset, _plain, _dae, _pca)


def _threshold(fn) -> float:
    return recon_error_quantile(fn, loaders.mnist_split("test").float_images(slice(0, OOD_N)), OOD_Q)


@st.cache_data(max_entries=32, show_spinner=False)
def threshold(tag: str, _fn) -> float:
    """The plain AE's (``tag``: its loaders.model_tag) 99th-percentile error on clean test digits."""
    return _threshold(_fn)


STOPS = 40  # the strength slider's steps: all 41 stops are computed at once, for the page
NOTE = "PSNR and SSIM are measured against the clean {item}: higher is closer."
STOPS_KEY = "den_stops"  # session memo: (what they were computed from, the stops)


def _fingerprint(fn) -> str:
    """Names a denoiser by its weights (a model's first tensor), not by the object's id."""
    model = getattr(fn, "__self__", None)
    if isinstance(model, torch.nn.Module):
        first = next(model.parameters()).detach().cpu().numpy()
        return hashlib.sha256(first.tobytes()).hexdigest()[:16]
    return ""


def _stops(digit, kind: str, seed: int, fns: dict, item: str
           ) -> tuple[list[float], list[dict], list[str]]:
    """Every stop of the strength slider (aecore.stops.denoise_stops, one batch): the level,
    the page's panels and captions at it, and their images (base64 grey, or RGB for a colour
    ``digit.image`` (1, 3, H, W); shared where equal). ``item``: the data set's word for one."""
    levels = [MAX_LEVEL[kind] * i / STOPS for i in range(STOPS + 1)]
    tag = (hashlib.sha256(digit.image.numpy().tobytes()).hexdigest(), digit.label, kind, seed,
           tuple((name, _fingerprint(fn)) for name, fn in fns.items()))
    memo = st.session_state.get(STOPS_KEY)
    if memo is not None and memo[0] == tag:
        return memo[1]
    batch = denoise_stops(digit.image, kind, levels, seed, fns)
    images = [live.gray_b64(digit.image[0])]
    pages = []
    for i, lv in enumerate(levels):
        cells = [{"title": "clean", "img": 0, "caption": digit.label}]
        said = [f"{LABELS[kind]} noise at {lv:g}"]  # read politely once a drag settles
        for name, (imgs, ps, ss) in batch.items():
            images.append(live.gray_b64(imgs[i]))
            shown = "identical" if ps[i] >= PSNR_CAP_DB else f"{ps[i]:.1f} dB"
            cells.append({"title": name, "img": len(images) - 1,
                          "caption": f"PSNR {shown}\nSSIM {ss[i]:.2f}"})
            said.append(f"{name}: PSNR {shown.replace('dB', 'decibels')}, SSIM {ss[i]:.2f}")
        pages.append({"heading": f"{LABELS[kind]} noise at {lv:g}", "note": NOTE.format(item=item),
                      "say": ". ".join(said), "rows": [{"cells": cells}]})
    st.session_state[STOPS_KEY] = (tag, (levels, pages, images))
    return levels, pages, images


@fragments.fragment
def results(digit, kind: str, seed: int, fns: dict, curve: dict[str, list[float]],
            data: DataSet) -> None:
    """The strength slider, the cleaned images of ``data`` and the PSNR curve. The panels and
    captions of every stop go to the page at once (ui/live.py): they follow the slider's thumb
    while it is dragged; its release reruns only this fragment, which moves the curve's "your
    level" line."""
    top = MAX_LEVEL[kind]
    level = query.slider("level", f"Strength: {UNIT[kind]}", 0.0, top, DEFAULT_LEVEL[kind],
                         step=top / STOPS, key=f"den_level_{kind}")  # one per kind: its own range
    index = min(STOPS, max(0, round(level / top * STOPS)))
    levels = curve_levels(kind, CURVE_SETTINGS["steps"])
    if digit is not None:
        values, pages, images = _stops(digit, kind, seed, fns, data.item)
        live.stops(f"den_live_{kind}", f"den_level_{kind}", values, pages, images,
                   shape=data.shape[1:], scale=6 if presenter.active() else 5, index=index)
    st.subheader(f"Mean PSNR over {CURVE_N} test {data.items}: {LABELS[kind]} noise")
    fig = charts.lines(levels, curve, xlabel=f"noise level ({UNIT[kind]})",
                       ylabel=f"mean PSNR against the clean {data.item} (dB)")
    fig.add_vline(x=level, line_dash="dot", line_color="#999999", annotation_text="your level")
    fig.update_layout(height=360, margin=dict(t=60),  # legend above the plot, clear of the x title
                      legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom"))
    charts.show(presenter.chart(fig), key=f"den_curve_{kind}")
    downloads.download_buttons(fig, "denoise-psnr-curve", "den_curve_dl")  # interactive, offline


def no_models(data: DataSet) -> None:
    """Say that no model of ``data`` can rebuild its items yet (a user's set name shown as
    text, never Markdown), then stop the page."""
    name = catalog.plain(data.label) if data.name.startswith("user-") else data.label
    st.info(f"No model trained on {name} yet: train one on the Train page (any image type; "
            "with a noise setting it becomes a denoising autoencoder).")
    st.stop()


st.title("Denoise")
data = datasets.picker("den_data")
item, items = data.item, data.items
st.markdown(
    f"A **denoising autoencoder** is trained on a *corrupted* {item} as input with the *clean* "
    f"{item} as target, so copying pixels is not enough: to remove noise it has to learn what "
    f"{items} look like (Vincent et al., 2008). A plain autoencoder was only ever shown clean "
    f"{items}; PCA with the same code size is the best *linear* autoencoder. Corrupt a {item} "
    "below and compare.")
st.latex(r"\mathcal{L}_{\text{DAE}} = \big\lVert x - g(f(\tilde x)) \big\rVert^2,"
         r"\qquad \tilde x = \text{noise}(x)")

rebuilds = datasets.on(data, catalog.rebuilds)  # models of this data set only
if not catalog.entries(rebuilds):
    no_models(data)
test, pca = recon.data_or_stop(data.name)  # its test split; PCA of its training split
left, right = st.columns([1, 1.2], gap="large")
with left:  # a link may pick the test item; MNIST also takes an upload or a drawing
    digit = (image_input.digit_input("den_in", link=True) if data.name == "mnist"
             else image_input.test_item("den_in", data, test, link=True))
with right:
    c1, c2 = st.columns([2, 1])
    kind = query.select("noise", "Noise", KINDS, KINDS[0], key="den_kind", where=c1,
                        format_func=LABELS.get)  # a link may set kind, seed, level and models
    # advanced control hidden on the projector: the seed stays as it is
    seed = int(query.number("seed", "Noise seed", 0, 1_000_000, 0, key="den_seed", where=c2,
                            step=1, show=not presenter.active()))
    plain_key = query.model_picker("plain", "Plain autoencoder", "den_plain", rebuilds,
                                   default_model(data.name, "plain"))
    any_model = query.checkbox("any", "Offer every image model as the denoiser", False,
                               key="den_any", show=not presenter.active(),
                               url=lambda on: True if on else None,
                               help="By default only models whose card says they were trained "
                                    "on noisy inputs.")
    noisy_trained = datasets.on(data, trained_on_noise)
    dae_filter = rebuilds if any_model or not catalog.entries(noisy_trained) else noisy_trained
    dae_key = query.model_picker("dae", "Denoising autoencoder", "den_dae", dae_filter,
                                 default_model(data.name, "dae"))

plain, plain_card = widgets.load_or_stop(plain_key)
dae, dae_card = widgets.load_or_stop(dae_key)
plain_tag, dae_tag = loaders.model_tag(plain_key, plain_card), loaders.model_tag(dae_key, dae_card)
fns = curve_denoisers(plain, dae, pca)  # named as the curve's series, for the panels

if digit is not None and digit.source != "test":  # an upload or a drawing: MNIST only
    with torch.inference_mode():
        clean = digit.image  # (1, 1, 28, 28)
        err = mse(plain.reconstruct(clean).clamp(0.0, 1.0), clean).item()
    limit = threshold(plain_tag, plain.reconstruct)
    if err > limit:
        st.warning(
            f"This digit looks unlike the MNIST training digits: the plain AE rebuilds even the "
            f"clean version with an error of {err:.4f}, worse than {OOD_Q:.0%} of real test "
            f"digits (above {limit:.4f}). An autoencoder can only rebuild what resembles its "
            "training data, so the results below may be poor. Try a bolder, centred digit that "
            "fills the square.")
results(digit, kind, seed, fns, curve((plain_tag, dae_tag), kind, data.name, plain, dae, pca),
        data)
st.caption("Where a line lies above \"noisy input\", that method removed more noise than it "
           "added blur. The denoising AE was trained for exactly this; the plain AE and PCA only "
           f"denoise as a side effect of squeezing the {item} through a small code.")
