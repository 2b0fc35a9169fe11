"""The embedded index: one SQLite file in WAL mode (the standard library's ``sqlite3``).

WAL lets readers (listing) go on while one writer commits; ``synchronous=FULL`` makes every
committed row survive a crash or power cut. One connection per index, serialised by a lock
(each call is a few hundred microseconds), so threads never share a half-done transaction;
other processes on the same file wait up to ``busy_timeout``. A quota check and its insert are
one ``BEGIN IMMEDIATE`` transaction, so concurrent saves cannot pass a quota together.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from .base import COLUMNS, Limits, ModelRecord, SqlIndex, record_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    id        TEXT PRIMARY KEY,
    owner     TEXT NOT NULL,
    name      TEXT NOT NULL,
    type      TEXT NOT NULL,
    k         INTEGER NOT NULL,
    created   REAL NOT NULL,
    last_used REAL NOT NULL,
    share_id  TEXT UNIQUE,
    size      INTEGER NOT NULL,
    status    TEXT NOT NULL,
    card      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS models_owner ON models (owner, created DESC);
CREATE INDEX IF NOT EXISTS models_lru ON models (last_used) WHERE share_id IS NULL;
-- the last hour's saves, for the hourly limits per owner and per client address (hashed)
CREATE TABLE IF NOT EXISTS saves (
    at     REAL NOT NULL,
    owner  TEXT NOT NULL,
    client TEXT NOT NULL,
    size   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS saves_at ON saves (at);
"""
class SqliteIndex(SqlIndex):
    """The rows in ``path`` (created with its folder on first use)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.Lock()
        # isolation_level=None: no implicit transactions; we BEGIN where we need one
        self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        with self._lock:
            self._db.executescript(SCHEMA)

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def insert(self, rec: ModelRecord, limits: Limits, client: str = "") -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the write lock, for every process, before reading
            try:
                self._insert_checked(self._db.execute, rec, limits, client, json.dumps(rec.card))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def list_owner(self, owner: str) -> list[ModelRecord]:
        rows = self._all(f"SELECT {COLUMNS} FROM models WHERE owner = ? "
                         "ORDER BY created DESC, rowid DESC", (owner,))
        return [record_of(r) for r in rows]

    def _changed(self, sql: str, args: tuple) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def delete(self, model_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM models WHERE id = ?", (model_id,)).rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
