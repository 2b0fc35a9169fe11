"""The live parts of the pages: one Components v2 component that runs in the page itself.

Its JavaScript is the ES modules of ``ui/static/`` (entry ``live.js``, one module per part, linked
by :mod:`ui.jsmodules`), registered once as the component ``ae_live``: no iframe, no build step,
nothing fetched. Pointer moves and slider drags are handled in the page and cause no script run;
a pin (click, Enter, the release of an arrow key) calls ``setStateValue``, one run. Native
sliders are found by their widget key, never by their label. See docs/LIVE.md.

- :func:`carry` sends a model's decoder (``aecore.export.decoder_payload``) to the page, once per
  model: the element's data is identical on every run, so Streamlit sends it once and then only a
  reference to it (its cache of large messages), and the page parses it once, by its id.
- :func:`latent_map`: the 2-D map, decoding the code under the pointer every animation frame;
  :func:`map_pin` draws the session's z pair on it as the pinned ring.
- :func:`stops`: panels the server computed at every stop of a native slider; the page follows
  the slider's thumb while it is dragged (the slider still sends its value only on release).
- :func:`samples`: prior samples decoded in the page, ``z = temperature * eps``.
- :func:`rows`: one such panel without a slider, rows of labelled, captioned images.
"""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Callable, Sequence

import numpy as np
import streamlit as st

from aecore.datasets import plural
from aecore.export import ExportError, decoder_payload
from aecore.models import Autoencoder

from . import jsmodules, loaders, widgets

NAME = "ae_live"
_component = st.components.v2.component(NAME, js=jsmodules.component_js("live.js"),
                                         css=jsmodules.css("live.css"))


# helpers

def b64(a: np.ndarray, dtype: str) -> str:
    """An array as base64 of its bytes in ``dtype`` (little-endian, C order)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def gray_b64(img: Any) -> str:
    """A (…, H, W) image in [0, 1] as base64 of uint8 grey pixels (``widgets.to_uint8``); a
    colour image (3, H, W) goes as (H, W, 3) RGB bytes, which ``paint.js`` tells by their length."""
    return b64(widgets.to_uint8(img, 1), "u1")


def _rev(*parts: Any) -> str:
    """A short content hash: the page rebuilds a part only when this changes."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else json.dumps(p, sort_keys=True).encode())
    return h.hexdigest()[:16]


@st.cache_data(max_entries=16, show_spinner=False)
def _payload(tag: str, _model: Autoencoder) -> dict:
    return decoder_payload(_model)


def payload(key: str, model: Autoencoder, card: dict) -> dict:
    """The decoder payload of a catalogue model, built once per model name and card hash
    (ui.loaders' caching rule) and shared by every session that shows it."""
    return _payload(loaders.model_tag(key, card), model)


# the parts

def carry(key: str, model: Autoencoder, card: dict) -> str | None:
    """Send the model's decoder to the page (once per model; an empty element, no height);
    returns its id for :func:`latent_map` / :func:`samples`, or None when the decoder has a layer
    the page cannot run (the page then keeps its server path)."""
    try:
        p = payload(key, model, card)
    except ExportError:
        return None
    _component(key=f"live_carry_{p['id']}", data={"kind": "carry", "payload": p}, height=0)
    return p["id"]


def latent_map(key: str, model_id: str, codes: np.ndarray, labels: np.ndarray,
               lo: Sequence[float], hi: Sequence[float], step: float, *,
               yours: tuple[float, float] | None = None, size: int = 520,
               on_pin: Callable[[], None] | None = None, names: Sequence[str] | None = None,
               item: str = "digit") -> Any:
    """The live latent map: ``codes`` (N, 2) as dots coloured by ``labels`` (N,) over the plane
    [lo, hi]; the code under the pointer is decoded in the page every animation frame. A click,
    Enter or the release of an arrow key pins a code (snapped to ``step``): the component's state
    ``pin`` becomes ``{"z1", "z2"}`` and ``on_pin`` runs. The pinned ring is what :func:`map_pin`
    says; the element's data does not change with it, so the 10,000 codes are sent once.
    ``names`` label the legend's colours (a data set's class names; default 0-9), ``item`` is
    the word for one test item in the map's help texts.
    """
    data = {
        "kind": "map", "id": key, "model": model_id, "codes": b64(codes[:, :2], "<f4"),
        "labels": b64(labels, "u1"), "lo": [float(v) for v in lo], "hi": [float(v) for v in hi],
        "step": float(step),
        "yours": None if yours is None else [float(yours[0]), float(yours[1])], "size": int(size),
        "aria": f"Latent map of the {len(codes):,} test {plural(item)}. Move the pointer to decode the "
                "code under it; click or press Enter to pin it; arrow keys move the pinned point "
                "(Shift: ten steps), released keys pin it.",
        "help": f"Move the pointer over the map: the {item} decodes live, in your browser. Click "
                "(or Enter) pins the code; arrow keys step it.",
        "names": None if names is None else [str(n) for n in names], "item": item, "items": plural(item),
    }
    data["rev"] = _rev(model_id, data["codes"][:64], len(data["codes"]), data["lo"], data["hi"],
                       data["yours"], data["size"], data["names"])
    return _component(key=key, data=data, on_pin_change=on_pin or (lambda: None))


def map_pin(key: str, z: Sequence[float]) -> None:
    """Draw ``z`` as the pinned ring of the latent map ``key`` (an empty element, no height):
    the page's one z pair goes one way, from the session state to the map."""
    _component(key=f"{key}_pin", data={"kind": "pin", "map": key,
                                       "z": [float(z[0]), float(z[1])]}, height=0)


def pin_of(key: str) -> tuple[float, float] | None:
    """The code the latent map ``key`` last pinned, or None."""
    state = st.session_state.get(key)
    try:
        p = state["pin"]
        return float(p["z1"]), float(p["z2"])
    except (KeyError, TypeError, ValueError):
        return None


def stops(key: str, slider_key: str, values: Sequence[float], pages: list[dict],
          images: list[str], *, shape: tuple[int, int] = (28, 28), scale: int = 5,
          index: int = 0, by_index: bool = False) -> Any:
    """Panels for every stop of the native slider whose widget key is ``slider_key``; the page
    shows the one at the thumb, also while it is dragged.

    ``values`` (N,) are the slider's stops (``by_index``: a select slider, whose thumb holds the
    stop's index); ``pages`` (N,) each ``{"heading", "note", "say", "rows": [{"label", "cells":
    [{"title", "img", "caption"}]}]}``, where ``img`` indexes ``images`` (base64 grey or RGB
    uint8 of ``shape``, see :func:`gray_b64`: an image shared by several stops is sent once) and
    ``say`` (optional) is what a screen reader hears, politely, once a drag settles on the stop
    (its numbers, e.g. PSNR and SSIM). ``index`` is shown until the slider is found.
    """
    return _component(key=key, data=_panels("stops", slider_key, values, pages, images, shape,
                                            scale, index, by_index))


def rows(key: str, rows: list[dict], images: list[str], *, heading: str = "",
         shape: tuple[int, int] = (28, 28), scale: int = 4) -> Any:
    """Rows of images drawn in the page as one element, under an optional ``heading``: each
    row's label on the left (bold; a newline starts its second line) and a caption under every
    image. ``rows`` as a page's rows in :func:`stops` (see :func:`panel_row`). One element instead
    of a column pair and an image list per row, and no image requests (``benchmarks/startup.py``
    times the pages' first visits)."""
    return _component(key=key, data=_panels("rows", None, [0], [{"heading": heading, "rows": rows}],
                                            images, shape, scale, 0, True))


def panel_row(label: str, imgs: Sequence, captions: Sequence[str], images: list[str],
              encode: Callable[[Any], str] = gray_b64) -> dict:
    """One row for :func:`stops` or :func:`rows`: ``imgs`` (each (…, H, W) in [0, 1]) appended to
    ``images`` by ``encode`` (default :func:`gray_b64`; or base64 of (H, W, 3) uint8 RGB, e.g. an
    error map), each cell pointing at its image, with its caption."""
    cells = []
    for im, cap in zip(imgs, captions):
        images.append(encode(im))
        cells.append({"img": len(images) - 1, "caption": cap})
    return {"label": label, "cells": cells}


def _panels(kind: str, slider_key: str | None, values: Sequence[float], pages: list[dict],
            images: list[str], shape: tuple[int, int], scale: int, index: int,
            by_index: bool) -> dict:
    data = {"kind": kind, "slider": slider_key, "values": [float(v) for v in values],
            "stops": pages, "images": images, "h": int(shape[0]), "w": int(shape[1]),
            "scale": int(scale), "index": int(index), "by_index": bool(by_index)}
    data["rev"] = _rev(slider_key, data["values"], pages, images, data["scale"])
    return data


def samples(key: str, model_id: str, eps: np.ndarray, *, count_key: str, temp_key: str,
            count: int, temperature: float, caption: str, aria: str, scale: int = 3) -> Any:
    """Prior samples decoded in the page: the first ``count`` rows of ``temperature * eps``
    (``eps`` (n_max, k), drawn by the server for the seed), following the native count and
    temperature sliders (widget keys ``count_key``, ``temp_key``) while they are dragged.
    ``caption`` (shown) and ``aria`` (the grid's name for a screen reader, e.g. "{count} VAE
    samples at temperature {temperature}") may hold ``{count}`` and ``{temperature}``."""
    eps = np.asarray(eps, dtype=np.float32)
    data = {"kind": "samples", "model": model_id, "eps": b64(eps, "<f4"), "k": int(eps.shape[1]),
            "count_slider": count_key, "temp_slider": temp_key, "count": int(count),
            "temperature": float(temperature), "caption": caption, "aria": aria,
            "scale": int(scale)}
    data["rev"] = _rev(model_id, data["eps"], caption, aria, scale)
    return _component(key=key, data=data)
