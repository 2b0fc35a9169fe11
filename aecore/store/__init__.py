"""The model library ("My models"): every trained, uploaded or interrupted model, kept on the server.

``open_store()`` builds the store the environment asks for:

- ``AE_DATABASE_URL`` set (``postgresql://...``): :mod:`aecore.store.postgres` (several replicas
  behind a load balancer; weights in the database or on a shared volume, see that module);
- otherwise the embedded default: an SQLite index (WAL) at ``<data>/models.sqlite`` and one
  safetensors file per model in ``<data>/models/``, where ``<data>`` is ``AE_DATA_DIR`` or the
  project's git-ignored ``var/``.

Quotas come from :meth:`Limits.from_env`. See :mod:`aecore.store.base` for the interface.
"""
from __future__ import annotations

import os
from pathlib import Path

from .base import (MISSING, STATUSES, BlobStore, CorruptModel, Forbidden, Index, InvalidId,
                   Limits, ModelRecord, ModelStore, NotFound, QuotaExceeded, StoreError,
                   check_id, client_key, is_valid_id, new_id)
from .library import Library
from .local import LocalBlobStore
from .sqlite import SqliteIndex

__all__ = ["MISSING", "STATUSES", "BlobStore", "CorruptModel", "Forbidden", "Index", "InvalidId",
           "Library", "Limits", "LocalBlobStore", "ModelRecord", "ModelStore", "NotFound",
           "QuotaExceeded", "SqliteIndex", "StoreError", "check_id", "client_key", "data_dir", "is_valid_id",
           "job_saver", "new_id", "open_store", "sqlite_store"]

PROJECT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The data folder: ``AE_DATA_DIR`` or ``<project>/var`` (git-ignored)."""
    raw = os.environ.get("AE_DATA_DIR", "").strip()
    return Path(raw).expanduser() if raw else PROJECT / "var"


def sqlite_store(root: str | os.PathLike, limits: Limits | None = None) -> Library:
    """The embedded store under ``root``: ``models.sqlite`` + ``models/<id>.safetensors``."""
    root = Path(root)
    return Library(SqliteIndex(root / "models.sqlite"), LocalBlobStore(root / "models"),
                   limits or Limits.from_env())


def open_store(limits: Limits | None = None) -> ModelStore:
    """The store the environment configures (see the module docstring); runs start-up
    housekeeping (:meth:`ModelStore.recover`) before returning it."""
    limits = limits or Limits.from_env()
    url = os.environ.get("AE_DATABASE_URL", "").strip()
    if url:
        from .postgres import open_postgres_store  # optional backend (issue 16)
        store = open_postgres_store(url, limits)
    else:
        store = sqlite_store(data_dir(), limits)
    store.recover()
    return store


def job_saver(store: ModelStore, owner: str, client: str = ""):
    """An ``on_result`` for :meth:`aecore.jobs.JobManager.submit`: saves the job's model for
    ``owner`` when it has one, "interrupted" when the run was cancelled (its best epoch) and
    "done" otherwise; returns the :class:`ModelRecord`. Runs on the training thread."""
    check_id(owner, "owner token")

    def save(job) -> ModelRecord:
        status = "interrupted" if job.card.get("cancelled") else "done"
        return store.save(owner, job.model, job.card, name=job.title, status=status,
                          client=client)
    return save
