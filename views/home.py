"""Home: what an autoencoder is, shown with the real shapes of a chosen model.

The default model is drawn from its preview shipped in ``pretrained/``
(:func:`aecore.shipped.shipped_preview`: its architecture, the first test digits, their
reconstructions and errors, checked against the model's file). That needs no torch, so a server
that has just started draws this page while :mod:`startup.warmup` is still importing torch. Any
other model is loaded and run, through the same :func:`aecore.precomputed.preview`.
"""
from __future__ import annotations

import streamlit as st

from aecore.data import read_labels
from aecore.shipped import shipped_preview
from startup import warmup
from ui import catalog, charts, loaders, query, widgets
from views import specs

DEFAULTS = specs.HOME.defaults

st.title("Autoencoder Explorer")
st.markdown(
    "An **autoencoder** squeezes its input through a narrow **code** and tries to rebuild it. "
    "Whatever survives the squeeze is what the network found important. Everything here runs "
    "real PyTorch models on real MNIST digits, on your machine, offline.")
key = query.model_picker("model", "Model", "home_model", catalog.is_image, f"zoo:{DEFAULTS['model']}")
if key is None:
    st.stop()
source, _, name = key.partition(":")
view = shipped_preview(name, DEFAULTS["digits"]) if source == "zoo" else None
if view is not None:
    title = loaders.cards().get(name, {}).get("title", "")
else:  # another model: loaded and run (torch imported first, by the warm-up if it runs)
    warmup.need_torch()
    from aecore.precomputed import preview

    model, card = widgets.load_or_stop(key)
    test = loaders.mnist_split("test")
    n = DEFAULTS["digits"]
    view = preview(model, test.float_images(slice(0, n)), test.labels[:n])
    title = card.get("title", "")

arch = charts.architecture(view.rows, title)  # an SVG drawing
widgets.picture(arch, f"Architecture diagram of {title or 'the model'}: "
                + ", ".join(f"{stage} {shape}" for stage, shape in view.rows)
                + "; the encoder narrows to the code, the decoder widens back to the output")
st.download_button("Download the diagram (SVG)", arch.encode(), f"architecture-{name}.svg",
                   "image/svg+xml", key="home_arch_dl", on_click="ignore")

st.subheader("Test digits and their reconstructions")
k = view.latent_dim
labels = read_labels("test")[:len(view.digits)]  # (n,): the alt texts name each digit
widgets.image_row(view.digits, [f"#{i}" for i in range(len(view.digits))],
                  alts=[f"test digit {d}, #{i}" for i, d in enumerate(labels)])
who = title if "k =" in title else f"{title or 'the model'}, k = {k}"  # "Dense AE, k = 32"
widgets.image_row(view.recon, [f"MSE {e:.4f}" for e in view.mse.tolist()],
                  alts=[f"reconstruction of test digit {d} (#{i}) by {who}, MSE {e:.4f}"
                        for i, (d, e) in enumerate(zip(labels, view.mse.tolist()))])
st.caption(f"Each digit is 784 numbers; this model's code has {k}: {784 / k:.1f}x smaller.")

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
