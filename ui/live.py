"""The live parts of the pages: one Components v2 component that runs in the page itself.

``ui/static/decoder.js`` (the decoder's forward pass) and ``ui/static/live.js`` (the parts) are
read from the repository and registered once as the component ``ae_live``: no iframe, no build
step, nothing fetched. Pointer moves and slider drags are handled in the page and cause no script
run; a pin (click, Enter, the release of an arrow key) calls ``setStateValue``, one run.

- :func:`carry` sends a model's decoder (``aecore.export.decoder_payload``) to the page, once per
  model: the element's data is identical on every run, so Streamlit sends it once and then only a
  reference to it (its cache of large messages), and the page parses it once, by its id.
- :func:`latent_map`: the 2-D map, decoding the code under the pointer every animation frame.
- :func:`stops`: panels the server computed at every stop of a native slider; the page follows
  the slider's thumb while it is dragged (the slider still sends its value only on release).
- :func:`samples`: prior samples decoded in the page, ``z = temperature * eps``.
- :func:`rows`: one such panel without a slider, rows of labelled, captioned images.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import streamlit as st

from aecore.export import ExportError, decoder_payload
from aecore.models import Autoencoder

from . import loaders, widgets

STATIC = Path(__file__).resolve().parent / "static"
JS = (STATIC / "decoder.js").read_text() + "\n" + (STATIC / "live.js").read_text()
CSS = (STATIC / "live.css").read_text()
NAME = "ae_live"
_component = st.components.v2.component(NAME, js=JS, css=CSS)


# helpers

def b64(a: np.ndarray, dtype: str) -> str:
    """An array as base64 of its bytes in ``dtype`` (little-endian, C order)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def gray_b64(img: Any) -> str:
    """A (…, H, W) image in [0, 1] as base64 of uint8 grey pixels (``widgets.to_uint8``)."""
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
               lo: Sequence[float], hi: Sequence[float], step: float,
               pin: tuple[float, float] | None = None, *, sliders: tuple[str, str] = ("z1", "z2"),
               yours: tuple[float, float] | None = None, size: int = 520,
               on_pin: Callable[[], None] | None = None) -> Any:
    """The live latent map: ``codes`` (N, 2) as dots coloured by ``labels`` (N,) over the plane
    [lo, hi]; the code under the pointer is decoded in the page every animation frame. A click,
    Enter or the release of an arrow key pins a code (snapped to ``step``): the component's state
    ``pin`` becomes ``{"z1", "z2"}`` and ``on_pin`` runs. The pinned ring follows the native
    sliders labelled ``sliders`` (also while they are dragged); ``pin`` is shown until they are
    found (or where there are none). Keep ``pin`` the same from run to run (the first code
    shown): the element's data then stays the same, and the 10,000 codes are sent once.
    """
    data = {
        "kind": "map", "model": model_id, "codes": b64(codes[:, :2], "<f4"),
        "labels": b64(labels, "u1"), "lo": [float(v) for v in lo], "hi": [float(v) for v in hi],
        "step": float(step), "pin": None if pin is None else [float(pin[0]), float(pin[1])],
        "sliders": list(sliders),
        "yours": None if yours is None else [float(yours[0]), float(yours[1])], "size": int(size),
        "aria": "Latent map of the 10,000 test digits. Move the pointer to decode the code under "
                "it; click or press Enter to pin it; arrow keys move the pinned point (Shift: "
                "ten steps), released keys pin it.",
        "help": "Move the pointer over the map: the digit decodes live, in your browser. Click "
                "(or Enter) pins the code; arrow keys step it.",
    }
    data["rev"] = _rev(model_id, data["codes"][:64], len(data["codes"]), data["lo"], data["hi"],
                       data["yours"], data["size"])
    return _component(key=key, data=data, on_pin_change=on_pin or (lambda: None))


def pin_of(key: str) -> tuple[float, float] | None:
    """The code the latent map ``key`` last pinned, or None."""
    state = st.session_state.get(key)
    try:
        p = state["pin"]
        return float(p["z1"]), float(p["z2"])
    except (KeyError, TypeError, ValueError):
        return None


def stops(key: str, slider: str, values: Sequence[float], pages: list[dict],
          images: list[str], *, shape: tuple[int, int] = (28, 28), scale: int = 5,
          index: int = 0, by_index: bool = False, curve: dict | None = None) -> Any:
    """Panels for every stop of the native slider labelled ``slider``; the page shows the one at
    the thumb, also while it is dragged.

    ``values`` (N,) are the slider's stops (``by_index``: a select slider, whose thumb holds the
    stop's index); ``pages`` (N,) each ``{"heading", "note", "rows": [{"label", "cells":
    [{"title", "img", "caption"}]}]}``, where ``img`` indexes ``images`` (base64 grey uint8 of
    ``shape``, see :func:`gray_b64`: an image shared by several stops is sent once); ``curve``:
    ``{"x", "series": {name: ys}, "xmin", "xmax", "xlabel", "ylabel"}`` drawn with a marker at the
    stop's value. ``index`` is shown until the slider is found.
    """
    return _component(key=key, data=_panels("stops", slider, values, pages, images, shape, scale,
                                            index, by_index, curve))


def rows(key: str, rows: list[dict], images: list[str], *, heading: str = "",
         shape: tuple[int, int] = (28, 28), scale: int = 4) -> Any:
    """Rows of images drawn in the page as one element, under an optional ``heading``: each
    row's label on the left (bold; a newline starts its second line) and a caption under every
    image. ``rows`` as a page's rows in :func:`stops` (see :func:`panel_row`). One element instead
    of a column pair and an image list per row, and no image requests, which made a first visit
    of the Bottleneck page's 52 images slower (benchmarks/startup.py)."""
    return _component(key=key, data=_panels("rows", None, [0], [{"heading": heading, "rows": rows}],
                                            images, shape, scale, 0, True, None))


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


def _panels(kind: str, slider: str | None, values: Sequence[float], pages: list[dict],
            images: list[str], shape: tuple[int, int], scale: int, index: int, by_index: bool,
            curve: dict | None) -> dict:
    data = {"kind": kind, "slider": slider, "values": [float(v) for v in values],
            "stops": pages, "images": images, "h": int(shape[0]), "w": int(shape[1]),
            "scale": int(scale), "index": int(index), "by_index": bool(by_index), "curve": curve}
    data["rev"] = _rev(slider, data["values"], pages, images, data["scale"], curve)
    return data


def samples(key: str, model_id: str, eps: np.ndarray, *, count_slider: str, temp_slider: str,
            count: int, temperature: float, caption: str, scale: int = 3) -> Any:
    """Prior samples decoded in the page: the first ``count`` rows of ``temperature * eps``
    (``eps`` (n_max, k), drawn by the server for the seed), following the native count and
    temperature sliders while they are dragged. ``caption`` may hold ``{count}`` and
    ``{temperature}``."""
    eps = np.asarray(eps, dtype=np.float32)
    data = {"kind": "samples", "model": model_id, "eps": b64(eps, "<f4"), "k": int(eps.shape[1]),
            "count_slider": count_slider, "temp_slider": temp_slider, "count": int(count),
            "temperature": float(temperature), "caption": caption, "scale": int(scale)}
    data["rev"] = _rev(model_id, data["eps"], caption, scale)
    return _component(key=key, data=data)
