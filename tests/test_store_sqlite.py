"""The embedded model library (SQLite index + local files): the shared contract, plus crashes.

A crash between write and rename is simulated in-process; a real ``kill -9`` hits a child
process in the middle of its saves.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aecore.store import Limits, LocalBlobStore, new_id, open_store, sqlite_store
from store_contract import *  # noqa: F401,F403 - the backend-independent tests
from store_contract import tiny

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store_factory(tmp_path):
    def make(limits: Limits | None = None):
        return sqlite_store(tmp_path / "data", limits or Limits())
    return make


def test_index_is_wal_and_files_live_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("AE_QUOTA_MODELS", "7")
    store = open_store()
    rec = store.save(new_id(), *tiny())
    assert store.limits.max_models == 7
    assert (tmp_path / "d" / "models" / f"{rec.id}.safetensors").is_file()
    mode = store.index._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    store.close()


def test_blob_path_is_never_built_from_a_bad_id(tmp_path):
    blobs = LocalBlobStore(tmp_path / "b")
    for bad in ("../x", "a" * 31 + "/", "/etc/passwd"):
        with pytest.raises(ValueError):
            blobs.path(bad)
        with pytest.raises(ValueError):
            blobs.put(bad, b"x")
    assert list((tmp_path).rglob("*x*")) == []


def test_crash_between_write_and_rename_leaves_nothing_listed(store_factory, monkeypatch):
    store = store_factory()
    owner = new_id()

    def crash(tmp, final):
        raise KeyboardInterrupt("power cut")  # a BaseException: nothing may catch and carry on

    monkeypatch.setattr(store.blobs, "_rename", crash)
    with pytest.raises(KeyboardInterrupt):
        store.save(owner, *tiny())
    monkeypatch.undo()
    assert store.list(owner) == [] and list(store.blobs.keys()) == []
    # a real crash cannot unlink its temporary: leave one behind as it would, then restart
    tmp = store.blobs._write_temp(new_id(), b"half a model")
    store.close()
    again = store_factory()
    assert again.recover(grace_s=0)["temporaries"] == 1 and not tmp.exists()
    assert again.save(owner, *tiny()).status == "done"
    again.close()


def test_crash_after_rename_before_row_is_swept(store_factory, monkeypatch):
    store = store_factory()
    owner = new_id()

    def crash(rec, *a):
        raise KeyboardInterrupt("killed before the row")

    monkeypatch.setattr(store.index, "insert", crash)
    monkeypatch.setattr(store.blobs, "delete", lambda key: None)  # the crash cleans nothing up
    with pytest.raises(KeyboardInterrupt):
        store.save(owner, *tiny())
    monkeypatch.undo()
    assert store.list(owner) == [] and len(list(store.blobs.keys())) == 1
    assert store.recover(grace_s=0)["orphans"] == 1 and list(store.blobs.keys()) == []
    store.close()


CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from aecore.store import sqlite_store, Limits
    from aecore.config import AEConfig
    from aecore.models import build_model
    from aecore.weights import make_card
    store = sqlite_store({data!r}, Limits(max_models=100000, max_bytes=2**40))
    model = build_model(AEConfig(latent_dim=2, hidden=(256,)), seed=0)
    card = make_card(model, name="k")
    print("ready", flush=True)
    while True:
        store.save({owner!r}, model, card)
""")


def test_kill_9_during_saves_leaves_no_half_model_listed(tmp_path):
    owner = new_id()
    data = tmp_path / "data"
    code = CHILD.format(root=str(ROOT), data=str(data), owner=owner)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(1.5)  # several saves done, one in flight
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    store = sqlite_store(data, Limits())
    listed = store.list(owner)
    assert len(listed) >= 1
    for rec in listed:  # every listed model is whole and loads
        assert rec.status == "done"
        store.load(owner, rec.id)
    store.recover(grace_s=0)
    assert {k for k, _ in store.blobs.keys()} == {r.id for r in listed}
    assert not list((data / "models").glob(".*.tmp"))
    store.close()
