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

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT / "artifacts" / "screens"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
START_TIMEOUT_S = 90.0  # a loaded machine needs a while to import torch and streamlit
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
    pid, t0 = _SERVERS[url], time.monotonic()
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


def new_page(browser, width: int = 1400, height: int = 1600, timeout_ms: int = 60_000):
    """A page in a fresh context (its own Streamlit session) with a generous default timeout."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(timeout_ms)
    return page


def wait_idle(page, timeout_ms: int = 60_000, settle_ms: int = 150) -> None:
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
_CHANGED_JS = "old => { const d = (" + _DECODED_JS + """)();
  return d && d.loaded && (d.src !== old.src || d.caption !== old.caption); }"""


def decoded(page) -> dict | None:
    """The latent page's decoded digit: ``{"src", "caption", "loaded"}``, or None if not shown."""
    return page.evaluate(_DECODED_JS)


def wait_decoded_change(page, old: dict, timeout_ms: int = 30_000) -> None:
    """Wait until the decoded digit differs from ``old`` (a new source or caption) and loaded."""
    page.wait_for_function(_CHANGED_JS, arg=old, timeout=timeout_ms)


# accessibility: axe-core (vendored from npm) run in the page, WCAG 2.0/2.1 A and AA rules

AXE_JS = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SEVERE = ("serious", "critical")
# the app's 12 pages by URL path (app.py's st.navigation), in the sidebar's order; the default
# page (Home) is at "/" ("/home" opens a "Page not found" dialog)
PAGE_PATHS = ("", "lesson", "reconstruct", "bottleneck", "denoise", "latent", "generate",
              "train", "anomaly", "features", "types", "my_models")
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
