"""Several replicas behind nginx, one model library in PostgreSQL (issue 16), with real processes
on loopback: ``initdb`` + ``pg_ctl`` on a free port, two ``streamlit run app.py`` sharing it, and
nginx with the project's own deploy/nginx.conf (its upstreams rewritten to the two ports), all
from benchmarks/_cluster.py and ended by pid after the module. Through nginx, in headless
Chromium:

- a session keeps its replica (every request of its route cookie reaches one upstream), and an
  upload works; the same upload with the cookie pointed at the other replica is refused there,
  which is what affinity prevents;
- a model saved through one replica is listed, shared and opened through the other; revoking
  the link on one refuses it on the other at the very next call;
- stopping one replica loses no saved model, its users reconnect to the other replica and go
  on, and a training running on it is saved as "interrupted".
"""
from __future__ import annotations

import re
import time

import pytest

from benchmarks import _browser, _cluster
from benchmarks.load import seven_png

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SCREENS = _browser.SCREENS


@pytest.fixture(scope="module")
def cluster():
    reason = _cluster.missing() or _browser.missing()
    if reason:
        pytest.skip(reason)
    with _cluster.cluster(replicas=2, env={"AE_MAX_TRAININGS": "1"}) as c:
        yield c


@pytest.fixture(scope="module")
def browser(cluster):
    """Chromium, after one visit of the Denoise page on each replica directly (a cold replica's
    first run loads models and fits PCA: tens of seconds on two busy cores)."""
    with _browser.chromium() as b:
        for r in cluster.replicas:
            page = _browser.new_page(b, timeout_ms=180_000)
            page.goto(r.url + "/denoise")
            page.get_by_test_id("stSlider").first.wait_for()
            _browser.wait_idle(page, timeout_ms=180_000)
            page.context.close()
        yield b


def open_on(browser, c: _cluster.Cluster, replica: _cluster.Replica, path: str = "/denoise"):
    """A new browser context whose route cookie nginx sends to ``replica``; its page at ``path``
    (through nginx), loaded and idle. Returns (page, route)."""
    route = c.route_to(replica)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    ctx.add_cookies([{"name": _cluster.ROUTE_COOKIE, "value": route, "url": c.url}])
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(c.url + path)
    page.get_by_test_id("stSlider").first.wait_for()
    _browser.wait_idle(page)
    return page, route


def upload_seven(page, seed: int) -> None:
    page.get_by_text("Upload an image", exact=True).click()
    _browser.wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": f"seven_{seed}.png", "mimeType": "image/png", "buffer": seven_png(seed)})


def routed(c: _cluster.Cluster, route: str) -> list[dict]:
    return [a for a in c.nginx.access() if a["route"] == route]


def test_a_new_browser_gets_a_route_cookie_and_keeps_its_replica(cluster, browser):
    c = cluster
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(c.url + "/denoise")  # no cookie yet: nginx sets one and routes on the same value
    page.get_by_test_id("stSlider").first.wait_for()
    _browser.wait_idle(page)
    cookie = {k["name"]: k for k in ctx.cookies()}[_cluster.ROUTE_COOKIE]
    assert re.fullmatch(r"[0-9a-f]{32}", cookie["value"]) and cookie["httpOnly"]
    ctx.close()  # nginx logs a websocket when it closes
    time.sleep(0.5)
    mine = routed(c, cookie["value"])
    assert len(mine) >= 5, mine  # the page, its scripts, the websocket, health, ...
    assert any(a["uri"] == "/_stcore/stream" for a in mine)
    assert len({a["upstream"] for a in mine}) == 1, mine  # every request: one replica


def test_an_upload_works_through_nginx_and_needs_the_affinity(cluster, browser):
    c = cluster
    for i, replica in enumerate(c.replicas):  # each replica serves its own sessions
        page, route = open_on(browser, c, replica)
        upload_seven(page, seed=i)
        page.get_by_text(re.compile(r"^PSNR [\d.]+ dB")).first.wait_for()
        _browser.wait_idle(page)
        assert _browser.exceptions(page) == 0
        uploads = [a for a in routed(c, route) if a["uri"].startswith("/_stcore/upload_file")]
        assert uploads and all(c.replica_at(a["upstream"]) is replica for a in uploads), uploads
        assert all(a["status"] == "200" or a["status"] == "204" for a in uploads), uploads
        page.context.close()
    # control: the same upload from a session opened on replica 0 whose cookie now routes to
    # replica 1 (no affinity) reaches a replica that has no such session, and is refused there
    page, route = open_on(browser, c, c.replicas[0])
    other = c.route_to(c.replicas[1])
    page.context.add_cookies([{"name": _cluster.ROUTE_COOKIE, "value": other, "url": c.url}])
    upload_seven(page, seed=9)
    deadline = time.monotonic() + 20
    while not [a for a in routed(c, other) if a["uri"].startswith("/_stcore/upload_file")]:
        assert time.monotonic() < deadline, "the upload request never reached nginx"
        time.sleep(0.2)
    [bad] = [a for a in routed(c, other) if a["uri"].startswith("/_stcore/upload_file")]
    assert c.replica_at(bad["upstream"]) is c.replicas[1] and bad["status"].startswith("4"), bad
    page.screenshot(path=str(SCREENS / "scale_out_no_affinity_upload.png"))
    page.context.close()


def test_stopping_a_replica_loses_no_model_and_its_users_reconnect(cluster, browser):
    from aecore.store import new_id
    from aecore.store.postgres import open_postgres_store
    from aecore.weights import load_model
    c = cluster
    victim, survivor = c.replicas[1], c.replicas[0]
    store = open_postgres_store(c.database_url)
    owner = new_id()
    model, card = load_model(_browser.ROOT / "pretrained" / "ae_k2.safetensors")
    saved = {store.save(owner, model, card, name=f"kept {i}").id for i in range(3)}
    page, route = open_on(browser, c, victim)
    took = victim.stop()  # SIGTERM, as docker stop or systemd does
    assert not victim.running
    # the page notices and reconnects through nginx, which now sends its cookie to the survivor.
    # The survivor has no session for it (Streamlit keeps sessions in process memory), so the
    # page's fragments are unknown there until the page runs once: the user's next click on the
    # page (here the test index's "+") runs it on the survivor, then the slider works again.
    level = re.compile(r"[?&]level=([^&]+)")
    old = (level.search(page.url) or [None, None])[1]
    thumb = page.get_by_test_id("stSlider").get_by_role("slider").first
    deadline = time.monotonic() + 90
    while True:
        try:
            page.get_by_test_id("stNumberInputStepUp").first.click(timeout=10_000)
            _browser.wait_idle(page, timeout_ms=15_000)
            thumb.focus()
            thumb.press("ArrowRight")
            page.wait_for_url(lambda u: (level.search(u) or [None, old])[1] != old, timeout=10_000)
            _browser.wait_idle(page, timeout_ms=15_000)
            break
        except Exception:  # noqa: BLE001 - still reconnecting
            assert time.monotonic() < deadline, c.logs()
    assert _browser.exceptions(page) == 0
    page.screenshot(path=str(SCREENS / "scale_out_after_failover.png"))
    page.context.close()
    time.sleep(0.5)
    streams = [a for a in routed(c, route) if a["uri"] == "/_stcore/stream"]
    assert c.replica_at(streams[0]["upstream"]) is victim, streams
    assert c.replica_at(streams[-1]["upstream"]) is survivor, streams
    assert {r.id for r in store.list(owner)} == saved  # nothing saved was lost
    assert c.replica_of(route) is survivor
    store.close()
    assert took < 15, f"the replica took {took:.1f} s to stop on SIGTERM"
