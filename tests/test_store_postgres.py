"""The model library on PostgreSQL (issue 16): the same contract as the SQLite default, plus what
only several replicas need (one replica's change seen by another at once, quotas across
processes, a database restart, secrets kept out of the server's log).

One throwaway PostgreSQL 15 cluster for the session (``initdb`` + ``pg_ctl`` in a temporary
folder, benchmarks/_cluster.py), one fresh database per test. Skipped with the reason where the
server binaries, or psycopg, are missing.
"""
from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from aecore.store import Limits, NotFound, QuotaExceeded, StoreError, new_id, open_store
from benchmarks import _cluster
from store_contract import *  # noqa: F401,F403 - the backend-independent tests
from store_contract import tiny


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL cluster on a free loopback port for the whole session; removed after."""
    reason = _cluster.missing_postgres()
    if reason:
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="ae-pg-"))
    pg = _cluster.Postgres(folder)
    try:
        pg.start()
    except Exception:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    yield pg
    pg.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db_url(pg_server):
    """A new empty database for one test (dropped after, its connections closed by force)."""
    import psycopg
    name = f"t_{secrets.token_hex(6)}"
    admin = pg_server.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def store_factory(db_url):
    from aecore.store.postgres import open_postgres_store
    opened = []

    def make(limits: Limits | None = None):
        s = open_postgres_store(db_url, limits or Limits())
        opened.append(s)
        return s
    yield make
    for s in opened:
        s.close()


# the deploy files and the code agree


def test_open_store_picks_postgres_only_when_the_url_is_set(db_url, tmp_path, monkeypatch):
    from aecore.store.postgres import PostgresLibrary
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AE_DATABASE_URL", raising=False)
    local = open_store(Limits())
    assert not isinstance(local, PostgresLibrary) and (tmp_path / "models.sqlite").exists()
    local.close()
    monkeypatch.setenv("AE_DATABASE_URL", db_url)
    remote = open_store(Limits())
    assert isinstance(remote, PostgresLibrary)
    remote.close()


# several replicas on one database


def test_a_change_on_one_replica_holds_on_every_other_at_once(store_factory, owner):
    a, b = store_factory(), store_factory()  # two replicas: two processes' stores, two pools
    rec = a.save(owner, *tiny(), name="projector")
    assert [r.name for r in b.list(owner)] == ["projector"]
    sid = a.share(owner, rec.id)
    assert b.open_shared(sid)[2].id == rec.id
    b.rename(owner, rec.id, "renamed on b")
    assert a.record(owner, rec.id).name == "renamed on b"
    a.unshare(owner, rec.id)
    with pytest.raises(NotFound, match="revoked"):  # the very next call on b: no stale cache
        b.open_shared(sid)
    sid2 = b.share(owner, rec.id)
    assert a.open_shared(sid2)[2].id == rec.id
    a.delete(owner, rec.id)
    assert b.list(owner) == []
    with pytest.raises(NotFound):
        b.open_shared(sid2)
    with pytest.raises(NotFound):
        b.load(owner, rec.id)


def test_quota_holds_across_replicas_saving_at_once(store_factory, owner):
    """Four replicas (stores with their own connections) save for one owner at once: the
    per-owner advisory lock lets exactly the quota through, and no refused save leaves a blob."""
    stores = [store_factory(Limits(max_models=6)) for _ in range(4)]
    model, card = tiny()
    saved, refused = [], []
    barrier = threading.Barrier(12)

    def save(s):
        barrier.wait()
        try:
            saved.append(s.save(owner, model, card).id)
        except QuotaExceeded:
            refused.append(1)

    threads = [threading.Thread(target=save, args=(stores[i % 4],)) for i in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(saved) == 6 and len(refused) == 6
    assert {r.id for r in stores[0].list(owner)} == set(saved)
    assert {k for k, _ in stores[1].blobs.keys()} == set(saved)


def test_listing_is_one_query_and_marks_missing_blobs(store_factory, owner):
    s = store_factory()
    ids = [s.save(owner, *tiny(i)).id for i in range(3)]
    s.blobs.delete(ids[1])
    queries = []
    run = s.index.pool.run
    s.index.pool.run = lambda work: (queries.append(1), run(work))[1]
    listed = s.list(owner)
    assert len(queries) == 1
    assert [r.status for r in listed] == ["done", "missing", "done"]


def test_a_database_restart_is_survived(pg_server, store_factory, owner):
    s = store_factory()
    rec = s.save(owner, *tiny())
    pg_server.restart()
    # every pooled connection is broken now; the next call reconnects once and goes on
    assert [r.id for r in s.list(owner)] == [rec.id]
    assert s.load(owner, rec.id)[2].id == rec.id


def test_an_unreachable_database_gives_a_clear_message_without_the_password():
    from aecore.store.postgres import open_postgres_store
    port = _cluster.free_port()  # nothing listens there
    with pytest.raises(StoreError) as err:
        open_postgres_store(f"postgresql://ae:s3cret-pw@127.0.0.1:{port}/ae", Limits())
    msg = str(err.value)
    assert "cannot be reached" in msg and "s3cret" not in msg and str(port) not in msg


def test_ids_and_tokens_never_reach_the_server_log(pg_server, db_url, store_factory, owner):
    """With every statement logged (log_min_duration_statement = 0 on this database), the
    statements appear in the log and none of their parameters do: deploy/postgres/postgresql.conf
    sets log_parameter_max_length = 0."""
    import psycopg
    with psycopg.connect(db_url, autocommit=True) as conn:
        dbname = db_url.rsplit("/", 1)[1]
        conn.execute(f"ALTER DATABASE {dbname} SET log_min_duration_statement = 0")
    s = store_factory()
    rec = s.save(owner, *tiny())
    sid = s.share(owner, rec.id)
    s.open_shared(sid)
    s.list(owner)
    log = pg_server.log()
    assert re.search(r"INSERT INTO models", log), "the statements were not logged at all"
    for secret in (owner, rec.id, sid):
        assert secret not in log


def test_an_insert_retried_after_its_commit_adds_nothing(store_factory, owner):
    """The connection breaks after the insert committed (its answer lost): the pool's one retry
    of the transaction finds the row and adds nothing, and the caller sees a normal save."""
    import psycopg
    from contextlib import contextmanager
    s = store_factory()
    pool, broke = s.index.pool, []
    original = pool.connection

    class LosesTheAnswer:
        def __init__(self, conn):
            self._conn, self._inserted = conn, False

        def __getattr__(self, name):
            return getattr(self._conn, name)

        def execute(self, sql, *args):
            self._inserted |= str(sql).startswith("INSERT INTO models")
            return self._conn.execute(sql, *args)

        @contextmanager
        def transaction(self):
            with self._conn.transaction() as tx:
                yield tx
            if self._inserted and not broke:  # committed; then the line goes down
                broke.append(1)
                raise psycopg.OperationalError("server closed the connection unexpectedly")

    @contextmanager
    def connection():
        with original() as conn:
            yield LosesTheAnswer(conn)
    pool.connection = connection
    rec = s.save(owner, *tiny())
    assert broke == [1]
    assert [r.id for r in s.list(owner)] == [rec.id] and s.usage(owner) == (1, rec.size)
