"""The model library ("My models", issue 13): save and list times, concurrency, crashes, restart,
and how fast the real server stops on SIGTERM with sessions open and trainings running.

    python benchmarks/store.py [--quick] [--skip-server]

Everything runs in a temporary data folder (never the project's var/). Parts:

- ``save_ms_p95``: one trained model (the Train page's default dense AE, 784-256-128-32, 1 MB
  float32) saved through the store: serialise, quota check, temp file, fsync, rename, fsync dir,
  index row. 50 saves.
- ``list_ms_p95``: listing one owner's models with 1,000 models of 50 owners in the index
  (20 each), 200 listings of random owners.
- ``concurrent_saves_lost``: 20 threads save at once (5 owners); models missing afterwards.
- ``restart_models_recovered``: the store reopened from disk (a new process): "all" or "n/m".
- ``kill9_half_models_listed``: a child process saving in a loop is killed with SIGKILL, ten
  times at random moments; models listed afterwards that do not load (must be 0).
- ``sigterm_stop_s``: ``streamlit run server.py`` with 20 websocket sessions that ran the home
  page and 2 Chromium sessions whose trainings are running; seconds from SIGTERM to the
  process's exit. ``sigterm_interrupted_saved`` counts the trainings found in the store afterwards
  marked "interrupted".

Ends with ONE JSON line.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aecore.config import AEConfig  # noqa: E402
from aecore.models import build_model  # noqa: E402
from aecore.store import Limits, new_id, sqlite_store  # noqa: E402
from aecore.weights import make_card  # noqa: E402
from benchmarks._browser import (CHROMIUM, CHROMIUM_ARGS, free_port, p95,  # noqa: E402
                                 start_streamlit, wait_healthy)

BIG = Limits(max_models=100_000, max_bytes=2**40, max_total_bytes=2**42)


def trained_like() -> tuple:
    """The Train page's default model shape (dense 784-256-128-32): what a student saves."""
    model = build_model(AEConfig(latent_dim=32, hidden=(256, 128)), seed=0)
    return model, make_card(model, name="bench", title="Bench model", source="browser")


def bench_save(root: Path, n: int) -> float:
    store = sqlite_store(root, BIG)
    model, card = trained_like()
    owner = new_id()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        store.save(owner, model, card)
        times.append((time.perf_counter() - t) * 1000)
    store.close()
    return p95(times)


def bench_list(root: Path, owners: int = 50, per_owner: int = 20, n: int = 200) -> tuple[float, int]:
    """Fill the index with ``owners * per_owner`` rows (small files, the list never reads them)."""
    store = sqlite_store(root, BIG)
    model = build_model(AEConfig(latent_dim=2, hidden=(16,)), seed=0)
    card = make_card(model, name="tiny", title="Tiny")
    ids = [new_id() for _ in range(owners)]
    for i in range(per_owner):
        for o in ids:
            store.save(o, model, card, name=f"model {i}")
    total = sum(len(store.list(o)) for o in ids)
    rnd = random.Random(0)
    times = []
    for _ in range(n):
        o = rnd.choice(ids)
        t = time.perf_counter()
        store.list(o)
        times.append((time.perf_counter() - t) * 1000)
    store.close()
    return p95(times), total


def bench_concurrent(root: Path, threads: int = 20) -> int:
    store = sqlite_store(root, BIG)
    model, card = trained_like()
    owners = [new_id() for _ in range(5)]
    saved: list[tuple[str, str]] = []
    errors: list[str] = []
    gate = threading.Barrier(threads)

    def one(i: int) -> None:
        gate.wait()
        try:
            rec = store.save(owners[i % 5], model, card, name=f"t{i}")
            saved.append((owners[i % 5], rec.id))
        except Exception as exc:  # noqa: BLE001 - counted as lost
            errors.append(type(exc).__name__)

    ts = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    store.close()
    again = sqlite_store(root, BIG)
    listed = {r.id for o in owners for r in again.list(o)}
    loadable = sum(1 for o, i in saved if i in listed and again.load(o, i))
    again.close()
    return threads - loadable


RESTART_CHILD = textwrap.dedent("""
    import sys, json
    sys.path.insert(0, {root!r})
    from aecore.store import sqlite_store, Limits
    store = sqlite_store({data!r}, Limits(max_models=10**5, max_bytes=2**40))
    owners = json.loads(sys.argv[1])
    ok = 0
    for o, ids in owners.items():
        listed = {{r.id for r in store.list(o)}}
        for i in ids:
            if i in listed:
                store.load(o, i)
                ok += 1
    print(ok)
""")


def bench_restart(root: Path, n: int = 30) -> str:
    store = sqlite_store(root, BIG)
    model, card = trained_like()
    owners: dict[str, list[str]] = {new_id(): [] for _ in range(3)}
    for i in range(n):
        o = list(owners)[i % 3]
        owners[o].append(store.save(o, model, card).id)
    store.close()
    code = RESTART_CHILD.format(root=str(ROOT), data=str(root))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(owners)], capture_output=True,
                         text=True, check=True).stdout.strip()
    ok = int(out)
    return "all" if ok == n else f"{ok}/{n}"


KILL_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from aecore.store import sqlite_store, Limits
    from aecore.config import AEConfig
    from aecore.models import build_model
    from aecore.weights import make_card
    store = sqlite_store({data!r}, Limits(max_models=10**5, max_bytes=2**40))
    model = build_model(AEConfig(latent_dim=32, hidden=(256, 128)), seed=0)
    card = make_card(model, name="k")
    print("ready", flush=True)
    while True:
        store.save({owner!r}, model, card)
""")


def bench_kill9(root: Path, rounds: int = 10) -> tuple[int, int]:
    """(listed models that fail to load, models listed) after ``rounds`` SIGKILLs mid-save."""
    owner = new_id()
    rnd = random.Random(1)
    code = KILL_CHILD.format(root=str(ROOT), data=str(root), owner=owner)
    for _ in range(rounds):
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        try:
            child.stdout.readline()
            time.sleep(rnd.uniform(0.2, 0.8))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    store = sqlite_store(root, BIG)
    bad = 0
    listed = store.list(owner)
    for rec in listed:
        try:
            store.load(owner, rec.id)
        except Exception:  # noqa: BLE001 - a half model
            bad += 1
    store.close()
    return bad, len(listed)


# SIGTERM on the real server


async def ws_session(url: str, ready: asyncio.Event | None = None):
    """A light Streamlit client: one websocket that asks for one run of the home page and
    stays open (a student's idle tab). Returns the open connection."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    ws = await websockets.connect(url.replace("http", "ws") + "/_stcore/stream",
                                  subprotocols=["streamlit"], max_size=None)
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_name = ""
    await ws.send(msg.SerializeToString())

    async def drain() -> None:
        try:
            async for _ in ws:
                pass
        except Exception:  # noqa: BLE001 - closed by the server's stop
            pass

    asyncio.get_running_loop().create_task(drain())
    return ws


async def start_training(browser, url: str, epochs: int, images: int) -> object:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await ctx.new_page()
    page.set_default_timeout(120_000)
    await page.goto(f"{url}/train")
    await page.get_by_role("button", name="Start training").wait_for()
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    await page.wait_for_selector(idle)
    for label, value in (("Epochs", epochs), ("Training images", images)):
        box = page.get_by_label(label, exact=True)
        await box.fill(str(value))
        await box.press("Enter")
        await page.wait_for_timeout(300)
        await page.wait_for_selector(idle)
    await page.get_by_role("button", name="Start training").click()
    # running once the first epoch has finished (a best epoch exists to keep)
    await page.get_by_text("Epoch 2/", exact=False).first.wait_for(timeout=180_000)
    return ctx


async def sigterm_run(sessions: int, trainings: int, data: Path, log: Path) -> dict:
    from playwright.async_api import async_playwright
    port = free_port()
    proc = start_streamlit(port, env={"AE_DATA_DIR": str(data),
                                      "AE_MAX_TRAININGS": str(trainings)}, log=log)
    url = f"http://127.0.0.1:{port}"
    result: dict = {}
    try:
        wait_healthy(proc, url, timeout=120, log=log)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctxs = [await start_training(browser, url, 50, 10_000) for _ in range(trainings)]
            socks = [await ws_session(url) for _ in range(sessions)]
            await asyncio.sleep(3.0)  # the sessions' home pages have run
            result["server_alive"] = proc.poll() is None
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            while proc.poll() is None and time.monotonic() - t0 < 60:
                await asyncio.sleep(0.02)
            result["sigterm_stop_s"] = round(time.monotonic() - t0, 2)
            for s in socks:
                await s.close()
            for c in ctxs:
                await c.close()
            await browser.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    store = sqlite_store(data, BIG)
    n = 0
    for row in store.index._all("SELECT status FROM models"):
        n += row[0] == "interrupted"
    store.close()
    result["sigterm_interrupted_saved"] = n
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke test)")
    ap.add_argument("--skip-server", action="store_true", help="no SIGTERM measurement")
    ap.add_argument("--sessions", type=int, default=20)
    args = ap.parse_args(argv)
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="ae-store-bench-") as tmp:
        tmp = Path(tmp)
        out["save_ms_p95"] = round(bench_save(tmp / "save", 10 if args.quick else 50), 1)
        per = 4 if args.quick else 20
        lst, total = bench_list(tmp / "list", per_owner=per)
        out["list_ms_p95"] = round(lst, 2)
        out["list_models_in_index"] = total
        out["concurrent_saves_lost"] = bench_concurrent(tmp / "conc")
        out["restart_models_recovered"] = bench_restart(tmp / "restart", 9 if args.quick else 30)
        bad, listed = bench_kill9(tmp / "kill", 3 if args.quick else 10)
        out["kill9_half_models_listed"] = bad
        out["kill9_models_listed"] = listed
        if not args.skip_server:
            log = ROOT / "artifacts" / "store-bench-server.log"
            log.parent.mkdir(exist_ok=True)
            out.update(asyncio.run(sigterm_run(args.sessions, 2, tmp / "server", log)))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
