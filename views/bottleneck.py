"""Bottleneck sizes: the same items of a data set (digits, garments, photo patches) through codes
from 2 numbers to more than the image, against PCA at the same size."""
from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st
import torch

from aecore.datasets import DATASETS, DataSet
from aecore.errors import AecoreError
from aecore.metrics import mse
from aecore.models import Autoencoder
from aecore.noise import add_noise
from aecore.pca import pca_test_mse
from aecore.zoo import OVERCOMPLETE, zoo_sweep
from ui import catalog, charts, datasets, downloads, live, loaders, query, recon, widgets
from views import specs

DEFAULTS = specs.BOTTLENECK.defaults
NOISE_LEVEL = DEFAULTS["noise_level"]  # Gaussian sigma of the noisy-digit demo


def zoo_or_error(name: str) -> tuple[Autoencoder, dict] | None:
    """A shipped model and its card, or None after an error message in place (the page goes on)."""
    try:
        return catalog.get(f"zoo:{name}")
    except AecoreError as exc:
        st.error(f"{name} could not be loaded: {exc}")
        return None


def offered(d: DataSet) -> bool:
    """Whether the picker offers a set: MNIST, or a declared set with a zoo sweep."""
    return (d.name == "mnist" or d.name in DEFAULTS["by_data"]) and bool(
        zoo_sweep(loaders.cards(), d.name))


def closer_items(test, data: DataSet) -> list[int]:
    """The test items of the closer look: one of each class (a 0, a 1, ... a 9), or 10 spread
    over a set without classes."""
    return recon.one_per_class(test.labels, data.classes)


@st.cache_data(max_entries=4, show_spinner=False)
def closer_stops(tags: tuple[str, ...], sweep: list[tuple[str, int]], dataset: str, _test,
                 _pca) -> tuple[list[dict], list[str]]:
    """The closer look at every stop of the k slider, for the page to flip between while the
    slider is dragged (ui/live.py): the first test item of each class of ``dataset``, then its
    reconstruction by the autoencoder and by PCA at that k with their errors (ui/recon, the
    path the server took for one k). Returns (pages, images). Computed once per set of models
    (``tags``: the sweep's loaders.model_tag, card hashes included), not on every move of the
    slider."""
    test, pca = _test, _pca
    data = DATASETS[dataset]
    more = closer_items(test, data)
    xm = test.float_images(more)  # (10, C, H, W)
    images: list[str] = []
    original = live.panel_row("Original", xm, recon.item_captions(more, test.labels, dataset,
                                                                  data.classes), images)
    pages = []
    for name, k in sweep:
        try:
            model, card = catalog.get(f"zoo:{name}")
        except AecoreError as exc:  # the grid above already says so
            pages.append({"heading": f"k = {k}", "note": f"{name} could not be loaded: {exc}",
                          "rows": [original]})
            continue
        ae = recon.model_recon(model, xm, test.labels[more])
        pk = recon.pca_k(k, pca)
        lin = recon.pca_recon(pca, xm, pk)
        rows = [original] + [live.panel_row(label, r.images, r.captions(), images) for label, r
                             in ((f"Autoencoder\nk = {k}", ae), (f"PCA\nk = {pk}", lin))]
        pages.append({
            "heading": f"{card.get('title', name)}",
            "note": f"Under each reconstruction: its mean squared error per pixel against the "
                    f"original. On these {len(more)} {data.items}: autoencoder MSE {ae.mean_mse:.4f} "
                    f"({ae.mean_mse - lin.mean_mse:+.4f} vs PCA), PCA MSE {lin.mean_mse:.4f}. "
                    f"{card.get('description', '')}",
            "rows": rows})
    return pages, images


@st.cache_data(max_entries=8, show_spinner="Measuring the test error at every k...")
def server_mse(tags: tuple[str, ...], sweep: list[tuple[str, int]], dataset: str, n: int,
               _test, _pca) -> tuple[list[float | None], list[float]]:
    """Test MSE per pixel of each sweep model and of PCA at its k, both on the same ``n`` held-out
    test items of ``dataset`` (ui.recon.held_out): for sets whose figures are not shipped. A
    model that cannot be loaded gives None (the grid above says why). Keyed by the models'
    tags (card hashes included), as :func:`closer_stops`."""
    x = _test.float_images(recon.held_out(len(_test), n))  # (n, C, H, W)
    ae: list[float | None] = []
    for name, _ in sweep:
        try:
            model, _card = catalog.get(f"zoo:{name}")
        except AecoreError:
            ae.append(None)
            continue
        ae.append(recon.model_recon(model, x).mean_mse)
    return ae, pca_test_mse([k for _, k in sweep], _pca, x)


def card_figures(card: dict) -> list[tuple[str, str]]:
    """(label, value) pairs from a card for st.metric: epochs, training time, test MSE and PSNR."""
    metrics, secs = card.get("metrics", {}), card.get("train_seconds")
    return [("Epochs", str(card.get("epochs", card.get("train", {}).get("epochs", "?")))),
            ("Training time", "?" if secs is None else f"{secs:,.0f} s" if secs >= 10
             else f"{secs:.1f} s"),
            ("Test MSE", f"{metrics['mse']:.4f}" if "mse" in metrics else "?"),
            ("Test PSNR", f"{metrics['psnr']:.1f} dB" if "psnr" in metrics else "?")]


def mse_vs_k(ks: list[int], ae: list[float | None], pca: list[float],
             extra: tuple[str, int, float] | None = None) -> go.Figure:
    """Test MSE against code size (log x): the autoencoders, PCA at the same k, and optionally
    one more autoencoder as a lone marker (the overcomplete model)."""
    fig = charts.lines(ks, {"Autoencoder": ae, "PCA (same k)": pca},
                       xlabel="code size k (log scale)",
                       ylabel="test MSE per pixel", log_x=True)
    if extra is not None:
        name, k, value = extra
        fig.add_trace(go.Scatter(x=[k], y=[value], name=name, mode="markers",
                                 marker=dict(symbol="diamond", size=11, color="#009E73")))
    ticks = ks + ([extra[1]] if extra else [])
    fig.update_xaxes(tickvals=ticks, ticktext=[str(t) for t in ticks])
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(height=380, legend=dict(orientation="h", x=1, xanchor="right", y=1.02,
                                              yanchor="bottom"))
    return fig


st.title("Bottleneck sizes")
data = datasets.picker("bot_data", fits=offered)  # a link: ?data=fashion-mnist
item, items, is_mnist = data.item, data.items, data.name == "mnist"
PIXELS = math.prod(data.shape)  # numbers in one item: 784 for a digit, 3,072 for a colour patch
st.markdown(
    "The same network trained with codes of different sizes k: a tiny code keeps only the rough "
    f"shape of a {item}, a bigger one keeps more detail, and a code **bigger than the image** "
    "(overcomplete) can simply copy it.")

sweep = zoo_sweep(loaders.cards(), data.name)  # (name, k) by k, the overcomplete model last
if not sweep:
    st.warning(f"The bottleneck sweep of {data.label} (ae_k2 ... ae_k64) is not in pretrained/. "
               "Restore it with make pretrained, or train such models on the Train page.")
    st.stop()
test, pca = recon.data_or_stop(data.name)
names = None if is_mnist else data.classes  # a digit's class is its number


# the whole sweep on the same few items
st.subheader(f"The same {items} through every bottleneck")
with st.expander(f"Choose the {items}"):
    idx = widgets.digit_indices("bot_digits", 6, test.labels, mode_default="By index",
                                names=names, item=item, n_total=len(test))  # varied on first view
if not idx:
    st.warning(f"No {items} to show: pick another class or index.")
    st.stop()
x, y = test.float_images(idx), test.labels[idx]  # (B, C, H, W), (B,)
size = f"{PIXELS:,} numbers" if data.colour else f"{PIXELS:,} pixels"
rows = [(f"Original\n{size}", x, recon.item_captions(idx, test.labels, data.name, names))]
for name, k in sweep:
    loaded = zoo_or_error(name)
    if loaded is not None:
        r = recon.model_recon(loaded[0], x, y)
        rows.append((f"k = {k}\n" + (f"{recon.ratio_text(k, PIXELS)} smaller" if k < PIXELS
                                     else "bigger than the image"), r.images, r.captions()))
recon.grid("bot_grid", rows)

# test error against k
st.subheader("Test error against code size")
cards = loaders.cards()
sweep_tags = tuple(loaders.model_tag(f"zoo:{n}", cards.get(n, {})) for n, _ in sweep)
under = [(n, k) for n, k in sweep if n != OVERCOMPLETE]
ks = [k for _, k in under]
over = cards.get(OVERCOMPLETE, {}).get("metrics", {}).get("mse") if is_mnist else None
extra = None if over is None else (f"overcomplete AE (k = {sweep[-1][1]})", sweep[-1][1], over)
if ks and is_mnist:  # the cards' figures over the whole test split, PCA's shipped with it
    ae_mse, pca_mse = ([cards[n].get("metrics", {}).get("mse") for n, _ in under],
                       loaders.pca_test_mse(tuple(ks)))
    measured = (f"over the {len(test):,} test {items}. Autoencoder figures come from each "
                "model's card; PCA is measured here with the same number of components.")
elif ks:  # nothing shipped for this set: both measured here, on the same few test items
    n_test = DEFAULTS["by_data"][data.name]["n_test"]
    ae_mse, pca_mse = server_mse(sweep_tags[:len(under)], under, data.name, n_test, test, pca)
    measured = (f"over {min(n_test, len(test) - len(test) // 2):,} test {items} (spread over the "
                "second half of the test split), for the autoencoders and for PCA with the same "
                "number of components alike, measured here.")
if ks:
    fig = mse_vs_k(ks, ae_mse, pca_mse, extra)
    charts.show(fig, key="bot_mse_chart")  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, f"bottleneck-mse-vs-k{'' if is_mnist else '-' + data.name}",
                               "bot_mse_dl")
    st.caption(f"Mean squared error per pixel {measured}")

# one k, closer
st.subheader("A closer look")
options = [k for _, k in sweep]
k_default = DEFAULTS["k"] if DEFAULTS["k"] in options else options[len(options) // 2]
k = query.select_slider("k", "Code size k", options, k_default, key="bot_k")  # a link: ?k=8
name = next(n for n, kk in sweep if kk == k)
loaded = zoo_or_error(name)
# every k's rows go to the page at once: they follow the slider's thumb while it is dragged
pages, images = closer_stops(sweep_tags, sweep, data.name, test, pca)
live.stops("bot_live", "bot_k", options, pages, images, shape=data.shape[1:], scale=3,
           index=options.index(k), by_index=True)
if loaded is not None:
    model, card = loaded
    more = closer_items(test, data)  # as in closer_stops
    xm = test.float_images(more)
    ae = recon.model_recon(model, xm, test.labels[more])
    lin = recon.pca_recon(pca, xm, recon.pca_k(k, pca))
    st.markdown(f"**{card.get('title', name)}**: {card.get('description', '')}")
    here, whole = st.columns([2, 4])
    here.caption(f"On these {len(more)} {items}")
    h1, h2 = here.columns(2)
    h1.metric("Autoencoder MSE", f"{ae.mean_mse:.4f}",
              delta=f"{ae.mean_mse - lin.mean_mse:+.4f} vs PCA", delta_color="inverse")
    h2.metric("PCA MSE", f"{lin.mean_mse:.4f}")
    whole.caption(f"From the model's card: its training, and its error on all {len(test):,} "
                  f"test {items}")
    for col, (label, value) in zip(whole.columns(4), card_figures(card)):
        col.metric(label, value)

# what the overcomplete model shows
if any(n == OVERCOMPLETE for n, _ in sweep):
    st.subheader("Overcomplete: a code bigger than the image")
    k_over = sweep[-1][1]
    st.markdown(
        f"With {k_over} code numbers for 784 pixels and nothing stopping it, the network can learn "
        "to pass the input straight through: near-perfect reconstructions, yet it has learnt little "
        "about digits. Feed it a noisy digit and the noise comes through too; a narrow bottleneck "
        "has room only for digit-like shapes, so it drops much of the noise.")
    by_k = {kk: n for n, kk in sweep if n != OVERCOMPLETE}
    k_ref = 32 if 32 in by_k else max(by_k, default=None)  # the page's usual bottleneck
    pair = [(OVERCOMPLETE, k_over)] + ([(by_k[k_ref], k_ref)] if k_ref else [])
    clean = test.float_images([0])  # (1, 1, 28, 28), a 7
    noisy = add_noise(clean, "gaussian", NOISE_LEVEL, torch.Generator().manual_seed(0))
    imgs = [clean[0], noisy[0]]
    caps = ["clean", f"noisy, sigma {NOISE_LEVEL} · MSE {float(mse(noisy, clean)[0]):.4f}"]
    for n, kk in pair:
        loaded = zoo_or_error(n)
        if loaded is not None:
            out = recon.model_recon(loaded[0], noisy, test.labels[:1], target=clean)
            imgs.append(out.images[0])
            caps.append(f"k = {kk} output · MSE {out.mse[0]:.4f}")
    widgets.image_row(imgs, caps, alts=[f"test digit 7, {c}" for c in caps[:2]]
                      + [f"denoised by the autoencoder with {c}" for c in caps[2:]])
    st.caption("Gaussian noise with a fixed seed. Each MSE is against the clean digit: the lower, "
               "the more noise the model removed.")
