"""Train: configure any image autoencoder, train it on a data set (MNIST, Fashion-MNIST, colour
photo patches, CIFAR-10 where present, or the user's own images) in the background, watch it learn.
The sequence type (LSTM or GRU cells) trains on the generated sensor windows instead.

The training runs on a worker thread of the process-wide ``aecore.jobs`` manager (a bounded pool
with a queue), so moving a widget or visiting another page never stops it; a fragment polls it.
The finished model joins the model picker of every page for this session.

This page only reads the :class:`~aecore.jobs.Job` it keeps in ``st.session_state[JOB_KEY]``. A
fragment polls it twice a second while it runs, so widget changes and page switches never touch
the training.

The form is drawn from the model types' declaration (:mod:`aecore.model_types`): one linked
widget (:mod:`ui.query`) per field, so the settings shown are kept in the URL
(``?type=vae&k=2&beta=4``; a link opens the form filled in the same way) and across page switches.
"""
from __future__ import annotations

import math
import re
from typing import Any

import streamlit as st

from aecore import model_types as mt
from aecore import weights
from aecore.errors import AecoreError
from aecore.jobs import BrowserLimits, Job, JobManager, get_manager
from aecore.presets import TEACHING
from aecore.sensors import SENSOR_WINDOWS

from aecore.datasets import DATASETS, plural, retarget
from ui import catalog, charts, datasets, downloads, library, optim_view, query, widgets

JOB_KEY = "trn_job"
BYTES_KEY = "trn_bytes"        # (job id, safetensors bytes) of the last download offered
UPLOADS_KEY = "trn_uploads"    # file id -> ("ok", title) | ("error", message)
ANIM_KEY = "trn_anim"          # (job id, latent-map animation figure)
PRESET_KEY = "trn_preset_name"  # the name the last preset button filled in
POLL_S = 0.5


# helpers

def slug(text: str) -> str:
    """A catalogue id / file name from a title: lowercase letters, digits and underscores."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s[:40] or "my_model"


def unique_title(title: str) -> str:
    """``title``, numbered if one of this session's models already has it, so that pickers
    never show two identical labels."""
    catalog.adopt_pending()
    taken = {card.get("title") for _, card in catalog.user_models().values()}
    out, i = title, 2
    while out in taken:
        out, i = f"{title} ({i})", i + 1
    return out


def _fmt_s(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "..."
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _forget_preset_name() -> None:
    """A preset's name no longer fits once the type changes: fall back to the default title."""
    name = st.session_state.get("trn_name")
    if name and name == st.session_state.get(PRESET_KEY):
        query.put("trn_name", "")


# settings

def _load_preset(name: str) -> None:
    """Button callback: fill the form with a teaching preset."""
    preset = TEACHING[name]
    type_name, values = mt.form_values(preset)
    query.put("trn_type", type_name)
    for f in mt.form_fields(mt.TYPES[type_name]):
        if f.name in values:
            query.put(f.widget_key, values[f.name])
    title = preset.title.split(":")[0]
    query.put("trn_name", title)
    st.session_state[PRESET_KEY] = title


def preset_buttons() -> None:
    """One button per teaching preset (``aecore.presets.TEACHING``)."""
    st.markdown("**Start from a known recipe**")
    cols = st.columns(len(TEACHING))
    for col, (name, preset) in zip(cols, TEACHING.items()):
        col.button(preset.title, key=f"trn_preset_{name}", on_click=_load_preset, args=(name,),
                   help=preset.description, use_container_width=True)


def _field(f: mt.Field, values: dict[str, Any], limits: BrowserLimits, where: Any) -> Any:
    """One field of the form as its linked widget (``f.kind``), its bounds for the values drawn
    so far and the server's limits."""
    fmt = {"format_func": f.labels.get} if f.labels else {}
    if f.kind in ("select", "radio", "select_slider"):
        draw = {"select": query.select, "radio": query.radio,
                "select_slider": query.select_slider}[f.kind]
        return draw(f.url_name, f.label, f.options, f.initial(), key=f.widget_key, where=where,
                    help=f.help, **fmt, **({"horizontal": True} if f.kind == "radio" else {}))
    lo, hi = f.bounds(values, limits)
    kw = {"format": f.fmt} if f.fmt else {}
    help_ = f.help.format(hi=hi) if f.help else None
    if f.kind == "slider":
        return query.slider(f.url_name, f.label, lo, hi, f.initial(), key=f.widget_key, where=where,
                            step=f.step, help=help_, **kw)
    return query.number(f.url_name, f.label, lo, hi, f.initial(), key=f.widget_key, where=where,
                        step=f.step, help=help_, **kw)


def settings_form(limits: BrowserLimits) -> tuple[str, dict[str, Any], str]:
    """Every setting of the chosen type, each widget bounded; returns ``(type name, settings,
    title)`` for :func:`aecore.model_types.make_configs`."""
    type_name = query.select("type", "Autoencoder type", tuple(mt.TYPES), "dense", key="trn_type",
                             format_func=lambda t: mt.TYPES[t].label,
                             on_change=_forget_preset_name)
    t = mt.TYPES[type_name]
    st.caption(t.summary + (f" It trains on its own data ({t.dataset}), not on the data set "
                            "picked above." if t.dataset else ""))
    fields = mt.form_fields(t)
    values: dict[str, Any] = {}
    row, cols, section = None, [], None
    for f in fields:
        if not mt.shown(t, f, values):
            continue
        if f.section == "train" and section != "train":
            st.markdown("**Training**")
        section = f.section
        if f.row and f.row != row:  # a new line of columns: one per field of the row (two or more)
            cols = list(st.columns(max(2, sum(g.row == f.row for g in fields))))
        row = f.row
        values[f.name] = _field(f, values, limits, cols.pop(0) if f.row else None)
    settings = mt.settings_of_values(t, values)
    default_title = f"{t.label}, k = {settings['latent_dim']}"
    title = query.text(None, "Name for your model", "", key="trn_name", max_chars=40,
                       placeholder=default_title).strip() or default_title
    return type_name, settings, title


def how_it_learns(type_name: str, settings: dict[str, Any]) -> None:
    """The chosen optimiser's update rule and the learning rate over the run, before it starts."""
    try:
        _, train_cfg = mt.make_configs(type_name, **settings)
    except AecoreError:
        return  # the Start button says what is wrong with the settings
    with st.expander("How the weights will move: the update rule and the learning rate"):
        optim_view.update_rule(train_cfg.optimizer)
        n = train_cfg.subset or (SENSOR_WINDOWS if train_cfg.dataset == "sensors" else mt.N_TRAIN)
        steps = train_cfg.epochs * math.ceil(n / train_cfg.batch_size)
        charts.show(optim_view.schedule_figure(train_cfg, steps), key="trn_lr_curve")


# the live panel

def _progress(job: Job, manager: JobManager) -> None:
    if job.status == "queued":
        c = manager.counts()
        st.info(f"Waiting in the queue: position **{job.queue_position}**. This server runs at "
                f"most {c['max_concurrent']} trainings at once ({c['running']} running now); "
                "yours starts as soon as one finishes.")
        return
    p = job.progress
    if job.status != "running":
        return
    if p is None:
        st.progress(0.0, text="Preparing the data...")
        return
    if job.cancel_requested:
        st.progress(min(p.fraction, 1.0), text="Cancelling: stopping after this batch and keeping "
                                                "the best epoch so far...")
        return
    if job.stage == "measuring":
        st.progress(1.0, text="Measuring the model on 1,000 test images...")
        return
    phase = "" if p.phase == "train" else f" ({p.phase})"
    st.progress(min(p.fraction, 1.0),
                text=f"Epoch {p.epoch}/{p.total_epochs}{phase} · step {p.step}/{p.steps_per_epoch}"
                     f" · batch loss {p.loss:.4f} · ETA {_fmt_s(p.eta_s)}")
    widgets.announce(epoch_news(job), key="trn_announce")


def epoch_news(job: Job) -> str:
    """What a screen reader hears during a training: the last finished epoch and its losses. It
    changes once per epoch, not on every poll or batch (the page's progress bar has those)."""
    if not job.history:
        return f"Training {job.title}: epoch 1 of {job.total_epochs} running."
    h = job.history[-1]
    val = "" if math.isnan(h["val_loss"]) else f", validation loss {h['val_loss']:.4f}"
    return (f"Epoch {h['epoch']} of {job.total_epochs} done: train loss "
            f"{h['train_loss']:.4f}{val}.")


def class_names(job: Job) -> tuple[tuple[str, ...], str]:
    """(class names by label, the word for one item) of the data set a job trains on."""
    d = DATASETS.get(job.train_cfg.dataset)
    if d is None or not d.classes:
        return ("all",) if d is not None else tuple(map(str, range(10))), d.item if d else "image"
    return d.classes, d.item


def _learning(job: Job) -> None:
    history, snaps = job.history, job.snapshots
    if history:
        curve = charts.loss_figure(history, job.total_epochs)
        charts.show(curve, key="trn_curve")  # its modebar offers "Download plot as png"
        if job.finished:  # a download of the whole run, not of a curve still growing
            downloads.download_buttons(curve, "training-loss-curves", "trn_curve_dl")
    note = ""
    if any(h["phase"] != "train" for h in history):
        note = (" The first epochs pretrain one layer pair each: their loss is that layer's own "
                "reconstruction, so it has no validation point.")
    st.caption(f"Loss curve: epoch {len(history)}/{job.total_epochs} recorded.{note}")
    if any(not math.isfinite(h["train_loss"]) for h in history):
        st.warning("The loss is no longer a finite number: training diverged. Cancel it and try a "
                   "smaller learning rate or penalty weight.")
    names, item = class_names(job)
    if snaps and job.digits is not None:
        st.markdown(f"**Fixed test {plural(item)} and their reconstructions after epoch {snaps[-1].epoch}**"
                    + (" (untrained)" if snaps[-1].epoch == 0 else ""))
        n, ep = len(job.digits), snaps[-1].epoch
        widgets.image_row(list(job.digits / 255.0), [f"{item} {i}" for i in range(n)], scale=2,
                          alts=[f"fixed test {item} {i}" for i in range(n)])
        widgets.image_row(list(snaps[-1].recon / 255.0), None, scale=2,
                          alts=[f"reconstruction of fixed test {item} {i} after epoch {ep}"
                                for i in range(n)])
        if snaps[-1].codes is not None and job.sample_labels is not None and not job.finished:
            charts.show(charts.latent_now(snaps[-1], job.sample_labels, names, item),
                        key="trn_latent_now",
                        config={"displayModeBar": False})


def _image_metrics(card: dict) -> None:
    m = card.get("metrics", {})
    cols = st.columns(4)
    cols[0].metric("Test MSE per pixel", f"{m.get('mse', float('nan')):.4f}")
    cols[1].metric("Test PSNR", f"{m.get('psnr', float('nan')):.1f} dB")
    cols[2].metric("Test SSIM", f"{m.get('ssim', float('nan')):.3f}")
    cols[3].metric("Training time", _fmt_s(card["train_seconds"]))


def _result(job: Job) -> None:
    adopted = catalog.adopt_pending()
    key = adopted.get(job.id)
    if job.status == "failed":
        st.error(f"The training failed: {job.error}")
        return
    if job.model is None or key is None:
        st.warning(f"The training was cancelled: {job.error or 'nothing was kept'}.")
        return
    card = job.card
    label = next((e.label for e in catalog.entries() if e.key == key), card.get("title", ""))
    kept = (f"cancelled after {len(job.history)} epoch(s); the best epoch ({card['best_epoch']}) "
            "was kept" if job.status == "cancelled" else f"trained in {_fmt_s(card['train_seconds'])}")
    pages = ("Reconstruct, Bottleneck sizes, Denoise, Latent space (k = 2), Anomaly detection, "
             "Features" + (", Generate" if card["model"] in ("vae", "cvae") else "")
             if card["data"] != "sensors" else "Under the hood, My models")
    if job.save_error:  # e.g. the owner's quota: usable in this session, not kept
        st.success(f"**{catalog.plain(card['title'])}**: {kept}. It now appears as "
                   f"**{catalog.plain(label)}** in the model picker of every page for this "
                   f"session ({pages}).")
        st.error(f"It could not be kept in My models: {catalog.plain(job.save_error)}")
    else:
        st.success(f"**{catalog.plain(card['title'])}**: {kept}. It now appears as "
                   f"**{catalog.plain(label)}** in the model picker of every page ({pages}), "
                   "and is kept in **My models** on this "
                   "server for this browser.")
    if card["data"] == "sensors":  # a sequence AE: no test images, its validation error instead
        val = min((h["val_loss"] for h in job.history if math.isfinite(h["val_loss"])),
                  default=float("nan"))
        cols = st.columns(3)
        cols[0].metric("Cell", card["config"]["cell"].upper())
        cols[1].metric("Best validation MSE", f"{val:.4f}")
        cols[2].metric("Training time", _fmt_s(card["train_seconds"]))
        st.caption("Mean squared error per value on held-out normal sensor windows. Download it "
                   "below; Under the hood exports it as a PyTorch script.")
    else:
        _image_metrics(card)
    cached = st.session_state.get(BYTES_KEY)
    if cached is None or cached[0] != job.id:
        cached = (job.id, weights.to_bytes(job.model, card))
        st.session_state[BYTES_KEY] = cached
    st.download_button("Download the model (.safetensors, card inside)", data=cached[1],
                       file_name=f"{card.get('name') or slug(card['title'])}.safetensors",
                       mime="application/octet-stream", key="trn_download", on_click="ignore",
                       help="One file: the weights plus their card (type, settings, metrics). "
                            "Load it back below, or with aecore.weights.load_model.")
    if any(s.codes is not None for s in job.snapshots) and job.sample_labels is not None:
        memo = st.session_state.get(ANIM_KEY)
        if memo is None or memo[0] != job.id:  # 50 frames take a while to build: once per job
            memo = (job.id, charts.latent_animation(job.snapshots, job.sample_labels,
                                                     *class_names(job)))
            st.session_state[ANIM_KEY] = memo
        charts.show(memo[1], key="trn_latent_anim")  # its modebar: the frame shown, as PNG
        downloads.download_buttons(memo[1], "latent-map-animation", "trn_latent_anim_dl")
        st.caption(f"2,000 fixed test {class_names(job)[1]}s, coloured by label, encoded after every epoch "
                   "(epoch 0: the untrained network). Press play or drag the slider; the HTML "
                   "download keeps the animation.")


def job_panel(manager: JobManager) -> None:
    """The session's training: queue position or progress, curves and digits while it runs
    (polled by a fragment every 0.5 s), the result once it has finished."""
    job: Job | None = st.session_state.get(JOB_KEY)
    if job is None:
        st.info("Choose the settings (or a recipe above) and press **Start training**. The "
                "training runs on the server in the background: you can change widgets or visit "
                "other pages meanwhile.")
        return
    polling = not job.finished

    @st.fragment(run_every=POLL_S if polling else None)
    def panel() -> None:
        job: Job = st.session_state[JOB_KEY]
        st.subheader(job.title)
        _progress(job, manager)
        if not job.finished:
            st.button("Cancel", key="trn_cancel", on_click=job.cancel,
                      disabled=job.cancel_requested,
                      help="Stops within a second and keeps the best epoch so far.")
        _learning(job)
        if job.finished:
            if polling:  # it finished since the page was drawn: redraw it all, without polling
                st.rerun()
            _result(job)

    panel()


# upload

def upload_box() -> None:
    """Load a model file downloaded from this page back into the session's catalogue."""
    st.subheader("Load a model file")
    # the MIME type beside the extension makes Streamlit hand every file to us (a server-side
    # extension check would raise on a dropped .pt); model_from_bytes refuses it with a message
    up = st.file_uploader("A .safetensors file downloaded from this page",
                          type=["safetensors", "application/octet-stream"], key="trn_upload",
                          help="Checked before use: pickle files (.pt, .pth, .pkl) are refused, "
                               "and so is anything truncated or not made by this app.")
    if up is None:
        return
    seen = st.session_state.setdefault(UPLOADS_KEY, {})
    if up.file_id not in seen:
        try:
            model, card = weights.model_from_bytes(up.getvalue(), up.name)
            title = card.get("title") or up.name.rsplit(".", 1)[0]
            key = catalog.add_user_model(model, {**card, "title": title}, slug(title),
                                         status="uploaded")
            seen[up.file_id] = ("ok", next(e.label for e in catalog.entries() if e.key == key),
                                catalog.save_error())
        except AecoreError as exc:
            seen[up.file_id] = ("error", str(exc))
    status, text, *problem = seen[up.file_id]
    if status == "ok":
        st.success(f"Loaded: it now appears as **{catalog.plain(text)}** in the model picker "
                   "of every page.")
        if problem and problem[0]:
            st.error(f"It could not be kept in My models: {catalog.plain(problem[0])}")
    else:
        st.error(f"This file cannot be loaded. {catalog.plain(text)}")


# the page
st.title("Train an autoencoder")
st.markdown("Pick a type and its settings, press **Start**, and watch it learn: the loss per epoch, "
            "the same test images rebuilt after every epoch and, for k = 2, the latent map taking "
            "shape. Small subsets and few epochs train in seconds.")

manager = get_manager()
preset_buttons()
left, right = st.columns([1, 1.4], gap="large")

with left:
    data = datasets.picker("trn_data")
    datasets.about(data, "train")
    type_name, settings, title = settings_form(manager.limits)
    how_it_learns(type_name, settings)
    job = st.session_state.get(JOB_KEY)
    busy = job is not None and not job.finished
    if st.button("Start training", type="primary", key="trn_start", disabled=busy):
        try:
            configs = mt.make_configs(type_name, **settings)
            # a type with its own data (the sequence AE: sensor windows) ignores the picker
            model_cfg, train_cfg = configs if mt.TYPES[type_name].dataset else retarget(*configs, data.name)
            title = unique_title(title)
            job = manager.submit(model_cfg, train_cfg, name=slug(title), title=title,
                                 on_result=library.job_saver(),  # kept in My models
                                 owner=library.owner(), client=library.client())
        except AecoreError as exc:
            st.error(f"These settings cannot be trained: {exc}")
        else:
            st.session_state[JOB_KEY] = job
            catalog.add_pending(job.id, job)
            st.rerun()  # redraw with Start disabled and the panel polling
    if busy:
        st.caption("One training per session at a time: cancel this one to start another.")
    st.caption(f"This server runs at most {manager.max_concurrent} training(s) at once "
               f"({manager.threads_per_job} CPU thread(s) each), at most "
               f"{manager.limits.max_epochs} epochs and "
               f"{min(manager.limits.max_subset, mt.N_TRAIN):,} "
               "images per training; later trainings wait in a queue.")

with right:
    job_panel(manager)

st.divider()
upload_box()
