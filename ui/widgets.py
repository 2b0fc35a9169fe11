"""Widgets and renderers several pages share (namespaced keys are passed in by each page)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import streamlit as st

from aecore.errors import AecoreError

from . import catalog, jsmodules, query

if TYPE_CHECKING:
    import torch

DIGIT_MODES = {"class": "By class", "index": "By index", "random": "Random"}  # URL text: radio option


def to_uint8(img, scale: int = 4) -> np.ndarray:
    """A (1, H, W) / (H, W) grey or (3, H, W) / (H, W, 3) colour image, a torch tensor or an
    array, in [0, 1] (or already uint8,
    0-255) as uint8, enlarged ``scale`` x by pixel repetition (crisp pixels, unlike the browser's
    blurry upscaling)."""
    a = img.detach().cpu().numpy() if hasattr(img, "detach") else np.asarray(img)
    if a.ndim == 3 and a.shape[0] == 3:
        a = a.transpose(1, 2, 0)  # a colour image (3, H, W) -> (H, W, 3), as st.image takes it
    elif not (a.ndim == 3 and a.shape[-1] == 3):
        a = a.reshape(a.shape[-2], a.shape[-1])
    if a.dtype != np.uint8:
        a = (np.clip(a, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return a.repeat(scale, 0).repeat(scale, 1) if scale > 1 else a


def picture(images, alt: str | Sequence[str], *, caption: str | Sequence[str] | None = None,
            width: int | str = "content", where=None, **kwargs) -> None:
    """Every image a page shows goes through here: ``st.image`` with a text alternative that says
    what it shows (``alt``: one per image, e.g. "test digit 7, #0"), which a screen reader reads
    in place of the pixels. ``images`` as ``st.image`` takes them (one, or a list); ``kwargs`` go to
    ``st.image`` (``output_format``, ``clamp``)."""
    one = not isinstance(images, (list, tuple))
    alts = [alt] if isinstance(alt, str) else list(alt)
    if len(alts) != (1 if one else len(images)) or not all(a and a.strip() for a in alts):
        raise ValueError("every image needs a non-empty alt text")
    (where or st).image(images, caption=caption, width=width, alt=alts[0] if one else alts,
                        **kwargs)


def image_row(images: Sequence, captions: Sequence[str] | None = None, scale: int = 4, *,
              alts: Sequence[str]) -> None:
    """Show images side by side, each with an optional caption and its alt text (see
    :func:`picture`)."""
    imgs = [to_uint8(im, scale) for im in images]
    width = imgs[0].shape[1] if imgs else 28 * scale
    picture(imgs, list(alts), caption=list(captions) if captions else None, width=width)


# the one CSS place: contrast and motion for every page (injected by the frame, app.py); theme
# colours are in .streamlit/config.toml. Constant text: no user input ever reaches it.
A11Y_CSS = f"<style>{jsmodules.css('a11y.css')}</style>"


# a polite live region that stays in the page from run to run (ui/static/announce.js)
_announcer = st.components.v2.component(
    "ae_announce", html='<p class="ae-announce" role="status" aria-live="polite" '
                        'aria-atomic="true"></p>', js=jsmodules.component_js("announce.js"),
    css=jsmodules.css("announce.css"))


def announce(text: str, key: str) -> None:
    """Say ``text`` to a screen reader, politely (``aria-live="polite"``), when it changes: a
    visually hidden region kept in the page under ``key`` whose text the page sets itself, at
    most once per 2 s. The server should change ``text`` only when there is news (an epoch
    ended), not on every poll."""
    _announcer(key=key, data={"text": text}, height=0)


def page_style() -> None:
    """The app's accessibility CSS (:data:`A11Y_CSS`), once per run: style-only HTML goes to
    Streamlit's event container and takes no room on the page."""
    st.html(A11Y_CSS)


def strip(images: Sequence, scale: int = 3, gap: int = 2) -> np.ndarray:
    """Images (each grey (1, H, W) / (H, W) or colour (3, H, W), in [0, 1]) side by side as one
    uint8 image, scaled ``scale`` times, with ``gap`` white pixels between them: (H * scale,
    n * (W * scale + gap) - gap), with a last axis of 3 for colour."""
    imgs = [to_uint8(im, scale) for im in images]
    h = imgs[0].shape[0]
    out = np.full((h, sum(im.shape[1] for im in imgs) + gap * (len(imgs) - 1), *imgs[0].shape[2:]),
                  255, np.uint8)
    x = 0
    for im in imgs:
        out[:, x:x + im.shape[1]] = im
        x += im.shape[1] + gap
    return out


def model_picker(label: str, key: str, where: Callable[[dict], bool] | None = None,
                 default: str | None = None, help: str | None = None) -> str | None:
    """A select box over the catalogue (zoo + this session's models); returns the chosen key."""
    items = catalog.entries(where)
    if not items:
        st.warning("No model of this kind is available: the pretrained/ folder is empty or broken. "
                   "Train one on the Train page, or restore pretrained/ (make pretrained).")
        return None
    keys = [e.key for e in items]
    labels = {e.key: e.label for e in items}
    if key not in st.session_state or st.session_state[key] not in keys:
        st.session_state[key] = default if default in keys else keys[0]
    shared = catalog.preferred(None)  # a model opened by a share link: picked once per picker
    offered = st.session_state.setdefault("_shared_picked", set())
    if shared in keys and (shared, key) not in offered:
        offered.add((shared, key))
        st.session_state[key] = shared
    return st.selectbox(label, keys, format_func=labels.get, key=key, help=help)


def load_or_stop(key: str | None):
    """Model and card for a catalogue key, or an error message and ``st.stop()``."""
    if key is None:
        st.stop()
    try:
        return catalog.get(key)
    except KeyError:
        st.error(f"The model {key!r} is no longer available. Pick another one.")
    except AecoreError as exc:
        st.error(f"This model could not be loaded: {exc}")
    st.stop()


def digit_indices(key: str, n_default: int = 8, labels: torch.Tensor | None = None,
                  mode_default: str = "By class", names: Sequence[str] | None = None,
                  item: str = "digit", n_total: int = 10_000) -> list[int]:
    """Choose test items by class, by index or at random; returns test-set indices. The choice
    is kept in the URL: ``digits=class&n=8&class=3``, ``digits=index&n=8&first=100`` or
    ``digits=random&n=8&seed=5``. ``names`` are the data set's class names (default the ten
    digits), ``item`` its word for one item, ``n_total`` its test split's size."""
    import torch  # here: the frame imports this module before torch is imported (startup.warmup)
    names = list(names) if names else [str(d) for d in range(10)]
    mode = query.radio("digits", f"{item.capitalize()}s", DIGIT_MODES, mode_default,
                       key=f"{key}_mode", horizontal=True)
    n = query.slider("n", "How many", 1, 16, n_default, key=f"{key}_n")
    if mode == "By class" and labels is not None and len(names) > 1:
        d = query.select("class", f"{item.capitalize()} class", list(range(len(names))), 0,
                         key=f"{key}_class", format_func=lambda c: names[c])
        return torch.nonzero(labels == d).flatten()[:n].tolist()
    if mode == "By index" or mode == "By class":  # the first index leaves room for n after it
        start = query.number("first", "First test index", 0, max(0, n_total - n), 0,
                             key=f"{key}_index", step=1)
        return list(range(int(start), min(int(start) + n, n_total)))
    seed = query.number("seed", "Seed", 0, 1_000_000, 0, key=f"{key}_seed", step=1)
    g = torch.Generator().manual_seed(int(seed))
    return torch.randperm(n_total, generator=g)[:n].tolist()


def job_progress(job, label: str, poll_s: float = 0.5) -> bool:
    """While a background training (an :class:`aecore.jobs.Job`) runs: a progress bar polled by
    a fragment every ``poll_s`` seconds, which reruns the page once the job has finished.
    Returns True when the job has finished (draw its result), False while it runs."""
    if job.finished:
        return True

    @st.fragment(run_every=poll_s)
    def poll() -> None:
        if job.finished:
            st.rerun()
        p = job.progress
        text = ("waiting in the queue" if job.status == "queued"
                else f"epoch {p.epoch}/{p.total_epochs}" if p else job.stage)
        st.progress(min(p.fraction, 1.0) if p else 0.0, text=f"{label}: {text}")

    poll()
    return False
