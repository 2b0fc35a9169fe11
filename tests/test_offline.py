"""Fully offline: every page renders and answers a widget with every outbound connection refused.

The socket layer is patched for the whole test: ``socket.socket.connect`` / ``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo`` refuse any address outside 127.0.0.0/8 and
::1 and *record* the attempt, so the test fails both when a page raises and when some code merely
tried to reach the network (a swallowed error would otherwise hide it).
"""
from __future__ import annotations

import ipaddress
import socket

import pytest

from conftest import open_page

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").split("%")[0]
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be a network access


@pytest.fixture
def no_network(monkeypatch):
    """Refuse and record every outbound connection; yields the list of attempts."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create, real_gai = socket.create_connection, socket.getaddrinfo

    def outbound(address) -> bool:
        # AF_UNIX addresses are paths (str/bytes); IP addresses are (host, port, ...) tuples
        return isinstance(address, tuple) and not _is_local(address[0])

    def refuse(what: str, address) -> None:
        attempts.append(f"{what} {address!r}")
        raise ConnectionRefusedError(f"offline test: outbound {what} to {address!r} refused")

    def connect(self, address):
        if outbound(address):
            refuse("connect", address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if outbound(address):
            refuse("connect_ex", address)
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        if outbound(address):
            refuse("create_connection", address)
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_local(host):
            attempts.append(f"getaddrinfo {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"offline test: lookup of {host!r} refused")
        return real_gai(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def test_the_patch_refuses_and_records_outbound_but_allows_loopback(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routable
    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 443)
    with socket.socket() as s, pytest.raises(OSError):
        s.connect(("8.8.8.8", 53))
    assert len(no_network) == 3, no_network
    # loopback still works: the app's own server and the browser tests talk over it
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    assert len(no_network) == 3


# page -> how to drive its main widget (one action each)
def _share_a_saved_model(at):
    """My models: a model saved for this browser, then shared (its QR code is made offline)."""
    from aecore.store import open_store
    from store_contract import tiny

    store = open_store()  # the test's temporary AE_DATA_DIR, as the app's
    try:
        store.save(at.session_state["_ae_owner"], *tiny(1), name="Offline model")
    finally:
        store.close()
    at.run()
    return at.button(key="my_share").click()


DRIVERS = {
    "home": lambda at: at.selectbox(key="home_model").select("zoo:ae_k2"),
    "reconstruct": lambda at: at.selectbox(key="rec_model").select("zoo:ae_k2"),
    "bottleneck": lambda at: at.select_slider(key="bot_k").set_value(
        at.select_slider(key="bot_k").options[0]),
    "denoise": lambda at: at.selectbox(key="den_kind").select("masking"),
    "latent": lambda at: at.slider(key="lat_z1_zoo:ae_k2").set_value(0.0),
    "generate": lambda at: at.slider(key="gen_count").set_value(8),
    "train": lambda at: at.selectbox(key="trn_type").select_index(1),
    "anomaly": lambda at: at.radio(key="ano_mode").set_value(at.radio(key="ano_mode").options[1]),
    "features": lambda at: at.multiselect(key="fea_ks").unselect(
        at.multiselect(key="fea_ks").value[0]),
    "types": lambda at: at.radio(key="typ_choice").set_value(at.radio(key="typ_choice").options[1]),
    "lesson": lambda at: at.button(key="les_next").click(),
    "my_models": _share_a_saved_model,
    "hood": lambda at: at.selectbox(key="hood_model").select("zoo:dae_conv"),
    "compare": lambda at: at.multiselect(key="cmp_models").unselect("zoo:vae_k20"),
    "photo": lambda at: at.number_input(key="photo_seed").set_value(1),
    "my_data": lambda at: at.selectbox(key="mds_side").set_value(at.selectbox(key="mds_side").options[1]),
    "tables": lambda at: at.radio(key="tab_src").set_value("bc"),
    "text": lambda at: at.slider(key="txt_t").set_value(0.2),
    "sound": lambda at: at.slider(key="snd_snr").set_value(10),
}


def _pages() -> list[str]:
    """Every page the router shows (the declarations in views/specs.py), Home first."""
    from views import specs
    return ["home"] + sorted(p.name for p in specs.PAGES if p.name != "home")


@pytest.mark.slow
@pytest.mark.parametrize("page", _pages())
def test_every_page_renders_and_works_offline(app, no_network, page):
    at = app.run() if page == "home" else open_page(app, page)
    assert not at.exception, [e.value for e in at.exception]
    assert page in DRIVERS, f"views/{page}.py has no offline driver: add one to DRIVERS"
    DRIVERS[page](at).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert no_network == [], f"{page} tried to reach the network: {no_network}"


# the page in a real browser with every request off the machine refused
@pytest.mark.browser
def test_the_live_map_works_in_a_browser_with_the_network_refused(live_server, page):
    """Every script and style comes from the app's own server (the live component's JavaScript
    is in the repository: ui/static/), and the map decodes under the pointer with every outbound
    request refused."""
    from benchmarks._browser import exceptions, wait_idle

    outside: list[tuple[str, str]] = []

    def route(r):
        host = r.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost") or r.request.url.startswith(("data:", "blob:")):
            return r.continue_()
        outside.append((r.request.resource_type, r.request.url))
        return r.abort("internetdisconnected")

    page.route("**/*", route)
    page.goto(f"{live_server}/latent")
    wait_idle(page)
    live = page.get_by_test_id("aeLiveMap")
    live.wait_for()
    page.wait_for_function("() => globalThis.__aeLive.stats.firstLiveAt !== null")
    box = live.bounding_box()
    before = page.evaluate("() => globalThis.__aeLive.stats.frames")
    for i in range(10):
        page.mouse.move(box["x"] + box["width"] * (0.1 + 0.08 * i), box["y"] + box["height"] / 2)
        page.wait_for_timeout(30)
    assert page.evaluate("() => globalThis.__aeLive.stats.frames") >= before + 5
    assert exceptions(page) == 0
    # nothing at all from outside: code, styles, fonts, data and images (the page icon is a file
    # of the repository: a Material page icon made the browser fetch its SVG from Google Fonts)
    assert outside == [], f"the page asked the network for: {outside}"
