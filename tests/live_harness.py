"""A small Streamlit app that mounts every live part of ``ui/live.py`` on fixed models, for the
browser tests of the in-page decoder (tests/test_browser_live.py): run with
``streamlit run tests/live_harness.py``.

It sends two decoders (the zoo's dense ``ae_k2`` and conv ``dae_conv``), shows the live map of
ae_k2 without z sliders (its ring: the last pin, else test digit #0), a stops slider and in-page
samples, and counts its own script runs. The sliders' labels come from the URL (``?label=...``):
the live parts find them by key, whatever they are called.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402
import torch  # noqa: E402

from aecore.latent import latent_range  # noqa: E402
from ui import live, loaders  # noqa: E402

st.session_state["runs"] = st.session_state.get("runs", 0) + 1
st.caption(f"script runs: {st.session_state['runs']}")

ae, ae_card = loaders.zoo_model("ae_k2")
conv, conv_card = loaders.zoo_model("dae_conv")
ids = {"dense": live.carry("zoo:ae_k2", ae, ae_card), "conv": live.carry("zoo:dae_conv", conv, conv_card)}
st.markdown(f"decoders: dense `{ids['dense']}` conv `{ids['conv']}`")

codes = loaders.zoo_test_codes("ae_k2")
labels = loaders.mnist_split("test").labels.numpy()
lo, hi = latent_range(codes)
live.latent_map("harness_map", ids["dense"], codes, labels, lo, hi, 0.05,
                on_pin=lambda: st.session_state.__setitem__("pins", st.session_state.get("pins", 0) + 1))
live.map_pin("harness_map", live.pin_of("harness_map") or (float(codes[0, 0]), float(codes[0, 1])))
st.caption(f"pinned: {live.pin_of('harness_map')} · pins: {st.session_state.get('pins', 0)}")
label = st.query_params.get("label", "")  # a prefix for every slider label (renamed labels)

values = [round(0.1 * i, 1) for i in range(11)]
v = st.slider(f"{label}Level", 0.0, 1.0, 0.5, step=0.1, key="harness_level")
images = [live.gray_b64(np.full((28, 28), x)) for x in values]
pages = [{"heading": f"level {x:.1f}", "say": f"level {x:.1f}: grey {x:.1f}", "rows": [
    {"label": "grey", "cells": [{"title": "flat", "img": i, "caption": f"value {x:.1f}"}]}]}
    for i, x in enumerate(values)]
live.stops("harness_stops", "harness_level", values, pages, images,
           index=values.index(round(v, 1)))

vae, _ = loaders.zoo_model("vae_k2")
vae_id = live.carry("zoo:vae_k2", vae, loaders.cards()["vae_k2"])
count = st.slider(f"{label}How many", 4, 16, 8, step=4, key="harness_count")
temp = st.slider(f"{label}Temp", 0.1, 2.0, 1.0, step=0.1, key="harness_temp")
eps = torch.randn(16, 2, generator=torch.Generator().manual_seed(0)).numpy()
live.samples("harness_samples", vae_id, eps, count_key="harness_count", temp_key="harness_temp",
             count=count, temperature=temp, caption="{count} samples at T = {temperature}",
             aria="{count} VAE samples at temperature {temperature}")
