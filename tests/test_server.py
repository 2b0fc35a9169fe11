"""server.py serves Streamlit's own front-end files from memory, byte for byte, and hands every
other request to Streamlit untouched."""
from __future__ import annotations

import asyncio

import pytest

import server


def _call(path: str, method: str = "GET", headers=()) -> tuple[list[dict], list[str]]:
    sent, passed = [], []

    async def app(scope, receive, send):  # Streamlit, as the middleware sees it
        passed.append(scope["path"])

    async def send(message):
        sent.append(message)

    mw = server.StaticFromMemory(app)
    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    asyncio.run(mw(scope, None, send))
    return sent, passed


def _chunk() -> str:
    return next(server.STATIC_DIR.glob("js/protobuf.*.js")).name


def test_a_front_end_file_is_served_whole_with_streamlits_cache_header():
    name = _chunk()
    sent, passed = _call(f"/static/js/{name}")
    assert passed == []
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 200 and b"javascript" in headers[b"content-type"]
    assert headers[b"cache-control"] == b"public, immutable, max-age=31536000"
    assert body["body"] == (server.STATIC_DIR / "js" / name).read_bytes()
    assert int(headers[b"content-length"]) == len(body["body"])
    # under a proxy's base path too
    assert _call(f"/ae/static/js/{name}")[0][1]["body"] == body["body"]


@pytest.mark.parametrize("path", [
    "/static/js/no-such-chunk.js",        # unknown: Streamlit answers (its index.html fallback)
    "/static/js/..",                       # no walking out of the folder
    "/static/js/.hidden.js",
    "/static/js/a/../../index.html",
    "/static/../static/js/x.js",
    "/_stcore/health",
    "/latent",
])
def test_anything_else_goes_to_streamlit(path):
    sent, passed = _call(path)
    assert sent == [] and passed == [path]


def test_a_range_request_or_another_method_goes_to_streamlit():
    path = f"/static/js/{_chunk()}"
    assert _call(path, headers=[(b"range", b"bytes=0-9")]) == ([], [path])
    assert _call(path, method="HEAD") == ([], [path])


@pytest.mark.browser
def test_the_running_app_serves_its_chunks_from_memory(live_server):
    import urllib.request

    name = _chunk()
    with urllib.request.urlopen(f"{live_server}/static/js/{name}") as r:
        body, headers = r.read(), r.headers
    assert body == (server.STATIC_DIR / "js" / name).read_bytes()
    assert headers["cache-control"] == "public, immutable, max-age=31536000"
    assert "etag" not in headers  # Streamlit's own file handler would add one: ours answered
    with urllib.request.urlopen(f"{live_server}/_stcore/health") as r:
        assert r.status == 200  # and the rest is Streamlit's


def _accepted_nodelay(listener) -> int:
    """TCP_NODELAY of a connection that an asyncio server on ``listener`` accepted, as uvicorn
    serves on the socket ``streamlit run`` binds."""
    import socket

    async def main() -> int:
        loop = asyncio.get_running_loop()
        seen = loop.create_future()

        class Record(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        srv = await loop.create_server(Record, sock=listener)
        async with srv:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            flag = await asyncio.wait_for(seen, 10)
            writer.close()
        return flag

    return asyncio.run(main())


def test_connections_accepted_on_a_socket_bound_like_streamlits_have_nagle_off():
    # Streamlit binds socket.socket(family): proto 0, which asyncio alone leaves with Nagle on,
    # and each kept-alive response after the first then waits ~40 ms for the browser's ACK
    import socket

    assert server.nodelay_on_every_tcp_socket()  # applied when server.py was imported
    listener = socket.socket(socket.AF_INET)
    assert listener.proto == 0
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    assert _accepted_nodelay(listener) != 0
