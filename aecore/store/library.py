"""The library's rules, once for every backend: :class:`Library` = an :class:`Index` + a
:class:`BlobStore` + :class:`Limits`.

Save order (crash safety): serialise; check the owner's quota and the global cap (evicting if
needed) BEFORE writing; write the file atomically (temp, fsync, rename, fsync folder); THEN insert
the row, re-checking the quota in the same transaction. A crash before the row leaves a file
without a row, removed by :meth:`Library.recover`; a listed row always has a complete file
(unless someone deleted it by hand: then it is listed as "missing" and never loaded).
Delete order is the reverse: row first, then file.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from ..errors import AecoreError, WeightsError
from .base import (HOUR_S, MISSING, STATUSES, BlobStore, CorruptModel, Forbidden, Index,
                   InvalidId, Limits, ModelRecord, ModelStore, NotFound, QuotaExceeded, check_id,
                   fair_use_problem, new_id, quota_problem)

MAX_NAME = 80
ORPHAN_GRACE_S = 60.0  # a file younger than this may be a save in progress in another process
USED_RESOLUTION_S = 60.0  # last_used is rewritten at most once a minute per model


def clean_name(name: Any) -> str:
    """A display name: printable, trimmed, at most :data:`MAX_NAME` characters."""
    text = "".join(ch for ch in str(name or "") if ch.isprintable()).strip()
    if not text:
        raise InvalidId("a model name cannot be empty")
    return text[:MAX_NAME]


def _checked(card: dict) -> dict:
    """``card`` against the card schema; a card the schema refuses (control characters, NaN,
    a crafted field) is a :class:`CorruptModel` with the schema's message, never a database
    error."""
    from ..card_schema import CardError, check_card
    try:
        return check_card(card)
    except CardError as exc:
        raise CorruptModel(f"this model's card cannot be kept: {exc}") from exc


class Library(ModelStore):
    """A :class:`ModelStore` over any index and blob store (see the module docstring)."""

    def __init__(self, index: Index, blobs: BlobStore, limits: Limits | None = None) -> None:
        self.index = index
        self.blobs = blobs
        self.limits = limits or Limits()
        self._room = threading.Lock()  # one eviction at a time within this process

    # saving
    def save(self, owner: str, model, card: dict, *, name: str | None = None,
             status: str = "done", client: str = "") -> ModelRecord:
        check_id(owner, "owner token")
        card = _checked(card)
        from ..weights import to_bytes  # the weights module imports torch: listing needs none
        storage = card.get("storage", "float32")  # an uploaded int8 model stays int8
        data = to_bytes(model, card, storage)
        return self._save(owner, data, {**card, "storage": storage}, name, status, client)

    def save_bytes(self, owner: str, data: bytes, *, name: str | None = None,
                   status: str = "uploaded", client: str = "") -> ModelRecord:
        check_id(owner, "owner token")
        self._precheck(owner, client, len(data), time.time())  # before parsing a byte of it
        from ..weights import model_from_bytes
        try:
            _, card = model_from_bytes(data, name or "uploaded file")
        except WeightsError as exc:
            raise CorruptModel(str(exc)) from exc
        return self._save(owner, data, card, name, status, client)

    def save_dataset(self, owner: str, data: bytes, *, name: str | None = None,
                     client: str = "") -> ModelRecord:
        """Keep a user's image set (:func:`aecore.imageset.to_bytes`) beside the owner's models,
        under the same quotas; its record's ``type`` is "imageset". Validated first."""
        check_id(owner, "owner token")
        self._precheck(owner, client, len(data), time.time())  # before parsing a byte of it
        from ..imageset import card_of, from_bytes
        try:
            card = card_of(from_bytes(data))
        except AecoreError as exc:
            raise CorruptModel(str(exc)) from exc
        return self._save(owner, data, card, name, "uploaded", client)

    def dataset_bytes(self, rec: ModelRecord) -> bytes:
        """The file of an image-set record the caller got through :meth:`record` or
        :meth:`shared_record` (which did the ownership check)."""
        if rec.type != "imageset":
            raise NotFound("that library entry is a model, not an image set")
        data = self.blobs.get(rec.id)  # CorruptModel when missing
        now = time.time()
        if now - rec.last_used > USED_RESOLUTION_S:
            self.index.update(rec.id, last_used=now)
        return data

    def _save(self, owner: str, data: bytes, card: dict, name: str | None, status: str,
              client: str = "") -> ModelRecord:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        size, now = len(data), time.time()
        self._precheck(owner, client, size, now)  # nothing written yet
        self._make_room(size)
        rec = ModelRecord(
            id=new_id(), owner=owner,
            name=clean_name(name or card.get("title") or card.get("name") or "my model"),
            type=str(card.get("model", "?")), k=int(card.get("config", {}).get("latent_dim", 0)),
            created=now, last_used=now, share_id=None, size=size, status=status, card=card)
        self.blobs.put(rec.id, data)
        try:  # the quotas and the global cap again, under the store-wide lock
            self.index.insert(rec, self.limits, client)
        except BaseException:
            self.blobs.delete(rec.id)  # a concurrent save won the last slot: no orphan left
            raise
        return rec

    def _precheck(self, owner: str, client: str, size: int, now: float) -> None:
        """:class:`QuotaExceeded` if the owner's quota or the hourly limits already refuse a
        save of ``size`` bytes (read without a lock; the insert checks again under one)."""
        n, used = self.index.usage(owner)
        problem = quota_problem(n, used, size, self.limits.max_models, self.limits.max_bytes)
        if problem is None:
            owner_hour, *client_hour = self.index.recent(owner, client, now - HOUR_S)
            problem = fair_use_problem(self.limits, size, owner_hour, tuple(client_hour), 0)
        if problem:
            raise QuotaExceeded(problem)

    def _make_room(self, size: int) -> None:
        """Remove expired models (unshared, unused for ``evict_after_days``; LRU first) until
        ``size`` more bytes fit under the global cap; :class:`QuotaExceeded` if they cannot.
        A recent model is never removed to make room, whoever owns it."""
        with self._room:
            total = self.index.total_bytes()
            if total + size <= self.limits.max_total_bytes:
                return
            for rec in self.evictable():
                self.index.delete(rec.id)
                self.blobs.delete(rec.id)
                total -= rec.size
                if total + size <= self.limits.max_total_bytes:
                    return
            raise QuotaExceeded("The server's model storage is full. Ask the teacher to free "
                                "space, or delete one of your models, then try again.")

    def evictable(self, now: float | None = None) -> list[ModelRecord]:
        """Unshared models unused for ``evict_after_days``, least recently used first."""
        cutoff = (now or time.time()) - self.limits.evict_after_days * 86400
        return self.index.eviction_candidates(cutoff)

    # reading
    def list(self, owner: str) -> list[ModelRecord]:
        check_id(owner, "owner token")
        out = []
        for rec in self.index.list_owner(owner):
            if not self.blobs.exists(rec.id):
                rec = ModelRecord(**{**rec.__dict__, "status": MISSING})
            out.append(rec)
        return out

    def usage(self, owner: str) -> tuple[int, int]:
        check_id(owner, "owner token")
        return self.index.usage(owner)

    def record(self, owner: str, model_id: str) -> ModelRecord:
        check_id(owner, "owner token")
        check_id(model_id, "model id")
        rec = self.index.get(model_id)
        if rec is None:
            raise NotFound("that model is not in the library (deleted?)")
        if rec.owner != owner:
            raise Forbidden("that model belongs to someone else")
        return rec

    def load(self, owner: str, model_id: str):
        return self._load(self.record(owner, model_id))

    def shared_record(self, share_id: str) -> ModelRecord:
        try:
            check_id(share_id, "share link")
        except InvalidId as exc:
            raise NotFound("this shared link is not valid") from exc
        rec = self.index.by_share(share_id)
        if rec is None:
            raise NotFound("this shared link is unknown or was revoked by its owner")
        return rec

    def open_shared(self, share_id: str):
        return self._load(self.shared_record(share_id))

    def open_record(self, rec: ModelRecord):
        """``(model, card, record)`` of a record the caller already got through :meth:`record`
        or :meth:`shared_record` (which did the ownership check)."""
        return self._load(rec)

    def _load(self, rec: ModelRecord):
        if rec.type == "imageset":
            raise NotFound(f"{rec.name!r} is an image set, not a model")
        data = self.blobs.get(rec.id)  # CorruptModel when missing
        from ..weights import model_from_bytes
        try:
            model, card = model_from_bytes(data, f"model {rec.name!r}")
        except WeightsError as exc:
            raise CorruptModel(f"the saved file of {rec.name!r} is damaged and was skipped "
                               f"({str(exc).partition(': ')[2] or exc})") from exc
        now = time.time()
        if now - rec.last_used > USED_RESOLUTION_S:
            self.index.update(rec.id, last_used=now)
        return model, card, rec

    # changing
    def rename(self, owner: str, model_id: str, name: str) -> ModelRecord:
        rec = self.record(owner, model_id)
        new = clean_name(name)
        self.index.update(rec.id, name=new)
        return ModelRecord(**{**rec.__dict__, "name": new})

    def delete(self, owner: str, model_id: str) -> None:
        rec = self.record(owner, model_id)
        self.index.delete(rec.id)  # row first: a crash here leaves an orphan file, swept later
        self.blobs.delete(rec.id)

    def share(self, owner: str, model_id: str) -> str:
        rec = self.record(owner, model_id)
        if rec.share_id:
            return rec.share_id
        share_id = new_id()
        self.index.update(rec.id, share_id=share_id)
        return share_id

    def unshare(self, owner: str, model_id: str) -> None:
        rec = self.record(owner, model_id)
        self.index.update(rec.id, share_id=None)

    # housekeeping
    def recover(self, grace_s: float = ORPHAN_GRACE_S) -> dict[str, int]:
        """Remove temporaries and files without a row that are older than ``grace_s`` (younger
        ones may be saves in progress in another process); returns the counts."""
        temps = self.blobs.sweep_temporaries(grace_s) if grace_s else self.blobs.sweep_temporaries()
        ids = self.index.ids()
        cutoff = time.time() - grace_s
        orphans = 0
        for key, mtime in list(self.blobs.keys()):
            if key not in ids and mtime <= cutoff:
                self.blobs.delete(key)
                orphans += 1
        return {"temporaries": temps, "orphans": orphans}

    def close(self) -> None:
        self.index.close()
