"""Broken and hostile model files (issue 7): through the Train page's upload box, and broken files
in ``pretrained/`` seen from several pages. Crafted cards, header bombs, text from users and
greedy clients (issue 29): one test per finding of that review, each named in its docstring.

Each case gives a clear message naming the file, never an exception, and every other page keeps
working. A pickle is refused without being unpickled (its payload would leave a marker file).
"""
from __future__ import annotations

import io
import json
import pickle
import re
import shutil
import struct

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from conftest import APP_TIMEOUT, ROOT, open_page, until

from aecore import presence, weights, zoo
from aecore.card_schema import MAX_CARD_BYTES, check_card
from aecore.config import ConvAEConfig, TrainConfig
from aecore.errors import ConfigError, WeightsError
from aecore.jobs import JobManager
from aecore.models import build_model
from aecore.model_types import make_configs
from aecore.store import client_key, job_saver, new_id, open_store
from aecore.weights import ModelCache, make_card, model_bytes, model_from_bytes, to_bytes


# model files

def small_model(latent_dim: int = 4):
    return build_model(make_configs("dense", latent_dim=latent_dim, hidden=(16,))[0])


def good_file(title: str = "My uploaded AE") -> bytes:
    m = small_model()
    return to_bytes(m, make_card(m, name="mine", title=title))


def corrupt_file() -> bytes:
    data = bytearray(good_file())
    data[8:40] = b"\x00" * 32  # the JSON header is gone
    return bytes(data)


def mismatched_file() -> bytes:
    """Weights of a k=4 model under the card of a k=8 one."""
    other = small_model(8)
    return to_bytes(small_model(4), make_card(other, name="mine", title="Mismatch"))


def absurd_file() -> bytes:
    m = small_model()
    card = make_card(m, name="mine", title="Huge")
    card["config"] = {**card["config"], "hidden": [100_000, 100_000, 100_000]}
    return to_bytes(m, card)


def torch_pt() -> bytes:
    buf = io.BytesIO()
    torch.save(small_model().state_dict(), buf)
    return buf.getvalue()


class _Payload:
    """Unpickling this creates ``path``: proof that a file was (wrongly) unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


# (file name, bytes factory given a marker path, words the error must contain)
MODEL_CASES = [
    ("cut.safetensors", lambda _: good_file()[:300], "truncated or corrupt"),
    ("garbled.safetensors", lambda _: corrupt_file(), "truncated or corrupt"),
    ("random.safetensors", lambda _: bytes(range(256)) * 8, "truncated or corrupt"),
    ("empty.safetensors", lambda _: b"", "empty"),
    ("mismatch.safetensors", lambda _: mismatched_file(), "do not match the card"),
    ("huge.safetensors", lambda _: absurd_file(), "config is invalid"),  # widths over the cap
    ("model.pt", lambda _: torch_pt(), "pickle"),
    ("model.pkl", lambda marker: pickle.dumps(_Payload(str(marker))), "pickle"),
    ("renamed.safetensors", lambda marker: pickle.dumps(_Payload(str(marker))), "pickle"),
]


def texts(at) -> str:
    return " ".join(e.value for e in [*at.error, *at.warning])


@pytest.mark.parametrize("name, make, words", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_model_file_case_through_the_train_page(app, tmp_path, name, make, words):
    marker = tmp_path / "unpickled"
    at = open_page(app, "train")
    up = at.get("file_uploader")[0]
    up.upload(name, make(marker), "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1, [e.value for e in at.error]
    assert name in at.error[0].value and words in at.error[0].value
    assert not marker.exists(), "the pickle was unpickled"
    models = at.session_state["user_models"] if "user_models" in at.session_state else {}
    assert not models  # nothing was added to the catalogue
    # the session still works: a good file loads and other pages keep working
    at.get("file_uploader")[0].upload("mine.safetensors", good_file(), "application/octet-stream")
    at.run()
    assert not at.exception
    assert any("My uploaded AE" in s.value for s in at.success)
    at.switch_page("views/reconstruct.py").run()
    assert not at.exception and not at.error


# broken files in pretrained/

@pytest.fixture
def broken_zoo(tmp_path, monkeypatch):
    """A copy of pretrained/ with ae_k2's weights missing, ae_k32's truncated and dae_conv's card
    not JSON; the app's caches are cleared before and after."""
    folder = tmp_path / "pretrained"
    shutil.copytree(ROOT / "pretrained", folder)
    (folder / "ae_k2.safetensors").unlink()
    cut = folder / "ae_k32.safetensors"
    cut.write_bytes(cut.read_bytes()[:1000])
    (folder / "dae_conv.json").write_text("{ not json")
    monkeypatch.setattr(zoo, "PRETRAINED_DIR", folder)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield folder
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page, names", [
    ("reconstruct", ["ae_k32"]),  # its default model is the truncated one
    ("latent", ["ae_k2"]),  # its default model has no weights
    ("denoise", ["ae_k32"]),
])
def test_broken_pretrained_file_names_the_file_on_its_page(app, broken_zoo, page, names):
    at = open_page(app, page)
    assert not at.exception, [e.value for e in at.exception]
    msg = texts(at)
    assert any(f"{n}.safetensors" in msg for n in names), msg
    assert "file not found" in msg or "truncated or corrupt" in msg


def test_other_pages_keep_working_with_a_broken_zoo(app, broken_zoo):
    at = open_page(app, "generate")
    assert not at.exception and not at.error
    at.switch_page("views/bottleneck.py").run()
    assert not at.exception
    at.switch_page("views/train.py").run()
    assert not at.exception and not at.error
    # on the page whose default is broken, picking a healthy model works
    at.switch_page("views/reconstruct.py").run()
    at.selectbox(key="rec_model").set_value("zoo:ae_k16").run()
    assert not at.exception and not at.error
    # a card that is not JSON: that model is simply not offered
    assert "zoo:dae_conv" not in at.selectbox(key="rec_model").options


# crafted cards, bombs and greedy clients (issue 29): each test names the finding it covers

EVIL = "[Session expired: sign in](https://evil.example/login)"
# a live link in rendered Markdown, outside code spans (where nothing acts): [text](url), or a
# bare address Streamlit autolinks (https://, www., e-mail) even when its punctuation is escaped
_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_ADDRESS = re.compile(r"\]\(|https?\\?:|www\\?\.|\w\\?@\w")


def _live_link(body: str) -> bool:
    return bool(_ADDRESS.search(_CODE.sub("", body)))


def with_card(**changes) -> bytes:
    """A good file whose embedded card has ``changes`` (a value of None removes the field)."""
    m = small_model()
    card = {**make_card(m, name="mine", title="Crafted"), **changes}
    return to_bytes(m, {k: v for k, v in card.items() if v is not None})


def raw_file(header: dict, body: bytes = b"") -> bytes:
    """A safetensors file from a hand-written header (anything a hostile tool could write)."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@pytest.mark.parametrize("changes, words", [
    ({"model": EVIL}, "unknown model type"),                   # finding 1: a link as the type
    ({"title": ["a", "list"]}, "title must be text"),          # finding 1: crashed Train
    ({"train": 3}, "train must be an object"),                 # finding 1: saved, then crashed
    ({"metrics": {"mse": "x" * 50}}, "metrics.mse"),
    ({"description": "x" * (MAX_CARD_BYTES + 1)}, "at most 65,536 bytes"),  # finding 4: no size limit
    ({"title": "a\x00b"}, "control characters"),               # finding 4: jsonb and \u0000
], ids=["link-as-type", "list-title", "number-train", "text-metric", "huge-card", "nul"])
def test_a_crafted_card_is_refused_with_a_message(changes, words):
    with pytest.raises(WeightsError, match=re.escape(words)) as err:
        model_from_bytes(with_card(**changes), "crafted.safetensors")
    assert "evil.example" not in str(err.value)  # the crafted value is never echoed


def test_a_deeply_nested_card_is_refused_not_a_recursion_error():
    """finding 4: a card nested 100,000 deep escaped as RecursionError."""
    deep = "[" * 100_000 + "]" * 100_000
    m = small_model()
    data = to_bytes(m, make_card(m))
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    header["__metadata__"]["card"] = '{"model": "dense", "config": {}, "x": ' + deep + "}"
    body = data[8 + int.from_bytes(data[:8], "little"):]
    with pytest.raises(WeightsError, match="nests|KB"):
        model_from_bytes(raw_file(header, body), "deep.safetensors")
    with pytest.raises(WeightsError, match="nests"):
        check_card({"model": "dense", "config": {}, "x": json.loads("[" * 500 + "]" * 500)})


def test_unknown_card_fields_are_dropped():
    _, card = model_from_bytes(with_card(evil=EVIL, extra={"a": 1}), "x.safetensors")
    assert "evil" not in card and "extra" not in card and card["title"] == "Crafted"


def _no_tensor_built(monkeypatch):
    def built(*_):
        raise AssertionError("a tensor was built before the header was checked")
    monkeypatch.setattr(weights, "st_load_bytes", built)


def test_a_header_bomb_is_refused_before_any_tensor_is_built(monkeypatch):
    """finding 2: 300,000 empty tensors in a 20 MB header were all built before the check."""
    _no_tensor_built(monkeypatch)
    card = json.dumps(make_card(small_model()))
    bomb = {f"t{i:06d}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}
            for i in range(300_000)}
    with pytest.raises(WeightsError, match="header is .* MB"):
        model_from_bytes(raw_file({**bomb, "__metadata__": {"card": card}}), "bomb.safetensors")
    few = dict(list(bomb.items())[:2000])  # under the header's byte cap, over the tensor cap
    with pytest.raises(WeightsError, match="2,000 tensors"):
        model_from_bytes(raw_file({**few, "__metadata__": {"card": card}}), "few.safetensors")


def test_names_dtypes_and_shapes_are_checked_against_the_card_first(monkeypatch):
    m = small_model()
    data = to_bytes(m, make_card(m))
    n = int.from_bytes(data[:8], "little")
    header, body = json.loads(data[8:8 + n]), data[8 + n:]
    name = next(k for k in header if k != "__metadata__")
    _no_tensor_built(monkeypatch)
    wrong_dtype = {**header, name: {**header[name], "dtype": "I32"}}
    with pytest.raises(WeightsError, match="do not match the card"):
        model_from_bytes(raw_file(wrong_dtype, body), "dtype.safetensors")
    renamed = {("x" if k == name else k): v for k, v in header.items()}
    with pytest.raises(WeightsError, match="do not match the card"):
        model_from_bytes(raw_file(renamed, body), "names.safetensors")
    outside = {**header, name: {**header[name], "data_offsets": [0, len(body) + 4]}}
    with pytest.raises(WeightsError, match="truncated or corrupt"):
        model_from_bytes(raw_file(outside, body), "outside.safetensors")


def test_a_huge_conv_model_is_counted_right_and_refused():
    """finding 4: a conv card's size was estimated from its dense widths (52M as 1.6M)."""
    m = small_model()
    card = make_card(m)
    card.update(model="conv", config={"kind": "conv", "latent_dim": 2048, "hidden": [128, 128]})
    with pytest.raises(WeightsError, match="refusing to build"):
        model_from_bytes(to_bytes(m, card), "conv.safetensors")


def test_the_model_cache_is_bounded_by_bytes_not_entries():
    """finding 4: caches counted entries, so 32 big models could be held at once."""
    small, big = small_model(), build_model(ConvAEConfig(latent_dim=256, hidden=(64, 128)))
    cache = ModelCache(max_bytes=model_bytes(big) + 3 * model_bytes(small))
    for i in range(20):
        cache.get(("small", i), lambda: (small, {}))
    cache.get("big", lambda: (big, {}))
    assert cache.used_bytes <= cache.max_bytes
    loads = []
    cache.get("big", lambda: loads.append(1) or (big, {}))
    assert loads == []  # still kept: the small ones went first


# text from users is text


def _shared_app(share_id: str, page: str = "reconstruct") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["_ae_owner"] = new_id()
    at.query_params["shared"] = share_id
    at.switch_page(f"views/{page}.py").run()
    return at


def _markdown_bodies(at) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "toast")
    return [str(x.value) for kind in kinds for x in at.get(kind)]


def test_a_shared_model_named_like_a_link_shows_as_text():
    """finding 1: the share banner rendered a crafted name as a live link."""
    store = open_store()
    owner = new_id()
    rec = store.save(owner, small_model(), make_card(small_model(), title="t"), name=EVIL)
    sid = store.share(owner, rec.id)
    store.close()
    at = _shared_app(sid)
    assert not at.exception, [e.value for e in at.exception]
    banner = " ".join(x.value for x in at.info)
    assert "Session expired" in banner
    assert not any(_live_link(b) for b in _markdown_bodies(at)), _markdown_bodies(at)


def test_a_bad_link_parameter_is_echoed_as_text():
    """finding 4: a bad link value was echoed as Markdown in a toast."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.query_params["noise"] = EVIL
    at.switch_page("views/denoise.py").run()
    notes = [t.value for t in at.toast]
    assert notes and "Session expired" in notes[0]
    assert not any(_live_link(n) for n in notes), notes


def test_a_crafted_upload_on_train_is_refused_and_not_saved(app):
    """finding 1: a numeric `train` was saved in My models, then crashed the page."""
    at = open_page(app, "train")
    at.get("file_uploader")[0].upload("t.safetensors", with_card(train=3),
                                      "application/octet-stream").run()
    assert not at.exception and len(at.error) == 1
    owner = at.session_state["_ae_owner"]
    store = open_store()
    assert store.list(owner) == []
    store.close()


# greedy clients

TINY2 = make_configs("dense", latent_dim=2, hidden=(16,))[0]


def _quick(epochs: int = 1, subset: int = 256) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=128, subset=subset, val_size=256, lr=1e-3)


def test_one_owner_cannot_fill_the_queue_from_many_tabs():
    """finding 4: one client filled the global training queue from many tabs."""
    m = JobManager(max_concurrent=1, max_queued=64, per_owner=2, per_client=40,
                   abandoned_after_s=0, threads_per_job=1)
    try:
        owner, addr = new_id(), client_key("10.1.1.1")
        jobs = [m.submit(TINY2, _quick(50), "a", owner=owner, client=addr) for _ in range(2)]
        with pytest.raises(ConfigError, match="you already have 2"):
            m.submit(TINY2, _quick(50), "a", owner=owner, client=addr)  # a third tab
        fresh = [m.submit(TINY2, _quick(50), "a", owner=new_id(), client=addr)
                 for _ in range(38)]  # cookie-less sessions from the same address
        with pytest.raises(ConfigError, match="network address"):
            m.submit(TINY2, _quick(50), "a", owner=new_id(), client=addr)
        other = m.submit(TINY2, _quick(50), "a", owner=new_id(), client=client_key("10.1.1.2"))
        assert other.status == "queued" and len(jobs) + len(fresh) == 40
    finally:
        m.close()


def test_a_class_of_30_is_queued_with_positions_and_none_refused():
    m = JobManager(max_concurrent=1, abandoned_after_s=0, threads_per_job=1)
    try:
        jobs = [m.submit(TINY2, _quick(50), f"s{i}", owner=new_id(),
                         client=client_key(f"10.2.0.{i}")) for i in range(30)]
        positions = sorted(j.queue_position for j in jobs if j.status == "queued")
        assert len(jobs) == 30 and positions == list(range(1, len(positions) + 1))
        assert len(positions) >= 29
    finally:
        m.close()


def test_an_abandoned_training_is_cancelled_and_its_best_epoch_saved():
    """finding 4: jobs went on after their tabs closed."""
    store = open_store()
    owner = new_id()
    m = JobManager(max_concurrent=1, abandoned_after_s=600, threads_per_job=1)
    try:
        presence.seen(owner, now=1000.0)
        job = m.submit(TINY2, _quick(50, subset=4000), "gone", owner=owner,
                       on_result=job_saver(store, owner))
        assert until(lambda: len(job.history) >= 1, 120)
        assert m.reap(now=1000.0 + 60) == 0  # still here a minute later
        assert m.reap(now=1000.0 + 601) == 1
        assert job.wait(60) and job.status == "cancelled"
        [rec] = store.list(owner)
        assert rec.status == "interrupted" and job.card["best_epoch"] >= 1
    finally:
        m.close()
        store.close()


# the owner cookie


def _first_response(headers: list[tuple[bytes, bytes]], scheme: str = "http") -> dict:
    import asyncio
    import server
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "GET", "path": "/", "scheme": scheme, "headers": headers}
    asyncio.run(server.OwnerCookie(app)(scope, None, send))
    return {k.decode(): v.decode() for k, v in sent[0]["headers"]}


def test_the_owner_cookie_is_set_by_the_server_http_only():
    """finding 4: page scripts could read the owner cookie (written by page JS, no HttpOnly)."""
    cookie = _first_response([])["set-cookie"]
    token = re.match(r"ae_owner=([A-Za-z0-9_-]{32});", cookie).group(1)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    behind_tls = _first_response([(b"x-forwarded-proto", b"https")])["set-cookie"]
    assert "Secure" in behind_tls and "HttpOnly" in behind_tls
    assert "set-cookie" not in _first_response([(b"cookie", f"a=1; ae_owner={token}".encode())])
    forged = _first_response([(b"cookie", b"ae_owner=../../x")])["set-cookie"]
    assert token not in forged  # a malformed token is replaced, never trusted
