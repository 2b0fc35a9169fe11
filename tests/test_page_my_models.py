"""My models through the real app (AppTest): listing, rename, share/unshare with a QR code,
delete, a damaged file, someone else's model, shared links on another page, a quota message.

The app's library is the test session's temporary AE_DATA_DIR (conftest.py); each test uses a
fresh owner token, set in the session as the cookie would set it.
"""
from __future__ import annotations

import hashlib

import pytest
from streamlit.testing.v1 import AppTest

from aecore.store import QuotaExceeded, new_id, open_store
from conftest import APP_TIMEOUT, ROOT
from live_util import copy_links
from store_contract import tiny


@pytest.fixture
def store():
    s = open_store()  # the same folder the app's own store uses
    yield s
    s.close()


def _app(owner: str, page: str = "my_models", **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["_ae_owner"] = owner
    at.session_state["_ae_owner_cookie"] = True
    at.query_params.update(params)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at) -> str:
    return " ".join(str(x.value) for kind in ("markdown", "caption", "info", "warning", "error",
                                              "success") for x in at.get(kind))


def test_no_models_yet(store):
    at = _app(new_id())
    assert "No models yet" in _texts(at)


def test_list_rename_share_unshare_delete(store):
    owner = new_id()
    rec = store.save(owner, *tiny(1), name="First")
    store.save(owner, *tiny(2), name="Second", status="interrupted")
    store.save(new_id(), *tiny(3), name="Not mine")
    at = _app(owner)
    pick = at.selectbox(key="my_pick")
    labels = pick.options  # the labels the browser gets
    assert len(labels) == 2 and "Second" in labels[0] and "interrupted" in labels[0]
    assert not any("Not mine" in lbl for lbl in labels)
    assert "2 of 50 models" in _texts(at)

    pick.set_value(rec.id).run()  # "First"
    tag = hashlib.sha256(rec.id.encode()).hexdigest()[:12]  # views/my_models.widget_tag
    at.text_input(key=f"my_name_{tag}").set_value("Projector model")
    at.button(key="FormSubmitter:my_rename-Rename").click().run()
    assert not at.exception
    assert store.record(owner, rec.id).name == "Projector model"

    at.button(key="my_share").click().run()
    sid = store.record(owner, rec.id).share_id
    assert sid and any(f"?shared={sid}" in u for u in copy_links(at))
    assert at.get("imgs") or at.get("image"), "no QR code"
    assert store.open_shared(sid)[2].id == rec.id

    at.button(key="my_unshare").click().run()
    assert store.record(owner, rec.id).share_id is None
    assert "no longer works" in _texts(at)

    at.checkbox(key=f"my_sure_{tag}").check().run()
    at.button(key="my_delete").click().run()
    assert not at.exception
    assert [r.name for r in store.list(owner)] == ["Second"]


def test_a_damaged_file_is_reported_not_a_traceback(store):
    owner = new_id()
    rec = store.save(owner, *tiny(1), name="Broken")
    store.blobs.delete(rec.id)
    store.blobs.put(rec.id, b"\x00" * 64)
    at = _app(owner)
    assert "cannot be used" in _texts(at) and "damaged" in _texts(at)
    # a page whose picker is on it says so too, and stops cleanly
    at = _app(owner, "reconstruct")
    at.selectbox(key="rec_model").set_value(f"user:{rec.id}").run()
    assert not at.exception
    assert any("could not be loaded" in e.value for e in at.error)


def test_saved_models_join_every_picker_but_not_another_browsers(store):
    owner = new_id()
    rec = store.save(owner, *tiny(1), name="Mine on every page")
    at = _app(owner, "reconstruct")
    assert "Mine on every page (yours)" in at.selectbox(key="rec_model").options
    at.selectbox(key="rec_model").set_value(f"user:{rec.id}").run()
    assert not at.exception and not at.error
    stranger = _app(new_id(), "reconstruct")
    assert "Mine on every page (yours)" not in stranger.selectbox(key="rec_model").options



def test_shared_link_opens_the_model_read_only_then_revoked(store):
    owner = new_id()
    rec = store.save(owner, *tiny(1), name="Class model")
    sid = store.share(owner, rec.id)
    at = _app(new_id(), "reconstruct", shared=sid)
    assert any("Class model" in i.value for i in at.info)
    assert at.selectbox(key="rec_model").value == f"shared:{sid}"
    assert not at.get("button") or all(b.key != "my_delete" for b in at.button)
    store.unshare(owner, rec.id)
    at = _app(new_id(), "reconstruct", shared=sid)
    assert any("revoked" in w.value for w in at.warning)
    assert at.selectbox(key="rec_model").value == "zoo:ae_k32"  # the default model
    for bad in ("../../etc/passwd", "x" * 32 + "/..", rec.id):  # forged, path-like, a model id
        at = _app(new_id(), "reconstruct", shared=bad)
        assert at.warning and at.selectbox(key="rec_model").value == "zoo:ae_k32"


def test_quota_refusal_is_a_clear_message(store, monkeypatch):
    from ui import library

    def full(*a, **k):
        raise QuotaExceeded("You already have 50 saved models, the most this server keeps.")

    monkeypatch.setattr(library, "save", full)
    import io

    from aecore.weights import to_bytes
    at = _app(new_id(), "train")
    at.get("file_uploader")[0].upload("mine.safetensors", to_bytes(*tiny(1)),
                                      "application/octet-stream").run()
    assert not at.exception
    assert any("could not be kept in My models" in e.value and "50 saved models" in e.value
               for e in at.error)
    assert io  # the model still works in this session:
    assert at.session_state["user_models"]
