"""The guided lesson: its steps as data, and one small live demo per step over the shipped zoo.

Each ``Step`` names a page of the app and the link parameters that open it in the state the step
talks about; :func:`show_demo` draws the step's evidence (real models, real test digits), shown
only after the student committed to a prediction.

Importing this module does not import torch, nor do the steps' questions: the lesson, a
teacher's likely first click, is drawn while the just-started server still imports torch (about
2 s on 2 cores; see :mod:`startup.warmup`). The demos import it, after that import (:func:`show_demo`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aecore.errors import AecoreError
from startup import warmup
from ui import charts, downloads, loaders, widgets
from views.specs import LESSON

if TYPE_CHECKING:
    import torch

DEMO_DIGITS = 6  # test digits shown in the reconstruction demos
GAP_GRID = 25  # candidate points per axis when looking for the emptiest spot of a code plane
GAP_SAMPLE = 2000  # test codes the gap search measures against: enough to see every cluster


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    text: str  # two or three sentences
    question: str  # "predict" prompt
    choices: tuple[str, ...]
    answer: int  # index into choices
    explain: str  # shown on reveal
    demo: str  # key of DEMOS
    page: str  # views/<page>.py of the full page
    params: dict[str, str] = field(default_factory=dict)  # link parameters that open the state


# helpers

def emptiest_point(codes: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: int = GAP_GRID,
                   sample: int = GAP_SAMPLE) -> tuple[tuple[float, float], float]:
    """The point of an n x n grid over the inner 80 % of [lo, hi] farthest from every code of
    ``codes`` (N, 2): a hole in the map. Returns ((z1, z2), distance to the nearest code)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    pad = (hi - lo) * 0.1
    g1, g2 = (np.linspace(lo[i] + pad[i], hi[i] - pad[i], n) for i in range(2))
    grid = np.stack(np.meshgrid(g1, g2), -1).reshape(-1, 2)  # (n * n, 2)
    step = max(1, len(codes) // sample)
    pts = np.asarray(codes, float)[::step]  # (<= sample, 2)
    near = np.sqrt(((grid[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).min(1)  # (n * n,)
    i = int(near.argmax())
    return (float(grid[i, 0]), float(grid[i, 1])), float(near[i])


def _model(name: str):
    try:
        return loaders.zoo_model(name)[0]
    except AecoreError as exc:
        st.error(f"The demo model {name} could not be loaded: {exc}")
        st.stop()


def _test(n: int = DEMO_DIGITS) -> torch.Tensor:
    return loaders.mnist_split("test").float_images(list(range(n)))  # (n, 1, 28, 28)


# demos: each draws its evidence with real models

def demo_compress() -> None:
    import torch

    from aecore.metrics import mse
    x = _test()
    n = len(x)
    widgets.image_row(x, [f"#{i}" for i in range(n)], scale=3,
                      alts=[f"test digit #{i}" for i in range(n)])
    for name, k in (("ae_k2", 2), ("ae_k32", 32)):
        with torch.inference_mode():
            rec = _model(name).reconstruct(x).clamp(0, 1)
        err = mse(rec, x).mean().item()
        st.markdown(f"**Code of {k} numbers** (mean MSE {err:.4f})")
        widgets.image_row(rec, None, scale=3,
                          alts=[f"reconstruction of test digit #{i} by {name}, k = {k}"
                                for i in range(n)])


def demo_bottleneck() -> None:
    cards = loaders.cards()
    ks = [k for k in (2, 4, 8, 16, 32, 64) if f"ae_k{k}" in cards]
    errs = [float(cards[f"ae_k{k}"].get("metrics", {}).get("mse", float("nan"))) for k in ks]
    fig = charts.lines(ks, {"test MSE": errs}, xlabel="code size k", ylabel="test MSE",
                       log_x=True)
    charts.show(fig, key="les_bottleneck_chart")  # its modebar offers "Download plot as png"
    downloads.download_buttons(fig, "lesson-test-mse-vs-k", "les_bottleneck_dl")


def demo_denoise() -> None:
    import torch

    from aecore.metrics import psnr
    from aecore.noise import add_noise
    x = _test(4)
    noisy = add_noise(x, "gaussian", 0.5, torch.Generator().manual_seed(0))
    rows = {"noisy input": noisy}
    with torch.inference_mode():
        for label, name in (("plain AE, k = 32", "ae_k32"), ("denoising AE", "dae_conv")):
            rows[label] = _model(name).reconstruct(noisy).clamp(0, 1)
    for label, imgs in rows.items():
        st.markdown(f"**{label}**: mean PSNR {psnr(imgs, x).mean().item():.1f} dB")
        widgets.image_row(imgs, None, scale=3,
                          alts=[f"test digit #{i}, {label}" for i in range(len(imgs))])


def gap_of(name: str) -> tuple[tuple[float, float], float]:
    """The emptiest point of zoo model ``name``'s 2-D test-code map, and its distance to the
    nearest test digit's code."""
    from aecore.latent import latent_range
    codes = loaders.zoo_test_codes(name)
    lo, hi = latent_range(codes)
    return emptiest_point(codes, np.asarray(lo), np.asarray(hi))


def demo_holes() -> None:
    from aecore.latent import decode_codes, latent_range
    cols = st.columns(2)
    for col, name in zip(cols, LESSON.defaults["maps"]):
        z, dist = gap_of(name)
        lo, hi = latent_range(loaders.zoo_test_codes(name))
        width = float(np.linalg.norm(np.asarray(hi) - np.asarray(lo)))  # the map's diagonal
        img = decode_codes(_model(name), z)  # (1, 1, 28, 28)
        with col:
            st.markdown(f"**{name}**: emptiest point z = ({z[0]:.2f}, {z[1]:.2f}), "
                        f"{dist:.2f} from the nearest test digit ({dist / width:.0%} of the "
                        "map's diagonal)")
            widgets.picture(widgets.to_uint8(img[0], 5), f"what {name} decodes at the emptiest "
                            f"point z = ({z[0]:.2f}, {z[1]:.2f})",
                            caption=f"{name} decodes the hole as this")


def demo_sampling() -> None:
    import torch
    with torch.inference_mode():
        for name in ("vae_k20", "ae_k32"):
            m = _model(name)
            z = torch.randn(8, m.latent_dim, generator=torch.Generator().manual_seed(0))  # N(0, I)
            st.markdown(f"**{name}** decodes 8 random codes of {m.latent_dim} numbers")
            widgets.image_row(m.decode(z).clamp(0, 1), None, scale=3,
                              alts=[f"{name} decodes random code {i + 1}" for i in range(8)])


def demo_anomaly() -> None:
    import torch

    from aecore.metrics import mse
    x = _test(3)
    noise = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    m = _model("ae_k32")
    with torch.inference_mode():
        for label, imgs in (("test digits", x), ("random noise", noise)):
            err = mse(m.reconstruct(imgs).clamp(0, 1), imgs)
            caps = [f"{label}: error {e:.4f}" for e in err.tolist()]
            widgets.image_row(imgs, caps, scale=3, alts=[f"{label}, image {i + 1}: reconstruction "
                                                          f"error {e:.4f}" for i, e in
                                                          enumerate(err.tolist())])


DEMOS = {"compress": demo_compress, "bottleneck": demo_bottleneck, "denoise": demo_denoise,
         "holes": demo_holes, "sampling": demo_sampling, "anomaly": demo_anomaly}


def show_demo(step: Step) -> None:
    """Draw ``step``'s demo, once the warm-up has imported torch (at once on a warm server)."""
    warmup.need_torch()
    DEMOS[step.demo]()


STEPS: tuple[Step, ...] = (
    Step("compress", "Compress a digit to a few numbers",
         "An autoencoder has two halves: an encoder squeezes the 784 pixels of a digit into a short "
         "code, and a decoder rebuilds the digit from that code alone. It is trained only to make "
         "the rebuilt digit match the original.",
         "With a code of only 2 numbers, what will the rebuilt digits look like?",
         ("A perfect copy of every digit", "Blurry, typical digits: often the right one, often "
          "not", "Random noise"),
         1, "Two numbers cannot store the details of a digit's stroke: the decoder draws a blurry "
            "typical digit, and several classes get confused. With 32 numbers the copies are "
            "close.",
         "compress", "reconstruct", {"model": "ae_k2"}),
    Step("bottleneck", "How big should the code be?",
         "The code size k is the bottleneck. A smaller code compresses more and forces the model to "
         "keep only what matters; a bigger one keeps more detail.",
         "As k grows from 2 to 64, what happens to the reconstruction error on unseen test digits?",
         ("It falls fast at first, then levels off", "It stays the same", "It keeps growing"),
         0, "The first few numbers buy the most: each doubling of k helps less than the one "
            "before, because the rest is fine detail and noise.",
         "bottleneck", "bottleneck"),
    Step("denoise", "Clean up a noisy digit",
         "A denoising autoencoder is shown a corrupted digit and asked for the clean one. To do "
         "that it must learn what digits look like, not just copy pixels.",
         "Heavy Gaussian noise (0.5) is added. Which model cleans it up better?",
         ("The plain autoencoder with a 32-number code", "The denoising autoencoder",
          "Neither: noise cannot be removed"),
         1, "The denoising AE was trained on exactly this task and scores a higher PSNR; the plain "
            "AE removes some noise only as a side effect of its small code.",
         "denoise", "denoise", {"noise": "gaussian", "level": "0.5", "seed": "0"}),
    Step("holes", "Holes in the latent space",
         "With a 2-number code every test digit is a point of a plane. A plain autoencoder is never "
         "told what to do between the clusters, so its map can have empty holes.",
         "Guess what the plain AE decodes at the emptiest point of its map, far from every "
         "digit.",
         ("Nothing: a blank black square", "Still a stroke-like shape, but one no test digit "
          "maps to: the decoder extrapolates", "Pure random noise"),
         1, "The decoder is a smooth function, so it draws something everywhere, but nothing "
            "trained it there: far out it exaggerates a stroke, between clusters it blends two "
            "digits. Compare the size of the holes: the VAE's pull towards N(0, I) packs its codes "
            "into one cloud, so its emptiest point lies much closer to real digits.",
         "holes", "latent", {"model": "ae_k2"}),
    Step("sampling", "Generate new digits with a VAE",
         "A variational autoencoder (VAE) is trained so that its codes follow a standard normal "
         "distribution N(0, I). Then new digits can be made by drawing random codes and decoding "
         "them.",
         "Draw 8 random codes from N(0, I) and decode them with a VAE (20-number code) and with a "
         "plain AE (32-number code). Which gives digits?",
         ("Both equally", "Only the VAE, reliably", "Only the plain AE"),
         1, "The VAE's codes are spread like N(0, I), so random draws land where it learned "
            "digits. The plain AE's codes live wherever training put them: random draws land "
            "where it never learned anything and decode to broken strokes.",
         "sampling", "generate"),
    Step("anomaly", "Spot what does not belong",
         "An autoencoder rebuilds well only what resembles its training data. Its reconstruction "
         "error is therefore an anomaly score.",
         "An AE trained on digits is shown digits and random noise. Which gets the larger error?",
         ("The digits", "The random noise", "About the same"),
         1, "Noise is nothing like a digit, so the decoder cannot rebuild it: the error is many "
            "times larger. A threshold on that error flags anomalies.",
         "anomaly", "anomaly"),
)


def step_params(step: Step) -> dict[str, str]:
    """The link parameters that open ``step``'s full page in the state it talks about (the latent
    step points the sliders at the hole the demo decodes)."""
    params = dict(step.params)
    if step.slug == "holes":
        try:
            (z1, z2), _ = gap_of(params.get("model", "ae_k2"))
            params.update(z1=f"{z1:.2f}", z2=f"{z2:.2f}")
        except AecoreError:
            pass  # the link then opens the page at its default point
    return params
