"""The web server: Streamlit's ASGI app (``st.App``) over ``app.py``, with a start-up hook.

    streamlit run server.py          # what `make run` and the Docker image start

``streamlit run`` finds the ``st.App`` below and serves ``app.py`` with uvicorn, as it would serve
``app.py`` itself; the difference is the lifespan. Its start runs once, before the first browser
connects: :mod:`startup.warmup` imports the frame's modules, then, once the first page has been
drawn, torch and what the other pages declare they load (``views/specs.py``), on a helper thread,
while the server answers (docs/STARTUP.md). Without it the first browser waited for
``import torch`` inside its first script run, and a click on any other page for what it loads.
Its end runs when the server stops and saves the running trainings.

``app.py`` still runs alone (``streamlit run app.py``, AppTest): then nothing is warmed ahead.
"""
from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware  # Streamlit's own server brings it

from startup import warmup


def nodelay_on_every_tcp_socket() -> bool:
    """Make asyncio switch Nagle's algorithm off (``TCP_NODELAY``) on every TCP connection this
    server accepts, as it means to; returns False where this Python has no hook for it.

    Why: ``streamlit run`` binds its listening socket itself, as ``socket.socket(family)``, whose
    ``proto`` is 0; accepted connections inherit it, and asyncio sets ``TCP_NODELAY`` only where
    ``proto`` is ``IPPROTO_TCP`` (the same fault as uvicorn's issue #3149). With Nagle on, each
    response on a kept-alive connection after the first waited for the browser's delayed ACK,
    and a page with 50 images waited on each of them (benchmarks/startup.py; ``AE_TCP_NAGLE=1``
    leaves Nagle on, to compare).
    Applied before uvicorn accepts its first connection: ``streamlit run`` imports this module
    first. A stream socket of the internet families is TCP whatever its ``proto`` says.
    """
    from asyncio import base_events

    original = getattr(base_events, "_set_nodelay", None)
    if original is None or getattr(original, "ae_any_proto", False):
        return original is not None

    def set_nodelay(sock: socket.socket) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            original(sock)

    set_nodelay.ae_any_proto = True
    base_events._set_nodelay = set_nodelay
    return True


if not os.environ.get("AE_TCP_NAGLE"):  # AE_TCP_NAGLE=1 leaves Streamlit's sockets as they are
    nodelay_on_every_tcp_socket()              # (to compare the two)

STATIC_DIR = Path(st.__file__).parent / "static" / "static"  # Streamlit's js/, css/, media/
_ASSET = re.compile(r"/static/(js|css|media)/([A-Za-z0-9_\-][A-Za-z0-9_.\-]*)$")
_IMMUTABLE = b"public, immutable, max-age=31536000"  # as Streamlit marks them: hashed names


class StaticFromMemory:
    """Serve Streamlit's own front-end files (``static/js``, ``css``, ``media``: names that carry
    a hash, so never changed in place) from memory, each in one piece; anything else goes on to
    Streamlit untouched.

    Why: Streamlit's file handler streams each file in 64 kB reads, each one a hop to a worker
    thread and back to the event loop, and a first page needs about 60 such files: the browser
    sat idle waiting for them (benchmarks/startup.py; ``AE_STATIC_FROM_DISK=1`` to compare). Kept
    here, a file is read once (at most Streamlit's 25 MB of
    files, in practice the few MB the pages use). The name is matched against a strict pattern
    (no separators, no leading dot) before any path is built.
    """

    def __init__(self, app) -> None:
        self.app = app
        self._files: dict[tuple[str, str], tuple[bytes, bytes]] = {}  # only files that exist

    def _file(self, kind: str, name: str) -> tuple[bytes, bytes] | None:
        # a miss is not kept: the names a client may ask for are unbounded, the files are not
        key = (kind, name)
        if key not in self._files:
            path = STATIC_DIR / kind / name
            try:
                if not path.is_file():
                    return None
                body = path.read_bytes()
            except OSError:
                return None
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            self._files[key] = (body, ctype.encode())
        return self._files[key]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" \
                and (m := _ASSET.search(scope["path"])) \
                and not any(k == b"range" for k, _ in scope.get("headers", ())):
            found = self._file(m.group(1), m.group(2))
            if found is not None:
                body, ctype = found
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                    (b"cache-control", _IMMUTABLE)]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


OWNER_COOKIE = "ae_owner"           # ui/owner.py reads it from the websocket's handshake
OWNER_MAX_AGE_S = 400 * 86400       # browsers cap a cookie's lifetime at 400 days
_NO_COOKIE_PATHS = ("/_stcore/health", "/_stcore/host-config", "/static/")  # probes, assets


class OwnerCookie:
    """Give a browser without a valid ``ae_owner`` cookie one, set by the server on its first
    response: ``HttpOnly`` (no page script can read the bearer token), ``SameSite=Lax``, and
    ``Secure`` when the browser came over https (directly or, per ``X-Forwarded-Proto``,
    through the TLS proxy of deploy/). The page's websocket then carries it, and every session
    of that browser has the same owner. The token is :func:`aecore.store.new_id` (192 bits)."""

    def __init__(self, app) -> None:
        self.app = app

    @staticmethod
    def _header(scope, name: bytes) -> str:
        return next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name), "")

    def _has_token(self, scope) -> bool:
        from aecore.store import is_valid_id  # torch-free
        jar = self._header(scope, b"cookie")
        return any(is_valid_id(part.strip().partition("=")[2]) for part in jar.split(";")
                   if part.strip().startswith(OWNER_COOKIE + "="))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NO_COOKIE_PATHS) \
                or self._has_token(scope):
            await self.app(scope, receive, send)
            return
        from aecore.store import new_id
        https = scope.get("scheme") == "https" \
            or self._header(scope, b"x-forwarded-proto").split(",")[0].strip() == "https"
        cookie = (f"{OWNER_COOKIE}={new_id()}; Max-Age={OWNER_MAX_AGE_S}; Path=/; HttpOnly; "
                  f"SameSite=Lax{'; Secure' if https else ''}").encode()

        async def send_with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"set-cookie", cookie)]}
            await send(message)
        await self.app(scope, receive, send_with_cookie)


@asynccontextmanager
async def lifespan(_app):
    warmup.start()
    yield
    # the server is stopping (SIGTERM from docker stop or systemd, Ctrl+C): running trainings keep
    # their best epoch in the model library, marked "interrupted", before the process may end.
    # Uvicorn ends the process by re-raising the signal once its shutdown is over, so the saving
    # happens here, inside that shutdown; aecore.shutdown's handler still bounds the whole stop.
    # Imported here: at the top they would import torch before the server answers.
    from aecore import jobs, shutdown
    await asyncio.to_thread(jobs.stop_manager, shutdown.BUDGET_S - 0.8)


# AE_STATIC_FROM_DISK=1 leaves Streamlit's own file handler on (to compare the two)
_MIDDLEWARE = [Middleware(OwnerCookie)] + (
    [] if os.environ.get("AE_STATIC_FROM_DISK") else [Middleware(StaticFromMemory)])
app = st.App("app.py", lifespan=lifespan, middleware=_MIDDLEWARE)
