"""Generate: new images from a VAE's prior on any data set (digits, garments, colour photo
patches, a user's own), the beta variants and the conditional VAE (MNIST), traversals."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aecore.errors import AecoreError
from aecore.latent import tile, traverse
from aecore.presets import ZOO
from aecore.stops import prior_eps, prior_samples
from aecore.data import load_split
from ui import catalog, datasets, live, loaders, presenter, query, widgets
from views import specs

DEFAULTS = specs.GENERATE.defaults

SEED_MAX = 1_000_000
UNUSED_KL = 0.05  # nats: a dimension whose posterior barely leaves the prior carries no information
WALK_STEPS = list(range(5, 16, 2))  # the traversal's step-count slider's stops


def _is_vae(card: dict) -> bool:
    return card.get("model") == "vae"


def _is_cvae(card: dict) -> bool:
    return card.get("model") == "cvae"


def _bump_seed() -> None:
    query.put("gen_seed", (int(st.session_state.get("gen_seed", 0)) + 1) % (SEED_MAX + 1))


def _sample(model, n: int, seed: int, temperature: float, y: torch.Tensor | None = None):
    """``n`` decoded prior samples, the same ones for the same seed."""
    with torch.inference_mode():
        return model.sample(n, torch.Generator().manual_seed(seed), temperature, y)


def _show(images: torch.Tensor, what: str, scale: int = 3) -> None:
    widgets.picture([widgets.to_uint8(im, scale) for im in images],
                    [f"{what}, sample {i + 1}" for i in range(len(images))],
                    width=images.shape[-1] * scale)


def _zoo_key(name: str) -> str | None:
    """Catalogue key of a shipped recipe, found by file name or by the name in its card."""
    for zoo_name, card in loaders.cards().items():
        if zoo_name == name or card.get("name") == name:
            return f"zoo:{zoo_name}"
    return None


def _beta_variants(seed: int, temp: float) -> None:
    """The beta-VAE recipes side by side: same seed, same temperature, their MSE and KL."""
    betas = [p for p in ZOO.values() if p.role == "beta"]
    for col, preset in zip(st.columns(len(betas)), betas):
        with col:
            st.markdown(f"**beta = {preset.model.beta:g}**")
            bkey = _zoo_key(preset.name)
            if bkey is None:
                st.warning(f"The model {preset.name} is not in pretrained/.")
                continue
            try:
                bmodel, bcard = catalog.get(bkey)
            except (KeyError, AecoreError) as exc:  # one broken file must not hide the page
                st.warning(f"{preset.name} could not be loaded: {exc}")
                continue
            mosaic = tile(_sample(bmodel, 16, seed, temp), cols=4, gap=2)  # white lines between
            widgets.picture(widgets.to_uint8(mosaic, 2), f"16 VAE samples at temperature {temp:.1f} "
                            f"from the beta = {preset.model.beta:g} model, seed {seed}",
                            width=2 * mosaic.shape[1])
            kl = float(loaders.test_kl(bkey, bmodel, bcard).sum())
            mse = bcard.get("metrics", {}).get("mse", float("nan"))
            st.caption(f"test MSE {mse:.4f} · KL {kl:.1f} nats per digit")


def _conditional(count: int, seed: int, temp: float) -> None:
    """Samples of the conditional VAE for one chosen digit."""
    ckeys = [e.key for e in catalog.entries(_is_cvae)]
    if not ckeys:
        st.warning("No conditional VAE is available: train one on the Train page.")
        return
    ckey = ckeys[0] if len(ckeys) == 1 else query.model_picker(
        None, "Conditional VAE", "gen_cvae_model", _is_cvae, f"zoo:{DEFAULTS['cvae']}")
    try:
        cmodel, _ = catalog.get(ckey)
    except (KeyError, AecoreError) as exc:
        st.warning(f"The conditional VAE could not be loaded: {exc}")
        return
    digit = query.pills("digit", "Digit", list(range(10)), 7, key="gen_cvae_digit")
    if digit is None:
        st.info("Pick a digit to draw.")
        return
    y = torch.full((count,), int(digit), dtype=torch.long)
    _show(_sample(cmodel, count, seed, temp, y), f"conditional VAE digit {digit} at temperature "
                                                 f"{temp:.1f}")
    st.caption(f"{count} styles of the digit {digit}: the label goes into the decoder, the random "
               "code decides the style (slant, thickness, width). Same seed, other digit: often "
               "the same style.")


def _mnist_sections(seed: int, temp: float, count: int) -> None:
    """The zoo's beta variants and its conditional VAE, both trained on MNIST."""
    st.subheader("Beta: how hard the KL term pulls")
    st.markdown("The loss is reconstruction + **beta** x KL. A small beta lets each code describe "
                "its digit in detail (sharp reconstructions, large KL) but the codes drift from "
                "the prior, so samples can be odd; a large beta pulls every code towards N(0, I) "
                "(small KL): smoother, blurrier samples, and dimensions that tend to capture "
                "separate factors.")
    _beta_variants(seed, temp)

    st.subheader("Conditional VAE: choose the digit, sample the style")
    _conditional(count, seed, temp)


DATA = datasets.picker("gen_data")
ITEM = DATA.item
# the walk's other dimensions, URL value: its label (the value stays "digit" on every data set)
BASES = {"zero": "Zero (the prior's centre)", "digit": f"The code of a test {ITEM}"}
st.title(f"Generate new {DATA.items}")
st.markdown("A VAE is trained so that its codes look like draws from **N(0, I)**. So any code "
            f"drawn from that prior, one the model has never seen, decodes to a new {ITEM}.")
key = query.model_picker("model", "VAE to sample from", "gen_model", datasets.on(DATA, _is_vae),
                         {"mnist": f"zoo:{DEFAULTS['model']}", "fashion-mnist": "zoo:fashion_vae",
                          "photos": "zoo:photos_vae"}.get(DATA.name, ""),
                         help="Shipped VAEs of this data set and the ones you trained or uploaded")
if key is None:
    st.info(f"No VAE trained on {DATA.label} yet: train one on the Train page (type VAE).")
    st.stop()
model, card = widgets.load_or_stop(key)

c1, c2, c3, c4 = st.columns([2, 2, 1.3, 0.9], vertical_alignment="bottom")
count = query.slider("count", "How many samples", 4, 64, 24, step=4, key="gen_count", where=c1)
temp = query.slider("temperature", "Temperature", 0.1, 2.0, 1.0, step=0.1, key="gen_temp",
                    where=c2, snap=True,  # a link's value lands on the 0.1 steps
                    help=f"z ~ N(0, T² I): below 1 stays near the centre (typical, safe "
                         f"{DATA.items}); above 1 reaches regions the model rarely saw (odd "
                         f"{DATA.items})")
seed = int(query.number("seed", "Seed", 0, SEED_MAX, 0, step=1, key="gen_seed", where=c3))
c4.button("Resample", on_click=_bump_seed, key="gen_resample", help="Next seed: new samples")
# the samples are decoded in the page (ui/live.py) from the seed's draws: they follow the count
# and temperature sliders while these are dragged; the same draws on the server (aecore.stops)
eps = prior_eps(64, model.latent_dim, seed)  # (64, k): the count slider's largest stop
title = card.get("title", key).replace("{", "(").replace("}", ")")
# decoded in the page, grey or colour (None for a layer the page cannot run: the server draws)
model_id = live.carry(key, model, card)
if model_id is not None:
    live.samples("gen_live", model_id, eps.numpy(), count_key="gen_count", temp_key="gen_temp",
                 count=count, temperature=temp,
                 caption=f"{{count}} samples of {title}, z ~ N(0, {{temperature}}² I), seed {seed}.",
                 aria=f"{{count}} samples of {title} at temperature {{temperature}}",
                 scale=4 if presenter.active() else 3)
else:  # a decoder the page cannot run: the server draws the same samples
    _show(prior_samples(model, eps, count, temp), f"VAE sample at temperature {temp:.1f}")
    st.caption(f"{count} samples of {title}, z ~ N(0, {temp:.1f}² I), seed {seed}.")

if DATA.name == "mnist":  # the beta family and the conditional VAE are MNIST's zoo
    _mnist_sections(seed, temp, count)


st.subheader("Walk along one latent dimension")
k = model.latent_dim
kl = loaders.test_kl(key, model, card)  # (k,) which dimensions the model uses
c1, c2, c3 = st.columns([1.2, 2, 1])
order = np.argsort(-kl).tolist()
dim = int(query.select(  # a link may set the walk
    "dim", "Dimension, most used first", order, order[0], key=f"gen_trav_dim_{key}", where=c1,
    format_func=lambda d: f"z{d}: KL {kl[d]:.2f}" + (" (unused)" if kl[d] < UNUSED_KL else ""),
    help=f"KL of each dimension averaged over test {DATA.items}: near 0, the model ignores that "
         "dimension and moving along it changes nothing"))
base = query.radio("base", "The other dimensions", BASES, BASES["zero"], key="gen_trav_base",
                   where=c2, horizontal=True)
steps = query.slider("steps", "Steps", WALK_STEPS[0], WALK_STEPS[-1], 11, step=2,
                     key="gen_trav_steps", where=c3)
z0 = torch.zeros(k)
if base == BASES["digit"]:
    test = load_split("test", DATA.name)
    idx = int(query.number("idx", f"Test {ITEM} #", 0, len(test) - 1, 0, step=1,
                           key="gen_trav_idx"))
    x = test.float_images([idx])
    with torch.inference_mode():
        z0 = model.encode(x)[0]
    name = DATA.class_name(int(test.labels[idx]))
    widgets.image_row([x[0]], [f"test {ITEM} #{idx} ({name})"], scale=3,
                      alts=[f"test {ITEM} {name}, #{idx}"])
values = np.linspace(-3.0, 3.0, steps)
try:
    strip = traverse(model, z0, dim, values)
except AecoreError as exc:
    st.error(str(exc))
    st.stop()
widgets.image_row(strip, [f"z{dim} = {v:+.1f}" for v in values], scale=3,
                  alts=[f"decoded {ITEM} with z{dim} = {v:+.1f}" for v in values])
st.caption(f"Dimension {dim} goes from -3 to +3, the other {k - 1} stay fixed. A dimension the "
           f"model does not use leaves the {ITEM} unchanged; a used one changes one trait.")
