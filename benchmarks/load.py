"""A full classroom on one server: many browser sessions move sliders, switch pages and upload
images while trainings run; reports exceptions, slider latency, trainings and server memory.

    python benchmarks/load.py                      # 20 sessions, 60 s, 3 trainings
    python benchmarks/load.py --sessions 5 --seconds 20 --trainings 1
    python benchmarks/load.py --through-nginx --replicas 2   # also through nginx, 2 replicas
    python benchmarks/load.py --hover --seconds 20  # 20 sessions sweep the live latent map

One ``streamlit run server.py`` (benchmarks/_browser.py) and headless Chromium with one context (its
own Streamlit session) per user, driven concurrently with Playwright's async API. A slider
move is timed from the key press until the page shows its result: the Denoise page writes the
noise level into the URL (ui/query.py ``sync``) and the page marks when its script run is over,
so a new level in the URL with no run going means the step's panels and curve have arrived.
Training sessions are extra contexts that start a training on the Train page as the users start
acting, and wait for it. Peak memory is VmHWM from /proc of the server process and its children.

Slider latency three ways. ``slider_ms_*``: the steps of the ``--probes`` sessions, which
behave like every other user but have a browser of their own (not one renderer process among
twenty), until the page shows the result. ``slider_ms_*_all``: every session's steps, the same
way. ``server_answer_ms_*``: from the rerun request reaching the server's socket to its "script
finished" message leaving it, stamped by a proxy between the browsers and the server
(benchmarks/_wire.py), for every session's steps. Users pause between actions (``--think-s``, a
student reads what changed), uniform in [0.5, 1.5] x that mean. A press undone by a rerun
already in flight (the thumb back where it was) is pressed again and timed from there.

``--hover``: the sessions only sweep the Latent page's live map with the pointer (it decodes in
the page, ui/live.py); reports ``server_cpu_s_hover``, the server's CPU seconds during the sweep
(near idle: a pointer move sends nothing), and the messages the pages sent meanwhile.

``--smoke``: two users (one a probe), 10 s, one tiny training that is waited for until it ends,
and waits that time out only on a hang: a check that the benchmark runs, on any machine.

Prints a human summary, then one JSON line with at least ``exceptions``, ``slider_ms_median``,
``slider_ms_p95``, ``trainings_done``, ``peak_rss_mb``. Exit status 1 when a bar is missed
(exceptions > 0, or p95 of the probes' slider latency or of the server's answer >= 1 s).
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import statistics
import sys
import textwrap
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _browser  # noqa: E402
from benchmarks._browser import cpu_s  # noqa: E402
from benchmarks import _wire  # noqa: E402

LEVEL_RE = re.compile(r"[?&]level=([^&]+)")
SLIDER_BAR_MS = 1000.0
# "shown" once the URL's level differs from ``old`` and no script run is going, checked on DOM
# changes (twenty pages polling tax the renderers); "lost" once the app is idle a second after
# the press with the thumb back at ``value``: a rerun in flight re-drew the slider
SHOWN_JS = """([old, value, t0]) => new Promise(resolve => {
  const check = () => {
    const m = location.search.match(/[?&]level=([^&]+)/);
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app && app.dataset.testScriptState === "notRunning";
    if (m && m[1] !== old && idle) return "shown";
    const thumb = document.querySelector('[data-testid="stSlider"] input[type="range"]');
    return idle && thumb && thumb.value === value && performance.now() - t0 > 1000 ? "lost" : "";
  };
  const done = () => {
    const r = check();
    if (r) { watch.disconnect(); clearInterval(timer); resolve(r); }
  };
  const watch = new MutationObserver(done);
  watch.observe(document, {subtree: true, childList: true, attributes: true});
  const timer = setInterval(done, 1000);  // a lost press changes nothing in the page
  done();
})"""
PAGES = ("Reconstruct & compress", "Latent space", "Generate (VAE)")
# --smoke: the settings of a run that checks the benchmark works, not how fast the machine is
SMOKE = {"sessions": 2, "seconds": 10.0, "trainings": 1, "think_s": 0.3, "probes": 1,
         "train_epochs": 1, "train_images": 500, "wait_s": _browser.WAIT_MS / 1000}


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


def why(exc: BaseException) -> str:
    """An error in one line for the summary (a timeout from asyncio.wait_for has no message)."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0][:120]}" if lines else type(exc).__name__


def vm_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores of the machine spent busy (not idle or iowait) since boot."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


class MemoryWatch(threading.Thread):
    """Samples the server's memory: peak VmHWM (high-water mark) and the last VmRSS, in MB; and
    the CPU seconds the server used beside what the whole machine used (the browsers driving it
    share the same cores)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.rss_mb, self.stop = pid, 0.0, 0.0, threading.Event()
        self.server_cpu_s, self.machine_cpu_s = 0.0, 0.0

    def run(self) -> None:
        busy0, cpu0 = machine_busy_s(), None
        while not self.stop.is_set():
            pids = _browser.family(self.pid)
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
        self.slider_ms: list[float] = []  # the probes' steps (their browser has its own CPU share)
        self.slider_ms_all: list[float] = []  # every session's steps
        self.window = (0.0, 0.0)  # time.monotonic() when the users started and stopped acting
        self.exceptions = 0
        self.errors: list[str] = []  # what went wrong, for the summary
        self.actions = {"slider": 0, "page": 0, "upload": 0}
        self.queue_positions: set[int] = set()
        self.trainings_started = 0
        self.trainings_done = 0


# one user

async def idle(page) -> None:
    await page.wait_for_selector(_browser.IDLE, state="attached")


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
            stats.errors.append(f"{who}: opening the page: {why(exc)}")
    return False


async def move_slider(page, stats: Stats, rnd: random.Random, probe: bool, wait_s: float,
                      tries: int = 3) -> None:
    """One step of the Denoise slider with the keyboard, timed until the page shows it; a press
    undone by a rerun in flight is pressed again (up to ``tries`` times) and timed from there."""
    before = LEVEL_RE.search(page.url)
    old = before.group(1) if before else None
    thumb = page.get_by_test_id("stSlider").get_by_role("slider").first
    for _ in range(tries):
        await thumb.focus()
        value = await thumb.input_value()  # the thumb is an <input type="range">
        level = float(value or 0)
        key = "ArrowLeft" if level > 0.6 or (level > 0 and rnd.random() < 0.4) else "ArrowRight"
        t_page = await page.evaluate("performance.now()")
        t0 = time.perf_counter()
        await thumb.press(key)
        if await asyncio.wait_for(page.evaluate(SHOWN_JS, [old, value, t_page]), wait_s) == "shown":
            break
    else:
        raise TimeoutError(f"{tries} presses of the slider changed nothing")
    ms = (time.perf_counter() - t0) * 1000
    stats.slider_ms_all.append(ms)
    if probe:
        stats.slider_ms.append(ms)
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
    await page.locator(_browser.FILE_INPUT).set_input_files(
        {"name": f"seven_{seed}.png", "mimeType": "image/png", "buffer": seven_png(seed)})
    await page.get_by_text(f"seven_{seed}.png").last.wait_for()
    await page.get_by_text(re.compile(r"^PSNR [\d.]+ dB")).first.wait_for()
    await idle(page)
    await page.get_by_text("Test digit", exact=True).click()
    await idle(page)
    stats.actions["upload"] += 1


async def act(page, base: str, what: str, stats: Stats, rnd: random.Random, probe: bool,
              seed: int, wait_s: float) -> None:
    """One action of a user on the Denoise page: a slider step, a page visit and back, or an
    upload."""
    if what == "slider":
        await move_slider(page, stats, rnd, probe, wait_s)
    elif what == "page":
        await switch_pages(page, base, stats, rnd)
    else:
        await upload(page, stats, seed)


async def user(browser, base: str, i: int, args, ready: asyncio.Barrier, stats: Stats,
               probe: bool = False) -> None:
    """One student for ``args.seconds``: open Denoise, wait for the class, then act and pause."""
    rnd = random.Random(i)
    # a laptop-sized window; no animations to draw (less CPU taken from the server's cores)
    ctx = await browser.new_context(viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    page = await ctx.new_page()
    page.set_default_timeout(args.wait_s * 1000)
    page.on("pageerror", lambda e: stats.errors.append(f"user {i}: page error {e}"))
    try:
        opened = await reopen(page, base, stats, f"user {i}")
        await ready.wait()  # the clock starts once every session has its page (loading is slow)
        if not opened:
            return
        start = time.monotonic()
        deadline = start + args.seconds
        stats.window = (min(stats.window[0] or start, start), max(stats.window[1], deadline))
        n = 0
        while time.monotonic() < deadline:
            # the first action is a slider step: a student on Denoise touches the slider first,
            # and every session, the probes included, times at least one step however slow the
            # machine (a page switch first could use up a short run's whole window)
            what = "slider" if n == 0 else rnd.choices(("slider", "page", "upload"),
                                                       weights=(6, 2, 1))[0]
            try:
                await act(page, base, what, stats, rnd, probe, i * 1000 + n, args.wait_s)
            except Exception as exc:  # a timeout: note it, start over on a fresh page
                stats.errors.append(f"user {i}: {what}: {why(exc)}")
                if not await reopen(page, base, stats, f"user {i}"):
                    return
            await check_exceptions(page, stats, what)
            n += 1
            await asyncio.sleep(args.think_s * rnd.uniform(0.5, 1.5))  # the student looks at it
    finally:
        await ctx.close()


async def set_value(page, label: str, value: object) -> None:
    """Type ``value`` into the input labelled ``label`` and wait for the run it causes (one
    change at a time: a change made during another's run can be undone by its answer)."""
    await idle(page)
    await page.evaluate(_browser.RAN_JS)
    box = page.get_by_label(label, exact=True)
    await box.fill(str(value))
    await box.press("Enter")
    await page.wait_for_function(_browser.RAN_IDLE_JS)


async def start_training(page, base: str, epochs: int, images: int, name: str = "") -> None:
    """Open the Train page and fill its epochs, images and (if given) the model's name; the
    training is not started yet."""
    await page.goto(f"{base}/train")
    await page.get_by_role("button", name="Start training").wait_for()
    await set_value(page, "Epochs", epochs)
    await set_value(page, "Training images", images)
    if name:
        await set_value(page, "Name for your model", name)
    await idle(page)


async def trainer(browser, base: str, i: int, args, ready: asyncio.Barrier,
                  stats: Stats) -> None:
    """Start a training on the Train page when the users start acting, and wait until it ends
    (``args.train_timeout_s`` only guards against a hang): with the defaults the trainings run
    while the users act and the third waits in the queue (the server allows two at once)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await ctx.new_page()
    page.set_default_timeout(args.wait_s * 1000)
    waited = False  # the users wait at the barrier for every trainer, including a failed one
    try:
        await start_training(page, base, args.train_epochs, args.train_images)
        await ready.wait()
        waited = True
        deadline = time.monotonic() + args.train_timeout_s
        await page.get_by_role("button", name="Start training").click()
        stats.trainings_started += 1
        while time.monotonic() < deadline:
            text = await page.locator("body").inner_text()
            for m in re.finditer(r"position (\d+)", text):
                stats.queue_positions.add(int(m.group(1)))
            if "now appears as" in text:
                stats.trainings_done += 1
                break
            await page.wait_for_timeout(500)
        else:
            stats.errors.append(f"trainer {i}: not done in {args.train_timeout_s:.0f} s")
        await check_exceptions(page, stats, f"training {i}")
    except Exception as exc:
        stats.errors.append(f"trainer {i}: {why(exc)}")
    finally:
        if not waited:
            await ready.wait()
        await ctx.close()


async def drive(base: str, args, stats: Stats) -> None:
    """``args.sessions`` users (the first ``args.probes`` in a browser of their own) and
    ``args.trainings`` trainers against ``base``, until every one has finished."""
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_browser.CHROMIUM,
                                          args=_browser.CHROMIUM_ARGS)
        probe_browser = await p.chromium.launch(executable_path=_browser.CHROMIUM,
                                                args=_browser.CHROMIUM_ARGS)
        ready = asyncio.Barrier(args.sessions + args.trainings)
        # trainers and users all load their pages first; the trainings start as the users act
        tasks = [trainer(browser, base, i, args, ready, stats) for i in range(args.trainings)]
        tasks += [user(probe_browser if i < args.probes else browser, base, i, args, ready, stats,
                       probe=i < args.probes) for i in range(args.sessions)]
        await asyncio.gather(*tasks)
        await probe_browser.close()
        await browser.close()


# --hover: every session sweeps the Latent page's live map (decoded in the page, ui/live.py)

async def hover_user(browser, base: str, i: int, seconds: float, ready: asyncio.Barrier,
                     out: dict) -> None:
    """Open the Latent page, wait for the others, then move the pointer over the map for
    ``seconds``, a zigzag at about 50 moves a second; counts the digits the page decoded and
    the messages it sent to the server meanwhile."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1100})
    page = await ctx.new_page()
    await page.add_init_script(_browser.LIVE_DEBUG)  # the live component's frame counter
    page.set_default_timeout(180_000)
    sent = [0]
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.__setitem__(0, sent[0] + 1)))
    try:
        for attempt in range(3):  # twenty pages loading at once on two cores: a load may abort
            try:
                await page.goto(f"{base}/latent", wait_until="commit")
                break
            except Exception:  # noqa: BLE001 - retried, then reported below
                if attempt == 2:
                    raise
                await asyncio.sleep(1 + i * 0.2)
        live = page.get_by_test_id("aeLiveMap")
        await live.wait_for()
        await page.wait_for_function("() => globalThis.__aeLive.stats.firstLiveAt !== null")
        box = await live.bounding_box()
    except Exception as exc:  # noqa: BLE001 - a session that never loaded is reported, not fatal
        out["errors"].append(f"session {i}: {why(exc)}")
        await ready.wait()
        await ctx.close()
        return
    await ready.wait()
    frames0, sent0 = await page.evaluate("() => globalThis.__aeLive.stats.frames"), sent[0]
    rnd, t0, k = random.Random(i), time.monotonic(), 0
    while time.monotonic() - t0 < seconds:
        fx, fy = 0.05 + 0.9 * ((k * 0.013 + rnd.random() * 0.01) % 1), 0.1 + 0.8 * ((k * 0.007) % 1)
        await page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        await asyncio.sleep(0.02)
        k += 1
    out["frames"] += await page.evaluate("() => globalThis.__aeLive.stats.frames") - frames0
    out["moves"] += k
    out["sent"] += sent[0] - sent0
    await ctx.close()


async def hover_drive(base: str, sessions: int, seconds: float, pid: int, out: dict) -> None:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_browser.CHROMIUM,
                                          args=_browser.CHROMIUM_ARGS)
        ready = asyncio.Barrier(sessions + 1)
        tasks = [asyncio.create_task(hover_user(browser, base, i, seconds, ready, out))
                 for i in range(sessions)]
        await ready.wait()  # every page loaded: the server's CPU from here on is the sweep's
        pids = _browser.family(pid)
        cpu0, busy0, t0 = sum(cpu_s(q) for q in pids), machine_busy_s(), time.monotonic()
        await asyncio.sleep(seconds)
        out["server_cpu_s_hover"] = round(sum(cpu_s(q) for q in _browser.family(pid)) - cpu0, 2)
        out["machine_cpu_s_hover"] = round(machine_busy_s() - busy0, 1)
        out["hover_wall_s"] = round(time.monotonic() - t0, 1)
        await asyncio.gather(*tasks)
        await browser.close()


def hover_main(args) -> int:
    """``--hover``: the sessions sweep the live latent map; the server should stay near idle."""
    out = {"frames": 0, "moves": 0, "sent": 0, "errors": []}
    with _browser.streamlit_server(log=args.log) as server:
        asyncio.run(hover_drive(server, args.sessions, args.seconds, _browser.pid_of(server), out))
    tracebacks, _ = server_tracebacks(args.log.read_text(errors="replace"))
    result = {"mode": "hover", "sessions": args.sessions, "seconds": args.seconds,
              "server_cpu_s_hover": out.get("server_cpu_s_hover"),
              "machine_cpu_s_hover": out.get("machine_cpu_s_hover"),
              "pointer_moves": out["moves"], "decoded_digits_shown": out["frames"],
              "messages_to_server_during_hover": out["sent"],
              "sessions_failed": len(out["errors"]), "exceptions": tracebacks,
              "cores": os.cpu_count()}
    print(f"{args.sessions} sessions swept the live latent map for {args.seconds:g} s: "
          f"{out['moves']} pointer moves, {out['frames']} digits decoded in the pages, "
          f"{out['sent']} messages to the server")
    print(f"  the server used {result['server_cpu_s_hover']} CPU s in that time (the machine "
          f"{result['machine_cpu_s_hover']} s: the browsers)")
    for e in out["errors"][:10]:
        print(f"  ! {e}")
    print(json.dumps(result))
    return 0 if tracebacks == 0 and not out["errors"] else 1


def server_tracebacks(log: str) -> tuple[int, int]:
    """(tracebacks through the app's own code, websocket-disconnect noise) in a server log: a
    browser context closing mid-message makes the server log a disconnect, not an app error."""
    blocks = log.split("Traceback (most recent call last):")[1:]
    ours = [b for b in blocks if re.search(rf'File "{re.escape(str(ROOT))}/(?!\.venv)', b)]
    noise = sum("WebSocketDisconnected" in b or "ClientDisconnected" in b for b in blocks)
    return len(ours), noise


def first_traceback(log: str, lines: int = 25) -> str:
    """The last ``lines`` lines of the first traceback through the app's own code in a server
    log ("" if none): printed with the figures, so a failing run says where it failed."""
    for block in log.split("Traceback (most recent call last):")[1:]:
        if re.search(rf'File "{re.escape(str(ROOT))}/(?!\.venv)', block):
            return "\n".join(block.strip("\n").splitlines()[-lines:])
    return ""


def slider_answers(answers: list[dict], window: tuple[float, float]) -> list[float]:
    """The server's answers (ms, at the wire) to the users' slider steps, requested while the
    users acted: fragment reruns a person asked for (not timed ones). The Denoise slider is the
    only widget inside a fragment these users touch (page switches and uploads rerun the page)."""
    return [a["ms"] for a in answers if a["fragment"] and not a["auto"]
            and window[0] <= a["t"] <= window[1]]


def median(xs: list[float]) -> float | None:
    """Rounded to 0.1 ms for the JSON line; None when nothing was measured."""
    return round(statistics.median(xs), 1) if xs else None


def p95(xs: list[float]) -> float | None:
    return round(_browser.p95(xs), 1) if xs else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20, help="simultaneous browser sessions")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the users act")
    ap.add_argument("--trainings", type=int, default=3, help="trainings started meanwhile")
    ap.add_argument("--think-s", type=float, default=1.0,
                    help="mean pause of a user between actions, in seconds (0: none)")
    ap.add_argument("--probes", type=int, default=2,
                    help="sessions with a browser of their own: their slider steps are timed as "
                         "a student with a device of their own sees them (slider_ms_*)")
    # some tens of seconds each on 2 busy cores: the trainings run while the users act
    ap.add_argument("--train-epochs", type=int, default=10)
    ap.add_argument("--train-images", type=int, default=10_000)
    ap.add_argument("--train-timeout-s", type=float, default=900.0,
                    help="a training not done by then is reported (a hang guard)")
    ap.add_argument("--wait-s", type=float, default=60.0,
                    help="a page load or slider step longer than this counts as a timeout")
    ap.add_argument("--smoke", action="store_true",
                    help="2 users (1 probe), 10 s, one tiny training waited for, waits that only "
                         "catch a hang: checks the benchmark runs, on any machine")
    ap.add_argument("--log", type=Path, default=ROOT / "artifacts" / "load_server.log",
                    help="the server's output (tracebacks are counted as exceptions)")
    ap.add_argument("--hover", action="store_true",
                    help="instead: every session sweeps the Latent page's live map for --seconds "
                         "(decoded in the browser); reports server_cpu_s_hover")
    ap.add_argument("--through-nginx", action="store_true",
                    help="instead: the same load once on one server and once through nginx in "
                         "front of --replicas replicas sharing PostgreSQL (benchmarks/_load_nginx.py)")
    ap.add_argument("--replicas", type=int, default=2, help="app replicas for --through-nginx")
    args = ap.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE)
    args.probes = min(args.probes, args.sessions)
    return args


def summary(args, stats: Stats, watch: MemoryWatch, wall: float, answer_ms: list[float],
            log: str) -> dict:
    """The run's figures, as the JSON line prints them."""
    tracebacks, disconnects = server_tracebacks(log)
    return {
        "sessions": args.sessions, "seconds": args.seconds, "wall_s": round(wall, 1),
        "exceptions": stats.exceptions + tracebacks, "server_tracebacks": tracebacks,
        "websocket_disconnect_tracebacks": disconnects,
        "timeouts": len(stats.errors),
        "probes": args.probes, "slider_moves": len(stats.slider_ms),
        "slider_ms_median": median(stats.slider_ms), "slider_ms_p95": p95(stats.slider_ms),
        "slider_moves_all": len(stats.slider_ms_all),
        "slider_ms_median_all": median(stats.slider_ms_all),
        "slider_ms_p95_all": p95(stats.slider_ms_all),
        "server_answer_ms_median": median(answer_ms), "server_answer_ms_p95": p95(answer_ms),
        "server_answers": len(answer_ms), "think_s": args.think_s,
        "page_switches": stats.actions["page"], "uploads": stats.actions["upload"],
        "trainings_started": stats.trainings_started, "trainings_done": stats.trainings_done,
        "queue_positions_shown": sorted(stats.queue_positions),
        "peak_rss_mb": round(watch.peak_mb, 1), "end_rss_mb": round(watch.rss_mb, 1),
        "server_cpu_s": round(watch.server_cpu_s, 1), "machine_cpu_s": round(watch.machine_cpu_s, 1),
        "cores": os.cpu_count(),
    }


def report(args, r: dict, errors: list[str]) -> None:
    """The human summary of :func:`summary`'s figures."""
    print(f"{args.sessions} sessions for {args.seconds:g} s ({r['wall_s']:.0f} s wall), "
          f"{args.trainings} training(s)")
    print(f"  exceptions seen: {r['exceptions']} (server tracebacks {r['server_tracebacks']})")
    print(f"  slider latency until the page shows it: median {r['slider_ms_median']} ms, p95 "
          f"{r['slider_ms_p95']} ms over {r['slider_moves']} moves of the {r['probes']} probes "
          f"(a browser each); all sessions: median {r['slider_ms_median_all']} ms, p95 "
          f"{r['slider_ms_p95_all']} ms over {r['slider_moves_all']} moves")
    print(f"  server answer: median {r['server_answer_ms_median']} ms, p95 "
          f"{r['server_answer_ms_p95']} ms over {r['server_answers']} steps (request in to run "
          f"finished out, at the server's socket; bar p95 < {SLIDER_BAR_MS:.0f} ms)")
    print(f"  page switches {r['page_switches']}, uploads {r['uploads']}")
    print(f"  trainings completed: {r['trainings_done']}/{r['trainings_started']}; queue "
          f"positions shown: {r['queue_positions_shown'] or 'none'}")
    print(f"  server peak memory (VmHWM): {r['peak_rss_mb']:.0f} MB, at the end "
          f"{r['end_rss_mb']:.0f} MB")
    print(f"  CPU: the server used {r['server_cpu_s']:.0f} s of the {r['machine_cpu_s']:.0f} busy "
          f"CPU seconds of this machine's {r['cores']} cores (the rest: the browsers)")
    for e in errors[:10]:
        print(f"  ! {e}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reason = _browser.missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    args.log.parent.mkdir(parents=True, exist_ok=True)
    if args.hover:
        return hover_main(args)
    if args.through_nginx:
        from benchmarks import _load_nginx
        return _load_nginx.main(args)
    stats = Stats()
    env = {"AE_MAX_TRAININGS": "2"}  # fewer than --trainings by default: the queue is exercised
    wire_log = args.log.with_name("load_answers.jsonl")
    with _browser.streamlit_server(env=env, log=args.log) as server, \
            _wire.proxy(server, wire_log) as base:
        watch = MemoryWatch(_browser.pid_of(server))
        watch.start()
        t0 = time.monotonic()
        asyncio.run(drive(base, args, stats))
        wall = time.monotonic() - t0
        watch.stop.set()
        watch.join()
    answer_ms = slider_answers(_wire.answers(wire_log), stats.window)
    log = args.log.read_text(errors="replace")
    result = summary(args, stats, watch, wall, answer_ms, log)
    report(args, result, stats.errors)
    if result["server_tracebacks"]:
        print("  the first server traceback (of the app's code), its end:")
        print(textwrap.indent(first_traceback(log), "    "))
    print(json.dumps(result))
    met = [result[k] is not None and result[k] < SLIDER_BAR_MS
           for k in ("server_answer_ms_p95", "slider_ms_p95")]
    return 0 if result["exceptions"] == 0 and all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
