"""Denoise: corrupt a digit, then clean it with a plain AE, a denoising AE and PCA."""
from __future__ import annotations

import functools

import streamlit as st
import torch

from aecore.evaluate import denoise_curve, recon_error_quantile
from aecore.metrics import PSNR_CAP_DB, mse, psnr, ssim
from aecore.noise import KINDS, LABELS, MAX_LEVEL, add_noise
from ui import catalog, charts, image_input, loaders, presenter, query, share, widgets

CURVE_N = 200  # test digits behind the PSNR curve: a steady mean, well under a second on a CPU
CURVE_STEPS = 7  # levels MAX/7 .. MAX; level 0 is left out (the noisy input's PSNR is infinite)
OOD_N = 1000  # test digits behind the "unlike the training data" threshold
OOD_Q = 0.99  # warn above the error of 99 % of real test digits
DEFAULT_LEVEL = {"gaussian": 0.5, "salt_pepper": 0.3, "masking": 0.5, "speckle": 1.0}
UNIT = {"gaussian": "standard deviation of the added noise",
        "salt_pepper": "fraction of pixels set to black or white",
        "masking": "fraction of pixels dropped to black",
        "speckle": "standard deviation of the multiplicative noise"}


def trained_on_noise(card: dict) -> bool:
    return catalog.takes_images(card) and card.get("train", {}).get("noise", "none") != "none"


def _memo(shared, per_session, keys: list[str], models: list, *args):
    """Call a cached function: the app-wide cache when every model is a shipped one, else the
    session's own, keyed also by the model objects (a user id may name a newer model later)."""
    if all(k.startswith("zoo:") for k in keys):
        return shared(tuple(keys), (), *args)
    return per_session(tuple(keys), tuple(id(m) for m in models), *args)


def _curve(kind: str, fns: dict) -> dict[str, list[float]]:
    x = loaders.mnist_split("test").float_images(slice(0, CURVE_N))  # (200, 1, 28, 28)
    levels = [MAX_LEVEL[kind] * i / CURVE_STEPS for i in range(1, CURVE_STEPS + 1)]
    return denoise_curve(fns, x, kind, levels, seed=0)


@st.cache_data(max_entries=32, show_spinner="Scoring 200 test digits at 7 noise levels...")
def _curve_shared(keys: tuple, token: tuple, kind: str, _fns: dict) -> dict[str, list[float]]:
    return _curve(kind, _fns)


@st.cache_data(max_entries=8, scope="session",
               show_spinner="Scoring 200 test digits at 7 noise levels...")
def _curve_session(keys: tuple, token: tuple, kind: str, _fns: dict) -> dict[str, list[float]]:
    return _curve(kind, _fns)


def _threshold(fn) -> float:
    return recon_error_quantile(fn, loaders.mnist_split("test").float_images(slice(0, OOD_N)), OOD_Q)


@st.cache_data(max_entries=32, show_spinner=False)
def _threshold_shared(keys: tuple, token: tuple, _fn) -> float:
    return _threshold(_fn)


@st.cache_data(max_entries=8, scope="session", show_spinner=False)
def _threshold_session(keys: tuple, token: tuple, _fn) -> float:
    return _threshold(_fn)


@st.fragment
def results(digit, kind: str, seed: int, fns: dict, curve: dict[str, list[float]]) -> None:
    """The strength slider, the cleaned digits and the PSNR curve: a slider step reruns only this
    (not the page's text, pickers and model loads), which keeps a busy classroom server quick."""
    top = MAX_LEVEL[kind]
    level = query.slider("level", f"Strength: {UNIT[kind]}", 0.0, top, DEFAULT_LEVEL[kind],
                         step=top / 40, key=f"den_level_{kind}")  # one per kind: its own range
    if digit is not None:
        clean = digit.image  # (1, 1, 28, 28)
        noisy = add_noise(clean, kind, level, torch.Generator().manual_seed(seed))
        with torch.inference_mode():
            panels = {"clean": clean, "noisy input": noisy,
                      **{name: fn(noisy).clamp(0.0, 1.0) for name, fn in fns.items()}}
        st.subheader(f"{LABELS[kind]} noise at {level:g}")
        for col, (name, img) in zip(st.columns(len(panels)), panels.items()):
            with col:
                st.markdown(f"**{name}**")
                st.image(widgets.to_uint8(img[0], 5))
                if name == "clean":
                    st.caption(digit.label)
                else:
                    p, s = psnr(img, clean).item(), ssim(img, clean).item()
                    shown = "identical" if p >= PSNR_CAP_DB else f"{p:.1f} dB"
                    st.caption(f"PSNR {shown}  \nSSIM {s:.2f}")
        st.caption("PSNR and SSIM are measured against the clean digit: higher is closer.")

    st.subheader(f"Mean PSNR over {CURVE_N} test digits: {LABELS[kind]} noise")
    levels = [top * i / CURVE_STEPS for i in range(1, CURVE_STEPS + 1)]
    fig = charts.lines(levels, curve, xlabel=f"noise level ({UNIT[kind]})",
                       ylabel="mean PSNR against the clean digit (dB)")
    fig.add_vline(x=level, line_dash="dot", line_color="#999999", annotation_text="your level")
    fig.update_layout(height=360, margin=dict(t=60),  # legend above the plot, clear of the x title
                      legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom"))
    st.plotly_chart(presenter.chart(fig), key="den_curve")  # the modebar offers "Download as png"
    share.download_buttons(fig, "denoise-psnr-curve", "den_curve_dl")


st.title("Denoise")
st.markdown(
    "A **denoising autoencoder** is trained on a *corrupted* digit as input with the *clean* digit "
    "as target, so copying pixels is not enough: to remove noise it has to learn what digits look "
    "like (Vincent et al., 2008). A plain autoencoder was only ever shown clean digits; PCA with "
    "the same code size is the best *linear* autoencoder. Corrupt a digit below and compare.")
st.latex(r"\mathcal{L}_{\text{DAE}} = \big\lVert x - g(f(\tilde x)) \big\rVert^2,"
         r"\qquad \tilde x = \text{noise}(x)")

left, right = st.columns([1, 1.2], gap="large")
with left:
    digit = image_input.digit_input("den_in", link=True)  # a link may pick the test digit
with right:
    c1, c2 = st.columns([2, 1])
    kind = query.select("noise", "Noise", KINDS, KINDS[0], key="den_kind", where=c1,
                        format_func=LABELS.get)  # a link may set kind, seed, level and models
    # advanced control hidden on the projector: the seed stays as it is
    seed = int(query.number("seed", "Noise seed", 0, 1_000_000, 0, key="den_seed", where=c2,
                            step=1, show=not presenter.active()))
    plain_key = query.model_picker("plain", "Plain autoencoder", "den_plain",
                                   catalog.takes_images, "zoo:ae_k32")
    any_model = query.checkbox("any", "Offer every image model as the denoiser", False,
                               key="den_any", show=not presenter.active(),
                               url=lambda on: True if on else None,
                               help="By default only models whose card says they were trained "
                                    "on noisy inputs.")
    dae_filter = (catalog.takes_images if any_model or not catalog.entries(trained_on_noise)
                  else trained_on_noise)
    dae_key = query.model_picker("dae", "Denoising autoencoder", "den_dae", dae_filter,
                                 "zoo:dae_conv")

plain, _ = widgets.load_or_stop(plain_key)
dae, _ = widgets.load_or_stop(dae_key)
k = min(plain.latent_dim, 784)  # PCA cannot have more components than pixels
pca = loaders.pca()
fns = {"plain AE": plain.reconstruct, "denoising AE": dae.reconstruct,
       f"PCA, k = {k}": functools.partial(pca.reconstruct, k=k, clip=True)}

if digit is not None and digit.source != "test":
    with torch.inference_mode():
        clean = digit.image  # (1, 1, 28, 28)
        err = mse(plain.reconstruct(clean).clamp(0.0, 1.0), clean).item()
    limit = _memo(_threshold_shared, _threshold_session, [plain_key], [plain], plain.reconstruct)
    if err > limit:
        st.warning(
            f"This digit looks unlike the MNIST training digits: the plain AE rebuilds even the "
            f"clean version with an error of {err:.4f}, worse than {OOD_Q:.0%} of real test "
            f"digits (above {limit:.4f}). An autoencoder can only rebuild what resembles its "
            "training data, so the results below may be poor. Try a bolder, centred digit that "
            "fills the square.")
results(digit, kind, seed, fns,
        _memo(_curve_shared, _curve_session, [plain_key, dae_key], [plain, dae], kind, fns))
st.caption("Where a line lies above \"noisy input\", that method removed more noise than it "
           "added blur. The denoising AE was trained for exactly this; the plain AE and PCA only "
           "denoise as a side effect of squeezing the digit through a small code.")
