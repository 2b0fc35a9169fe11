"""Train: configure any image autoencoder, train it on MNIST in the background, watch it learn.

The training runs on a worker thread of the process-wide ``aecore.jobs`` manager (a bounded pool
with a queue), so moving a widget or visiting another page never stops it; a fragment polls it.
The finished model joins the model picker of every page for this session.
"""
from __future__ import annotations

import streamlit as st

from aecore import recipes
from aecore.errors import AecoreError
from aecore.jobs import get_manager
from ui import catalog
from ui import train_view as view

st.title("Train an autoencoder")
st.markdown("Pick a type and its settings, press **Start**, and watch it learn: the loss per epoch, "
            "the same test digits rebuilt after every epoch and, for k = 2, the latent map taking "
            "shape. Small subsets and few epochs train in seconds.")

manager = get_manager()
view.preset_buttons()
left, right = st.columns([1, 1.4], gap="large")

with left:
    type_name, settings, title = view.settings_form(manager.limits)
    job = st.session_state.get(view.JOB_KEY)
    busy = job is not None and not job.finished
    if st.button("Start training", type="primary", key="trn_start", disabled=busy):
        try:
            model_cfg, train_cfg = recipes.make_configs(type_name, **settings)
            title = view.unique_title(title)
            job = manager.submit(model_cfg, train_cfg, name=view.slug(title), title=title)
        except AecoreError as exc:
            st.error(f"These settings cannot be trained: {exc}")
        else:
            st.session_state[view.JOB_KEY] = job
            catalog.add_pending(job.id, job)
            st.rerun()  # redraw with Start disabled and the panel polling
    if busy:
        st.caption("One training per session at a time: cancel this one to start another.")
    st.caption(f"This server runs at most {manager.max_concurrent} training(s) at once "
               f"({manager.threads_per_job} CPU thread(s) each), at most "
               f"{manager.limits.max_epochs} epochs and {min(manager.limits.max_subset, view.N_TRAIN):,} "
               "images per training; later trainings wait in a queue.")

with right:
    view.job_panel(manager)

st.divider()
view.upload_box()
