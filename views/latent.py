"""Latent space: a data set's test items (10,000 digits, garments, ...) on a 2-D code plane;
decode any point of it.

The map is live in the browser (``ui/live.py``): the page decodes the code under the pointer every
animation frame with the model's own decoder, sent to it once. One z pair, the z sliders' session
state, is drawn by the sliders, the server's decoded digit and the map's ring; a click, Enter or a
released arrow key on the map pins a code, which becomes that pair (data flows one way). A Plotly copy of the map is offered as a download. Two more tabs
hold the decoded manifold and a morph between two digits; only the open tab is computed.
"""
from __future__ import annotations

import math

import numpy as np
import streamlit as st
import torch

from aecore.errors import AecoreError
from aecore.latent import (decode_codes, interpolate_latent, interpolate_pixels, latent_range,
                           manifold_grid, slider_grid)
from aecore.data import load_split
from ui import (catalog, charts, datasets, downloads, fragments, image_input, live, loaders,
                presenter, query, widgets)
from views import specs

DEFAULTS = specs.LATENT.defaults


def _is_2d(card: dict) -> bool:
    # conditional models need a label to decode: their plane is a style space, not a digit map
    return (catalog.any_image(card) and card.get("model") != "cvae"
            and catalog.latent_dim(card) == 2)


def _move_to(zkeys: tuple[str, str], z: tuple[float, float], lo: list[float],
             hi: list[float]) -> None:
    """Set the z sliders to ``z`` (clipped to their range); only before they are created, or in a
    callback."""
    for i, zk in enumerate(zkeys):
        st.session_state[zk] = float(np.clip(z[i], lo[i], hi[i]))


def _apply_pin(map_key: str, last_key: str, zkeys: tuple[str, str], lo: list[float],
               hi: list[float]) -> None:
    """A new pin on the live map (a click, Enter, a released arrow key) becomes the page's z pair,
    before the z sliders are drawn; the same pin on later runs leaves the pair where the user put
    it."""
    pin_state = (st.session_state.get(map_key) or {}).get("pin")
    if pin_state != st.session_state.get(last_key):
        st.session_state[last_key] = pin_state
        pin = live.pin_of(map_key)
        if pin is not None:
            _move_to(zkeys, pin, lo, hi)


@fragments.fragment
def decoder(key: str, codes: np.ndarray, labels: np.ndarray, lo: list[float], hi: list[float],
            step: float, start: list[float], map_key: str | None) -> None:
    """The z sliders (from a link, else at ``start``), the decoded digit and where it lies: the
    live map ``map_key``'s ring, else a server-drawn locator. A slider move reruns only this."""
    model, _ = widgets.load_or_stop(key)
    z = tuple(float(query.slider(f"z{i + 1}", f"z{i + 1}", lo[i], hi[i], start[i], step=step,
                                 format="%.2f", key=f"lat_z{i + 1}_{key}")) for i in range(2))
    img = decode_codes(model, z)  # (1, C, H, W)
    images, captions = [widgets.to_uint8(img[0], 6)], [f"decoded at z = ({z[0]:.2f}, {z[1]:.2f})"]
    alts = [f"decoded {DATA.item} at z = ({z[0]:.2f}, {z[1]:.2f})"]
    if map_key is None:
        images.append(charts.locator(codes, labels, np.array(lo), np.array(hi), z))
        captions.append("where z lies on the map")
        alts.append(f"small map of the test set's codes, a ring at z = ({z[0]:.2f}, "
                    f"{z[1]:.2f})")
    widgets.picture(images, alts, width=168, caption=captions)
    if map_key is not None:
        live.map_pin(map_key, z)
        st.caption("Point at the map to decode live; click (or Enter) pins the code here. The "
                   "sliders and arrow keys step it.")


@fragments.fragment
def manifold(model_key: str, lo: np.ndarray, hi: np.ndarray) -> None:
    """The decoded manifold: what the decoder draws at every point of a grid over the plane."""
    m, _ = widgets.load_or_stop(model_key)
    st.subheader("The decoded manifold")
    c1, c2, c3 = st.columns(3)
    n = query.slider("grid", f"Grid size n (n x n {DATA.items})", 5, 25, 15, key="lat_grid_n",
                     where=c1)
    wide = np.maximum(hi - lo, 1e-3)
    bounds = [(round(float(lo[i] - wide[i] / 2), 2), round(float(hi[i] + wide[i] / 2), 2))
              for i in range(2)]
    full = [(round(float(lo[i]), 2), round(float(hi[i]), 2)) for i in range(2)]
    if presenter.active():  # advanced controls hidden on the projector: the grid spans the map
        r1, r2 = full
    else:
        r1 = c2.slider("z1 range", *bounds[0], full[0], step=0.05, key=f"lat_grid_z1_{model_key}")
        r2 = c3.slider("z2 range", *bounds[1], full[1], step=0.05, key=f"lat_grid_z2_{model_key}")
    grid = manifold_grid(m, n, (r1[0], r2[0]), (r1[1], r2[1]))  # (n * H, n * W[, 3])
    side = 640  # pixels on the page, whatever n is: a bigger n means smaller images
    big = widgets.to_uint8(grid, math.ceil(side / grid.shape[0]))
    widgets.picture(big, f"{n} x {n} grid of {DATA.items} decoded on an even grid over the plane: z1 "
                         f"from {r1[0]:.2f} to {r1[1]:.2f} left to right, z2 from {r2[1]:.2f} to "
                         f"{r2[0]:.2f} top to bottom", width=side)
    d1, d2, _ = st.columns([1, 1, 2])
    d1.download_button("Download the manifold (PNG)", lambda: downloads.png_bytes(big), "manifold.png",
                       "image/png", key="lat_grid_png", on_click="ignore")
    # built on click only: n frames of the whole grid, one more row of images each
    d2.download_button("Download the manifold (animated GIF)",
                       lambda: downloads.gif_bytes(downloads.reveal_rows(big, n), ms=200),
                       "manifold.gif", "image/gif", key="lat_grid_gif", on_click="ignore",
                       help="The grid drawn row by row, from the top")
    st.caption(f"{n} x {n} {DATA.items} decoded on an even grid ({grid.shape[1]} x {grid.shape[0]} "
               f"pixels): z1 from {r1[0]:.2f} (left) to {r1[1]:.2f} (right), z2 from {r2[1]:.2f} "
               f"(top) to {r2[0]:.2f} (bottom).")


def map_tab(key: str, model, card: dict, codes: np.ndarray, labels: np.ndarray,
            lo: np.ndarray, hi: np.ndarray) -> None:
    """The live map, the z sliders and their decoded digit, and the user's own digit as a star."""
    # the decoder goes to the page first, so that its bytes travel while the rest of the tab runs
    # (grey or colour; None for a layer the page cannot run: then the server's path)
    model_id = live.carry(key, model, card)
    step, lo_r, hi_r = slider_grid(lo, hi)
    zkeys = (f"lat_z1_{key}", f"lat_z2_{key}")
    map_key, last_key = f"lat_live_{key}", f"lat_pin_{key}"
    # the z sliders start at test digit #0: a point that decodes to a digit
    z_start = [round(round(float(codes[0, i]) / step) * step, 6) for i in range(2)]
    _apply_pin(map_key, last_key, zkeys, lo_r, hi_r)

    map_area = st.container()  # filled after the digit input below, which the map marks with a star

    yours, digit = None, None
    if DATA.name == "mnist":  # the digit input makes an MNIST-like digit of a drawing or photo
        st.subheader("Your own digit on the map")
        c_in, c_out = st.columns([2, 1])
        with c_in:
            digit = image_input.digit_input("lat_in", label="Your digit", link=True)
    if digit is not None:
        with torch.inference_mode():
            code = model.encode(digit.image)[0]  # (2,)
            rec = model.decode(code.unsqueeze(0))
        yours = (float(code[0]), float(code[1]))
        with c_out:
            widgets.image_row([digit.image[0], rec[0]],
                              [digit.label, f"decoded from z = ({yours[0]:.2f}, {yours[1]:.2f})"],
                              alts=["your digit, as the model sees it (28 x 28)",
                                    f"your digit decoded from its code z = ({yours[0]:.2f}, "
                                    f"{yours[1]:.2f})"])
            st.caption("Your digit is the white star on the map.")
            st.button("Decode at my digit's code", key="lat_goto", on_click=_move_to,
                      args=(zkeys, yours, lo_r, hi_r), help="Move the z sliders to the star")
    with map_area:
        c_map, c_dec = st.columns([3, 1.5])
        with c_dec:  # first: the z sliders apply a link's code, which the map beside them shows
            decoder(key, codes, labels, lo_r, hi_r, step, z_start,
                    map_key if model_id is not None else None)
        with c_map:
            # the live map: the page decodes the code under the pointer itself, every animation
            # frame (ui/live.py); outside the decoder fragment, whose map_pin draws its ring, so
            # the decoder and the 10,000 codes go to the browser once per model
            if model_id is not None:
                live.latent_map(map_key, model_id, codes, labels % 10, lo_r, hi_r, step,
                                yours=yours, size=600 if presenter.active() else 520,
                                names=NAMES, item=DATA.item)
            else:  # a decoder the page cannot run: the map without live decoding
                zs = (st.session_state[zkeys[0]], st.session_state[zkeys[1]])
                widgets.picture(charts.locator(codes, labels, np.array(lo_r), np.array(hi_r), zs,
                                               520),
                                f"map of the {len(codes):,} test {DATA.items}' codes, coloured by "
                                f"class, a ring at z = ({zs[0]:.2f}, {zs[1]:.2f})")
            # the 10,000-point figure is built only when the button is clicked
            downloads.download_buttons(
                lambda: charts.latent_map(codes, labels, np.array(lo_r), np.array(hi_r), yours,
                                          names=NAMES, item=DATA.item),
                f"latent-map-{key.partition(':')[2]}", "lat_map_dl")


def morph(model, test) -> None:
    """One test item into another: along the straight line between their codes, and as a plain
    cross-fade of the pixels."""
    item = DATA.item
    st.subheader(f"Morph one test {item} into another")
    c1, c2, c3 = st.columns(3)
    i0 = int(query.number("from", f"From test {item} #", 0, len(test) - 1, 0, step=1,
                         key="lat_int_a", where=c1))  # a link may set the morph
    i1 = int(query.number("to", f"To test {item} #", 0, len(test) - 1, 1, step=1, key="lat_int_b",
                         where=c2))
    steps = query.slider("steps", "Steps", 5, 16, 10, key="lat_int_steps", where=c3)
    x0, x1 = test.float_images([i0]), test.float_images([i1])
    path_z = interpolate_latent(model, x0, x1, steps)
    path_x = interpolate_pixels(x0, x1, steps)
    # each path as one strip image (steps images side by side, t from 0 to 1)
    steps_text = f"{steps} steps, t = 0 (left) to t = 1 (right)"
    # what each end is: its class where the set has classes ("a 7", "a Sneaker"), else its number
    a, b = ((f"a {NAMES[int(test.labels[i]) % len(NAMES)]}" if DATA.classes else f"#{i}")
            for i in (i0, i1))
    st.markdown(f"**Through the code** ({a} becomes {b}: encode both, walk the straight line "
                "between the codes, decode each step)")
    ends = f"test {item} #{i0} ({a}) to #{i1} ({b})" if DATA.classes else f"test {item} #{i0} to #{i1}"
    widgets.picture(widgets.strip(path_z, 3), f"{steps} {DATA.items} decoded along the code path "
                    f"from {ends}", caption=f"Decoded along the code path: {steps_text}")
    st.markdown(f"**Through the pixels** (a plain cross-fade: two half-transparent {DATA.items} "
                f"on top of each other, never a {item} in between)")
    widgets.picture(widgets.strip(path_x, 3), f"{steps} cross-fades of the pixels from {ends}",
                    caption=f"Cross-faded pixels: {steps_text}")
    def frames(path):  # each (168, 168)
        return [widgets.to_uint8(f, 6) for f in path]
    d1, d2, d3, _ = st.columns([1, 1, 1, 1])
    # each file is made only when its button is clicked
    d1.download_button("Download the morph strip (PNG)",
                       lambda: downloads.png_bytes(widgets.strip(path_z, 6, gap=0)), "morph.png",
                       "image/png", key="lat_int_png", on_click="ignore")
    d2.download_button("Download the morph (animated GIF)",
                       lambda: downloads.gif_bytes(frames(path_z)), "morph.gif", "image/gif",
                       key="lat_int_gif", on_click="ignore")
    d3.download_button("Download the cross-fade (animated GIF)",
                       lambda: downloads.gif_bytes(frames(path_x)), "cross-fade.gif", "image/gif",
                       key="lat_fade_gif", on_click="ignore")


TABS = {"map": "Latent map", "manifold": "Decoded manifold", "morph": "Morph"}  # URL: label
TAB_PARAMS = {"manifold": ("grid",), "morph": ("from", "to", "steps")}  # a link's settings


# the page
st.title("Latent space")
DATA = datasets.picker("lat_data")
NAMES = DATA.classes or ("all",)
st.markdown(f"A code of only **2 numbers** can be drawn whole: every test {DATA.item} becomes a "
            "point of the plane, coloured by its true class (which the autoencoder never saw).")
key = query.model_picker("model", "Model with a 2-D code", "lat_model", datasets.on(DATA, _is_2d),
                         {"mnist": f"zoo:{DEFAULTS['model']}", "fashion-mnist": "zoo:fashion_ae_k2",
                          "photos": "zoo:photos_ae_k2"}.get(DATA.name, ""),
                         help="The zoo's 2-D models of this data set, and your own with k = 2")
if key is None:
    st.info(f"No model with a 2-D code trained on {DATA.label} yet: train one on the Train page "
            "(the quick 2-D AE preset).")
    st.stop()
st.caption("Switch between the AE and the VAE and look between the clusters: the plain AE leaves "
           "gaps and long streaks, where points decode to smudges, while the VAE's pull towards "
           f"N(0, I) packs every {DATA.item} into one continuous round cloud, so any point decodes "
           f"to a plausible {DATA.item}.")
model, card = widgets.load_or_stop(key)
try:
    codes = loaders.test_codes(key, model, card)
except AecoreError as exc:
    st.error(f"The test set could not be encoded: {exc}")
    st.stop()
test = load_split("test", DATA.name)
lo, hi = latent_range(codes)

# only the open tab is computed and drawn (opening another reruns): the live map comes alive
# sooner when the browser does not lay out the manifold and the morph first. A link that carries
# a tab's settings opens that tab.
tab_map, tab_grid, tab_morph = query.tabs("tab", TABS, TABS["map"], key="lat_tab",
                                          opened_by=TAB_PARAMS)
with tab_map:
    if tab_map.open:
        map_tab(key, model, card, codes, test.labels.numpy(), lo, hi)
with tab_grid:
    if tab_grid.open:
        manifold(key, lo, hi)
with tab_morph:
    if tab_morph.open:
        morph(model, test)
