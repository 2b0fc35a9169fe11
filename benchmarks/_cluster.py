"""The app as a small cluster on loopback: PostgreSQL, N Streamlit replicas and nginx in front,
as deploy/compose.yaml runs it, with real processes and no container runtime.

    with _cluster.cluster(replicas=2) as c:
        c.url                    # nginx, http://127.0.0.1:PORT
        c.replicas[0].url        # one replica directly
        c.replica_of(cookie)     # which replica nginx sends the ae_route cookie ``cookie`` to
        c.replicas[1].stop()     # SIGTERM one replica (nginx takes it out)

Used by tests/test_scale_out.py and benchmarks/load.py ``--through-nginx``. Pieces:

- :class:`Postgres`: ``initdb`` and ``pg_ctl`` in a temporary folder on a free port, with
  deploy/postgres/postgresql.conf included and aecore/store/postgres.sql applied to database
  ``ae`` (as the postgres image's entrypoint does). As root, PostgreSQL refuses to run, so its
  commands run as the ``postgres`` user (Debian's package creates it) through ``runuser``.
- :class:`Replica`: ``streamlit run server.py`` on its own port with ``AE_DATABASE_URL``, a shared
  ``AE_DATA_DIR`` and one cookie secret for all replicas.
- :class:`Nginx`: Debian's nginx in the foreground (``daemon off``) with the project's own
  deploy/nginx.conf, rewritten by :func:`render_nginx_conf`: the ``server`` lines of its one
  ``upstream`` block point at the replicas' ports, it listens on a free loopback port, and pid,
  logs and temporary folders go under the cluster's folder. Two test-only additions: an access
  log of the route key and the upstream each request went to, and an ``X-AE-Upstream`` response
  header (which replica answered).

Every process is ended by its pid (SIGTERM, then SIGKILL), the folder removed, even when
start-up fails half way.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from benchmarks._browser import (ROOT, START_TIMEOUT_S, _healthy, free_port, start_streamlit,
                                 stop, wait_healthy)

PG_BIN = Path(os.environ.get("AE_PG_BIN", "/usr/lib/postgresql/15/bin"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
PG_CONF = ROOT / "deploy" / "postgres" / "postgresql.conf"
PG_INIT = ROOT / "aecore" / "store" / "postgres.sql"  # the schema every replica runs
ROUTE_COOKIE = "ae_route"  # the affinity cookie nginx sets (deploy/nginx.conf)
COOKIE_SECRET = "ae-explorer-test-cluster-secret"  # the same on every replica, as compose sets it


def missing() -> str | None:
    """Why the cluster cannot run here (a reason for ``pytest.skip``), or None when it can."""
    if not Path(NGINX).exists():
        return "no nginx (apt-get install nginx; .ci/run does)"
    return missing_postgres()


def missing_postgres() -> str | None:
    """Why a throwaway PostgreSQL cannot run here, or None when it can."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return (f"no PostgreSQL server binaries in {PG_BIN} (apt-get install postgresql-15; "
                ".ci/run does; AE_PG_BIN points elsewhere)")
    if os.geteuid() == 0 and not _pg_user():
        return "running as root and there is no 'postgres' user to run PostgreSQL as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (requirements.txt: psycopg[binary])"
    return None


def _pg_user() -> str | None:
    """The user PostgreSQL runs as when we are root (it refuses root), else None."""
    for name in ("postgres",):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    return None


def _end(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM ``pid`` (not our child), then SIGKILL if it is still there after ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# PostgreSQL


class Postgres:
    """A throwaway PostgreSQL 15 cluster in ``folder`` on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.pid: int | None = None
        self.opts = ""
        self.user = _pg_user() if os.geteuid() == 0 else None
        self.url = f"postgresql://ae@127.0.0.1:{self.port}/ae"

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> None:
        cmd = [str(a) for a in args]
        if self.user:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", self.user, "--"] + cmd
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-800:]}")

    def start(self) -> str:
        """initdb, start, create database ``ae`` and apply the schema (PG_INIT); returns the URL."""
        self.data.mkdir(parents=True)
        if self.user:
            # the postgres user reaches its folder through ours: let it traverse our temporary
            # folders (only those under the system's temporary folder, never a home folder)
            tmp = Path(tempfile.gettempdir()).resolve()
            for p in [self.folder.resolve(), *self.folder.resolve().parents]:
                if p == tmp or tmp not in p.parents:
                    break
                if p.stat().st_uid == os.geteuid():
                    p.chmod(p.stat().st_mode | 0o011)
            shutil.chown(self.data, self.user)
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "ae", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"\ninclude '{PG_CONF}'\n")
        # command-line settings win over the included file: this port, loopback only, the
        # socket in our folder (not /var/run/postgresql), and no fsync (a test's cluster)
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off "
                "-c shared_buffers=64MB -c max_connections=60")
        self.opts = opts
        self._pg_ctl("start")
        import psycopg
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE ae")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(PG_INIT.read_text())
        return self.url

    def _pg_ctl(self, action: str) -> None:
        # -l: the server's output goes to its log file, never to our pipe (or run() would wait
        # for the server to exit)
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-o",
                  self.opts, "-m", "fast", "-w", "-t", str(int(START_TIMEOUT_S)), action,
                  timeout=START_TIMEOUT_S + 30)  # hang guards: a busy machine starts slowly
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def restart(self) -> None:
        """Stop (fast: every connection is cut) and start again on the same port."""
        self._pg_ctl("restart")

    def stop(self) -> None:
        """pg_ctl stop (fast), then the postmaster's pid is ended if it is still there."""
        if self.pid is None:
            return
        with contextlib.suppress(Exception):
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "20", "stop",
                      timeout=30)
        _end(self.pid)
        self.pid = None

    def log(self) -> str:
        p = self.data / "server.log"
        return p.read_text(errors="replace") if p.exists() else ""


# app replicas


@dataclass
class Replica:
    """One ``streamlit run server.py`` on ``port``; ``env`` is added to this process's."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        self.proc = start_streamlit(self.port, "server.py", self.env, self.log_path)

    def healthy(self) -> bool:
        return _healthy(self.url)

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        if self.proc is None:
            raise RuntimeError(f"replica {self.name} was never started")
        wait_healthy(self.proc, self.url, timeout, f"replica {self.name}", self.log_path)

    def stop(self) -> float:
        """SIGTERM (then SIGKILL after 15 s), as a service manager stops it; seconds it took."""
        t0 = time.monotonic()
        if self.proc is not None and self.proc.poll() is None:
            stop(self.proc)
        return time.monotonic() - t0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# nginx


UPSTREAM_RE = re.compile(r"(upstream\s+app\s*\{)(.*?)(\n\s*\})", re.S)
SERVER_LINE_RE = re.compile(r"^(\s*)server\s+\S+(.*?);[^\n]*$", re.M)
ACCESS_FORMAT = "$ae_route $upstream_addr $status $request_method $uri"


def render_nginx_conf(text: str, ports: list[int], listen: int, prefix: Path,
                      tls_dir: Path | None = None) -> str:
    """deploy/nginx.conf for a cluster on loopback: the one ``upstream app`` block's ``server``
    line becomes one line per port (its parameters, max_fails and fail_timeout, kept), the
    app's ``listen 443 ssl`` goes to a loopback port (plain HTTP, the TLS lines and the port-80
    redirect server dropped; with ``tls_dir``, still TLS with ``tls_dir``'s fullchain.pem and
    privkey.pem), pid/logs/temporary files under ``prefix``, one worker, plus the test-only
    access log and ``X-AE-Upstream`` header. Raises ValueError if the file no longer has the
    shape this relies on (one upstream block, one server line, one listen)."""
    m = UPSTREAM_RE.search(text)
    if not m:
        raise ValueError("deploy/nginx.conf has no `upstream app { ... }` block")
    lines = SERVER_LINE_RE.findall(m.group(2))
    if len(lines) != 1:
        raise ValueError("the upstream block must have exactly one `server` line to template")
    indent, params = lines[0]
    servers = "\n".join(f"{indent}server 127.0.0.1:{p}{params};" for p in ports)
    body = SERVER_LINE_RE.sub(lambda _: servers, m.group(2), count=1)
    text = text[:m.start(2)] + body + text[m.end(2):]
    text = re.sub(r"\n\s*server\s*\{\s*listen\s+80\s*;[^{}]*\}", "", text, count=1)  # redirect
    ssl = " ssl" if tls_dir else ""
    text, n = re.subn(r"^(\s*)listen\s+443\s+ssl\s*;", rf"\g<1>listen 127.0.0.1:{listen}{ssl};",
                      text, flags=re.M)
    if n != 1:
        raise ValueError("deploy/nginx.conf must have one `listen 443 ssl;`")
    if tls_dir:
        text = re.sub(r"/etc/nginx/tls/", f"{tls_dir}/", text)
    else:
        text = re.sub(r"^\s*(ssl_\w+|add_header Strict-Transport-Security)[^\n]*\n", "", text,
                      flags=re.M)
        text = text.replace('; Secure"', '"')  # the route cookie over plain HTTP
    text = re.sub(r"^pid\s+[^;]+;", f"pid {prefix}/nginx.pid;", text, flags=re.M)
    text = re.sub(r"^error_log\s+[^;]+;", f"error_log {prefix}/error.log info;", text, flags=re.M)
    text = re.sub(r"^worker_processes\s+[^;]+;", "worker_processes 1;", text, flags=re.M)
    extra = (f"\n    log_format routed '{ACCESS_FORMAT}';"
             f"\n    access_log {prefix}/access.log routed;"
             + "".join(f"\n    {kind}_temp_path {prefix}/{kind}_temp;"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")))
    text = re.sub(r"^\s*access_log\s+off;", "", text, count=1, flags=re.M)
    text = re.sub(r"^http\s*\{", lambda mm: mm.group(0) + extra, text, count=1, flags=re.M)
    text = re.sub(r"^(\s*)(add_header Set-Cookie[^\n]*)$",
                  r"\1\2\n\1add_header X-AE-Upstream $upstream_addr always;", text, count=1,
                  flags=re.M)
    if os.geteuid() == 0:  # workers as root can write the temporary folders under /tmp
        text = "user root;\n" + text
    return text


class Nginx:
    """nginx in the foreground with deploy/nginx.conf rendered for ``ports``."""

    def __init__(self, folder: Path, ports: list[int]) -> None:
        self.folder, self.ports = folder, ports
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.conf = folder / "nginx.conf"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render_nginx_conf(NGINX_CONF.read_text(), self.ports, self.port,
                                               self.folder))
        self.proc = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(self.conf),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=open(self.folder / "stderr.log", "w"))
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).close()
                return
            except urllib.error.HTTPError:  # nginx answers (a replica may still be starting)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: "
                                       + (self.folder / "stderr.log").read_text()[-1000:]
                                       + self.error_log()[-1000:])
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)  # SIGTERM: fast shutdown of nginx and its workers
            self.proc = None

    def error_log(self) -> str:
        p = self.folder / "error.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def access(self) -> list[dict]:
        """The access log: ``{"route", "upstream", "status", "method", "uri"}`` per request
        (``upstream`` lists every replica tried, comma-separated, when one failed first)."""
        p = self.folder / "access.log"
        out = []
        for line in (p.read_text().splitlines() if p.exists() else []):
            parts = line.split(" ", 4)
            if len(parts) == 5:
                out.append(dict(zip(("route", "upstream", "status", "method", "uri"), parts)))
        return out


# the whole cluster


@dataclass
class Cluster:
    folder: Path
    postgres: Postgres
    replicas: list[Replica]
    nginx: Nginx
    data_dir: Path

    @property
    def url(self) -> str:
        return self.nginx.url

    @property
    def database_url(self) -> str:
        return self.postgres.url

    def replica_at(self, upstream: str) -> Replica | None:
        """The replica an ``$upstream_addr`` (127.0.0.1:PORT; the last one when nginx tried
        several) belongs to."""
        last = upstream.split(",")[-1].strip()
        return next((r for r in self.replicas if last == f"127.0.0.1:{r.port}"), None)

    def replica_of(self, route: str) -> Replica | None:
        """The replica nginx routes the affinity cookie value ``route`` to right now (asked
        with a health request carrying that cookie)."""
        req = urllib.request.Request(f"{self.url}/_stcore/health",
                                     headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return self.replica_at(r.headers.get("X-AE-Upstream", ""))
        except urllib.error.HTTPError as exc:
            return self.replica_at(exc.headers.get("X-AE-Upstream", ""))

    def route_to(self, replica: Replica, tries: int = 200) -> str:
        """An affinity cookie value that nginx routes to ``replica`` (found by trying random
        ones: with N replicas about one in N does)."""
        import secrets
        for _ in range(tries):
            route = secrets.token_hex(16)
            if self.replica_of(route) is replica:
                return route
        raise RuntimeError(f"no route to replica {replica.name} found in {tries} tries")

    def logs(self) -> str:
        """Every process's log tail, for a failing test's message."""
        parts = [f"--- {r.name} ---\n{r.log()[-3000:]}" for r in self.replicas]
        parts.append(f"--- nginx ---\n{self.nginx.error_log()[-2000:]}")
        parts.append(f"--- postgres ---\n{self.postgres.log()[-2000:]}")
        return "\n".join(parts)


@contextlib.contextmanager
def cluster(replicas: int = 2, env: Mapping[str, str] | None = None,
            folder: Path | None = None, keep: bool = False) -> Iterator[Cluster]:
    """PostgreSQL, ``replicas`` app processes sharing it and one AE_DATA_DIR, nginx in front.

    ``env`` adds variables to every replica (e.g. ``AE_MAX_TRAININGS``). Everything runs under
    ``folder`` (a new temporary folder by default, removed after unless ``keep``); replica logs
    are ``folder/replica-N.log``. Raises RuntimeError when a piece does not start.
    """
    reason = missing()
    if reason:
        raise RuntimeError(f"cannot run the cluster: {reason}")
    made = folder is None
    folder = Path(tempfile.mkdtemp(prefix="ae-cluster-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    pg = Postgres(folder / "pg")
    data_dir = folder / "data"
    reps = [Replica(f"r{i}", free_port(), {}, folder / f"replica-{i}.log") for i in range(replicas)]
    ngx = Nginx(folder / "nginx", [r.port for r in reps])
    c = Cluster(folder, pg, reps, ngx, data_dir)
    try:
        (folder / "pg").mkdir()
        url = pg.start()
        for r in reps:
            r.env = {"AE_DATABASE_URL": url, "AE_DATA_DIR": str(data_dir),
                     "STREAMLIT_SERVER_COOKIE_SECRET": COOKIE_SECRET, **(env or {})}
            r.start()
        for r in reps:
            r.wait_healthy()
        ngx.start()
        yield c
    finally:
        ngx.stop()
        for r in reps:
            r.stop()
        pg.stop()
        if made and not keep:
            shutil.rmtree(folder, ignore_errors=True)
