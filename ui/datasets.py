"""The data-set picker every page shares, linked to the URL (``?data=fashion-mnist``), and a
user's own image sets: those in this browser's library, and one opened by a share link
(``?imageset=SHARE_ID``), registered in :data:`aecore.datasets.DATASETS` when first used."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from aecore import imageset
from aecore.datasets import DATASETS, DataSet, card_dataset
from aecore.errors import AecoreError
from aecore.store import StoreError

from . import library, query

SHARED_SET_PARAM = "imageset"
OPENED_KEY = "ds_opened"  # session_state: {dataset name: library record name} of opened sets


@st.cache_resource(max_entries=16, show_spinner=False)
def _registered(set_id: str, size: int, _data: bytes) -> str:
    # keyed by record id and size; the set registers under its content name (not its id)
    return imageset.register(imageset.from_bytes(_data)).name


def open_set(set_id: str | None = None, share_id: str | None = None) -> DataSet:
    """Register one of this browser's sets (or a shared one) and return it; raises the
    library's errors with a message fit for the page."""
    rec, data = library.set_bytes(set_id, share_id)
    name = _registered(rec.id, rec.size, data)
    st.session_state.setdefault(OPENED_KEY, {})[name] = rec.name
    return DATASETS[name]


def _open_shared_link() -> str | None:
    sid = st.query_params.get(SHARED_SET_PARAM)
    if not sid:
        return None
    try:
        return open_set(share_id=sid).name
    except (StoreError, AecoreError) as exc:
        st.warning(f"The shared image set could not be opened: {exc}")
        return None


def app_root() -> str:
    """``scheme://host[:port][/base path]`` of the app as this browser reached it."""
    from urllib.parse import urlsplit
    parts = urlsplit(st.context.url or "")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{origin}/{base}" if base else origin


def choices(fits: Callable[[DataSet], bool] | None = None) -> list[str]:
    """Names of the data sets a picker offers: the shipped ones, then this browser's own."""
    for rec in library.my_sets():
        try:
            open_set(rec.id)
        except (StoreError, AecoreError):
            continue  # a damaged set is listed on My image sets with its problem
    return [n for n, d in DATASETS.items() if fits is None or fits(d)]


def picker(key: str, fits: Callable[[DataSet], bool] | None = None, where=None,
           default: str = "mnist") -> DataSet:
    """A linked select box of data sets (``data=NAME`` in the URL); returns the chosen one.
    A shared image-set link (``?imageset=``) opens that set and picks it."""
    shared = _open_shared_link()
    names = choices(fits)
    applied = st.session_state.setdefault("ds_shared_applied", set())
    if shared and shared in names and (shared, key) not in applied:  # picked once per picker
        applied.add((shared, key))
        query.put(key, shared)
    opened = st.session_state.get(OPENED_KEY, {})

    def label(n: str) -> str:
        d = DATASETS[n]
        return f"{opened[n]} (your images)" if n in opened else d.label
    name = query.select("data", "Data set", names, default if default in names else names[0],
                        key=key, where=where, format_func=label)
    return DATASETS[name]


def on(dataset: DataSet, allow: Callable[[dict], bool] | None = None) -> Callable[[dict], bool]:
    """A model-picker filter: models trained on ``dataset`` (and passing ``allow``)."""
    return lambda card: card_dataset(card) == dataset.name and (allow is None or allow(card))


def about(d: DataSet, split: str = "test") -> None:
    """One caption: what the set is, where its split came from, its licence and credit."""
    from aecore.data import load_split
    try:
        src = load_split(split, d.name).source
    except AecoreError as exc:
        st.warning(str(exc))
        return
    if d.name.startswith("user-"):  # a user's set: its name is theirs, shown as text
        st.text(f"{d.summary}. Read from: {src}.")
    else:
        st.caption(f"{d.summary} Read from: {src}. Licence: {d.licence}. Credit: {d.credit}.")
