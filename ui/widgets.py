"""Widgets and renderers several pages share (namespaced keys are passed in by each page)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import streamlit as st
import torch

from aecore.errors import AecoreError

from . import catalog, query

DIGIT_MODES = {"class": "By class", "index": "By index", "random": "Random"}  # URL text: radio option


def to_uint8(img: torch.Tensor | np.ndarray, scale: int = 4) -> np.ndarray:
    """A (1, 28, 28) / (28, 28) image in [0, 1] as uint8, enlarged ``scale`` x by pixel
    repetition (crisp pixels, unlike the browser's blurry upscaling)."""
    a = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
    a = np.clip(a.reshape(a.shape[-2], a.shape[-1]), 0.0, 1.0)
    a = (a * 255 + 0.5).astype(np.uint8)
    return a.repeat(scale, 0).repeat(scale, 1) if scale > 1 else a


def image_row(images: Sequence, captions: Sequence[str] | None = None, scale: int = 4,
              width: int | None = None) -> None:
    """Show images side by side, each with an optional caption."""
    imgs = [to_uint8(im, scale) for im in images]
    st.image(imgs, caption=list(captions) if captions else None, width=width or 28 * scale)


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


def digit_indices(key: str, n_default: int = 8, labels: torch.Tensor | None = None) -> list[int]:
    """Choose test digits by class, by index or at random; returns test-set indices. The choice
    is kept in the URL: ``digits=class&n=8&class=3``, ``digits=index&n=8&first=100`` or
    ``digits=random&n=8&seed=5``."""
    query.qp_choice("digits", DIGIT_MODES, st.session_state.get(f"{key}_mode", "By class"),
                    key=f"{key}_mode")
    mode = st.radio("Digits", list(DIGIT_MODES.values()), horizontal=True, key=f"{key}_mode")
    query.qp_int("n", 1, 16, n_default, key=f"{key}_n")
    n = st.slider("How many", 1, 16, n_default, key=f"{key}_n")
    query.sync(digits=query.text_of(DIGIT_MODES, mode), n=n)
    if mode == "By class" and labels is not None:
        query.qp_choice("class", list(range(10)), 0, key=f"{key}_class")
        d = st.selectbox("Digit class", list(range(10)), key=f"{key}_class")
        query.sync(**{"class": d})
        return torch.nonzero(labels == d).flatten()[:n].tolist()
    if mode == "By index":
        query.qp_int("first", 0, 10_000 - n, 0, key=f"{key}_index")
        if st.session_state.get(f"{key}_index", 0) > 10_000 - n:  # more digits than fit after it
            st.session_state[f"{key}_index"] = 10_000 - n
        start = st.number_input("First test index", 0, 10_000 - n, 0, step=1, key=f"{key}_index")
        query.sync(first=int(start))
        return list(range(int(start), int(start) + n))
    query.qp_int("seed", 0, 1_000_000, 0, key=f"{key}_seed")
    seed = st.number_input("Seed", 0, 1_000_000, 0, step=1, key=f"{key}_seed")
    query.sync(seed=int(seed))
    g = torch.Generator().manual_seed(int(seed))
    return torch.randperm(10_000, generator=g)[:n].tolist()
