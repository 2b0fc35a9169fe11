"""Autoencoder types: what each one changes (its loss) and the diagnostic that shows it.

One view per type. Each view keeps its controls in the URL (``?type=contractive&sigma=0.1``); every chart has an HTML
download beside its modebar's PNG."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aecore import features as fe
from aecore.errors import AecoreError
from aecore.evaluate import reconstruct_all
from aecore.jobs import get_manager
from aecore.metrics import mse
from aecore.precomputed import overcomplete_rows, shipped_overcomplete
from ui import charts, detection, downloads, loaders, query, widgets
from views import specs

DEFAULTS = specs.TYPES.defaults
OVERCOMPLETE_MODELS = DEFAULTS["overcomplete"]

N_DIAG = 500  # test digits behind each diagnostic
PCA_KS = [2, 4, 8, 16, 32, 64]


def _x(n: int = N_DIAG) -> torch.Tensor:
    return loaders.mnist_split("test").float_images(slice(0, n))


# undercomplete vs overcomplete

OVERCOMPLETE_WHAT = {"ae_k32": "undercomplete, k = 32",
                     "ae_overcomplete": "overcomplete k = 800, no regulariser",
                     "sparse_l1": "k = 128 with an L1 sparsity penalty",
                     "dae_conv": "trained on noisy inputs (denoising)"}


@st.cache_data(max_entries=4, show_spinner="Denoising 500 test digits with each model...")
def overcomplete_table(level: float) -> list[dict]:
    """The table at noise ``level``: shipped for every stop of the slider
    (pretrained/precomputed.safetensors), computed when the models changed."""
    n, levels = DEFAULTS["overcomplete_n"], DEFAULTS["overcomplete_levels"]
    rows = shipped_overcomplete(OVERCOMPLETE_MODELS, levels, level, n, DEFAULTS["seed"]) \
        or overcomplete_rows(
        {name: loaders.zoo_model(name)[0] for name in OVERCOMPLETE_MODELS}, level, n,
            DEFAULTS["seed"])
    return [{"model": name, "what": OVERCOMPLETE_WHAT[name], "clean MSE": round(clean, 5),
             "PSNR of noisy input (dB)": round(noisy_in, 2),
             "PSNR of its output (dB)": round(out, 2), "gain (dB)": round(out - noisy_in, 2)}
            for name, (clean, noisy_in, out) in rows.items()]


def overcomplete() -> None:
    st.latex(r"\min_{f,g}\ \lVert x - g(f(x))\rVert^2,\quad f: \mathbb{R}^{784}\to\mathbb{R}^{k},"
             r"\quad k < 784 \text{ (undercomplete) or } k \geq 784 \text{ (overcomplete)}")
    st.markdown("With a code at least as wide as the input and nothing else to stop it, an "
                "autoencoder can learn (close to) the **identity**: near-perfect reconstructions "
                "that have learned nothing about digits. The shipped `ae_overcomplete` is linear, "
                "784-800-784, so its whole map is one matrix W_dec W_enc:")
    model, _ = loaders.zoo_model("ae_overcomplete")
    w = fe.linear_map(model)
    il = fe.identity_likeness(w)
    c1, c2 = st.columns([1, 1.3])
    c1.metric("Mean diagonal / mean |off-diagonal|", f"{il['ratio']:.1f}x",
              help=f"diagonal {il['diag']:.3f}, off-diagonal {il['offdiag']:.4f}")
    fig = go.Figure(go.Heatmap(z=w[300:400, 300:400].numpy(), colorscale="RdBu", zmid=0))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10),
                      title="W_dec W_enc, pixels 300-399: a bright diagonal = copying")
    fig.update_yaxes(autorange="reversed")
    charts.show(fig, key="typ_oc_w", where=c2)  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, "overcomplete-linear-map", "typ_oc_w_dl", where=c2)
    level = query.slider("level", "Gaussian noise on the inputs (sd)", 0.1, 0.8, 0.4, step=0.1,
                         key="typ_oc_level")
    st.dataframe(overcomplete_table(level), hide_index=True, key="typ_oc_table")
    st.caption("The copier rebuilds clean digits best and keeps the noise too (little or no "
               "gain); a bottleneck, sparsity or training on noise forces it to learn digit shapes.")


# sparse

@st.cache_data(max_entries=2, show_spinner="Encoding 500 test digits...")
def sparse_stats() -> list[tuple[str, str, fe.ActivationStats]]:
    out = []
    for name, pen in (("ae_overcomplete", "none (linear code)"), ("sparse_kl", "KL, rho = 0.05"),
                      ("sparse_l1", "L1, weight 0.05")):
        model, card = loaders.zoo_model(name)
        out.append((name, pen, fe.activation_stats(model, _x())))
    return out


def sparse() -> None:
    st.latex(r"\mathcal{L} = \lVert x - \hat x\rVert^2 + \lambda \sum_j |h_j| \quad\text{or}\quad"
             r"\lVert x - \hat x\rVert^2 + \beta \sum_j \mathrm{KL}(\rho \,\Vert\, \hat\rho_j)")
    st.markdown("A sparsity penalty lets each digit switch on only a few code units. Below: every "
                "code activation over 500 test digits, for the shipped models as the penalty "
                "grows from none to L1.")
    stats = sparse_stats()
    cols = st.columns(len(stats))
    for col, (name, pen, s) in zip(cols, stats):
        col.metric(f"{name}: near-zero activations", f"{100 * s.near_zero:.0f}%",
                   help=f"penalty: {pen}; |h| below {s.tol:.3g} (5% of the largest); "
                        f"{s.dead_units} unit(s) never active")
    fig = go.Figure()
    for i, (name, pen, s) in enumerate(stats):
        v = s.values / max(np.abs(s.values).max(), 1e-12)
        fig.add_trace(go.Histogram(x=v, name=f"{name} ({pen})", histnorm="probability",
                                   nbinsx=80, opacity=0.6, marker_color=charts.DIGIT_COLORS[i + 5]))
    fig.update_layout(barmode="overlay", height=320, margin=dict(l=10, r=10, t=40, b=10),
                      title="Code activations (scaled by each model's largest)",
                      xaxis_title="activation / max |activation|", yaxis_title="fraction",
                      legend=dict(orientation="h"))
    charts.show(fig, key="typ_sp_hist")  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, "sparse-code-activations", "typ_sp_hist_dl")


# contractive

@st.cache_data(max_entries=8, show_spinner="Computing encoder Jacobians...")
def contractive_table(sigma: float) -> list[dict]:
    rows = []
    for name in ("contractive", "ae_k32"):
        model, _ = loaders.zoo_model(name)
        s = fe.code_sensitivity(model, _x(100), sigma, torch.Generator().manual_seed(0))
        rows.append({"model": name, "Jacobian norm / code spread": round(s["jacobian"], 3),
                     "code shift / code spread": round(s["shift"], 3),
                     "raw Jacobian norm": float(f"{s['jacobian_raw']:.3g}")})
    return rows


def contractive() -> None:
    st.latex(r"\mathcal{L} = \lVert x - g(f(x))\rVert^2 + \lambda \left\lVert "
             r"\frac{\partial f(x)}{\partial x}\right\rVert_F^2")
    st.markdown("The contractive AE (Rifai et al., 2011) penalises the encoder's Jacobian, so its "
                "code hardly moves when the input moves a little. Both measures are divided by "
                "the spread of the codes (RMS distance to their mean), so models with different "
                "code scales compare fairly; 100 test digits.")
    sigma = query.slider("sigma", "Input perturbation (sd of Gaussian noise)", 0.01, 0.3, 0.05,
                         step=0.01, key="typ_ct_sigma")
    rows = contractive_table(sigma)
    st.dataframe(rows, hide_index=True, key="typ_ct_table")
    fig = charts.lines([r["model"] for r in rows], {
        "Jacobian / spread": [r["Jacobian norm / code spread"] for r in rows],
        "shift / spread": [r["code shift / code spread"] for r in rows]},
        title="Lower = more contractive", ylabel="relative sensitivity")
    charts.show(fig, key="typ_ct_chart")  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, "contractive-sensitivity", "typ_ct_chart_dl")


# stacked

@st.cache_resource(max_entries=8, show_spinner=False)
def stacked_job(pretrain: int, epochs: int):
    """The stacked demo's training for these settings, queued on the app's job manager once
    and shared by every session (a class toggling the same settings waits for one run)."""
    images = loaders.mnist_split("train").images[:2000]
    return fe.submit_stacked_demo(get_manager(), images, pretrain, epochs)


def stacked() -> None:
    st.latex(r"\text{stage } s:\ \min \lVert h_{s-1} - g_s(f_s(h_{s-1}))\rVert^2"
             r"\ \ (f_1..f_{s-1}\text{ frozen}), \qquad\text{then fine-tune } g_1\circ..\circ f_1")
    st.markdown("A stacked AE is trained greedily (Bengio et al., 2007): first a shallow AE on the "
                "pixels, then one on the first layer's codes, and so on; finally the whole stack "
                "is fine-tuned end to end. Run a small one live (784-256-64-16, 2,000 digits):")
    c1, c2 = st.columns(2)
    pre = query.slider("pretrain", "Pretraining epochs per stage", 1, 3, 1, key="typ_st_pre",
                       where=c1)
    ep = query.slider("epochs", "Fine-tuning epochs", 1, 5, 2, key="typ_st_ep", where=c2)
    if not st.toggle("Run it (a few seconds to a minute on a busy CPU; cached)", key="typ_st_run"):
        return
    try:
        job = stacked_job(pre, ep)
    except AecoreError as exc:  # the queue is full, or the server is stopping
        st.error(f"The training could not start: {exc}")
        return
    if not widgets.job_progress(job, "Training the stacked AE in the background"):
        return
    hist = job.history
    if job.status == "failed" or not hist:
        st.error(f"The training did not finish: {job.error or job.status}")
        stacked_job.clear()  # the next run queues it again
        return
    fig = go.Figure()
    phases = list(dict.fromkeys(r["phase"] for r in hist))
    for i, ph in enumerate(phases):
        recs = [r for r in hist if r["phase"] == ph]
        fig.add_trace(go.Scatter(x=[r["epoch"] for r in recs], y=[r["train_loss"] for r in recs],
                                 mode="lines+markers", name=ph,
                                 line_color=charts.DIGIT_COLORS[(i + 5) % 10]))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="epoch",
                      yaxis_title="training loss of the stage", yaxis_type="log",
                      title="Layer-wise pretraining, then fine-tuning",
                      legend=dict(orientation="h"))
    charts.show(fig, key="typ_st_chart")  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, "stacked-training-loss", "typ_st_chart_dl")
    st.caption("Stage 1 rebuilds pixels (BCE); deeper stages rebuild the hidden activations "
               "below them (MSE), so their losses are on their own scales.")


# VAE

def vae() -> None:
    st.latex(r"z = \mu(x) + \sigma(x)\odot\varepsilon,\ \varepsilon\sim\mathcal{N}(0,I);\quad "
             r"\mathcal{L} = -\mathbb{E}_q[\log p(x\mid z)] + \beta\,"
             r"\mathrm{KL}\big(\mathcal{N}(\mu,\sigma^2)\,\Vert\,\mathcal{N}(0,I)\big)")
    model, _ = loaders.zoo_model("vae_k2")
    test = loaders.mnist_split("test")
    i = int(query.number("idx", "Test digit index", 0, len(test) - 1, 0, key="typ_vae_idx"))
    x = test.float_images([i])
    with torch.inference_mode():
        mu, logvar = model.encode_dist(x)
        sd = (0.5 * logvar).exp()
        z = model.reparameterize(mu.expand(12, -1), logvar.expand(12, -1),
                                 torch.Generator().manual_seed(i))
        samples = model.decode(z)
    codes = loaders.zoo_test_codes("vae_k2")[:3000]
    labels = test.labels[:3000].numpy()
    fig = go.Figure(charts.digit_traces(codes, labels, size=3, opacity=0.35, gl=True))
    t = np.linspace(0, 2 * np.pi, 100)
    m0, s0 = mu[0].numpy(), sd[0].numpy()
    for r, dash in ((1, "solid"), (2, "dash")):
        fig.add_trace(go.Scatter(x=m0[0] + r * s0[0] * np.cos(t), y=m0[1] + r * s0[1] * np.sin(t),
                                 mode="lines", line=dict(color="#D55E00", width=2, dash=dash),
                                 name=f"{r} sigma"))
    fig.add_trace(go.Scatter(x=z[:, 0].numpy(), y=z[:, 1].numpy(), mode="markers", name="z samples",
                             marker=dict(symbol="x", size=8, color="#000000")))
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="z1",
                      yaxis_title="z2", title=f"q(z|x) of test digit #{i}: mu = "
                      f"({m0[0]:.2f}, {m0[1]:.2f}), sigma = ({s0[0]:.2f}, {s0[1]:.2f})")
    c1, c2 = st.columns([1.6, 1])
    charts.show(fig, key="typ_vae_plane", where=c1)  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, f"vae-posterior-of-test-digit-{i}", "typ_vae_plane_dl", where=c1)
    with c2:
        widgets.image_row([x[0]], [f"input #{i}"], scale=4, alts=[f"test digit #{i}"])
        st.caption("Decodes of the 12 samples z = mu + sigma * eps (crosses):")
        widgets.image_row(list(samples), scale=2,
                          alts=[f"decode of sample {j + 1} of q(z|x) for test digit #{i}"
                                for j in range(len(samples))])
    kl = loaders.zoo_test_kl("vae_k20")
    kl_fig = charts.bars(kl, title=f"vae_k20: mean KL per latent dimension over the test set "
                                   f"({int((kl > 0.01).sum())} of {len(kl)} active, KL > 0.01 nats)",
                         xlabel="latent dimension", ylabel="KL (nats)")
    charts.show(kl_fig, key="typ_vae_kl")  # its modebar offers "Download plot as png"
    downloads.download_buttons(kl_fig, "vae-k20-kl-per-dimension", "typ_vae_kl_dl")


# conditional VAE

def cvae() -> None:
    st.latex(r"q(z\mid x, y),\ p(x\mid z, y):\ \text{the label } y \text{ joins encoder and decoder}")
    st.markdown("The conditional VAE is told the label, so its code z only needs the **style** "
                "(slant, thickness, width). Encode a digit with its own label, keep z, and decode "
                "it with every other label:")
    model, _ = loaders.zoo_model("cvae")
    test = loaders.mnist_split("test")
    i = int(query.number("idx", "Test digit index", 0, len(test) - 1, 0, key="typ_cvae_idx"))
    x, y = test.float_images([i]), test.labels[i:i + 1]
    with torch.inference_mode():
        z = model.encode(x, y)
        out = model.decode(z.expand(10, -1), torch.arange(10))
    widgets.image_row([x[0]], [f"input #{i} (a {int(y)})"], scale=4,
                      alts=[f"test digit {int(y)}, #{i}"])
    widgets.image_row(list(out), [f"as {d}" for d in range(10)], scale=3,
                      alts=[f"the style of test digit #{i} decoded as a {d}" for d in range(10)])


# sequence AE

def sequence() -> None:
    st.latex(r"(x_1..x_T) \xrightarrow{\text{LSTM}} z \xrightarrow{\text{LSTM}} (\hat x_1..\hat x_T),"
             r"\quad \mathcal{L} = \tfrac{1}{TC}\sum_{t,c}(x_{tc}-\hat x_{tc})^2")
    st.markdown("A recurrent encoder reads a window of sensor signals into one code; a recurrent "
                "decoder unrolls it back. Trained on normal behaviour only, it flags faults:")
    detection.sensor_demo("typ_seq", link=True)


# PCA

def pca() -> None:
    st.latex(r"\text{PCA} = \min_{W^\top W = I}\ \lVert x - \bar x - W W^\top (x - \bar x)\rVert^2"
             r"\quad\text{(a linear autoencoder with tied weights)}")
    st.markdown("A linear autoencoder trained with squared error learns the same subspace as "
                "PCA (Baldi & Hornik, 1989); the nonlinear AE at the same k can do better.")
    k = query.select_slider("k", "Code size k", PCA_KS, 8, key="typ_pca_k")
    x = _x(8)
    model, _ = loaders.zoo_model(f"ae_k{k}")
    p = loaders.pca()
    rec_pca = p.reconstruct(x, k).clamp(0, 1)
    rec_ae = reconstruct_all(model, x)
    xa = _x()
    c1, c2 = st.columns(2)
    c1.metric(f"PCA, k = {k}: test MSE", f"{mse(p.reconstruct(xa, k).clamp(0, 1), xa).mean():.4f}")
    c2.metric(f"ae_k{k}: test MSE", f"{mse(reconstruct_all(model, xa), xa).mean():.4f}")
    st.caption("Originals, PCA, and the autoencoder (500 test digits behind the MSE):")
    nums = range(len(x))
    widgets.image_row(list(x), scale=3, alts=[f"test digit, original {j + 1}" for j in nums])
    widgets.image_row(list(rec_pca), scale=3,
                      alts=[f"reconstruction by PCA, k = {k}, of original {j + 1}" for j in nums])
    widgets.image_row(list(rec_ae), scale=3,
                      alts=[f"reconstruction by ae_k{k}, k = {k}, of original {j + 1}" for j in nums])


VIEWS = {  # URL text (?type=...): (the radio's label, the view)
    "overcomplete": ("Undercomplete vs overcomplete", overcomplete),
    "sparse": ("Sparse", sparse),
    "contractive": ("Contractive", contractive),
    "stacked": ("Stacked", stacked),
    "vae": ("Variational (VAE)", vae),
    "cvae": ("Conditional VAE", cvae),
    "sequence": ("Sequence (LSTM)", sequence),
    "pca": ("PCA = linear autoencoder", pca),
}
LINKS = {name: label for name, (label, _) in VIEWS.items()}  # URL text: radio option
BY_LABEL = {label: view for label, view in VIEWS.values()}


# the page
st.title("Autoencoder types")
st.markdown("Every autoencoder squeezes an input through a code and rebuilds it. The types differ "
            "in **what stops the network from simply copying**: a narrow code, a penalty, noise, "
            "a probabilistic code, a label. Pick a type to see its loss and a measurement that "
            "makes its effect visible on the shipped models.")
choice = query.radio("type", "Type", LINKS, LINKS["overcomplete"], key="typ_choice",
                     horizontal=True)  # ?type=vae
st.subheader(choice)
try:
    BY_LABEL[choice]()
except AecoreError as exc:
    st.error(f"This view needs a shipped model that could not be loaded: {exc}")
