"""``load.py --through-nginx --replicas R``: the class load of load.py, once on one server and
once through nginx in front of R replicas sharing one PostgreSQL library, in the same run.

    python benchmarks/load.py --through-nginx --replicas 2             # 20 sessions, 60 s each
    python benchmarks/load.py --through-nginx --replicas 2 --sessions 6 --seconds 20 --trainings 1

1. One server: ``load.py`` itself, in a child process with the same ``--sessions``,
   ``--seconds``, ``--trainings``, ``--think-s``; its JSON line gives the single-server figures.
2. The cluster (benchmarks/_cluster.py: ``initdb`` + ``pg_ctl``, R ``streamlit run server.py``,
   nginx with deploy/nginx.conf), started cold like the single server. The same users
   (load.py's ``drive``: sliders, page switches, uploads, trainings) reach it through the timing
   proxy (benchmarks/_wire.py) in front of nginx, so ``server_answer_ms_*`` is measured the same
   way, nginx's hop included. nginx places each new browser itself (its route cookie), as in a
   classroom; ``sessions_by_replica`` counts where the sessions' websockets went.
3. Cross-replica shares: for each ordered pair of replicas (A, B), a browser whose route
   cookie lands on A trains a small model there (it is kept in the library), shares it on My
   models, and a second browser landing on B opens the link and sees the model.

Every replica runs on the same 2 cores here, so R replicas do not add CPU: the point is that
affinity, uploads and the shared library work under the class's load, at about the same server
answer time; on a real deployment each replica has cores of its own.

Ends with one JSON line: ``replicas``, ``sessions``, ``sessions_per_replica`` (sessions / R),
``sessions_by_replica``, ``exceptions``, ``server_answer_ms_p95`` and
``single_server_answer_ms_p95``, ``cross_replica_shares_ok`` ("n/n"), ``upload_errors``, and
more. Exit status 1 when a bar is missed (exceptions or upload errors, a failed share, or a
server answer p95 >= 1 s).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter

from benchmarks import _browser, _cluster, _wire
from benchmarks import load as L

ROOT = _browser.ROOT
SHARE_EPOCHS, SHARE_IMAGES = 1, 500  # a small model: the check is the sharing, not the training


def single_server(args) -> dict:
    """Run load.py (one server) with the same load; its JSON line."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--sessions", str(args.sessions),
           "--seconds", str(args.seconds), "--trainings", str(args.trainings),
           "--think-s", str(args.think_s), "--probes", str(args.probes),
           "--train-epochs", str(args.train_epochs), "--train-images", str(args.train_images),
           "--wait-s", str(args.wait_s), "--log", str(args.log.with_name("load_single.log"))]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"load.py (one server) printed no JSON line:\n{done.stdout[-2000:]}"
                           f"\n{done.stderr[-2000:]}")
    print("one server:\n  " + "\n  ".join(done.stdout.splitlines()[:-1]))
    return json.loads(lines[-1])


async def _context(browser, base: str, route: str):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1600})
    await ctx.add_cookies([{"name": _cluster.ROUTE_COOKIE, "value": route, "url": base}])
    page = await ctx.new_page()
    page.set_default_timeout(_browser.WAIT_MS)
    return ctx, page


async def share_once(browser, base: str, c: _cluster.Cluster, a: _cluster.Replica,
                     b: _cluster.Replica, n: int) -> str | None:
    """Train on ``a``, share on ``a``, open the link on ``b``; None when it worked, else why."""
    name = f"Shared {a.name} to {b.name} {n}"
    ctx_a, page = await _context(browser, base, c.route_to(a))
    ctx_b = None
    try:
        await L.start_training(page, base, SHARE_EPOCHS, SHARE_IMAGES, name)
        await page.get_by_role("button", name="Start training").click()
        await page.get_by_text("It now appears as").wait_for(timeout=600_000)
        await page.goto(f"{base}/my_models")
        await page.get_by_role("button", name="Share", exact=True).click()
        code = page.get_by_test_id("aeCopyLink").filter(has_text="shared=").first
        await code.wait_for()
        link = re.search(r"\S*\?shared=[A-Za-z0-9_-]{32}", await code.inner_text()).group(0)
        ctx_b, other = await _context(browser, base, c.route_to(b))
        await other.goto(link)
        await other.get_by_text(f"Shared model {name}").wait_for()
        await L.idle(other)
        if await other.locator('[data-testid="stException"]').count():
            return f"{name}: an exception box on {b.name}"
        return None
    except Exception as exc:  # noqa: BLE001 - reported in the summary, counted as not ok
        return f"{name}: {L.why(exc)}"
    finally:
        await ctx_a.close()
        if ctx_b is not None:
            await ctx_b.close()


async def share_checks(base: str, c: _cluster.Cluster) -> list[str | None]:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_browser.CHROMIUM,
                                          args=_browser.CHROMIUM_ARGS)
        try:
            pairs = list(itertools.permutations(c.replicas, 2))
            return [await share_once(browser, base, c, a, b, i) for i, (a, b) in enumerate(pairs)]
        finally:
            await browser.close()


def run_cluster(args, stats: "L.Stats") -> dict:
    """The class load through nginx in front of ``args.replicas`` replicas, then the
    cross-replica shares; what was measured there (besides ``stats``)."""
    wire_log = args.log.with_name("load_nginx_answers.jsonl")
    env = {"AE_MAX_TRAININGS": "2"}  # per replica, as in the single-server run
    with _cluster.cluster(replicas=args.replicas, env=env) as c, \
            _wire.proxy(c.url, wire_log) as base:
        watches = [L.MemoryWatch(r.pid) for r in c.replicas]
        for w in watches:
            w.start()
        t0 = time.monotonic()
        asyncio.run(L.drive(base, args, stats))
        wall = time.monotonic() - t0
        for w in watches:
            w.stop.set()
            w.join()
        # where each browser's websocket went (a route is one browser context)
        streams = {a["route"]: c.replica_at(a["upstream"]) for a in c.nginx.access()
                   if a["uri"] == "/_stcore/stream"}
        shares = asyncio.run(share_checks(base, c)) if args.replicas > 1 else []
        return {"wall": wall, "watches": watches, "shares": shares,
                "by_replica": Counter(r.name for r in streams.values() if r is not None),
                "tracebacks": sum(L.server_tracebacks(r.log())[0] for r in c.replicas),
                "nginx_errors": len(re.findall(r"\[(?:error|crit|alert|emerg)\]",
                                               c.nginx.error_log())),
                "answer_ms": L.slider_answers(_wire.answers(wire_log), stats.window)}


def summary(args, stats: "L.Stats", run: dict, single: dict) -> dict:
    """The JSON line: the cluster's figures beside the single server's."""
    answer_ms, shares, watches = run["answer_ms"], run["shares"], run["watches"]
    return {
        "replicas": args.replicas, "sessions": args.sessions, "seconds": args.seconds,
        "sessions_per_replica": round(args.sessions / args.replicas, 1),
        "sessions_by_replica": dict(sorted(run["by_replica"].items())),
        "wall_s": round(run["wall"], 1), "exceptions": stats.exceptions + run["tracebacks"],
        "server_tracebacks": run["tracebacks"], "timeouts": len(stats.errors),
        "server_answer_ms_median": L.median(answer_ms), "server_answer_ms_p95": L.p95(answer_ms),
        "server_answers": len(answer_ms),
        "single_server_answer_ms_median": single.get("server_answer_ms_median"),
        "single_server_answer_ms_p95": single.get("server_answer_ms_p95"),
        "single_server_exceptions": single.get("exceptions"),
        "slider_ms_p95": L.p95(stats.slider_ms),
        "single_server_slider_ms_p95": single.get("slider_ms_p95"),
        "cross_replica_shares_ok": f"{sum(s is None for s in shares)}/{len(shares)}",
        "uploads": stats.actions["upload"],
        "upload_errors": sum(": upload: " in e for e in stats.errors),
        "page_switches": stats.actions["page"],
        "trainings_started": stats.trainings_started, "trainings_done": stats.trainings_done,
        "peak_rss_mb_per_replica": [round(w.peak_mb, 1) for w in watches],
        "server_cpu_s": round(sum(w.server_cpu_s for w in watches), 1),
        "single_server_cpu_s": single.get("server_cpu_s"),
        "nginx_errors_logged": run["nginx_errors"],
        "cores": os.cpu_count(),
    }


def main(args) -> int:
    """``load.py --through-nginx``: see the module docstring."""
    reason = _cluster.missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    single = single_server(args)
    stats = L.Stats()
    run = run_cluster(args, stats)
    r = summary(args, stats, run, single)
    print(f"{args.replicas} replicas behind nginx, {args.sessions} sessions for {args.seconds:g} s "
          f"({r['wall_s']:.0f} s wall), {args.trainings} training(s); sessions by replica "
          f"{r['sessions_by_replica']}")
    print(f"  exceptions {r['exceptions']} (one server: {r['single_server_exceptions']}); "
          f"uploads {r['uploads']}, upload errors {r['upload_errors']}")
    print(f"  server answer: median {r['server_answer_ms_median']} ms, p95 "
          f"{r['server_answer_ms_p95']} ms over {r['server_answers']} steps; one server in this "
          f"run: median {r['single_server_answer_ms_median']} ms, p95 "
          f"{r['single_server_answer_ms_p95']} ms")
    print(f"  trainings {stats.trainings_done}/{stats.trainings_started}; cross-replica shares "
          f"{r['cross_replica_shares_ok']}")
    for e in [s for s in run["shares"] if s] + stats.errors[:10]:
        print(f"  ! {e}")
    print(json.dumps(r))
    met = (r["exceptions"] == 0 and r["upload_errors"] == 0
           and all(s is None for s in run["shares"])
           and r["server_answer_ms_p95"] is not None
           and r["server_answer_ms_p95"] < L.SLIDER_BAR_MS)
    return 0 if met else 1
