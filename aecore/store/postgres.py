"""The model library on PostgreSQL, for several app replicas behind a load balancer (issue 16).

Chosen when ``AE_DATABASE_URL`` is set (``postgresql://user:password@host:5432/db``); psycopg 3
is imported only then. Both halves live in the database:

- the index: table ``models``, the same columns as the SQLite index (card as ``jsonb``);
- the weights: table ``model_blobs``, one ``bytea`` per model (a few hundred KB to a few MB),
  stored out of line and uncompressed (``STORAGE EXTERNAL``: float and int8 weights barely
  compress). Why not a shared volume: one thing to run, back up and restore instead of two that
  must agree; no NFS for a school's IT to set up; a save is a transaction, so a replica killed
  half way leaves nothing, and the orphan sweep sees a blob and its row in one place.

Every call reads the database; nothing of the index is cached in a process, so a delete, a
rename or an unshare on one replica holds on every other replica at the very next call. A
quota check and its insert are one transaction under a per-owner advisory lock, so concurrent
saves on different replicas cannot pass a quota together.

Connections: a small pool per process (:data:`POOL_SIZE`, each call borrows one for one
transaction), so a replica with 20 sessions holds at most 4 connections. A connection broken by
a database restart is dropped and the call tried once more on a fresh one; an unreachable
database raises :class:`StoreError` with a message for the page (never the URL, which holds the
password).
"""
from __future__ import annotations

import queue
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from .base import (COLUMNS, BlobStore, CorruptModel, Limits, ModelRecord, SqlIndex, StoreError,
                   check_id, record_of)
from .library import Library

POOL_SIZE = 4
CONNECT_TIMEOUT_S = 5
# the schema, kept in one SQL file beside this module (deploy/compose.yaml mounts the same file
# into PostgreSQL's init folder); every replica runs it at start-up, under an advisory lock (two
# replicas starting at once would otherwise race on CREATE ... IF NOT EXISTS)
SCHEMA = (Path(__file__).with_name("postgres.sql")).read_text(encoding="utf-8")
SCHEMA_LOCK = 0x41450016  # advisory lock key for the schema ("AE", issue 16)
SAVE_LOCK = 0x41450029  # advisory lock key every save takes (quotas and the global cap)
T = TypeVar("T")


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise StoreError("AE_DATABASE_URL is set but psycopg is not installed "
                         "(pip install 'psycopg[binary]')") from exc
    return psycopg


class Pool:
    """At most ``size`` autocommit connections to ``url``, shared by the threads of one process."""

    def __init__(self, url: str, size: int = POOL_SIZE) -> None:
        self.psycopg = _psycopg()
        self.url, self.size = url, size
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    def _connect(self):
        try:
            return self.psycopg.connect(self.url, autocommit=True,
                                        connect_timeout=CONNECT_TIMEOUT_S,
                                        application_name="ae-explorer")
        except self.psycopg.OperationalError as exc:
            # the message of psycopg may hold the host and user; ours holds neither
            raise StoreError("The model library's database cannot be reached right now. "
                             "Try again in a minute; your saved models are safe.") from exc

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection for one unit of work; a broken one is closed, not returned."""
        if self._closed:
            raise StoreError("the model library is closed")
        self._slots.acquire()
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            yield conn
        except BaseException:
            if conn is not None and (conn.closed or conn.broken):
                conn = None
            raise
        finally:
            if conn is not None:
                if conn.closed or conn.broken or self._closed:
                    conn.close()
                else:
                    self._idle.put(conn)
            self._slots.release()

    def run(self, work: Callable[[Any], T]) -> T:
        """``work(conn)`` inside one transaction; once more on a fresh connection if the first
        one was broken (a database restart closes every pooled connection)."""
        for attempt in (0, 1):
            try:
                with self.connection() as conn:
                    with conn.transaction():
                        return work(conn)
            except self.psycopg.OperationalError as exc:
                if attempt:
                    raise StoreError("The model library's database did not answer. Try again "
                                     "in a minute; your saved models are safe.") from exc
                self._drain()  # the others in the pool are most likely broken too
        raise AssertionError("unreachable")

    def _drain(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def close(self) -> None:
        self._closed = True
        self._drain()


class PostgresIndex(SqlIndex):
    """The rows in table ``models`` (see :data:`SCHEMA`)."""

    MARK = "%s"  # psycopg's parameter mark

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.Jsonb = __import__("psycopg.types.json", fromlist=["Jsonb"]).Jsonb

        def create(conn) -> None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            conn.execute(SCHEMA)
        self.pool.run(create)

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        return self.pool.run(lambda c: c.execute(sql, args).fetchone())

    def _all(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self.pool.run(lambda c: c.execute(sql, args).fetchall())

    def insert(self, rec: ModelRecord, limits: Limits, client: str = "") -> None:
        def work(conn) -> None:
            # every save, whichever replica it comes from, queues here: the owner's quota, the
            # hourly limits and the global cap are read and the row written under one lock
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SAVE_LOCK,))
            self._insert_checked(conn.execute, rec, limits, client, self.Jsonb(rec.card))
        try:
            self.pool.run(work)  # idempotent, so the pool's one retry on a broken line is safe
        except self.pool.psycopg.DataError as exc:  # the card checks make this unreachable
            raise StoreError("the model's card holds something the database refuses "
                             f"({type(exc).__name__})") from exc

    def list_owner(self, owner: str) -> list[ModelRecord]:
        rows = self._all(f"SELECT {COLUMNS} FROM models WHERE owner = %s "
                         "ORDER BY created DESC, seq DESC", (owner,))
        return [record_of(r) for r in rows]

    def list_owner_checked(self, owner: str) -> list[ModelRecord]:
        """The owner's rows, newest first, each marked :data:`MISSING` when its blob is gone:
        one query instead of one existence check per model."""
        cols = ", ".join(f"m.{c.strip()}" for c in COLUMNS.split(","))
        rows = self._all(f"SELECT {cols}, b.id IS NULL FROM models m "
                         "LEFT JOIN model_blobs b ON b.id = m.id WHERE m.owner = %s "
                         "ORDER BY m.created DESC, m.seq DESC", (owner,))
        return [record_of(r[:-1], missing=r[-1]) for r in rows]

    def _changed(self, sql: str, args: tuple) -> int:
        return self.pool.run(lambda c: c.execute(sql, args).rowcount)

    def delete(self, model_id: str) -> bool:
        return self.pool.run(
            lambda c: c.execute("DELETE FROM models WHERE id = %s", (model_id,)).rowcount > 0)

    def close(self) -> None:
        self.pool.close()


class PostgresBlobStore(BlobStore):
    """The weights in table ``model_blobs``: a put is one transaction, so it is atomic and, once
    committed (``synchronous_commit = on``), durable; there are never temporaries to sweep."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def put(self, key: str, data: bytes) -> None:
        check_id(key, "model id")
        self.pool.run(lambda c: c.execute(
            "INSERT INTO model_blobs (id, stored, data) VALUES (%s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET stored = EXCLUDED.stored, data = EXCLUDED.data",
            (key, time.time(), bytes(data))))

    def get(self, key: str) -> bytes:
        check_id(key, "model id")
        row = self.pool.run(
            lambda c: c.execute("SELECT data FROM model_blobs WHERE id = %s", (key,)).fetchone())
        if row is None:
            raise CorruptModel("the model's file is missing on the server")
        return bytes(row[0])

    def delete(self, key: str) -> None:
        check_id(key, "model id")
        self.pool.run(lambda c: c.execute("DELETE FROM model_blobs WHERE id = %s", (key,)))

    def exists(self, key: str) -> bool:
        check_id(key, "model id")
        return self.pool.run(lambda c: c.execute(
            "SELECT 1 FROM model_blobs WHERE id = %s", (key,)).fetchone() is not None)

    def sweep_temporaries(self, older_than_s: float = 0.0) -> int:
        """Nothing to sweep: an interrupted put leaves no row (its transaction never commits)."""
        return 0

    def keys(self) -> Iterable[tuple[str, float]]:
        return [(k, float(t)) for k, t in self.pool.run(
            lambda c: c.execute("SELECT id, stored FROM model_blobs").fetchall())]


class PostgresLibrary(Library):
    """:class:`Library` with one query per listing (rows and their blobs' presence together)."""

    index: PostgresIndex

    def list(self, owner: str) -> list[ModelRecord]:
        check_id(owner, "owner token")
        return self.index.list_owner_checked(owner)


def open_postgres_store(url: str, limits: Limits | None = None) -> PostgresLibrary:
    """The library on the PostgreSQL database at ``url`` (tables created if missing)."""
    pool = Pool(url)
    return PostgresLibrary(PostgresIndex(pool), PostgresBlobStore(pool), limits or Limits.from_env())
