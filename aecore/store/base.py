"""The model library's interface: records, errors, and the three pieces a backend provides.

A saved model is one safetensors file (weights, card embedded in its metadata) plus one index
row. The pieces are separable so a server database can replace SQLite and shared storage can
replace the local folder when the app runs as several replicas:

- :class:`BlobStore` keeps bytes by model id (local files: :class:`aecore.store.local.LocalBlobStore`;
  a shared volume is the same class on another path; a database table is another implementation).
- :class:`Index` keeps the rows (:class:`aecore.store.sqlite.SqliteIndex`; PostgreSQL drops in
  here). It knows nothing about files, quotas policy or ownership rules beyond what its
  methods say; all the policy lives once, in :class:`aecore.store.library.Library`.
- :class:`ModelStore` is what the app calls. ``Library(index, blobs, limits)`` implements it for
  any pair; a backend normally only writes an :class:`Index` (and maybe a :class:`BlobStore`).

A PostgreSQL backend lives in ``aecore/store/postgres.py`` and exposes
``open_postgres_store(url: str, limits: Limits) -> ModelStore`` (``open_store`` calls it when
``AE_DATABASE_URL`` is set); the simplest is ``Library(PostgresIndex(url), blobs, limits)`` with
``blobs`` a :class:`LocalBlobStore` on a shared volume or a table-backed :class:`BlobStore`.
``tests/store_contract.py`` is the suite every backend must pass.

Ids: a model id, a share id and an owner token are each ``secrets.token_urlsafe(24)`` (192 bits,
32 characters of ``[A-Za-z0-9_-]``), validated by :func:`check_id` before any use, so no path or
query is ever built from unchecked input. They are secrets: never log them, never put them in
an error message.
"""
from __future__ import annotations

import abc
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..config import env_number
from ..errors import AecoreError

# ids


ID_BYTES = 24  # 192 bits of randomness (>= 128 asked); token_urlsafe gives 32 characters
ID_RE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_id() -> str:
    """A fresh unguessable id (model id, share id or owner token)."""
    return secrets.token_urlsafe(ID_BYTES)


def is_valid_id(value: object) -> bool:
    """True if ``value`` has the exact shape of an id from :func:`new_id` (no dots, no slashes)."""
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None


def check_id(value: object, what: str = "id") -> str:
    """``value`` if it is a well-formed id, else :class:`InvalidId` (the value is not echoed)."""
    if not is_valid_id(value):
        raise InvalidId(f"that {what} is not valid")
    return value  # type: ignore[return-value]


# records and errors


STATUSES = ("done", "interrupted", "uploaded")  # how a model came to be saved
MISSING = "missing"  # a listed row whose file is gone (reported, never loaded)


@dataclass(frozen=True)
class ModelRecord:
    """One saved model as the index knows it (plain data; times are Unix seconds).

    ``type`` is the card's model kind ("ae", "vae", "conv", ...), ``k`` its latent size,
    ``size`` the file's bytes, ``share_id`` the id of its public link or None when unshared,
    ``status`` one of :data:`STATUSES` (or :data:`MISSING` in a listing whose file is gone),
    ``card`` the model card (so pages can filter and label without reading the weights).
    """

    id: str = field(repr=False)      # secrets: kept out of reprs, so out of logs
    owner: str = field(repr=False)
    name: str = ""
    type: str = "?"
    k: int = 0
    created: float = 0.0
    last_used: float = 0.0
    share_id: str | None = field(default=None, repr=False)
    size: int = 0
    status: str = "done"
    card: dict = field(default_factory=dict, compare=False, repr=False)


class StoreError(AecoreError):
    """Base of the library's errors; the message is fit for a user and holds no id or token."""


class QuotaExceeded(StoreError):
    """Saving would pass this owner's quota or the server's global cap (nothing was written)."""


class NotFound(StoreError):
    """No such model, or (for a share link) the link is unknown or was revoked."""


class Forbidden(StoreError):
    """The model exists but belongs to someone else and is not shared with this caller."""


class CorruptModel(StoreError):
    """The model's file is missing, truncated or invalid; the library skips it."""


class InvalidId(StoreError, ValueError):
    """An id, share id or owner token that does not have the shape of one (forged, path-like)."""


# limits


def quota_problem(models: int, used: int, size: int, max_models: int, max_bytes: int) -> str | None:
    """Why one more model of ``size`` bytes does not fit an owner holding ``models`` models and
    ``used`` bytes, or None if it fits (one message for every backend)."""
    if models + 1 > max_models:
        return (f"You already have {models} saved models, the most this server keeps for one "
                "browser. Delete one on the My models page, then try again.")
    if used + size > max_bytes:
        return (f"This model ({size / 2**20:.1f} MB) does not fit in your space: "
                f"{used / 2**20:.1f} of {max_bytes / 2**20:.0f} MB used. Delete a model on the "
                "My models page, then try again.")
    return None


@dataclass(frozen=True)
class Limits:
    """Quotas: per owner (models, bytes), per hour for one owner and for one client address
    (bytes saved), and for the whole server (bytes).

    The hourly limits are what stop one client from filling the store: a browser that drops its
    cookie gets a new owner each session, but not a new address. The global cap is checked in
    the same transaction as the insert, so it holds across processes and replicas. A save never
    deletes another user's recent model to make room: only models that have expired under the
    retention rule (unshared and unused for ``evict_after_days``) are removed, least recently
    used first; if that is not enough the save is refused.
    Environment: ``AE_QUOTA_MODELS``, ``AE_QUOTA_MB``, ``AE_STORE_MAX_MB``, ``AE_EVICT_DAYS``,
    ``AE_OWNER_MB_PER_HOUR``, ``AE_CLIENT_MB_PER_HOUR``, ``AE_CLIENT_SAVES_PER_HOUR``.
    """

    max_models: int = 50
    max_bytes: int = 200 * 2**20
    max_total_bytes: int = 10 * 2**30
    evict_after_days: float = 30.0
    owner_bytes_per_hour: int = 100 * 2**20   # one browser: a lesson's worth of models
    client_bytes_per_hour: int = 500 * 2**20  # one address: a class behind one NAT, at most 1/20 of the cap
    client_saves_per_hour: int = 600          # one address: 30 students x 20 saves

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults with the environment's overrides applied."""
        def mb(name: str, default: int, lo: float = 0.001, hi: float = 1e9) -> int:
            return int(env_number(name, default / 2**20, lo, hi) * 2**20)
        return cls(
            max_models=int(env_number("AE_QUOTA_MODELS", cls.max_models, 1, 100_000)),
            max_bytes=mb("AE_QUOTA_MB", cls.max_bytes, hi=1e6),
            max_total_bytes=mb("AE_STORE_MAX_MB", cls.max_total_bytes),
            evict_after_days=env_number("AE_EVICT_DAYS", cls.evict_after_days, 0, 36500),
            owner_bytes_per_hour=mb("AE_OWNER_MB_PER_HOUR", cls.owner_bytes_per_hour),
            client_bytes_per_hour=mb("AE_CLIENT_MB_PER_HOUR", cls.client_bytes_per_hour),
            client_saves_per_hour=int(env_number("AE_CLIENT_SAVES_PER_HOUR",
                                                 cls.client_saves_per_hour, 1, 1e7)))


HOUR_S = 3600.0


def client_key(address: str | None) -> str:
    """What the store keeps of a client's address: a short hash (the address itself is personal
    data the library does not need); "" when unknown."""
    if not address:
        return ""
    return hashlib.sha256(f"ae-client:{address}".encode()).hexdigest()[:24]


def fair_use_problem(limits: Limits, size: int, owner_hour: int, client_hour: tuple[int, int],
                     total: int) -> str | None:
    """Why a save of ``size`` bytes is refused under the hourly and global limits, or None.
    ``owner_hour``: bytes this owner saved in the last hour; ``client_hour``: (saves, bytes) of
    its address in the last hour; ``total``: bytes the whole store holds."""
    if owner_hour + size > limits.owner_bytes_per_hour:
        return (f"You saved {owner_hour / 2**20:.0f} MB of models in the last hour, the most this "
                "server takes from one browser per hour. Try again later.")
    saves, nbytes = client_hour
    if saves + 1 > limits.client_saves_per_hour or nbytes + size > limits.client_bytes_per_hour:
        return ("Your network address has saved as many models in the last hour as this server "
                "takes from one address. Try again later.")
    if total + size > limits.max_total_bytes:
        return ("The server's model storage is full. Ask the teacher to free space, or delete "
                "one of your models, then try again.")
    return None


# the pieces


class BlobStore(abc.ABC):
    """Bytes by model id. ``put`` is atomic and durable: after it returns the whole file is there
    (even after a crash); a crash during it leaves no file under ``key`` (at most a temporary
    that :meth:`sweep_temporaries` removes). Keys are checked ids."""

    @abc.abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes; :class:`CorruptModel` if there is no such blob or it cannot be read."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob; no error if it is already gone."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def keys(self) -> Iterable[tuple[str, float]]:
        """Every stored key with its modification time (for the orphan sweep)."""

    def sweep_temporaries(self) -> int:
        """Remove leftovers of interrupted writes; returns how many."""
        return 0


class Index(abc.ABC):
    """The rows. Implementations must be safe to call from many threads (and, for a server
    database, many processes). ``insert`` checks the owner's quota and inserts in ONE transaction,
    so concurrent saves can never pass it together."""

    @abc.abstractmethod
    def insert(self, rec: ModelRecord, limits: Limits, client: str = "") -> None:
        """Insert ``rec`` unless the owner would then have more than ``limits.max_models`` rows
        or ``limits.max_bytes`` bytes, the owner or ``client`` (a :func:`client_key`) would pass
        its hourly limits, or the store its global cap (raise :class:`QuotaExceeded`, nothing
        inserted); the save is logged for the hourly limits in the same transaction.
        Idempotent: if a row with ``rec.id`` exists (a retry of a commit whose answer was lost)
        nothing changes."""

    @abc.abstractmethod
    def get(self, model_id: str) -> ModelRecord | None: ...

    @abc.abstractmethod
    def by_share(self, share_id: str) -> ModelRecord | None: ...

    @abc.abstractmethod
    def list_owner(self, owner: str) -> list[ModelRecord]:
        """The owner's rows, newest first."""

    @abc.abstractmethod
    def usage(self, owner: str) -> tuple[int, int]:
        """(models, bytes) the owner holds."""

    @abc.abstractmethod
    def total_bytes(self) -> int: ...

    @abc.abstractmethod
    def update(self, model_id: str, *, name: str | None = None, share_id: str | None | bool = False,
               last_used: float | None = None) -> bool:
        """Change the given fields (``share_id=None`` clears it, ``False`` leaves it); False if
        there is no such row."""

    @abc.abstractmethod
    def delete(self, model_id: str) -> bool: ...

    @abc.abstractmethod
    def ids(self) -> set[str]:
        """Every model id (for the orphan sweep)."""

    def recent(self, owner: str, client: str, since: float) -> tuple[int, int, int]:
        """(bytes the owner saved, saves and bytes of ``client``) since ``since``: a read
        before writing anything; :meth:`insert` checks again under its lock."""
        return 0, 0, 0

    @abc.abstractmethod
    def eviction_candidates(self, unused_since: float) -> list[ModelRecord]:
        """Unshared rows with ``last_used < unused_since``, least recently used first."""

    def close(self) -> None:
        """Release connections."""


# the columns of table ``models`` in ModelRecord's field order (card last), in every SQL backend
COLUMNS = "id, owner, name, type, k, created, last_used, share_id, size, status, card"


def record_of(row: tuple, missing: bool = False) -> ModelRecord:
    """A :class:`ModelRecord` from a row of :data:`COLUMNS`; the card arrives as JSON text
    (SQLite, an older PostgreSQL row) or decoded (jsonb), and a damaged one reads as ``{}``.
    ``missing``: its weights are gone (status :data:`MISSING`)."""
    *head, card = row
    if isinstance(card, str):
        from ..card_schema import CardError, parse_card  # cached by the text's hash
        try:
            card = parse_card(card)
        except CardError:
            card = {}
    rec = ModelRecord(*head, card=card if isinstance(card, dict) else {})
    return ModelRecord(**{**rec.__dict__, "status": MISSING}) if missing else rec


class SqlIndex(Index):
    """The :class:`Index` queries that read the same in every SQL dialect. A backend sets
    ``MARK``, its parameter mark ("?" in SQLite, "%s" in psycopg), and gives ``_one`` (first row
    of a query), ``_all`` (every row) and ``_changed`` (rows a statement changed)."""

    MARK = "?"

    def get(self, model_id: str) -> ModelRecord | None:
        row = self._one(f"SELECT {COLUMNS} FROM models WHERE id = {self.MARK}", (model_id,))
        return record_of(row) if row else None

    def by_share(self, share_id: str) -> ModelRecord | None:
        row = self._one(f"SELECT {COLUMNS} FROM models WHERE share_id = {self.MARK}", (share_id,))
        return record_of(row) if row else None

    @abc.abstractmethod
    def _one(self, sql: str, args: tuple = ()) -> tuple | None: ...

    def _insert_checked(self, execute, rec: ModelRecord, limits: Limits, client: str,
                        card_json: Any) -> None:
        """The body of :meth:`Index.insert`, inside the caller's transaction (which must hold
        the store-wide write lock: SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock).
        ``execute(sql, args)`` returns a cursor; ``card_json`` is the card as the column takes it."""
        m = self.MARK
        if execute(f"SELECT 1 FROM models WHERE id = {m}", (rec.id,)).fetchone():
            return  # a retry of an insert that did commit
        since = rec.created - HOUR_S
        execute(f"DELETE FROM saves WHERE at < {m}", (since,))
        n, used = execute(f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM models WHERE owner = {m}",
                          (rec.owner,)).fetchone()
        problem = quota_problem(int(n), int(used), rec.size, limits.max_models, limits.max_bytes)
        if problem is None:
            owner_hour = execute(f"SELECT COALESCE(SUM(size), 0) FROM saves WHERE owner = {m}",
                                 (rec.owner,)).fetchone()[0]
            client_hour = execute(f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM saves "
                                  f"WHERE client = {m}", (client,)).fetchone() if client else (0, 0)
            total = execute("SELECT COALESCE(SUM(size), 0) FROM models").fetchone()[0]
            problem = fair_use_problem(limits, rec.size, int(owner_hour),
                                       (int(client_hour[0]), int(client_hour[1])), int(total))
        if problem:
            raise QuotaExceeded(problem)
        execute(f"INSERT INTO models ({COLUMNS}) VALUES ({', '.join([m] * 11)})",
                (rec.id, rec.owner, rec.name, rec.type, rec.k, rec.created, rec.last_used,
                 rec.share_id, rec.size, rec.status, card_json))
        execute(f"INSERT INTO saves (at, owner, client, size) VALUES ({m}, {m}, {m}, {m})",
                (rec.created, rec.owner, client, rec.size))

    @abc.abstractmethod
    def _all(self, sql: str, args: tuple = ()) -> list[tuple]: ...

    @abc.abstractmethod
    def _changed(self, sql: str, args: tuple) -> int: ...

    def ids(self) -> set[str]:
        return {r[0] for r in self._all("SELECT id FROM models")}

    def eviction_candidates(self, unused_since: float) -> list[ModelRecord]:
        rows = self._all(f"SELECT {COLUMNS} FROM models WHERE share_id IS NULL "
                         f"AND last_used < {self.MARK} ORDER BY last_used ASC", (unused_since,))
        return [record_of(r) for r in rows]

    def usage(self, owner: str) -> tuple[int, int]:
        n, used = self._one("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM models "
                            f"WHERE owner = {self.MARK}", (owner,))
        return int(n), int(used)

    def total_bytes(self) -> int:
        return int(self._one("SELECT COALESCE(SUM(size), 0) FROM models")[0])

    def recent(self, owner: str, client: str, since: float) -> tuple[int, int, int]:
        m = self.MARK
        owner_bytes, = self._one(f"SELECT COALESCE(SUM(size), 0) FROM saves WHERE owner = {m} "
                                 f"AND at >= {m}", (owner, since))
        saves, nbytes = self._one(f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM saves "
                                  f"WHERE client = {m} AND at >= {m}", (client, since)) \
            if client else (0, 0)
        return int(owner_bytes), int(saves), int(nbytes)

    def update(self, model_id: str, *, name: str | None = None, share_id: str | None | bool = False,
               last_used: float | None = None) -> bool:
        given = [("name", name, name is not None), ("share_id", share_id, share_id is not False),
                 ("last_used", last_used, last_used is not None)]
        sets = [(f"{col} = {self.MARK}", value) for col, value, on in given if on]
        if not sets:
            return self.get(model_id) is not None
        sql = f"UPDATE models SET {', '.join(c for c, _ in sets)} WHERE id = {self.MARK}"
        return self._changed(sql, (*(v for _, v in sets), model_id)) > 0


class ModelStore(abc.ABC):
    """What the app calls: save, list, load, rename, delete, share, unshare.

    Every method that acts for a browser takes its ``owner`` token and refuses other owners'
    models (:class:`Forbidden`); a shared model is read through :meth:`open_shared` only.
    """

    limits: Limits

    @abc.abstractmethod
    def save(self, owner: str, model, card: dict, *, name: str | None = None,
             status: str = "done", client: str = "") -> ModelRecord:
        """Store ``model`` (an :class:`~aecore.models.Autoencoder`) with ``card``, at the card's
        ``storage`` precision (float32 when it has none). Quotas are checked before anything is
        written (:class:`QuotaExceeded`); ``client`` is the saver's :func:`client_key`."""

    @abc.abstractmethod
    def save_bytes(self, owner: str, data: bytes, *, name: str | None = None,
                   status: str = "uploaded", client: str = "") -> ModelRecord:
        """Store an already-serialised safetensors model (an upload); validated first."""

    @abc.abstractmethod
    def list(self, owner: str) -> list[ModelRecord]:
        """The owner's models, newest first; a row whose file is gone has status "missing"."""

    @abc.abstractmethod
    def record(self, owner: str, model_id: str) -> ModelRecord: ...

    @abc.abstractmethod
    def load(self, owner: str, model_id: str):
        """``(model, card, record)`` of one of the owner's models; :class:`CorruptModel` if its
        file is unreadable."""

    @abc.abstractmethod
    def open_shared(self, share_id: str):
        """``(model, card, record)`` for a share link; :class:`NotFound` when unknown or revoked."""

    @abc.abstractmethod
    def shared_record(self, share_id: str) -> ModelRecord: ...

    @abc.abstractmethod
    def rename(self, owner: str, model_id: str, name: str) -> ModelRecord: ...

    @abc.abstractmethod
    def delete(self, owner: str, model_id: str) -> None: ...

    @abc.abstractmethod
    def share(self, owner: str, model_id: str) -> str:
        """The model's share id (a new one if it had none)."""

    @abc.abstractmethod
    def unshare(self, owner: str, model_id: str) -> None:
        """Revoke the link; a later share gives a new id."""

    @abc.abstractmethod
    def usage(self, owner: str) -> tuple[int, int]:
        """(models, bytes) the owner holds."""

    @abc.abstractmethod
    def recover(self) -> dict[str, int]:
        """Start-up housekeeping: remove temporaries and files without rows; returns counts."""

    def close(self) -> None:
        """Release connections."""
