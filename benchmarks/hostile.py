"""Hostile files and greedy clients (issue 29): what a crafted model or a greedy client manages.

    python benchmarks/hostile.py [--quick]

Everything runs in a temporary data folder (never the project's var/). Parts:

- ``header_bomb_refuse_s`` / ``header_bomb_rss_mb``: a 20 MB safetensors file whose header names
  300,000 empty tensors, refused by ``model_from_bytes`` in a fresh process (imports done, the
  file read): seconds, and the peak RSS it added (MB).
- ``crafted_card_exceptions`` / ``attacker_links_rendered``: through the real app (AppTest), an
  uploader sends every crafted file (a link as the model type, a list title, a numeric train, a
  card nested 100,000 deep, a 70 KB card, NUL bytes, a link as the title and as the file name)
  on Train, then opens every page; a viewer opens the attacker's shared models (one saved
  through the store with a link as its name and title, one whose row in the index was written
  by hand with a crafted card and a link as its type) on every page. Exceptions shown, and
  Markdown bodies (text, captions, alerts, toasts) holding a live link outside code spans: a
  ``](`` or a bare https://, www. or e-mail address (Streamlit autolinks those even when their
  punctuation is backslash-escaped). ``attacker_text_shown`` counts the bodies where the
  attacker's text did appear (escaped), so the scan is not vacuous.
- ``fill_attempt_mb_stored``: 1,000 cookie-less sessions from one address (a new owner each)
  each upload a 12 MB int8 model within the hour; MB the store kept for them, beside
  ``fill_limit_mb`` (the per-address hourly limit). ``others_evicted``: of 20 other users'
  models saved before, how many are gone afterwards.
- ``queue_one_client_max``: one address submits trainings from 10 tabs of one browser and 200
  cookie-less sessions to one JobManager with the default settings: how many it got queued,
  beside ``queue_client_limit``.
- ``class_of_30``: 30 quick 2-D trainings (the Train page's "Quick 2-D AE" recipe) from 30
  clients submitted at once to one JobManager (default settings: AE_MAX_TRAININGS at once):
  refused, seconds from submission until the last and the median finished, and
  ``floor_s``: their training FLOPs (6 x parameters per training image and epoch, 2 x per
  validation image) over this machine's measured float32 matmul rate on all its cores.
  ``--quick`` trains 2,000 images instead of 10,000.

Ends with ONE JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DATA = tempfile.mkdtemp(prefix="ae-hostile-")
os.environ["AE_DATA_DIR"] = DATA  # before the app or the store is imported

EVIL = "[Session expired: sign in](https://evil.example/login)"
N_BOMB = 300_000


def bomb_bytes() -> bytes:
    """A safetensors file whose header names ``N_BOMB`` empty tensors (about 20 MB)."""
    header = {f"t{i:06d}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}
              for i in range(N_BOMB)}
    header["__metadata__"] = {"card": json.dumps(
        {"model": "dense", "config": {"kind": "dense", "latent_dim": 2, "hidden": [8]}})}
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text


def bomb_child(path: str) -> None:
    """In a fresh process: read the bomb, refuse it, print seconds and the peak RSS it added."""
    from aecore.errors import WeightsError
    from aecore.weights import model_from_bytes
    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    try:
        model_from_bytes(data, "bomb.safetensors")
        refused = False
    except WeightsError:
        refused = True
    seconds = time.perf_counter() - t
    extra = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # KB -> MB
    print(json.dumps({"s": seconds, "rss_mb": extra, "refused": refused}))


def bench_bomb() -> dict:
    path = Path(DATA) / "bomb.safetensors"
    path.write_bytes(bomb_bytes())
    out = subprocess.run([sys.executable, __file__, "--bomb-child", str(path)],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["refused"], "the bomb was not refused"
    return {"header_bomb_refuse_s": round(got["s"], 4), "header_bomb_rss_mb": round(got["rss_mb"], 1)}


# crafted cards through the app


def crafted_files() -> list[tuple[str, bytes]]:
    """(file name, bytes) of every crafted upload."""
    from aecore.model_types import make_configs
    from aecore.models import build_model
    from aecore.weights import make_card, to_bytes
    model = build_model(make_configs("dense", latent_dim=2, hidden=(16,))[0])

    def with_card(**changes) -> bytes:
        return to_bytes(model, {**make_card(model, name="x", title="Crafted"), **changes})
    deep = "[" * 100_000 + "]" * 100_000
    good = with_card()
    n = int.from_bytes(good[:8], "little")
    header = json.loads(good[8:8 + n])
    header["__metadata__"]["card"] = '{"model": "dense", "config": {}, "x": ' + deep + "}"
    text = json.dumps(header).encode()
    nested = len(text).to_bytes(8, "little") + text + good[8 + n:]
    return [("type.safetensors", with_card(model=EVIL)),
            ("title-list.safetensors", with_card(title=["a", "list"])),
            ("train-number.safetensors", with_card(train=3)),
            ("nested.safetensors", nested),
            ("huge.safetensors", with_card(description="x" * 70_000)),
            ("nul.safetensors", with_card(title="a\x00b")),
            ("title.safetensors", with_card(title=EVIL)),
            (f"{EVIL}.safetensors", with_card(title=None))]


PAGES = sorted(p.name for p in (ROOT / "views").glob("*.py"))
MARKDOWN = ("markdown", "caption", "info", "warning", "error", "success", "toast")


def scan(at, tally: dict) -> None:
    """Add this run's exceptions, live links and shown attacker text to ``tally``."""
    import re
    code = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")  # code spans: nothing inside acts
    link = re.compile(r"\]\(|https?\\?:|www\\?\.|\w\\?@\w")
    tally["exceptions"] += len(at.exception)
    for kind in MARKDOWN:
        for el in at.get(kind):
            body = str(el.value)
            outside = code.sub("", body)  # the attacker's address outside code spans
            tally["links"] += bool(link.search(outside)) and "evil" in outside
            tally["shown"] += "Session expired" in body


def uploader_run(tally: dict) -> str:
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("views/train.py").run()
    for name, data in crafted_files():
        at.get("file_uploader")[0].upload(name, data, "application/octet-stream").run()
        scan(at, tally)
    for page in PAGES:
        at.switch_page(f"views/{page}").run()
        scan(at, tally)
    return at.session_state["_ae_owner"]


def attacker_shares() -> list[str]:
    """Share ids of the attacker's models: one saved through the store (a link as its name and
    title), one whose index row was written by hand (a crafted card, a link as its type)."""
    import time as _time
    from aecore.model_types import make_configs
    from aecore.models import build_model
    from aecore.store import ModelRecord, new_id, open_store
    from aecore.weights import make_card, to_bytes
    store = open_store()
    owner = new_id()
    model = build_model(make_configs("dense", latent_dim=2, hidden=(16,))[0])
    rec = store.save(owner, model, make_card(model, title=EVIL), name=EVIL)
    sids = [store.share(owner, rec.id)]
    mid, now = new_id(), _time.time()
    data = to_bytes(model, make_card(model, title="ok"))
    store.blobs.put(mid, data)
    crafted = {"model": EVIL, "title": ["a"], "train": 3, "config": {"latent_dim": "x"}}
    store.index.insert(ModelRecord(id=mid, owner=owner, name=EVIL, type=EVIL, k=2, created=now,
                                   last_used=now, size=len(data), status="uploaded",
                                   card=crafted), store.limits)
    sids.append(store.share(owner, mid))
    store.close()
    return sids


def viewer_run(share_id: str, tally: dict) -> None:
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["shared"] = share_id
    for page in PAGES:
        at.switch_page(f"views/{page}").run()
        scan(at, tally)


def bench_pages() -> dict:
    tally = {"exceptions": 0, "links": 0, "shown": 0}
    uploader_run(tally)
    for sid in attacker_shares():
        viewer_run(sid, tally)
    return {"crafted_card_exceptions": tally["exceptions"],
            "attacker_links_rendered": tally["links"], "attacker_text_shown": tally["shown"]}


# greedy clients


def bench_fill(sessions: int = 1000) -> dict:
    from aecore.config import AEConfig
    from aecore.models import build_model
    from aecore.store import Limits, QuotaExceeded, client_key, new_id, sqlite_store
    from aecore.weights import make_card, to_bytes
    limits = Limits()  # the defaults a server runs with
    store = sqlite_store(Path(DATA) / "fill", limits)
    small = build_model(AEConfig(latent_dim=8, hidden=(64,)))
    others = [store.save(new_id(), small, make_card(small, title=f"pupil {i}"),
                         client=client_key(f"10.9.0.{i}")) for i in range(20)]
    big = build_model(AEConfig(latent_dim=32, hidden=(2048, 2048)))  # ~12 M weights
    data = to_bytes(big, make_card(big, title="filler"), "int8")
    greedy = client_key("203.0.113.7")
    stored = 0
    for _ in range(sessions):  # each a browser without the cookie: a new owner every time
        try:
            stored += store.save_bytes(new_id(), data, name="filler", client=greedy).size
        except QuotaExceeded:
            pass
    evicted = sum(store.index.get(r.id) is None or not store.blobs.exists(r.id) for r in others)
    store.close()
    return {"fill_attempt_mb_stored": round(stored / 2**20, 1),
            "fill_limit_mb": round(limits.client_bytes_per_hour / 2**20, 1),
            "fill_upload_mb": round(len(data) / 2**20, 1), "others_evicted": evicted}


def bench_queue() -> dict:
    from aecore.config import AEConfig, TrainConfig
    from aecore.errors import ConfigError
    from aecore.jobs import JobManager
    from aecore.store import client_key, new_id
    m = JobManager.from_env()
    cfg, long = AEConfig(latent_dim=2, hidden=(32,)), TrainConfig(epochs=50, subset=20_000)
    addr, owner, got = client_key("203.0.113.7"), new_id(), 0
    for i in range(210):  # 10 tabs of one browser, then 200 cookie-less sessions
        try:
            m.submit(cfg, long, "greedy", owner=owner if i < 10 else new_id(), client=addr)
            got += 1
        except ConfigError:
            pass
    m.close(cancel=True)
    return {"queue_one_client_max": got, "queue_client_limit": m.per_client,
            "queue_owner_limit": m.per_owner}


def matmul_gflops(seconds: float = 1.0) -> float:
    import torch
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    torch.mm(a, b)
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        torch.mm(a, b)
        n += 1
    return 2 * 1024**3 * n / (time.perf_counter() - t) / 1e9


def bench_class(n: int, subset: int | None) -> dict:
    import dataclasses
    from aecore.errors import ConfigError
    from aecore.jobs import JobManager
    from aecore.models import build_model
    from aecore.presets import get_preset
    from aecore.store import client_key, new_id
    preset = get_preset("quick_k2")
    train = dataclasses.replace(preset.train, subset=subset) if subset else preset.train
    rate = matmul_gflops()
    m = JobManager.from_env()
    t0, jobs, refused = time.time(), [], 0
    for i in range(n):
        try:
            jobs.append(m.submit(preset.model, train, f"pupil{i}", owner=new_id(),
                                 client=client_key(f"10.3.0.{i}")))
        except ConfigError:
            refused += 1
    positions = sorted(j.queue_position for j in jobs)
    for j in jobs:
        j.wait()
    m.close()
    done = sorted(j.finished_at - t0 for j in jobs)
    params = sum(p.numel() for p in build_model(preset.model).parameters())
    flops = n * train.epochs * params * (6 * train.subset + 2 * train.val_size)
    return {"class_of_30": {"refused": refused, "last_done_s": round(done[-1], 1),
                            "median_done_s": round(statistics.median(done), 1),
                            "failed": sum(j.status != "done" for j in jobs),
                            "positions_seen": len(set(positions) - {0}),
                            "floor_s": round(flops / (rate * 1e9), 1),
                            "matmul_gflops": round(rate, 1), "trainings": n,
                            "subset": train.subset, "epochs": train.epochs,
                            "max_concurrent": m.max_concurrent}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 training images per class job")
    ap.add_argument("--bomb-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bomb_child:
        bomb_child(args.bomb_child)
        return
    out = {}
    out.update(bench_bomb())
    out.update(bench_pages())
    out.update(bench_fill())
    out.update(bench_queue())
    out.update(bench_class(30, 2000 if args.quick else None))
    load = os.getloadavg()[0]
    out["machine"] = {"cpus": len(os.sched_getaffinity(0)), "load_1min": round(load, 2)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
