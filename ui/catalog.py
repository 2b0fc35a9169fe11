"""The model catalogue a page picks from: the shipped zoo plus this session's own models.

A key is ``"zoo:NAME"`` for a shipped model or ``"user:ID"`` for one trained or uploaded in this
session (kept in ``st.session_state["user_models"]``, plain data: module + card per id).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from aecore.models import Autoencoder

from . import loaders

USER_KEY = "user_models"


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    card: dict


def user_models() -> dict[str, tuple[Autoencoder, dict]]:
    """This session's models by id: ``{id: (model, card)}``."""
    return st.session_state.setdefault(USER_KEY, {})


def add_user_model(model: Autoencoder, card: dict, name: str | None = None) -> str:
    """Add a model to this session's catalogue; returns its key (``user:ID``)."""
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
                adopted[pid] = add_user_model(*result)
    return adopted


def entries(where: Callable[[dict], bool] | None = None) -> list[Entry]:
    """Every model a page may offer, zoo first, filtered by ``where(card)``."""
    adopt_pending()
    out = [Entry(f"zoo:{n}", c.get("title") or n, c) for n, c in loaders.cards().items()]
    out += [Entry(f"user:{uid}", f"{c.get('title') or uid} (yours)", c)
            for uid, (_, c) in user_models().items()]
    return [e for e in out if where is None or where(e.card)]


def get(key: str) -> tuple[Autoencoder, dict]:
    """Model and card for a catalogue key. Raises KeyError for an unknown key and
    aecore's WeightsError for a broken shipped file."""
    src, _, name = key.partition(":")
    if src == "zoo":
        return loaders.zoo_model(name)
    if src == "user" and name in user_models():
        return user_models()[name]
    raise KeyError(key)


# filters pages use
def is_image(card: dict) -> bool:
    return card.get("model") != "seq"


def is_vae(card: dict) -> bool:
    return card.get("model") in ("vae", "cvae")


def latent_dim(card: dict) -> int:
    return int(card.get("config", {}).get("latent_dim", 0))
