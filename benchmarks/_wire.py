"""Times the Streamlit server at the wire: a TCP proxy between the browsers and the server that
reads the websocket traffic passing through and logs, for every rerun request, how long the
server took to answer it.

    python -m benchmarks._wire LISTEN_PORT SERVER_PORT LOG

Why a proxy: a timestamp taken inside Chromium (DevTools ``Network.webSocketFrame*`` events) is
taken on the page's renderer thread, so with twenty renderers sharing two cores it counts the
renderer's own wait; one taken inside the server misses the time a message waits to be read. The
proxy runs in a process and scheduling group of its own and stamps each message as its bytes
arrive, like a packet capture: from a ``rerun_script`` request reaching the server's socket to
the ``script_finished`` message leaving it (a run that finished early because a newer request
interrupted it is not an answer). Every other byte (pages, media, uploads) is passed on as is.

Each answer is one JSON line in LOG: ``{"t": request time (time.monotonic() of this machine),
"ms": answer, "fragment": a fragment rerun (a widget inside an st.fragment), "auto": a timed
rerun the page asked for by itself (st.fragment(run_every=...))}``.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, TextIO

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks._browser import ROOT, START_TIMEOUT_S, free_port, stop

BINARY = 0x2  # websocket opcodes (RFC 6455 section 5.2); Streamlit's messages are binary
CONTINUATION = 0x0


class Frames:
    """Cuts one direction of a websocket connection into messages. Fed the bytes as they arrive
    (any split); returns each binary message once its last frame is complete. Client frames are
    masked (RFC 6455 5.3), server frames are not; control frames may come between fragments."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.parts: list[bytes] = []  # a fragmented binary message so far
        self.opcode = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            b0, b1 = self.buf[0], self.buf[1]
            n, at = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, at = int.from_bytes(self.buf[2:4], "big"), 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n, at = int.from_bytes(self.buf[2:10], "big"), 10
            mask = b""
            if b1 & 0x80:
                mask, at = bytes(self.buf[at:at + 4]), at + 4
            if len(self.buf) < at + n:
                break
            payload = bytes(self.buf[at:at + n])
            del self.buf[:at + n]
            if mask:  # XOR with the 4-byte key, done on one big integer (fast for big uploads)
                key = (mask * (n // 4 + 1))[:n]
                payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(
                    n, "big")
            opcode, fin = b0 & 0x0F, bool(b0 & 0x80)
            if opcode & 0x8:  # ping, pong, close: never part of a message
                continue
            if opcode != CONTINUATION:
                self.opcode, self.parts = opcode, []
            self.parts.append(payload)
            if fin:
                if self.opcode == BINARY:
                    out.append(b"".join(self.parts))
                self.parts = []
        return out


class Answers:
    """Pairs one connection's rerun requests with the server's answers."""

    def __init__(self, write: Callable[[dict], None], clock: Callable[[], float] = time.monotonic):
        self.write, self.clock = write, clock
        self.pending: list[dict] = []

    def from_browser(self, payload: bytes) -> None:
        msg = BackMsg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") == "rerun_script":
            rs = msg.rerun_script
            self.pending.append({"t": self.clock(), "fragment": bool(rs.fragment_id),
                                 "auto": rs.is_auto_rerun})

    def from_server(self, payload: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        if (msg.WhichOneof("type") != "script_finished"
                or msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN):
            return
        now = self.clock()
        # the run that finished saw every request so far (a request during a run interrupts it
        # or is folded into it), so it answers them all
        for req in self.pending:
            self.write({**req, "ms": round((now - req["t"]) * 1000, 2)})
        self.pending = []


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                on_data: Callable[[bytes], None]) -> None:
    try:
        while data := await reader.read(1 << 16):
            try:
                on_data(data)  # stamped before it is passed on
            except Exception:  # noqa: BLE001 - a message it cannot read is still passed on
                pass
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _head_end(buf: bytearray) -> int:
    """Where an HTTP head ends in ``buf`` (after its blank line), or -1 if it is incomplete."""
    i = buf.find(b"\r\n\r\n")
    return -1 if i < 0 else i + 4


class Connection:
    """One browser connection: bytes go both ways unchanged; if it is a websocket, its messages
    are read on the way (after the HTTP upgrade request and the server's 101 reply)."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.head_up, self.head_down = bytearray(), bytearray()
        self.websocket: bool | None = None  # unknown until the request's head is complete
        self.up, self.down = Frames(), Frames()
        self.down_open = False  # the 101 reply has passed

    def upstream(self, data: bytes) -> None:
        if self.websocket is None:
            self.head_up += data
            end = _head_end(self.head_up)
            if end < 0:
                return
            self.websocket = b"upgrade: websocket" in bytes(self.head_up[:end]).lower()
            data = bytes(self.head_up[end:])
        if self.websocket:
            for payload in self.up.feed(data):
                self.answers.from_browser(payload)

    def downstream(self, data: bytes) -> None:
        if not self.websocket:
            return
        if not self.down_open:
            self.head_down += data
            end = _head_end(self.head_down)
            if end < 0:
                return
            self.down_open, data = True, bytes(self.head_down[end:])
        for payload in self.down.feed(data):
            self.answers.from_server(payload)


async def serve(listen_port: int, server_port: int, log: TextIO) -> None:
    def write(record: dict) -> None:
        log.write(json.dumps(record) + "\n")
        log.flush()

    async def handle(c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", server_port)
        except OSError:
            c_writer.close()
            return
        conn = Connection(Answers(write))
        await asyncio.gather(_pipe(c_reader, s_writer, conn.upstream),
                             _pipe(s_reader, c_writer, conn.downstream))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def proxy(base: str, log: Path, timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """Runs this proxy in front of the server at ``base`` (http://127.0.0.1:PORT) and yields the
    proxy's base URL; answers go to ``log``. A new session gives the proxy a scheduling group of
    its own (Linux autogroups), so busy browsers do not delay its stamps."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks._wire", str(port),
                             base.rsplit(":", 1)[1], str(log)], cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the timing proxy did not start on port {port}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def answers(log: Path) -> list[dict]:
    """The answers a proxy logged (see the module docstring for the fields)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def main(argv: list[str]) -> None:
    listen_port, server_port, log = int(argv[0]), int(argv[1]), argv[2]
    with open(log, "w") as f:
        asyncio.run(serve(listen_port, server_port, f))


if __name__ == "__main__":
    main(sys.argv[1:])
