"""Autoencoder Explorer: the frame and router.

Page config once, the shared sidebar, and ``st.navigation`` over one file per page. What each
page needs at start-up is declared in ``views/specs.py`` and handled by :mod:`startup`.
"""
from __future__ import annotations

from pathlib import Path

import startup

startup.wait_frame()  # server.py's warm-up imports the frame's modules: one importer at a time

import streamlit as st  # noqa: E402

from ui import catalog, library, owner, presenter, query, share, widgets  # noqa: E402

# a file, not ":material/...": a Material page icon makes the browser fetch its SVG from Google
# Fonts, which an offline classroom cannot reach
ICON = str(Path(__file__).parent / "ui" / "static" / "icon.png")
st.set_page_config(page_title="Autoencoder Explorer", page_icon=ICON,
                   layout="wide")

PAGES = {
    "Explore": [
        st.Page("views/home.py", title="Home", icon=":material/home:", default=True,
                url_path="home"),
        st.Page("views/lesson.py", title="Guided lesson", icon=":material/school:"),
        st.Page("views/reconstruct.py", title="Reconstruct & compress", icon=":material/compress:"),
        st.Page("views/bottleneck.py", title="Bottleneck sizes", icon=":material/straighten:"),
        st.Page("views/denoise.py", title="Denoise", icon=":material/auto_fix_high:"),
        st.Page("views/photo.py", title="Restore a photo", icon=":material/photo_filter:"),
        st.Page("views/latent.py", title="Latent space", icon=":material/scatter_plot:"),
        st.Page("views/generate.py", title="Generate (VAE)", icon=":material/casino:"),
    ],
    "Build and apply": [
        st.Page("views/train.py", title="Train", icon=":material/model_training:"),
        st.Page("views/anomaly.py", title="Anomaly detection", icon=":material/crisis_alert:"),
        st.Page("views/tables.py", title="Tables: fraud", icon=":material/table_chart:"),
        st.Page("views/text.py", title="Text: words", icon=":material/text_fields:"),
        st.Page("views/sound.py", title="Sound: denoising", icon=":material/graphic_eq:"),
        st.Page("views/features.py", title="Features for a classifier",
                icon=":material/calculate:"),
        st.Page("views/types.py", title="Autoencoder types", icon=":material/category:"),
        st.Page("views/hood.py", title="Under the hood", icon=":material/memory:"),
        st.Page("views/compare.py", title="Compare runs", icon=":material/compare:"),
        st.Page("views/my_models.py", title="My models", icon=":material/inventory_2:"),
        st.Page("views/my_data.py", title="My image sets", icon=":material/photo_library:"),
    ],
}

with startup.run():
    nav = st.navigation(PAGES)
    startup.before_page(nav)
    query.begin()
    library.store()        # once per process: the model library, and the bounded SIGTERM stop
    owner.ensure_cookie()  # this browser's owner token (its cookie, set by server.py)
    presenter.toggle()
    widgets.page_style()  # contrast, focus and reduced motion on every page (ui/widgets.py)
    catalog.open_shared_link()  # ?shared=<id>: that model read-only on every page, or a message
    share_slot = share.link_slot(nav.url_path)  # filled after the page ran: its sync() sets the URL
    try:
        nav.run()
        query.finish()  # not after st.stop() or st.rerun(): a cut-short run wrote part of its state
    finally:  # also after a page's st.stop(): the link to what is on screen is still wanted
        share.share_link(nav.url_path, share_slot)
        startup.after_page(nav)
