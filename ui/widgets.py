"""Widgets and renderers several pages share (namespaced keys are passed in by each page)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import streamlit as st

from aecore.errors import AecoreError

from . import catalog, query

if TYPE_CHECKING:
    import torch

DIGIT_MODES = {"class": "By class", "index": "By index", "random": "Random"}  # URL text: radio option


def to_uint8(img, scale: int = 4) -> np.ndarray:
    """A (1, 28, 28) / (28, 28) image, a torch tensor or an array, in [0, 1] (or already uint8,
    0-255) as uint8, enlarged ``scale`` x by pixel repetition (crisp pixels, unlike the browser's
    blurry upscaling)."""
    a = img.detach().cpu().numpy() if hasattr(img, "detach") else np.asarray(img)
    a = a.reshape(a.shape[-2], a.shape[-1])
    if a.dtype != np.uint8:
        a = (np.clip(a, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return a.repeat(scale, 0).repeat(scale, 1) if scale > 1 else a


def picture(images, alt: str | Sequence[str], *, caption: str | Sequence[str] | None = None,
            width: int | str = "content", where=None) -> None:
    """Every image a page shows goes through here: ``st.image`` with a text alternative that says
    what it shows (``alt``: one per image, e.g. "test digit 7, #0"), which a screen reader reads
    in place of the pixels. ``images`` as ``st.image`` takes them (one, or a list)."""
    one = not isinstance(images, (list, tuple))
    alts = [alt] if isinstance(alt, str) else list(alt)
    if len(alts) != (1 if one else len(images)) or not all(a and a.strip() for a in alts):
        raise ValueError("every image needs a non-empty alt text")
    (where or st).image(images, caption=caption, width=width, alt=alts[0] if one else alts)


def image_row(images: Sequence, captions: Sequence[str] | None = None, scale: int = 4, *,
              alts: Sequence[str]) -> None:
    """Show images side by side, each with an optional caption and its alt text (see
    :func:`picture`)."""
    imgs = [to_uint8(im, scale) for im in images]
    picture(imgs, list(alts), caption=list(captions) if captions else None, width=28 * scale)


# the one CSS place: contrast and motion for every page (injected by the frame, app.py); theme
# colours are in .streamlit/config.toml. Constant text: no user input ever reaches it.
A11Y_CSS = """<style>
/* captions (under images too) and the sidebar's hints: Streamlit draws them at opacity 0.6
   (#828180 on white, 3.9:1); WCAG AA wants 4.5:1 for small text: #5f5e5d is 6.4:1 on white */
[data-testid="stCaptionContainer"], [data-testid="stImageCaption"] { opacity: 1; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stImageCaption"], [data-testid="stImageCaption"] p { color: #5f5e5d; }
/* a long display formula wraps at its operators (a phone, presenter mode's half columns) instead
   of scrolling sideways: KaTeX's scroll box cannot be focused, so a keyboard could not scroll it */
.katex-display > .katex, .katex-display > .katex > .katex-html { white-space: normal; }
.katex-display .base { margin: 0.15em 0; }
/* a visible focus on everything the keyboard reaches */
button:focus-visible, a:focus-visible, input:focus-visible, [role="button"]:focus-visible,
[role="tab"]:focus-visible, summary:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid #0072B2 !important; outline-offset: 2px; }  /* over Streamlit's "none" */
/* motion: no tweening and no Play button on an animated chart for who asked for less motion
   (the epoch slider still steps through the frames) */
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation-duration: 0.01ms !important;
    animation-iteration-count: 1 !important; transition-duration: 0.01ms !important;
    scroll-behavior: auto !important; }
  [data-testid="stPlotlyChart"] .updatemenu-container { display: none; }
}
</style>"""


# a polite live region that stays in the page from run to run, so that a screen reader hears
# each new text: Streamlit's own elements replace their markup on a change (st.html sets
# innerHTML), and a region inserted with its text already in it is not reliably announced
_ANNOUNCE_JS = """
const MIN_GAP_MS = 2000;  // at most one announcement per 2 s: a fast run must not flood a reader
export default function ({ data, parentElement }) {
  const p = parentElement.querySelector(".ae-announce");
  if (!p || !data) return;
  const st = p.__ae || (p.__ae = { last: 0, timer: null, text: p.textContent });
  const show = () => { st.timer = null; st.last = Date.now(); p.textContent = st.want; };
  st.want = data.text || "";
  if (st.want === p.textContent) return;
  const wait = MIN_GAP_MS - (Date.now() - st.last);
  if (wait <= 0) show(); else if (!st.timer) st.timer = setTimeout(show, wait);
}
"""
_ANNOUNCE_CSS = """.ae-announce { position: absolute; width: 1px; height: 1px; margin: -1px;
  padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }"""
_announcer = st.components.v2.component(
    "ae_announce", html='<p class="ae-announce" role="status" aria-live="polite" '
                        'aria-atomic="true"></p>', js=_ANNOUNCE_JS, css=_ANNOUNCE_CSS)


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
    """Images (each (1, H, W) or (H, W) in [0, 1]) side by side as one uint8 image, scaled
    ``scale`` times, with ``gap`` white pixels between them: (H * scale, n * (W * scale + gap) -
    gap)."""
    imgs = [to_uint8(im, scale) for im in images]
    h = imgs[0].shape[0]
    out = np.full((h, sum(im.shape[1] for im in imgs) + gap * (len(imgs) - 1)), 255, np.uint8)
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
                  mode_default: str = "By class") -> list[int]:
    """Choose test digits by class, by index or at random; returns test-set indices. The choice
    is kept in the URL: ``digits=class&n=8&class=3``, ``digits=index&n=8&first=100`` or
    ``digits=random&n=8&seed=5``."""
    import torch  # here: the frame imports this module before torch is imported (startup.warmup)
    mode = query.radio("digits", "Digits", DIGIT_MODES, mode_default, key=f"{key}_mode",
                       horizontal=True)
    n = query.slider("n", "How many", 1, 16, n_default, key=f"{key}_n")
    if mode == "By class" and labels is not None:
        d = query.select("class", "Digit class", list(range(10)), 0, key=f"{key}_class")
        return torch.nonzero(labels == d).flatten()[:n].tolist()
    if mode == "By index":  # the first index leaves room for n digits after it
        start = query.number("first", "First test index", 0, 10_000 - n, 0, key=f"{key}_index",
                             step=1)
        return list(range(int(start), int(start) + n))
    seed = query.number("seed", "Seed", 0, 1_000_000, 0, key=f"{key}_seed", step=1)
    g = torch.Generator().manual_seed(int(seed))
    return torch.randperm(10_000, generator=g)[:n].tolist()


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
