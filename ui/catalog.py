"""The model catalogue a page picks from: the shipped zoo, this browser's saved models, and a
model opened through a share link.

A key is ``"zoo:NAME"`` for a shipped model, ``"user:ID"`` for one of this browser's models (ID
is its id in the model library, :mod:`ui.library`; a model the library could not keep, e.g. over
quota, stays in this session only, under its name in ``st.session_state["user_models"]``), or
``"shared:SHARE_ID"`` for a model opened read-only through a ``?shared=`` link.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import streamlit as st

from aecore.datasets import card_dataset
from aecore.errors import AecoreError
from aecore.store import Forbidden, InvalidId, NotFound, StoreError, is_valid_id

from . import library, loaders

if TYPE_CHECKING:
    from aecore.models import Autoencoder

USER_KEY = "user_models"
SHARED_KEY = "shared_model"        # session_state: the share id this session opened by link
SAVE_ERROR_KEY = "library_error"   # session_state: why the last model could not be kept


def plain(text: Any) -> str:
    """``text`` (a name, title, file name or link value someone typed, or a message holding
    one) for an element that renders Markdown (``st.info``, ``st.success``, ``st.toast``...),
    shown exactly as typed: as an inline code span, fenced by more backticks than it holds.
    Inside code nothing acts: no link, image, emphasis, HTML, maths or directive, and no
    autolinked address (Streamlit links bare https:// and www. text even when escaped)."""
    body = " ".join(str(text).split())  # no line breaks: no headings, lists or tables
    if not body:
        return "` `"
    fence = "`" * (max((len(r) for r in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body[0] == "`" or body[-1] == "`" else ""
    return f"{fence}{pad}{body}{pad}{fence}"


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    card: dict


def user_models() -> dict[str, tuple[Autoencoder, dict]]:
    """This session's models by id: ``{id: (model, card)}``."""
    return st.session_state.setdefault(USER_KEY, {})


SAVED_KEY = "user_models_saved"  # session_state: {session name: library id} of kept models


def add_user_model(model: Autoencoder, card: dict, name: str | None = None,
                   status: str = "done", saved=None) -> str:
    """Keep a model for this browser in the library (unless ``saved``, its record, says it
    already is) and in this session; returns its key, ``user:ID`` with the library's id. When
    the library refuses it (quota, no library) it stays in this session only, under
    ``user:NAME``, and :func:`save_error` says why."""
    st.session_state.pop(SAVE_ERROR_KEY, None)
    if saved is None:
        try:
            saved = library.save(model, card, name=card.get("title") or name, status=status)
        except (StoreError, AecoreError) as exc:
            st.session_state[SAVE_ERROR_KEY] = str(exc)
    key = add_session_model(model, card, name)
    if saved is None:
        return key
    # the session keeps its own reference too (fast, and the page's tests read it), listed once
    st.session_state.setdefault(SAVED_KEY, {})[key.partition(":")[2]] = saved.id
    return f"user:{saved.id}"


def save_error() -> str | None:
    """Why the last model added could not be kept in the library (None when it was)."""
    return st.session_state.get(SAVE_ERROR_KEY)


def add_session_model(model: Autoencoder, card: dict, name: str | None = None) -> str:
    """Add a model to this session's catalogue only; returns its key (``user:NAME``)."""
    models = user_models()
    base = name or card.get("name") or "my_model"
    uid, i = base, 2
    while uid in models:
        uid, i = f"{base}_{i}", i + 1
    card = {**card, "name": uid}
    models[uid] = (model.eval(), card)
    return f"user:{uid}"


PENDING_KEY = "user_models_pending"
ADOPTED_KEY = "user_models_adopted"


def add_pending(pid: str, source) -> None:
    """Register a model that will exist later, e.g. a background training: ``source`` has
    ``finished`` and ``result() -> (model, card) | None``. It joins this session's catalogue the
    first time any page lists models after it has finished, whichever page that is."""
    st.session_state.setdefault(PENDING_KEY, {})[pid] = source


def adopt_pending() -> dict[str, str]:
    """Move finished pending models into the catalogue; returns ``{pending id: catalogue key}``
    for every model adopted so far in this session."""
    pending = st.session_state.setdefault(PENDING_KEY, {})
    adopted = st.session_state.setdefault(ADOPTED_KEY, {})
    for pid, source in list(pending.items()):
        if source.finished:
            del pending[pid]
            result = source.result()
            if result is not None:
                # a training already saved by its on_result; else (an error) saved now or kept
                # in this session with the reason in save_error()
                saved = getattr(source, "saved", None)
                if saved is None and getattr(source, "save_error", None):
                    adopted[pid] = add_session_model(*result)
                    st.session_state[SAVE_ERROR_KEY] = source.save_error
                else:
                    adopted[pid] = add_user_model(*result, saved=saved)
    return adopted


def entries(where: Callable[[dict], bool] | None = None) -> list[Entry]:
    """Every model a page may offer, zoo first, filtered by ``where(card)``."""
    adopt_pending()
    out = [Entry(f"zoo:{n}", c.get("title") or n, c) for n, c in loaders.cards().items()]
    out += [Entry(f"user:{r.id}", f"{r.name} (yours)", r.card) for r in library.mine()
            if library.usable(r)]
    kept = st.session_state.get(SAVED_KEY, {})
    out += [Entry(f"user:{uid}", f"{c.get('title') or uid} (yours, this session only)", c)
            for uid, (_, c) in user_models().items() if uid not in kept]
    sid = st.session_state.get(SHARED_KEY)
    if sid:
        try:
            rec, _, card = library.shared(sid)
            out.append(Entry(f"shared:{sid}", f"{rec.name} (shared)", card))
        except (StoreError, AecoreError):
            st.session_state.pop(SHARED_KEY, None)
    return [e for e in out if where is None or where(e.card)]


def get(key: str) -> tuple[Autoencoder, dict]:
    """Model and card for a catalogue key. Raises KeyError for an unknown key and
    aecore's WeightsError for a broken shipped file."""
    src, _, name = key.partition(":")
    if src == "zoo":
        return loaders.zoo_model(name)
    if src == "user" and name in user_models():
        return user_models()[name]
    if src == "user" and is_valid_id(name):
        try:
            return library.load(name)  # CorruptModel (an AecoreError) goes to the page's message
        except (NotFound, Forbidden, InvalidId) as exc:  # deleted, or someone else's
            raise KeyError(key) from exc
    if src == "shared" and is_valid_id(name):
        try:
            _, model, card = library.shared(name)
        except (NotFound, Forbidden, InvalidId) as exc:  # unknown or revoked link
            raise KeyError(key) from exc
        return model, card
    raise KeyError(key)


def open_shared_link() -> None:
    """Honour a ``?shared=<id>`` link (call from the app's frame, every page): the model joins
    this session's pickers read-only and is picked by default; an unknown or revoked id gives a
    message and the default model is used."""
    raw = st.query_params.get(library.SHARED_PARAM)
    if raw is None:
        return
    try:
        rec, _, _ = library.shared(raw)
    except (StoreError, AecoreError) as exc:
        st.session_state.pop(SHARED_KEY, None)
        st.warning(f"This link's model cannot be opened: {plain(exc)}. The default model is "
                   "used instead.", icon=":material/link_off:")
        return
    if st.session_state.get(SHARED_KEY) != raw:
        st.session_state[SHARED_KEY] = raw
    st.info(f"Shared model **{plain(rec.name)}** ({plain(rec.type)}, k = {rec.k}) is open "
            "read-only: it is picked in the model pickers, marked (shared).",
            icon=":material/share:")


def preferred(default: str | None) -> str | None:
    """The model a picker starts on: the shared model this session opened by link, if any."""
    sid = st.session_state.get(SHARED_KEY)
    return f"shared:{sid}" if sid else default


# filters pages use
NOT_IMAGES = ("seq", "tabular", "text", "sound", "imageset")  # model kinds


def any_image(card: dict) -> bool:
    """An image model, whatever data set it was trained on (pass it to ``ui.datasets.on``)."""
    return card.get("model") not in NOT_IMAGES


def is_image(card: dict) -> bool:
    """An image model trained on MNIST: a page that shows MNIST digits offers only these (a
    page with a data-set picker filters by ``ui.datasets.on`` instead); not series, not photos."""
    return any_image(card) and card.get("model") != "photo" and card_dataset(card) == "mnist"


def rebuilds(card: dict) -> bool:
    """Image models that rebuild an item of their data set without its class label (a CVAE
    needs one; a photo restorer is for whole photos): pass it to ``ui.datasets.on``."""
    return any_image(card) and card.get("model") not in ("photo", "cvae")


def takes_images(card: dict) -> bool:
    """Image models that rebuild a digit without its class label (:func:`rebuilds`, MNIST)."""
    return rebuilds(card) and card_dataset(card) == "mnist"


def words_model(card: dict) -> bool:
    """A character-level text AE trained on the bundled word list (the Text page's models)."""
    return card.get("model") == "text" and card.get("train", {}).get("dataset") == "words"


def latent_dim(card: dict) -> int:
    return int(card.get("config", {}).get("latent_dim", 0))
