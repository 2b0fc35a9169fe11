"""Autoencoder Explorer: the frame and router.

Page config once, the shared sidebar, and ``st.navigation`` over one file per page.
"""
from __future__ import annotations

from pathlib import Path

from ui import warmup

warmup.wait_frame()  # server.py's warm-up imports the frame's modules: one importer at a time

import streamlit as st  # noqa: E402

from ui import catalog, library, loaders, owner, preload, presenter, query, share  # noqa: E402

# a file, not ":material/...": a Material page icon makes the browser fetch its SVG from Google
# Fonts, which an offline classroom cannot reach
ICON = str(Path(__file__).parent / "ui" / "static" / "icon.png")
st.set_page_config(page_title="Autoencoder Explorer", page_icon=ICON,
                   layout="wide")

HOME = st.Page("views/home.py", title="Home", icon=":material/home:", default=True,
               url_path="home")
LESSON = st.Page("views/lesson.py", title="Guided lesson", icon=":material/school:")
PAGES = {
    "Explore": [
        HOME,
        LESSON,
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

# the warm-up's second phase steps aside while a run is in progress, and a run that starts while
# it imports a library waits for that import to end: one importer at a time
warmup.run_started()
try:
    nav = st.navigation(PAGES)
    if nav not in (HOME, LESSON) or library.SHARED_PARAM in st.query_params:
        # the page (or the shared model) needs torch: the warm-up imports it, if it has not yet.
        # Home draws its default model without it, so a just-started server shows it sooner, and
        # the lesson asks its first question without it (its demos wait: ui.lesson.show_demo).
        warmup.need_torch()
    query.begin()
    library.store()        # once per process: the model library, and the bounded SIGTERM stop
    owner.ensure_cookie()  # this browser's owner token, written into its cookie on a first visit
    presenter.toggle()
    catalog.open_shared_link()  # ?shared=<id>: that model read-only on every page, or a message
    share_slot = share.link_slot(nav.url_path)  # filled after the page ran: its sync() sets the URL
    try:
        nav.run()
        query.finish()  # not after st.stop() or st.rerun(): a cut-short run wrote part of its state
    finally:  # also after a page's st.stop(): the link to what is on screen is still wanted
        share.share_link(nav.url_path, share_slot)
        loaders.freeze_imports()  # a page's first visit imported its modules: keep GC pauses short
        preload.mount(nav)  # the elements' code into the page while it is idle (ui/preload.py)
finally:
    warmup.page_ran()  # the warm-up may go on (its first phases start after the first page ran)
