"""A full classroom on one server: many browser sessions move sliders, switch pages and upload
images while trainings run; reports exceptions, slider latency, trainings and server memory.

    python benchmarks/load.py                      # 20 sessions, 60 s, 3 trainings
    python benchmarks/load.py --sessions 5 --seconds 20 --trainings 1

One ``streamlit run app.py`` (benchmarks/_browser.py) and one headless Chromium with one context
(its own Streamlit session) per user, driven concurrently with Playwright's async API. A slider
move is timed from the key press until the server has answered it: the Denoise page writes the
noise level into the URL (ui/query.py ``sync``), so the URL changing means the rerun got there.
Training sessions are extra contexts that start a small training on the Train page and wait for
it. Peak memory is VmHWM from /proc of the server process and its children.

Two latencies per slider move. ``slider_ms_*``: until the page shows the new state (its URL),
which here includes the wait for twenty renderers sharing the server's two cores.
``server_answer_ms_*``: from the rerun request leaving the browser to the server's "script
finished" message arriving, both stamped by Chromium's network stack (DevTools protocol
``Network.webSocketFrame*`` events): what a student on their own device waits for, before their
own browser draws. The browsers run at a lower CPU priority (``--browser-nice``) so that, as in a
classroom where each student has their own device, the server is not queued behind them; and
users pause between actions (``--think-s``, a student reads what changed), uniform in
[0.5, 1.5] x that mean.

Prints a human summary, then one JSON line with at least ``exceptions``, ``slider_ms_median``,
``slider_ms_p95``, ``trainings_done``, ``peak_rss_mb``. Exit status 1 when a bar is missed
(exceptions > 0 or p95 server answer >= 1 s).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _browser  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

LEVEL_RE = re.compile(r"[?&]level=([^&]+)")
SLIDER_BAR_MS = 1000.0
# how often a waiting session checks the URL: Playwright's default checks on every animation
# frame, which makes each of twenty renderers draw 60 frames a second on the same two cores
POLL_MS = 20
PAGES = ("Reconstruct & compress", "Latent space", "Generate (VAE)")


# helpers

def seven_png(seed: int) -> bytes:
    """A slightly different hand-drawn 7 per call (a fresh upload each time, no cache hit)."""
    rnd = random.Random(seed)
    im = Image.new("L", (120 + rnd.randrange(80), 160 + rnd.randrange(80)), 255)
    w, h = im.size
    ImageDraw.Draw(im).line([(0.2 * w, 0.2 * h), (0.8 * w, 0.2 * h), (0.45 * w, 0.85 * h)],
                            fill=0, width=8 + rnd.randrange(8))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of every process running now."""
    procs: dict[int, tuple[int, str]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):  # it has just ended
            continue
        procs[int(p.name)] = (ppid, cmd)
    return procs


def family(roots: list[int], procs: dict[int, tuple[int, str]]) -> list[int]:
    """``roots`` and all their descendants in ``procs`` (from :func:`processes`)."""
    out, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += [c for c, (pp, _) in procs.items() if pp == pid]
    return out


def server_pids(port: int) -> list[int]:
    """The streamlit process listening on ``port`` and its descendants."""
    procs = processes()
    return family([pid for pid, (_, cmd) in procs.items()
                   if "streamlit" in cmd and f"--server.port {port}" in cmd], procs)


def vm_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy_s() -> float:
    """CPU seconds all cores of the machine spent busy (not idle or iowait) since boot."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


class MemoryWatch(threading.Thread):
    """Samples the server's memory: peak VmHWM (high-water mark) and the last VmRSS, in MB; and
    the CPU seconds the server used beside what the whole machine used (the browsers driving it
    share the same cores)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.peak_mb, self.rss_mb, self.stop = port, 0.0, 0.0, threading.Event()
        self.server_cpu_s, self.machine_cpu_s = 0.0, 0.0

    def run(self) -> None:
        busy0, cpu0 = machine_busy_s(), None
        while not self.stop.is_set():
            pids = server_pids(self.port)
            if pids:
                self.peak_mb = max(self.peak_mb, sum(vm_kb(p, "VmHWM") for p in pids) / 1024)
                self.rss_mb = sum(vm_kb(p, "VmRSS") for p in pids) / 1024
                used = sum(cpu_s(p) for p in pids)
                cpu0 = used if cpu0 is None else cpu0
                self.server_cpu_s = max(self.server_cpu_s, used - cpu0)
            self.machine_cpu_s = machine_busy_s() - busy0
            self.stop.wait(0.5)


class Stats:
    def __init__(self) -> None:
        self.slider_ms: list[float] = []
        self.answer_ms: list[float] = []  # the server's answers, timed by the browser's network
        self.exceptions = 0
        self.errors: list[str] = []  # what went wrong, for the summary
        self.actions = {"slider": 0, "page": 0, "upload": 0}
        self.queue_positions: set[int] = set()
        self.trainings_started = 0
        self.trainings_done = 0


class ServerClock:
    """Stamps a page's websocket traffic from Chromium's network stack: when the last rerun
    request left and when the server's next "script finished" message arrived (seconds on the
    browser's clock), so a starved renderer's drawing delay is not counted."""

    def __init__(self) -> None:
        self.sent: float | None = None
        self.finished: float | None = None

    async def attach(self, page) -> None:
        cdp = await page.context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameSent", self._sent)
        cdp.on("Network.webSocketFrameReceived", self._received)
        await cdp.send("Network.enable")

    def arm(self) -> None:
        self.sent = self.finished = None

    @staticmethod
    def _message(event: dict, cls):
        frame = event["response"]
        if frame.get("opcode") != 2:  # Streamlit's messages are binary protobufs
            return None
        msg = cls()
        try:
            msg.ParseFromString(base64.b64decode(frame["payloadData"]))
        except Exception:  # noqa: BLE001 - a frame that is not one of ours
            return None
        return msg.WhichOneof("type")

    def _sent(self, event: dict) -> None:
        if self.sent is None and self._message(event, BackMsg) == "rerun_script":
            self.sent = event["timestamp"]

    def _received(self, event: dict) -> None:
        if (self.sent is not None and self.finished is None
                and self._message(event, ForwardMsg) == "script_finished"):
            self.finished = event["timestamp"]

    async def answer_ms(self, page, timeout_s: float = 30.0) -> float | None:
        """Milliseconds from the rerun request to the script finishing, once both are seen."""
        t_end = time.monotonic() + timeout_s
        while self.finished is None and time.monotonic() < t_end:
            await page.wait_for_timeout(POLL_MS)
        if self.sent is None or self.finished is None:
            return None
        return (self.finished - self.sent) * 1000


# one user

async def idle(page, timeout_ms: int = 60_000) -> None:
    await page.wait_for_selector(_browser.IDLE, state="attached", timeout=timeout_ms)


async def check_exceptions(page, stats: Stats, where: str) -> None:
    n = await page.locator('[data-testid="stException"]').count()
    if n:
        stats.exceptions += n
        stats.errors.append(f"{n} exception box(es) after {where}")


async def open_denoise(page, base: str) -> None:
    await page.goto(f"{base}/denoise")
    await page.get_by_test_id("stSlider").first.wait_for()
    await idle(page)


async def reopen(page, base: str, stats: Stats, who: str, tries: int = 3) -> bool:
    """Open the Denoise page, trying again after a timeout (twenty pages loading at once on two
    cores can take longer than one timeout); False, with the errors noted, when it never opened."""
    for _ in range(tries):
        try:
            await open_denoise(page, base)
            return True
        except Exception as exc:  # a timeout while the machine is saturated
            stats.errors.append(f"{who}: opening the page: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0][:120]}")
    return False


async def move_slider(page, stats: Stats, rnd: random.Random, clock: ServerClock) -> None:
    before = LEVEL_RE.search(page.url)
    thumb = page.get_by_test_id("stSlider").get_by_role("slider").first
    await thumb.focus()
    value = float(await thumb.input_value() or 0)  # the thumb is an <input type="range">
    key = "ArrowLeft" if value > 0.6 or (value > 0 and rnd.random() < 0.4) else "ArrowRight"
    clock.arm()
    t0 = time.perf_counter()
    await thumb.press(key)
    old = before.group(1) if before else None
    await page.wait_for_function(
        "old => { const m = location.search.match(/[?&]level=([^&]+)/);"
        " return m && m[1] !== old; }", arg=old, timeout=30_000, polling=POLL_MS)
    stats.slider_ms.append((time.perf_counter() - t0) * 1000)
    answer = await clock.answer_ms(page)
    if answer is not None:
        stats.answer_ms.append(answer)
    stats.actions["slider"] += 1


async def switch_pages(page, base: str, stats: Stats, rnd: random.Random) -> None:
    title = rnd.choice(PAGES)
    await _browser.sidebar_link(page, title).click()
    await page.get_by_role("heading", name=title.split(" (")[0]).first.wait_for()
    await idle(page)
    await check_exceptions(page, stats, f"opening {title}")
    await _browser.sidebar_link(page, "Denoise").click()
    await page.get_by_test_id("stSlider").first.wait_for()
    await idle(page)
    stats.actions["page"] += 1


async def upload(page, stats: Stats, seed: int) -> None:
    await page.get_by_text("Upload an image", exact=True).click()
    await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": f"seven_{seed}.png", "mimeType": "image/png", "buffer": seven_png(seed)})
    await page.get_by_text(f"seven_{seed}.png").last.wait_for()
    await page.get_by_text(re.compile(r"^PSNR [\d.]+ dB")).first.wait_for()
    await idle(page)
    await page.get_by_text("Test digit", exact=True).click()
    await idle(page)
    stats.actions["upload"] += 1


async def user(browser, base: str, i: int, seconds: float, think_s: float,
               ready: asyncio.Barrier, stats: Stats) -> None:
    rnd = random.Random(i)
    # a laptop-sized window; no animations to draw (less CPU taken from the server's cores)
    ctx = await browser.new_context(viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    page = await ctx.new_page()
    clock = ServerClock()
    await clock.attach(page)
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda e: stats.errors.append(f"session {i}: page error {e}"))
    try:
        opened = await reopen(page, base, stats, f"session {i}")
        await ready.wait()  # the clock starts once every session has its page (loading is slow)
        if not opened:
            return
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            what = rnd.choices(("slider", "page", "upload"), weights=(6, 2, 1))[0]
            try:
                if what == "slider":
                    await move_slider(page, stats, rnd, clock)
                elif what == "page":
                    await switch_pages(page, base, stats, rnd)
                else:
                    await upload(page, stats, seed=i * 1000 + n)
            except Exception as exc:  # a timeout: note it, start over on a fresh page
                stats.errors.append(f"session {i}: {what}: {type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0][:120]}")
                if not await reopen(page, base, stats, f"session {i}"):
                    return
            await check_exceptions(page, stats, what)
            n += 1
            await asyncio.sleep(think_s * rnd.uniform(0.5, 1.5))  # the student looks at it
    finally:
        await ctx.close()


async def trainer(browser, base: str, i: int, deadline: float, stats: Stats) -> None:
    """Start a small training on the Train page and wait for it (or the deadline)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        await page.goto(f"{base}/train")
        await page.get_by_role("button", name="Start training").wait_for()
        await idle(page)
        for label, value in (("Epochs", 2), ("Training images", 1000)):
            box = page.get_by_label(label, exact=True)
            await box.fill(str(value))
            await box.press("Enter")
            await idle(page)
        await page.get_by_role("button", name="Start training").click()
        stats.trainings_started += 1
        while time.monotonic() < deadline + 60:  # a started training may finish after the users
            text = await page.locator("body").inner_text()
            for m in re.finditer(r"position (\d+)", text):
                stats.queue_positions.add(int(m.group(1)))
            if "now appears as" in text:
                stats.trainings_done += 1
                break
            await page.wait_for_timeout(500)
        await check_exceptions(page, stats, f"training {i}")
    except Exception as exc:
        stats.errors.append(f"trainer {i}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        await ctx.close()


class Renicer(threading.Thread):
    """Keeps every thread of the Chromium this script launched (its descendants: other browsers
    on the machine are left alone) at CPU niceness ``nice``, except the network service's (it
    stamps the websocket frames that time the server). Chromium sets its processes' priorities
    itself, and on Linux niceness is per thread, so a launcher's ``nice`` does not stick: this
    re-applies it twice a second to each thread, new ones included."""

    def __init__(self, nice: int) -> None:
        super().__init__(daemon=True)
        self.nice, self.stop = nice, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            procs = processes()
            for pid in family([os.getpid()], procs):
                cmd = procs[pid][1]
                if "chromium" not in cmd or "NetworkService" in cmd:
                    continue
                try:
                    for task in Path(f"/proc/{pid}/task").iterdir():
                        if os.getpriority(os.PRIO_PROCESS, int(task.name)) != self.nice:
                            os.setpriority(os.PRIO_PROCESS, int(task.name), self.nice)
                except (OSError, ValueError):  # the process or thread has just ended
                    continue
            self.stop.wait(0.5)


async def drive(base: str, sessions: int, seconds: float, trainings: int, think_s: float,
                nice: int, stats: Stats) -> None:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_browser.CHROMIUM,
                                          args=_browser.CHROMIUM_ARGS)
        renice = Renicer(nice)
        if nice:
            renice.start()
        ready = asyncio.Barrier(sessions)
        # trainers start at once: their trainings run while the users load and act
        deadline = time.monotonic() + seconds + 60
        tasks = [trainer(browser, base, i, deadline, stats) for i in range(trainings)]
        tasks += [user(browser, base, i, seconds, think_s, ready, stats) for i in range(sessions)]
        await asyncio.gather(*tasks)
        renice.stop.set()
        await browser.close()


def server_tracebacks(log: str) -> tuple[int, int]:
    """(tracebacks through the app's own code, websocket-disconnect noise) in a server log: a
    browser context closing mid-message makes the server log a disconnect, not an app error."""
    blocks = log.split("Traceback (most recent call last):")[1:]
    ours = [b for b in blocks if re.search(rf'File "{re.escape(str(ROOT))}/(?!\.venv)', b)]
    noise = sum("WebSocketDisconnected" in b or "ClientDisconnected" in b for b in blocks)
    return len(ours), noise


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20, help="simultaneous browser sessions")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the users act")
    ap.add_argument("--trainings", type=int, default=3, help="trainings started meanwhile")
    ap.add_argument("--think-s", type=float, default=1.0,
                    help="mean pause of a user between actions, in seconds (0: none)")
    ap.add_argument("--browser-nice", type=int, default=19,
                    help="CPU niceness of the browsers (0: the same priority as the server)")
    ap.add_argument("--log", type=Path, default=ROOT / "artifacts" / "load_server.log",
                    help="the server's output (tracebacks are counted as exceptions)")
    args = ap.parse_args(argv)
    reason = _browser.missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    args.log.parent.mkdir(parents=True, exist_ok=True)
    stats = Stats()
    env = {"AE_MAX_TRAININGS": "2"}  # fewer than --trainings by default: the queue is exercised
    with _browser.streamlit_server(env=env, log=args.log) as base:
        watch = MemoryWatch(int(base.rsplit(":", 1)[1]))
        watch.start()
        t0 = time.monotonic()
        asyncio.run(drive(base, args.sessions, args.seconds, args.trainings, args.think_s,
                          args.browser_nice, stats))
        wall = time.monotonic() - t0
        watch.stop.set()
        watch.join()
    tracebacks, disconnects = server_tracebacks(args.log.read_text(errors="replace"))
    exceptions = stats.exceptions + tracebacks
    result = {
        "sessions": args.sessions, "seconds": args.seconds, "wall_s": round(wall, 1),
        "exceptions": exceptions, "server_tracebacks": tracebacks,
        "websocket_disconnect_tracebacks": disconnects,
        "timeouts": len(stats.errors),
        "slider_moves": len(stats.slider_ms),
        "slider_ms_median": round(statistics.median(stats.slider_ms), 1) if stats.slider_ms else None,
        "slider_ms_p95": round(percentile(stats.slider_ms, 0.95), 1) if stats.slider_ms else None,
        "server_answer_ms_median": (round(statistics.median(stats.answer_ms), 1)
                                    if stats.answer_ms else None),
        "server_answer_ms_p95": (round(percentile(stats.answer_ms, 0.95), 1)
                                 if stats.answer_ms else None),
        "think_s": args.think_s, "browser_nice": args.browser_nice,
        "page_switches": stats.actions["page"], "uploads": stats.actions["upload"],
        "trainings_started": stats.trainings_started, "trainings_done": stats.trainings_done,
        "queue_positions_shown": sorted(stats.queue_positions),
        "peak_rss_mb": round(watch.peak_mb, 1), "end_rss_mb": round(watch.rss_mb, 1),
        "server_cpu_s": round(watch.server_cpu_s, 1), "machine_cpu_s": round(watch.machine_cpu_s, 1),
        "cores": os.cpu_count(),
    }
    print(f"{args.sessions} sessions for {args.seconds:g} s ({wall:.0f} s wall), "
          f"{args.trainings} training(s)")
    print(f"  exceptions seen: {exceptions} (server tracebacks {tracebacks})")
    print(f"  slider latency: median {result['slider_ms_median']} ms, p95 {result['slider_ms_p95']}"
          f" ms over {len(stats.slider_ms)} moves (until the page shows it)")
    print(f"  server answer: median {result['server_answer_ms_median']} ms, p95 "
          f"{result['server_answer_ms_p95']} ms (request out to run finished, at the browser's "
          f"network; bar p95 < {SLIDER_BAR_MS:.0f} ms)")
    print(f"  page switches {stats.actions['page']}, uploads {stats.actions['upload']}")
    print(f"  trainings completed: {stats.trainings_done}/{stats.trainings_started}; queue "
          f"positions shown: {sorted(stats.queue_positions) or 'none'}")
    print(f"  server peak memory (VmHWM): {watch.peak_mb:.0f} MB, at the end {watch.rss_mb:.0f} MB")
    print(f"  CPU: the server used {watch.server_cpu_s:.0f} s of the {watch.machine_cpu_s:.0f} busy "
          f"CPU seconds of this machine's {os.cpu_count()} cores (the rest: the browsers)")
    for e in stats.errors[:10]:
        print(f"  ! {e}")
    print(json.dumps(result))
    p95 = result["server_answer_ms_p95"]
    return 0 if exceptions == 0 and p95 is not None and p95 < SLIDER_BAR_MS else 1


if __name__ == "__main__":
    sys.exit(main())
