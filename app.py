"""Autoencoder Explorer: the frame and router.

Page config once, the shared sidebar, and ``st.navigation`` over one file per page. The home page
is defined here: what an autoencoder is, shown with the real shapes of a chosen model.
"""
from __future__ import annotations

from pathlib import Path

from ui import warmup

warmup.wait()  # server.py's start-up warm-up, if it is still importing: one importer at a time

import streamlit as st  # noqa: E402
import torch  # noqa: E402

from ui import (catalog, charts, library, loaders, owner, preload, presenter,  # noqa: E402
                query, share, widgets)

# a file, not ":material/...": a Material page icon makes the browser fetch its SVG from Google
# Fonts, which an offline classroom cannot reach
ICON = str(Path(__file__).parent / "ui" / "static" / "icon.png")
st.set_page_config(page_title="Autoencoder Explorer", page_icon=ICON,
                   layout="wide")
loaders.configure_runtime()  # once per process: torch threads shared with background trainings


def home() -> None:
    st.title("Autoencoder Explorer")
    st.markdown(
        "An **autoencoder** squeezes its input through a narrow **code** and tries to rebuild it. "
        "Whatever survives the squeeze is what the network found important. Everything here runs "
        "real PyTorch models on real MNIST digits, on your machine, offline.")
    key = query.model_picker("model", "Model", "home_model", catalog.is_image, "zoo:ae_k32")
    model, card = widgets.load_or_stop(key)
    arch = charts.architecture(model.describe(), card.get("title", ""))  # an SVG drawing
    st.image(arch)
    st.download_button("Download the diagram (SVG)", arch.encode(),
                       f"architecture-{key.partition(':')[2]}.svg", "image/svg+xml",
                       key="home_arch_dl", on_click="ignore")

    test = loaders.mnist_split("test")
    idx = list(range(8))
    x = test.float_images(idx)
    y = test.labels[idx] if model.conditional else None
    with torch.inference_mode():
        rec = model.reconstruct(x, y)
    err = (rec - x).pow(2).flatten(1).mean(1)
    st.subheader("Test digits and their reconstructions")
    widgets.image_row(x, [f"#{i}" for i in idx])
    widgets.image_row(rec, [f"MSE {e:.4f}" for e in err.tolist()])
    k = model.latent_dim
    st.caption(f"Each digit is 784 numbers; this model's code has {k}: "
               f"{784 / k:.1f}x smaller.")

    st.subheader("What it learns to minimise")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Autoencoder**: reconstruction error, MSE or binary cross-entropy")
        st.latex(r"\mathcal{L}_{\text{MSE}} = \frac{1}{n}\sum_i \lVert x_i - g(f(x_i)) \rVert^2")
        st.latex(r"\mathcal{L}_{\text{BCE}} = -\sum_j x_j \log \hat x_j + (1 - x_j)\log(1 - \hat x_j)")
    with c2:
        st.markdown("**Variational autoencoder**: reconstruction plus a KL pull to the prior")
        st.latex(r"\mathcal{L} = \mathbb{E}_{q(z|x)}[-\log p(x|z)] + "
                 r"\beta\, \mathrm{KL}\big(q(z|x)\,\Vert\,\mathcal{N}(0, I)\big)")
        st.latex(r"\mathrm{KL} = -\tfrac12 \sum_{d} \big(1 + \log\sigma_d^2 - \mu_d^2 - \sigma_d^2\big)")
    st.subheader("Where next")
    st.markdown(
        "- **Reconstruct & compress**: how much of a digit survives a code of k numbers.\n"
        "- **Bottleneck sizes**: from 2 numbers to more than the image itself.\n"
        "- **Denoise**: clean up noise, even on a digit you draw or upload.\n"
        "- **Latent space**: click anywhere on the map of all 10,000 test digits.\n"
        "- **Generate**: sample new digits from a VAE.\n"
        "- **Train**: train any type yourself and watch it learn.")


PAGES = {
    "Explore": [
        st.Page(home, title="Home", icon=":material/home:", default=True, url_path="home"),
        st.Page("views/lesson.py", title="Guided lesson", icon=":material/school:"),
        st.Page("views/reconstruct.py", title="Reconstruct & compress", icon=":material/compress:"),
        st.Page("views/bottleneck.py", title="Bottleneck sizes", icon=":material/straighten:"),
        st.Page("views/denoise.py", title="Denoise", icon=":material/auto_fix_high:"),
        st.Page("views/latent.py", title="Latent space", icon=":material/scatter_plot:"),
        st.Page("views/generate.py", title="Generate (VAE)", icon=":material/casino:"),
    ],
    "Build and apply": [
        st.Page("views/train.py", title="Train", icon=":material/model_training:"),
        st.Page("views/anomaly.py", title="Anomaly detection", icon=":material/crisis_alert:"),
        st.Page("views/features.py", title="Features for a classifier",
                icon=":material/calculate:"),
        st.Page("views/types.py", title="Autoencoder types", icon=":material/category:"),
        st.Page("views/my_models.py", title="My models", icon=":material/inventory_2:"),
    ],
}

nav = st.navigation(PAGES)
query.begin()
library.store()        # once per process: the model library, and the bounded SIGTERM stop
owner.ensure_cookie()  # this browser's owner token, written into its cookie on a first visit
presenter.toggle()
catalog.open_shared_link()  # ?shared=<id>: that model read-only on every page, or a message
share_slot = share.link_slot(nav.url_path)  # filled after the page ran: its sync() sets the URL
warmup.run_started()  # the start-up warm-up's second phase steps aside while a page runs
try:
    nav.run()
    query.finish()  # not after st.stop() or st.rerun(): a cut-short run wrote only part of its state
finally:  # also after a page's st.stop(): the link to what is on screen is still wanted
    warmup.page_ran()  # the warm-up's second phase may start (the first page) or go on
    share.share_link(nav.url_path, share_slot)
    loaders.freeze_imports()  # a page's first visit imported its modules: keep GC pauses short
    preload.charts()  # plotly.js into the page while it is idle, for the first page with a chart
