"""Several replicas behind nginx, one model library in PostgreSQL (issue 16), with real processes
on loopback: ``initdb`` + ``pg_ctl`` on a free port, two ``streamlit run server.py`` sharing it, and
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
# a hang guard: a page's first run on a replica loads models, and other work may share the cores
TIMEOUT_MS = _browser.WAIT_MS


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
            page = _browser.new_page(b)
            page.goto(r.url + "/denoise")
            page.get_by_test_id("stSlider").first.wait_for()
            _browser.wait_idle(page)
            page.context.close()
        yield b


def open_on(browser, c: _cluster.Cluster, replica: _cluster.Replica, path: str = "/denoise"):
    """A new browser context whose route cookie nginx sends to ``replica``; its page at ``path``
    (through nginx), loaded and idle (``path`` a link: only opened). Returns (page, route)."""
    route = c.route_to(replica)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    ctx.add_cookies([{"name": _cluster.ROUTE_COOKIE, "value": route, "url": c.url}])
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(path if path.startswith("http") else c.url + path)
    if path in ("/denoise", "/train"):
        (page.get_by_test_id("stSlider").first if path == "/denoise"
         else page.get_by_role("button", name="Start training")).wait_for()
        _browser.wait_idle(page, timeout_ms=TIMEOUT_MS)
    return page, route


def upload_seven(page, seed: int) -> None:
    page.get_by_text("Upload an image", exact=True).click()
    _browser.wait_idle(page)
    page.locator(_browser.FILE_INPUT).set_input_files(
        {"name": f"seven_{seed}.png", "mimeType": "image/png", "buffer": seven_png(seed)})


def start_training(page, name: str, epochs: int, images: int) -> None:
    """On the Train page (already open): a dense AE of ``epochs`` x ``images``, named ``name``."""
    page.get_by_role("button", name="Start training").wait_for()
    _browser.set_value(page, "Epochs", epochs)
    _browser.set_value(page, "Training images", images)
    _browser.set_value(page, "Name for your model", name)
    page.get_by_role("button", name="Start training").click()


def owner_of(page) -> str:
    """The browser's owner token (its ae_owner cookie, written by the app on the first visit)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        cookies = {k["name"]: k["value"] for k in page.context.cookies()}
        if "ae_owner" in cookies:
            return cookies["ae_owner"]
        assert time.monotonic() < deadline, "the app never wrote the owner cookie"
        page.wait_for_timeout(200)


def routed(c: _cluster.Cluster, route: str) -> list[dict]:
    return [a for a in c.nginx.access() if a["route"] == route]


def test_a_new_browser_gets_a_route_cookie_and_keeps_its_replica(cluster, browser):
    c = cluster
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
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
    page, route = open_on(browser, c, c.replicas[0])
    upload_seven(page, seed=1)
    page.get_by_text(re.compile(r"^PSNR [\d.]+ dB")).first.wait_for()
    _browser.wait_idle(page)
    assert _browser.exceptions(page) == 0
    uploads = [a for a in routed(c, route) if a["uri"].startswith("/_stcore/upload_file")]
    assert uploads and all(c.replica_at(a["upstream"]) is c.replicas[0] for a in uploads), uploads
    assert all(a["status"] in ("200", "204") for a in uploads), uploads
    # control: the same session's next upload with its cookie pointed at replica 1 (no affinity)
    # reaches a replica that has no such session, and is refused there
    other = c.route_to(c.replicas[1])
    page.context.add_cookies([{"name": _cluster.ROUTE_COOKIE, "value": other, "url": c.url}])
    page.locator(_browser.FILE_INPUT).set_input_files(
        {"name": "seven_9.png", "mimeType": "image/png", "buffer": seven_png(9)})
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not [a for a in routed(c, other) if a["uri"].startswith("/_stcore/upload_file")]:
        assert time.monotonic() < deadline, "the upload request never reached nginx"
        time.sleep(0.2)
    time.sleep(1)  # the uploader may send more than one request (the old file's DELETE too)
    bad = [a for a in routed(c, other) if a["uri"].startswith("/_stcore/upload_file")]
    assert all(c.replica_at(a["upstream"]) is c.replicas[1] for a in bad), bad
    assert any(a["method"] == "PUT" and a["status"].startswith("4") for a in bad), bad
    page.screenshot(path=str(SCREENS / "scale_out_no_affinity_upload.png"))
    page.context.close()


def test_a_model_trained_on_one_replica_opens_by_its_link_on_the_other(cluster, browser):
    c = cluster
    a, b = c.replicas
    page, _ = open_on(browser, c, a, "/train")
    start_training(page, "Class model", epochs=1, images=500)
    page.get_by_text("It now appears as").wait_for(timeout=600_000)
    # My models, on replica a: share it
    page.goto(c.url + "/my_models")
    page.get_by_role("button", name="Share", exact=True).click()
    code = page.get_by_test_id("aeCopyLink").filter(has_text="shared=").first
    code.wait_for()
    link = re.search(r"\S*\?shared=[A-Za-z0-9_-]{32}", code.inner_text()).group(0)
    assert link.startswith(c.url), link  # nginx passes the Host with its port
    # a second browser whose cookie lands on replica b opens the link there
    other, other_route = open_on(browser, c, b, link)
    other.get_by_text("Shared model Class model").wait_for()
    _browser.wait_idle(other)
    assert other.get_by_test_id("stException").count() == 0
    other.screenshot(path=str(SCREENS / "scale_out_shared_on_other_replica.png"))
    # the owner (on a) stops sharing: the link is refused on b at once
    page.get_by_role("button", name="Stop sharing").click()
    page.get_by_text("The link no longer works").wait_for()
    fresh = other.context.new_page()
    fresh.set_default_timeout(TIMEOUT_MS)
    fresh.goto(link)
    fresh.get_by_text("cannot be opened").wait_for()
    _browser.wait_idle(fresh)
    assert "revoked" in fresh.get_by_test_id("stAlert").first.inner_text()
    page.context.close()
    other.context.close()
    time.sleep(0.5)
    served = {c.replica_at(x["upstream"]).name for x in routed(c, other_route)
              if x["uri"] == "/_stcore/stream"}
    assert served == {b.name}, served  # every page of the second browser: replica b


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
    # a training in flight on the replica that stops
    trainer, _ = open_on(browser, c, victim, "/train")
    trainer_owner = owner_of(trainer)
    start_training(trainer, "Cut short", epochs=50, images=1000)
    trainer.get_by_text(re.compile(r"Epoch [3-9]\d*/50")).wait_for(timeout=600_000)
    took = victim.stop()  # SIGTERM, as docker stop or systemd does
    assert not victim.running
    # the page notices and reconnects through nginx, which now sends its cookie to the survivor.
    # The survivor has no session for it (Streamlit keeps sessions in process memory), so the
    # page's fragments are unknown there until the page runs once: the user's next click on the
    # page (here the test index's "+") runs it on the survivor, then the slider works again.
    level = re.compile(r"[?&]level=([^&]+)")
    old = (level.search(page.url) or [None, None])[1]
    thumb = page.get_by_test_id("stSlider").get_by_role("slider").first
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        try:
            step_up = page.get_by_test_id("stMain").get_by_test_id("stNumberInputStepUp")
            step_up.first.click(timeout=30_000)
            _browser.wait_idle(page, timeout_ms=30_000)
            thumb.focus()
            thumb.press("ArrowRight")
            page.wait_for_url(lambda u: (level.search(u) or [None, old])[1] != old, timeout=30_000)
            _browser.wait_idle(page, timeout_ms=30_000)
            break
        except Exception:  # noqa: BLE001 - still reconnecting
            assert time.monotonic() < deadline, c.logs()
    page.screenshot(path=str(SCREENS / "scale_out_after_failover.png"))
    assert _browser.exceptions(page) == 0, (
        page.get_by_test_id("stException").first.inner_text() + survivor.log()[-3000:])
    page.context.close()
    time.sleep(0.5)
    streams = [a for a in routed(c, route) if a["uri"] == "/_stcore/stream"]
    assert c.replica_at(streams[0]["upstream"]) is victim, streams
    assert c.replica_at(streams[-1]["upstream"]) is survivor, streams
    assert {r.id for r in store.list(owner)} == saved  # nothing saved was lost
    # the training cut short by the stop was kept, best epoch so far, marked interrupted
    [cut] = store.list(trainer_owner)
    assert (cut.name, cut.status) == ("Cut short", "interrupted"), cut
    trainer.context.close()
    assert c.replica_of(route) is survivor
    store.close()
    assert took < 10, f"the replica took {took:.1f} s to stop on SIGTERM (docker waits 10 s)"
