"""The model library as the pages see it: one store per process, this browser's models, shared
links, and the bounded SIGTERM stop.

- :func:`store` opens :func:`aecore.store.open_store` once per process (``st.cache_resource``)
  and installs :mod:`aecore.shutdown`'s handler on the server's event loop (main thread).
- :func:`mine` lists this browser's models; :func:`load` opens one after the ownership check on
  every call; the weights are deserialised once per model id and shared (eval mode, read only,
  like the zoo's).
- :func:`shared` answers a ``?shared=<id>`` link: the model read-only, or a message.
- :func:`save` / :func:`job_saver` keep a model for this browser; errors come back as messages.
"""
from __future__ import annotations

import logging

import streamlit as st

from aecore import shutdown
from aecore.config import env_number
from aecore.store import (MISSING, ModelRecord, ModelStore, NotFound, StoreError, is_valid_id,
                          job_saver as _job_saver, open_store)

from . import owner as owner_mod

_LOG = logging.getLogger(__name__)
SHARED_PARAM = "shared"


def _install_stop() -> None:
    """The bounded SIGTERM stop, installed on Streamlit's event loop (signal handlers can only
    be set on the main thread; this script runs on another)."""
    try:
        from streamlit.runtime import Runtime
        loop = Runtime.instance()._get_async_objs().eventloop  # private, but stable since 1.2x
    except Exception:  # noqa: BLE001 - AppTest or a changed Streamlit: only the bounded stop is lost
        return
    shutdown.install_via_loop(loop)


@st.cache_resource(show_spinner=False)
def _open() -> ModelStore | str:
    _install_stop()
    try:
        return open_store()
    except Exception as exc:  # noqa: BLE001 - a page still works without the library
        _LOG.error("the model library could not be opened: %s", type(exc).__name__)
        return f"The model library is not available on this server ({type(exc).__name__}: {exc})."


def store() -> ModelStore | None:
    """The process's store, or None when it could not be opened (see :func:`problem`)."""
    s = _open()
    return None if isinstance(s, str) else s


def problem() -> str | None:
    """Why the library is unavailable, or None."""
    s = _open()
    return s if isinstance(s, str) else None


def owner() -> str:
    return owner_mod.owner()


def client() -> str:
    """This session's hashed address (the fair-use limits count it)."""
    return owner_mod.client()


def mine() -> list[ModelRecord]:
    """This browser's models, newest first (rows whose file is gone have status "missing")."""
    s = store()
    if s is None:
        return []
    try:
        return [r for r in s.list(owner()) if r.type != IMAGESET]
    except StoreError:
        return []


IMAGESET = "imageset"  # a record's type when it holds a user's image set, not a model


def my_sets() -> list[ModelRecord]:
    """This browser's image sets in the library, newest first."""
    s = store()
    if s is None:
        return []
    try:
        return [r for r in s.list(owner()) if r.type == IMAGESET and usable(r)]
    except StoreError:
        return []


def save_set(data: bytes, name: str) -> ModelRecord:
    """Keep an image set (aecore.imageset.to_bytes) for this browser, under the model quotas."""
    s = store()
    if s is None:
        raise NotFound(problem() or "the library is not available")
    return s.save_dataset(owner(), data, name=name, client=owner_mod.client())


def set_bytes(set_id: str | None = None, share_id: str | None = None) -> tuple[ModelRecord, bytes]:
    """``(record, file)`` of one of this browser's image sets, or of a shared one by link."""
    s = store()
    if s is None:
        raise NotFound(problem() or "the library is not available")
    rec = s.shared_record(share_id) if share_id else s.record(owner(), set_id)
    return rec, s.dataset_bytes(rec)



CACHE_MB = env_number("AE_MODEL_CACHE_MB", 512, 16, 1e6)  # loaded models kept, by bytes


@st.cache_resource(show_spinner=False)
def _cache():
    from aecore.weights import ModelCache  # torch: only once a saved model is opened
    return ModelCache(int(CACHE_MB * 2**20))


def _weights(model_id: str, size: int, s: ModelStore, rec: ModelRecord):
    # keyed by id and size (a replaced file has another size); the caller checked ownership;
    # bounded by the models' bytes, not their count (one conv model may weigh 100 small ones)
    def load():
        model, card, _ = s.open_record(rec)
        return model.eval(), card
    return _cache().get((model_id, size), load)


def load(model_id: str):
    """``(model, card)`` of one of this browser's models. Raises the store's errors
    (NotFound, Forbidden, CorruptModel, InvalidId) with a message fit for the page."""
    s = store()
    if s is None:
        raise NotFound(problem() or "the model library is not available")
    rec = s.record(owner(), model_id)
    return _weights(rec.id, rec.size, s, rec)


def shared(share_id: str) -> tuple[ModelRecord, object, dict]:
    """``(record, model, card)`` for a share link; NotFound/CorruptModel with a message."""
    s = store()
    if s is None:
        raise NotFound(problem() or "the model library is not available")
    rec = s.shared_record(share_id)
    model, card = _weights(rec.id, rec.size, s, rec)
    return rec, model, card


def save(model, card: dict, name: str | None = None, status: str = "done") -> ModelRecord:
    """Keep ``model`` for this browser; raises StoreError (e.g. QuotaExceeded) with a message."""
    s = store()
    if s is None:
        raise NotFound(problem() or "the model library is not available")
    return s.save(owner(), model, card, name=name, status=status, client=owner_mod.client())


def save_bytes(data: bytes, name: str) -> ModelRecord:
    """Keep an uploaded safetensors file for this browser (validated first)."""
    s = store()
    if s is None:
        raise NotFound(problem() or "the model library is not available")
    return s.save_bytes(owner(), data, name=name, client=owner_mod.client())


def job_saver():
    """An ``on_result`` for a training this session submits, or None without a library."""
    s = store()
    return _job_saver(s, owner(), owner_mod.client()) if s is not None else None


def usable(rec: ModelRecord) -> bool:
    return rec.status != MISSING


def share_url(base: str, share_id: str) -> str:
    """The link a class opens: the app's home page with ``?shared=<id>``."""
    return f"{base.rstrip('/')}/?{SHARED_PARAM}={share_id}" if is_valid_id(share_id) else base
