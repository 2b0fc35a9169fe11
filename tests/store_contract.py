"""The contract every model-library backend must pass (imported by tests/test_store_*.py).

A backend's test module does ``from store_contract import *`` and defines one fixture,
``store_factory``: a callable ``make(limits=None) -> ModelStore`` that opens the SAME empty
storage every time it is called within one test (a second call is a server restart). The store
must be a :class:`aecore.store.Library` (the tests reach its ``blobs`` and ``index`` to damage
files and age rows, as a crash or time would).
"""
from __future__ import annotations

import threading
import time

import pytest
import torch

from aecore.config import AEConfig
from aecore.models import build_model
from aecore.store import (MISSING, CorruptModel, Forbidden, InvalidId, Limits, NotFound,
                          QuotaExceeded, client_key, new_id)
from aecore.weights import make_card, to_bytes

def tiny(seed: int = 0, k: int = 2):
    """A small dense AE (784-32-k) and its card: ~200 KB as float32."""
    model = build_model(AEConfig(latent_dim=k, hidden=(32,)), seed=seed)
    return model, make_card(model, name=f"tiny{seed}", title=f"Tiny {seed}")


@pytest.fixture
def store(store_factory):
    s = store_factory()
    yield s
    s.close()


@pytest.fixture
def owner():
    return new_id()


FORGED = ["", "x", "../../etc/passwd", "..%2F..%2Fsecret", "a" * 31, "a" * 33, "a/" + "b" * 30,
          "a" * 31 + ".", "a" * 31 + "\x00", None, 12345, "\u00e9" * 32]


# saving and reading


def test_save_list_load_round_trip(store, owner):
    model, card = tiny(1)
    rec = store.save(owner, model, card)
    assert (rec.name, rec.type, rec.k, rec.status, rec.share_id) == ("Tiny 1", "dense", 2, "done", None)
    assert rec.size == len(to_bytes(model, card)) and rec.created <= time.time()
    [listed] = store.list(owner)
    assert listed.id == rec.id and listed.card["title"] == "Tiny 1"
    loaded, lcard, lrec = store.load(owner, rec.id)
    x = torch.rand(3, 1, 28, 28)
    with torch.inference_mode():
        assert torch.equal(loaded.reconstruct(x), model.eval().reconstruct(x))
    assert lcard["config"] == card["config"] and lrec.id == rec.id


def test_list_is_per_owner_and_newest_first(store, owner):
    other = new_id()
    ids = [store.save(owner, *tiny(i), name=f"m{i}").id for i in range(3)]
    store.save(other, *tiny(9))
    assert [r.id for r in store.list(owner)] == ids[::-1]
    assert len(store.list(other)) == 1 and store.list(new_id()) == []
    assert store.usage(owner)[0] == 3


def test_interrupted_and_uploaded_status(store, owner):
    model, card = tiny()
    assert store.save(owner, model, card, status="interrupted").status == "interrupted"
    up = store.save_bytes(owner, to_bytes(model, card), name="upload.safetensors")
    assert up.status == "uploaded" and up.name == "upload.safetensors"
    with pytest.raises(ValueError):
        store.save(owner, model, card, status="weird")


def test_bad_upload_is_refused_and_nothing_kept(store, owner):
    pickle_like = b"\x80\x04\x95" + b"\x00" * 64
    for data in (b"", pickle_like, b"not a model at all" * 10):
        with pytest.raises(CorruptModel):
            store.save_bytes(owner, data)
    assert store.list(owner) == [] and list(store.blobs.keys()) == []


def test_restart_recovers_every_model(store_factory, owner):
    first = store_factory()
    ids = {first.save(owner, *tiny(i)).id for i in range(5)}
    share = first.share(owner, next(iter(ids)))
    first.close()
    again = store_factory()
    assert {r.id for r in again.list(owner)} == ids
    assert again.open_shared(share)[2].share_id == share
    again.close()


# ownership and ids


def test_other_owner_cannot_read_rename_delete_or_share(store, owner):
    rec = store.save(owner, *tiny())
    thief = new_id()
    for act in (lambda: store.load(thief, rec.id), lambda: store.rename(thief, rec.id, "mine"),
                lambda: store.delete(thief, rec.id), lambda: store.share(thief, rec.id),
                lambda: store.unshare(thief, rec.id), lambda: store.record(thief, rec.id)):
        with pytest.raises(Forbidden):
            act()
    [still] = store.list(owner)
    assert still.name == rec.name and still.share_id is None


def test_edited_link_cannot_open_an_unshared_model(store, owner):
    rec = store.save(owner, *tiny())
    with pytest.raises(NotFound):  # the model id is not a share id
        store.open_shared(rec.id)
    with pytest.raises(NotFound):
        store.open_shared(new_id())


@pytest.mark.parametrize("bad", FORGED)
def test_forged_and_path_like_ids_are_refused(store, owner, bad):
    store.save(owner, *tiny())
    for act in (lambda: store.load(owner, bad), lambda: store.rename(owner, bad, "x"),
                lambda: store.delete(owner, bad), lambda: store.list(bad),
                lambda: store.save(bad, *tiny())):
        with pytest.raises(InvalidId) as err:
            act()
        assert (not isinstance(bad, str) or not bad) or bad not in str(err.value)
    with pytest.raises(NotFound):
        store.open_shared(bad)
    assert len(store.list(owner)) == 1


def test_unknown_id_is_not_found(store, owner):
    with pytest.raises(NotFound):
        store.load(owner, new_id())


def test_errors_never_echo_ids_or_tokens(store, owner):
    rec = store.save(owner, *tiny())
    messages = []
    for act in (lambda: store.load(new_id(), rec.id), lambda: store.open_shared(rec.id),
                lambda: store.load(owner, new_id())):
        try:
            act()
        except Exception as exc:  # noqa: BLE001
            messages.append(str(exc))
    assert len(messages) == 3
    assert not any(rec.id in m or owner in m for m in messages)
    assert rec.id not in repr(rec) and owner not in repr(rec)


def test_rename_delete_share_unshare(store, owner):
    rec = store.save(owner, *tiny())
    assert store.rename(owner, rec.id, "  Projector model \n").name == "Projector model"
    with pytest.raises(InvalidId):
        store.rename(owner, rec.id, "   ")
    sid = store.share(owner, rec.id)
    assert sid != rec.id and store.share(owner, rec.id) == sid  # sharing twice: same link
    model, card, srec = store.open_shared(sid)
    assert srec.name == "Projector model" and card["title"] == "Tiny 0"
    store.unshare(owner, rec.id)
    with pytest.raises(NotFound, match="revoked"):
        store.open_shared(sid)
    assert store.share(owner, rec.id) != sid  # a new link after revoking
    store.delete(owner, rec.id)
    assert store.list(owner) == [] and not store.blobs.exists(rec.id)
    with pytest.raises(NotFound):
        store.load(owner, rec.id)


# limits


def test_model_quota_checked_before_writing(store_factory, owner):
    store = store_factory(Limits(max_models=2))
    for i in range(2):
        store.save(owner, *tiny(i))
    with pytest.raises(QuotaExceeded, match="2 saved models"):
        store.save(owner, *tiny(3))
    assert len(store.list(owner)) == 2 and len(list(store.blobs.keys())) == 2
    store.save(new_id(), *tiny(4))  # another owner has their own quota
    store.close()


def test_byte_quota_checked_before_writing(store_factory, owner):
    size = len(to_bytes(*tiny()))
    store = store_factory(Limits(max_bytes=int(size * 1.5)))
    store.save(owner, *tiny())
    writes = []
    put = store.blobs.put
    store.blobs.put = lambda k, d: (writes.append(k), put(k, d))
    with pytest.raises(QuotaExceeded, match="MB"):
        store.save(owner, *tiny(1))
    assert writes == [] and len(store.list(owner)) == 1
    store.close()


def test_concurrent_saves_within_quota_lose_nothing(store_factory):
    store = store_factory(Limits(max_models=5))
    owners = [new_id() for _ in range(4)]
    model, card = tiny()
    results, errors = [], []

    def save(o):
        try:
            results.append(store.save(o, model, card).id)
        except QuotaExceeded:
            errors.append(o)

    threads = [threading.Thread(target=save, args=(owners[i % 4],)) for i in range(24)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 20 and len(errors) == 4  # 4 owners x 5, then refused
    assert {r.id for o in owners for r in store.list(o)} == set(results)
    assert {k for k, _ in store.blobs.keys()} == set(results)  # no orphan from a refused save
    store.close()


def test_global_cap_evicts_least_recently_used_unshared(store_factory, owner):
    size = len(to_bytes(*tiny()))
    store = store_factory(Limits(max_total_bytes=int(size * 3.5), evict_after_days=7))
    a, b, c = (store.save(owner, *tiny(i), name=n) for i, n in enumerate("abc"))
    old = time.time() - 30 * 86400
    store.index.update(a.id, last_used=old + 100)
    store.index.update(b.id, last_used=old)         # least recently used, but shared: kept
    store.index.update(c.id, last_used=old + 200)
    store.share(owner, b.id)
    d = store.save(owner, *tiny(3), name="d")        # fits: 4 > 3.5 -> evict one
    names = {r.name for r in store.list(owner)}
    assert names == {"b", "c", "d"}, names           # a went: LRU among unshared
    assert not store.blobs.exists(a.id) and store.blobs.exists(d.id)
    store.save(owner, *tiny(4), name="e")            # evicts c (b shared, d recent)
    assert {r.name for r in store.list(owner)} == {"b", "d", "e"}
    with pytest.raises(QuotaExceeded, match="server"):  # nothing old and unshared is left
        store.save(owner, *tiny(5))
    assert len(list(store.blobs.keys())) == 3
    store.close()


# fair use (issue 29)


def test_a_retried_insert_adds_nothing(store, owner):
    """A retry of an insert whose commit did happen (the answer was lost with the connection)
    leaves one row, counted once, and raises nothing."""
    rec = store.save(owner, *tiny())
    store.index.insert(rec, store.limits, client_key("10.0.0.1"))
    assert [r.id for r in store.list(owner)] == [rec.id]
    assert store.usage(owner) == (1, rec.size)


def test_an_int8_model_is_kept_at_its_precision(store, owner):
    model, card = tiny()
    int8 = to_bytes(model, card, "int8")
    loaded_model, loaded_card = __import__("aecore.weights", fromlist=["x"]).model_from_bytes(int8)
    rec = store.save(owner, loaded_model, loaded_card)  # as the Train page keeps an upload
    assert rec.card["storage"] == "int8" and rec.size <= len(int8) * 1.05
    assert rec.size < len(to_bytes(model, card)) / 2


@pytest.mark.parametrize("field, value, words", [
    ("title", "a\x00b", "control characters"),
    ("metrics", {"mse": float("nan")}, "NaN"),
    ("title", ["a", "list"], "must be text"),
], ids=["nul", "nan", "list-title"])
def test_a_card_the_database_would_refuse_gets_a_clear_message(store, owner, field, value, words):
    model, card = tiny()
    with pytest.raises(CorruptModel, match=words):
        store.save(owner, model, {**card, field: value})
    assert store.list(owner) == [] and list(store.blobs.keys()) == []


def test_the_global_cap_holds_across_processes(store_factory, owner):
    """Two processes (two stores on one storage) each pass their own check of the global cap
    before the other's insert: the second insert is refused, in the store, not per process."""
    size = len(to_bytes(*tiny()))
    a, b = (store_factory(Limits(max_total_bytes=int(size * 1.5))) for _ in range(2))
    put = a.blobs.put

    def put_then_other_process_saves(key, data):
        put(key, data)
        if not hasattr(put_then_other_process_saves, "done"):
            put_then_other_process_saves.done = True
            b.save(new_id(), *tiny(1))
    a.blobs.put = put_then_other_process_saves
    with pytest.raises(QuotaExceeded, match="server"):
        a.save(owner, *tiny(0))
    assert a.index.total_bytes() <= size * 1.5
    a.close()
    b.close()


def test_one_address_cannot_fill_the_store_with_fresh_owners(store_factory):
    """Cookie-less sessions from one address (a new owner each) stop at the address's hourly
    limit; another address still saves, and nothing of anyone else was removed."""
    size = len(to_bytes(*tiny()))
    store = store_factory(Limits(client_bytes_per_hour=int(size * 3.5),
                                 max_total_bytes=size * 100))
    other = store.save(new_id(), *tiny(9), client=client_key("10.0.0.9"))
    greedy = client_key("10.0.0.66")
    kept = 0
    for i in range(10):
        try:
            store.save(new_id(), *tiny(i), client=greedy)
            kept += 1
        except QuotaExceeded as exc:
            assert "address" in str(exc)
    assert kept == 3
    store.save(new_id(), *tiny(1), client=client_key("10.0.0.10"))
    assert store.record(other.owner, other.id)  # untouched
    store.close()


def test_one_owner_is_limited_per_hour(store_factory, owner):
    size = len(to_bytes(*tiny()))
    store = store_factory(Limits(owner_bytes_per_hour=int(size * 2.5)))
    for i in range(2):
        store.delete(owner, store.save(owner, *tiny(i)).id)  # deleting does not give it back
    with pytest.raises(QuotaExceeded, match="last hour"):
        store.save(owner, *tiny(3))
    assert list(store.blobs.keys()) == []
    store.close()


def test_a_full_store_never_evicts_recent_models_of_others(store_factory, owner):
    size = len(to_bytes(*tiny()))
    store = store_factory(Limits(max_total_bytes=int(size * 2.5)))
    theirs = [store.save(new_id(), *tiny(i)) for i in range(2)]
    with pytest.raises(QuotaExceeded, match="full"):
        store.save(owner, *tiny(5))
    assert all(store.blobs.exists(r.id) and store.index.get(r.id) for r in theirs)
    store.close()


# damage


def test_corrupt_file_is_reported_and_skipped(store, owner):
    good = store.save(owner, *tiny(0), name="good")
    bad = store.save(owner, *tiny(1), name="bad")
    data = to_bytes(*tiny(1))
    for broken in (data[: len(data) // 2], b"\x00" * 100, data[:8] + b"{" + data[9:200]):
        store.blobs.delete(bad.id)
        store.blobs.put(bad.id, broken)
        assert {r.name for r in store.list(owner)} == {"good", "bad"}
        with pytest.raises(CorruptModel, match="bad"):
            store.load(owner, bad.id)
        store.load(owner, good.id)  # the others still load


def test_row_without_file_is_listed_as_missing(store, owner):
    rec = store.save(owner, *tiny())
    store.blobs.delete(rec.id)
    [listed] = store.list(owner)
    assert listed.status == MISSING
    with pytest.raises(CorruptModel, match="missing"):
        store.load(owner, rec.id)
    store.delete(owner, rec.id)  # the owner can still remove it
    assert store.list(owner) == []


def test_file_without_row_is_swept(store, owner):
    kept = store.save(owner, *tiny())
    orphan = new_id()
    store.blobs.put(orphan, to_bytes(*tiny(1)))
    assert store.recover(grace_s=3600)["orphans"] == 0  # young: maybe a save in progress
    assert store.recover(grace_s=0)["orphans"] == 1
    assert not store.blobs.exists(orphan) and store.blobs.exists(kept.id)


__all__ = [n for n in dir() if n.startswith("test_")] + ["store", "owner", "tiny"]
