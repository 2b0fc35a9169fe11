"""The app in a real browser: one copy of the server and Chromium helpers for tests and benchmarks.

``streamlit_server()`` runs ``streamlit run server.py`` (this interpreter's Streamlit) on a free
loopback port and yields its base URL once ``/_stcore/health`` answers; its two steps,
``start_streamlit()`` and ``wait_healthy()``, also start benchmarks/_cluster.py's replicas.
``chromium()`` launches the Debian Chromium through Playwright's sync API (Playwright's own
browsers are never installed). ``wait_idle(page)`` waits until the app's script (and its
fragments) stopped running.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Mapping

from views import specs  # plain data: the pages (the repository root is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT / "artifacts" / "screens"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
# deadlines that only catch a hang: a busy machine may take minutes where an idle one takes seconds
START_TIMEOUT_S = 300.0
WAIT_MS = 180_000
# Streamlit marks its root element with the script state; anything but "notRunning" is busy
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def missing() -> str | None:
    """Why the browser cannot run here (a reason for ``pytest.skip``), or None when it can."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright python package is not installed (requirements-dev.txt)"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def start_streamlit(port: int, script: str = "server.py", env: Mapping[str, str] | None = None,
                    log: Path | None = None) -> subprocess.Popen:
    """Start ``streamlit run script`` (this interpreter's Streamlit) on 127.0.0.1:``port`` and
    return the process at once (:func:`wait_healthy` waits until it answers).

    ``script`` is the entry file, relative to the repository; ``env`` is added to this process's;
    ``log`` receives the server's output (otherwise it is discarded).
    """
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false",
           # no file watcher: the app under test is a fixed snapshot, and watching a repository
           # that others edit costs CPU (inotify overflows) and can prompt reruns mid-measurement
           "--server.fileWatcherType", "none"]
    # the child keeps its own handle on the log: ours is closed as soon as it has started
    with open(log, "w") if log else contextlib.nullcontext(subprocess.DEVNULL) as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})


def wait_healthy(proc: subprocess.Popen, url: str, timeout: float = START_TIMEOUT_S,
                 name: str = "streamlit", log: Path | None = None) -> None:
    """Wait until ``url``/_stcore/health answers. Raises RuntimeError, named ``name`` and ending
    with the tail of ``log`` when given, if ``proc`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if proc.poll() is not None:
            tail = ":\n" + log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{name} exited with code {proc.returncode} before answering{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer {url}/_stcore/health in {timeout:.0f} s")
        time.sleep(0.3)


@contextlib.contextmanager
def streamlit_server(env: Mapping[str, str] | None = None, timeout: float = START_TIMEOUT_S,
                     log: Path | None = None, script: str = "server.py") -> Iterator[str]:
    """Run the app on a free loopback port; yields ``http://127.0.0.1:PORT`` and kills it after.

    ``env`` adds variables (e.g. ``AE_MAX_TRAININGS``); ``log`` keeps the server's output in a
    file (otherwise it is discarded); ``script`` is the entry file, relative to the repository
    (a test harness instead of the app). Raises RuntimeError when the server dies or does not answer
    within ``timeout`` seconds.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_streamlit(port, script, env, log)
    _SERVERS[url] = proc.pid
    try:
        wait_healthy(proc, url, timeout)
        yield url
    finally:
        _SERVERS.pop(url, None)
        stop(proc)


_SERVERS: dict[str, int] = {}  # url -> pid of the servers streamlit_server runs now


def pid_of(url: str) -> int:
    """The process id of the server :func:`streamlit_server` runs at ``url``."""
    return _SERVERS[url]


def family(pid: int) -> list[int]:
    """``pid`` and all its descendants running now (a server's children: its own helpers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # it has just ended
            continue
    return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def wait_settled(url: str, quiet_s: float | None = None, busy_frac: float = 0.1,
                 timeout: float = 60.0) -> float:
    """Wait until the server at ``url`` (one :func:`streamlit_server` runs) used under
    ``busy_frac`` of a core for ``quiet_s`` seconds: its start-up warm-up (startup/warmup.py) and the
    runs before are over, so what is timed next is a student's visit to a warm server, not a
    race with the warm-up. Returns the seconds waited.

    ``quiet_s`` (default twice ``startup.warmup.SETTLE_S``) is longer than the warm-up's own pause: it
    imports torch ``SETTLE_S`` after the first page's run, while the browser draws that page. A
    window as long as that pause once fitted in it, right after Home was drawn, and the next click
    waited 4.4 s for torch."""
    if quiet_s is None:
        from startup.warmup import SETTLE_S  # no Streamlit, no torch
        quiet_s = 2 * SETTLE_S
    pid, t0 = pid_of(url), time.monotonic()
    while time.monotonic() - t0 < timeout:
        c0 = cpu_s(pid)
        time.sleep(quiet_s)
        if cpu_s(pid) - c0 < busy_frac * quiet_s:
            break
    return time.monotonic() - t0


def stop(proc: subprocess.Popen) -> None:
    """End a helper process: SIGTERM, then SIGKILL if it has not gone within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def p95(xs: list[float]) -> float:
    """The 95th percentile of latencies by nearest rank (a value that was measured)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


@contextlib.contextmanager
def chromium() -> Iterator["playwright.sync_api.Browser"]:  # noqa: F821
    """Headless Debian Chromium driven by Playwright's sync API; closed on exit."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# the live component's counters and decoders, off in the product (ui/static/debug.js): a page
# that defines this object before the app loads finds them in globalThis.__aeLive
LIVE_DEBUG = "globalThis.__aeLive = {};"


def new_page(browser, width: int = 1400, height: int = 1600, timeout_ms: int = WAIT_MS):
    """A page in a fresh context (its own Streamlit session) whose waits time out only on a hang,
    with the live component's counters on (:data:`LIVE_DEBUG`)."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.add_init_script(LIVE_DEBUG)
    page.set_default_timeout(timeout_ms)
    return page


def wait_idle(page, timeout_ms: int = WAIT_MS, settle_ms: int = 150) -> None:
    """Wait until the app's script run (or fragment run) has finished.

    The state is read twice ``settle_ms`` apart: a widget change shows "running" only after its
    message reaches the server, so one idle reading right after an action can be the old state.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = max(1, int((deadline - time.monotonic()) * 1000))
        page.wait_for_selector(IDLE, state="attached", timeout=left)
        page.wait_for_timeout(settle_ms)
        if page.locator(IDLE).count() == 1:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not become idle")


# after RAN_JS, true once the app has left "notRunning" (a run was requested or ran) and is back
RAN_JS = """() => { window.__aeRan = false;
  new MutationObserver((_, obs) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && app.dataset.testScriptState !== "notRunning") { window.__aeRan = true; obs.disconnect(); }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
RAN_IDLE_JS = "() => window.__aeRan && !!document.querySelector('" + IDLE + "')"


@contextlib.contextmanager
def rerun_of(page) -> Iterator[None]:
    """Around a widget change: wait until the run it caused has finished. A change made while
    an earlier run is in flight can be undone by that run's answer, so the app is idle first,
    and the next change starts only after this one's run. The preloader's own two runs
    (startup/preload.py; at once after a page without live elements) are let through first."""
    wait_idle(page)
    _preloader_done(page)
    page.evaluate(RAN_JS)
    yield
    page.wait_for_function(RAN_IDLE_JS)
    wait_idle(page)


def _preloader_done(page, timeout_ms: int = 60_000) -> None:
    # a typed value sent while the preloader's fragment run redraws the page was lost once
    # (tests/test_browser_my_models.py): wait until it has drawn and removed its hidden elements
    # (or was never mounted, or gave up), then for the app to be idle again
    try:
        page.wait_for_function("() => !globalThis.__aePreload || !!globalThis.__aePreload.__mount",
                               timeout=timeout_ms)
    except Exception:  # noqa: BLE001 - a preloader that never ends must not fail the action
        return
    wait_idle(page)


def set_value(page, label: str, value: object) -> None:
    """Type ``value`` into the number or text input labelled ``label`` and wait for its run."""
    box = page.get_by_label(label, exact=True)
    if box.input_value() == str(value):
        return  # no change, no run
    with rerun_of(page):
        box.fill(str(value))
        box.press("Enter")


def wait_preloaded(page, timeout_ms: int = WAIT_MS) -> None:
    """Until the preloader (startup/preload.py) has drawn and removed its hidden elements, a
    couple of seconds after a page load: its two fragment runs redraw the page, which can take
    the keyboard's focus or an open list away from a test that acts before them."""
    page.wait_for_function("() => globalThis.__aePreload && globalThis.__aePreload.__mount",
                           timeout=timeout_ms)
    wait_idle(page)


def choose(page, key: str, option: str, tries: int = 5) -> None:
    """Pick ``option`` in the selectbox with widget key ``key``. A list opened while a rerun
    redraws the page (a Start button's) closes again; like a person, open it again."""
    box = page.locator(f".st-key-{key}").get_by_test_id("stSelectbox")
    item = page.get_by_role("option", name=option, exact=True)
    for _ in range(tries):
        wait_idle(page)
        box.click()
        try:
            item.wait_for(timeout=5_000)
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the list closed
            page.keyboard.press("Escape")
            continue
        item.click()
        return
    raise TimeoutError(f"the list of {key} did not stay open to pick {option!r}")


def sidebar_link(page, title: str):
    """The sidebar navigation link to the page titled ``title``."""
    return page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)


def exceptions(page) -> int:
    """How many Streamlit exception boxes the page shows."""
    return page.locator('[data-testid="stException"]').count()


# the latent page's decoder: the z sliders and the decoded digit
Z_SLIDER = 'input[type="range"][aria-label="{}"]'  # the slider thumb's input, by its label
# the page's file input, in the main area: for a moment after a page is opened the preloader's
# hidden copy of each element (startup/preload.py) sits in the sidebar, where a page-wide locator
# found a second one
FILE_INPUT = '[data-testid="stMain"] [data-testid="stFileUploader"] input[type="file"]'
_DECODED_JS = """() => { const b = [...document.querySelectorAll('[data-testid="stImage"]')]
    .find(e => e.innerText.includes('decoded at z'));
  const i = b && b.querySelector('img');
  return i ? {src: i.src, caption: b.innerText, loaded: i.complete && i.naturalWidth > 0} : null; }"""


def decoded(page) -> dict | None:
    """The latent page's decoded digit: ``{"src", "caption", "loaded"}``, or None if not shown."""
    return page.evaluate(_DECODED_JS)


# "changed" once the digit differs from the old one; "lost" once the app is idle, a second after
# the press, with the thumb back at its old value: the press was undone by a rerun in flight
# (the preloader's, ui/preload.py), which re-drew the slider with the value it knew
_PRESS_JS = "([old, sel, value, t0]) => { const d = (" + _DECODED_JS + """)();
  if (d && d.loaded && (d.src !== old.src || d.caption !== old.caption)) return "changed";
  const thumb = document.querySelector(sel);
  const idle = document.querySelector('""" + IDLE + """');
  return thumb && thumb.value === value && idle && performance.now() - t0 > 1000 ? "lost" : false;
}"""


def press_decoded(page, slider: str, key: str = "ArrowRight", tries: int = 3) -> float:
    """Press ``key`` on the latent page's z slider named ``slider`` ("z1") and wait until the
    decoded digit changes; returns the seconds from the press that took effect to the new digit.

    A press undone by a rerun already in flight (its thumb back where it was, nothing decoded) is
    pressed again, up to ``tries`` times; waits time out only on a hang (``WAIT_MS``).
    """
    sel = Z_SLIDER.format(slider)
    thumb = page.locator(sel)
    for _ in range(tries):
        old, value = decoded(page), thumb.input_value()
        thumb.focus()
        t_page = page.evaluate("performance.now()")
        t0 = time.perf_counter()
        page.keyboard.press(key)
        res = page.wait_for_function(_PRESS_JS, arg=[old, sel, value, t_page], timeout=WAIT_MS)
        if res.json_value() == "changed":
            return time.perf_counter() - t0
    raise TimeoutError(f"{tries} presses of {key} on {slider} changed no decoded digit")


# accessibility: axe-core (vendored from npm) run in the page, WCAG 2.0/2.1 A and AA rules

AXE_JS = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SEVERE = ("serious", "critical")
# every page by URL path, in the sidebar's order (views/specs.py declares them); the default page
# (Home) is at "/" ("/home" opens a "Page not found" dialog)
PAGE_PATHS = tuple("" if p is specs.PAGES[0] else p.name for p in specs.PAGES)
# Streamlit's own markup that fails, not ours to fix in the page: (axe rule id, CSS selector the
# node lies in). The sidebar navigation puts its `li` items outside the `ul` (list, listitem);
# upstream: streamlit/streamlit#8399 (docs/ACCESSIBILITY.md). This is the one place it is excused.
STREAMLIT_EXCLUDED = (
    ("list", '[data-testid="stSidebarNav"]'),
    ("listitem", '[data-testid="stSidebarNav"]'),
)
_AXE_RUN_JS = """async ([tags, excluded]) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations']});
  const out = [];
  for (const v of r.violations) for (const n of v.nodes) {
    const sel = n.target[n.target.length - 1];
    let el = null;
    try { el = typeof sel === 'string' ? document.querySelector(sel) : null; } catch (e) {}
    const streamlit = excluded.some(([rule, s]) => rule === v.id && el && el.closest(s));
    out.push({rule: v.id, impact: n.impact || v.impact, target: n.target.join(' '),
              html: n.html.slice(0, 200), summary: (n.failureSummary || '').slice(0, 300),
              streamlit});
  }
  return out;
}"""


def axe_scan(page) -> list[dict]:
    """Run axe-core's WCAG 2.0/2.1 A and AA rules on what ``page`` shows now; one dict per failing
    node: ``{"rule", "impact", "target", "html", "summary", "streamlit"}`` where ``streamlit``
    marks a node :data:`STREAMLIT_EXCLUDED` excuses (Streamlit's own markup)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_AXE_RUN_JS, [AXE_TAGS, [list(x) for x in STREAMLIT_EXCLUDED]])


def open_drawn(page, url: str, settle_ms: int = 800) -> None:
    """Open ``url`` and wait until the app's run has finished and its elements are drawn (the
    in-page component draws a moment after the run: ``settle_ms``)."""
    page.goto(url)
    wait_idle(page)
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for()  # every page's title
    page.get_by_test_id("stSidebarNav").wait_for(state="attached")
    page.wait_for_timeout(settle_ms)
    wait_idle(page)


def severe_ours(found: list[dict]) -> list[dict]:
    """The serious or critical nodes of an :func:`axe_scan` in our own content."""
    return [f for f in found if f["impact"] in SEVERE and not f["streamlit"]]
