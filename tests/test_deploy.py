"""The deploy/ folder is valid as written: the compose file against the Compose Specification's
JSON schema (vendored in deploy/schema/, since no Docker engine or compose plugin runs here;
``docker compose config`` too where the plugin exists), nginx's config through ``nginx -t``
once its upstreams point at real ports, and the files each one refers to exist.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks import _cluster

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def schema_errors(doc: dict) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_compose_file_is_valid_against_the_compose_spec_schema():
    assert schema_errors(compose()) == []


def test_the_schema_check_catches_a_broken_compose_file():
    doc = compose()
    bad = copy.deepcopy(doc)
    bad["services"]["app"]["deploy"]["replicas"] = "two"
    assert any("replicas" in e for e in schema_errors(bad))
    bad = copy.deepcopy(doc)
    bad["services"]["nginx"]["ports"] = [{"target": "eighty"}]
    assert schema_errors(bad)
    bad = copy.deepcopy(doc)
    bad["services"]["app"]["helthcheck"] = bad["services"]["app"].pop("healthcheck")
    assert schema_errors(bad)


@pytest.mark.skipif(subprocess.run(["docker", "compose", "version"], capture_output=True).returncode
                    if shutil.which("docker") else True,
                    reason="no docker compose plugin here (the schema test above checks the file)")
def test_docker_compose_config_accepts_the_file():
    done = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_compose_runs_replicas_behind_nginx_with_postgres():
    doc = compose()
    app, nginx, db = (doc["services"][s] for s in ("app", "nginx", "db"))
    assert app["deploy"]["replicas"] >= 2
    assert "/_stcore/health" in " ".join(app["healthcheck"]["test"])
    env = app["environment"]
    assert env["AE_DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["AE_DATABASE_URL"]
    assert "AE_MAX_TRAININGS" in env and "STREAMLIT_SERVER_COOKIE_SECRET" in env
    assert "ports" not in app  # only nginx is reachable from outside
    assert any(v.startswith("./nginx.conf:/etc/nginx/nginx.conf") for v in nginx["volumes"])
    assert nginx["depends_on"]["app"]["condition"] == "service_healthy"
    mounts = " ".join(db["volumes"])
    assert "../aecore/store/postgres.sql:/docker-entrypoint-initdb.d/" in mounts  # the app's schema
    assert "./postgres/postgresql.conf:" in mounts
    # every file the compose file mounts or builds from exists (paths relative to deploy/)
    for v in nginx["volumes"] + db["volumes"]:
        src = v.split(":")[0]
        if src.startswith("."):
            assert (DEPLOY / src).exists(), src
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).exists()


def test_dockerfile_installs_cpu_torch_and_copies_what_the_app_imports():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "download.pytorch.org/whl/cpu" in text and "requirements.txt" in text
    copied = set(re.findall(r"^COPY\s+(\S+)", text, re.M))
    for needed in ("app.py", "server.py", "aecore", "ui", "views", "data", "pretrained", ".streamlit"):
        assert needed in copied, needed
    # every top-level package the entry files import is copied
    imported = {m for entry in ("app.py", "server.py") for m in re.findall(
        r"^(?:from|import)\s+(\w+)", (ROOT / entry).read_text(), re.M)}
    local = {p for p in imported if (ROOT / p).is_dir() or (ROOT / f"{p}.py").exists()}
    assert local <= copied, local - copied
    assert "/_stcore/health" in text
    # the CPU wheels are asked for with requirements.txt's own ranges (else pip would replace
    # them with PyPI's CUDA build when the rest of requirements.txt is installed)
    req = (ROOT / "requirements.txt").read_text()
    for pkg in ("torch", "torchvision"):
        m = re.search(rf"^{pkg}([<>=!,.\d]+)\s*$", req, re.M)
        if m:
            assert f'"{pkg}{m.group(1)}"' in text, (pkg, m.group(1))


def test_nginx_conf_has_affinity_websockets_and_passive_health():
    conf = _cluster.NGINX_CONF.read_text()
    code = "\n".join(line.split("#")[0] for line in conf.splitlines())  # comments out
    assert re.search(r"hash\s+\$ae_route\s+consistent;", code)
    assert "ip_hash" not in code
    assert re.search(r"map \$cookie_ae_route \$ae_route \{[^}]*\"\"\s+\$request_id;", code)
    assert re.search(r"add_header Set-Cookie \$ae_route_cookie", code)
    stream = re.search(r"location /_stcore/stream \{(.*?)\}", code, re.S).group(1)
    assert "proxy_set_header Upgrade $http_upgrade" in stream
    assert "proxy_set_header Connection $connection_upgrade" in stream
    assert re.search(r"proxy_read_timeout\s+1h", stream)  # a lesson, not a day
    assert re.search(r"server app:8501 max_fails=\d+ fail_timeout=\d+s;", code)
    assert re.search(r"proxy_next_upstream error timeout http_502 http_503", code)
    assert "proxy_http_version 1.1" in code


def test_rendered_nginx_conf_passes_nginx_t(tmp_path):
    if not Path(_cluster.NGINX).exists():
        pytest.skip("no nginx (apt-get install nginx; .ci/run does)")
    text = _cluster.render_nginx_conf(_cluster.NGINX_CONF.read_text(), [18501, 18502], 18080,
                                      tmp_path)
    assert text.count("server 127.0.0.1:1850") == 2 and "server app:8501" not in text
    assert "max_fails=1 fail_timeout=15s" in text and "listen 127.0.0.1:18080;" in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    done = subprocess.run([_cluster.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_render_refuses_a_conf_it_cannot_template(tmp_path):
    with pytest.raises(ValueError, match="upstream"):
        _cluster.render_nginx_conf("http { server { listen 80; } }", [1], 2, tmp_path)
    two = _cluster.NGINX_CONF.read_text().replace(
        "server app:8501", "server a:1 max_fails=1;\n        server app:8501")
    with pytest.raises(ValueError, match="exactly one"):
        _cluster.render_nginx_conf(two, [1], 2, tmp_path)


# hostile clients (issue 29)


def test_compose_refuses_to_start_without_its_secrets():
    """`change-me` passwords were the fallback; now compose stops with a message instead."""
    text = (DEPLOY / "compose.yaml").read_text()
    assert "change-me" not in text
    for var in ("AE_DB_PASSWORD", "AE_COOKIE_SECRET", "AE_TLS_DIR"):
        uses = re.findall(r"\$\{" + var + r"(:?[?-])?", text)
        assert uses and all(u == ":?" for u in uses), (var, uses)


def test_the_app_container_is_read_only_without_capabilities():
    doc = compose()
    app, nginx = doc["services"]["app"], doc["services"]["nginx"]
    assert app["read_only"] is True and app["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in app["security_opt"] and "/tmp" in app["tmpfs"]
    assert app["environment"]["AE_BEHIND_PROXY"] == "1"  # X-Real-IP is nginx's, not the client's
    assert nginx["read_only"] is True and nginx["cap_drop"] == ["ALL"]
    assert any(v.endswith(":/etc/nginx/tls:ro") for v in nginx["volumes"])


def test_nginx_serves_tls_redirects_http_and_limits_each_client():
    code = "\n".join(line.split("#")[0] for line in _cluster.NGINX_CONF.read_text().splitlines())
    plain = re.search(r"server \{\s*listen 80;(.*?)\}", code, re.S).group(1)
    assert re.search(r"return 301 https://\$host\$request_uri;", plain)
    assert "proxy_pass" not in plain  # port 80 serves nothing but the redirect
    assert "listen 443 ssl;" in code and "ssl_certificate /etc/nginx/tls/fullchain.pem;" in code
    assert re.search(r"limit_req_zone \$binary_remote_addr zone=ae_req:\w+ rate=\d+r/s;", code)
    assert re.search(r"limit_req zone=ae_req burst=\d+", code)
    assert re.search(r"limit_conn ae_conn \d+;", code)
    assert re.search(r"client_max_body_size 1m;", code)  # only uploads may send more
    upload = re.search(r"location /_stcore/upload_file \{(.*?)\}", code, re.S).group(1)
    assert "client_max_body_size 21m" in upload
    assert re.search(r"client_body_timeout \d+s;", code)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in code  # overwritten, not appended


def test_the_tls_config_passes_nginx_t(tmp_path):
    if not Path(_cluster.NGINX).exists() or not shutil.which("openssl"):
        pytest.skip("no nginx or openssl (apt-get install nginx openssl; .ci/run does)")
    tls = tmp_path / "tls"
    tls.mkdir()
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=localhost", "-keyout", str(tls / "privkey.pem"),
                           "-out", str(tls / "fullchain.pem")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = _cluster.render_nginx_conf(_cluster.NGINX_CONF.read_text(), [18501], 18443, tmp_path,
                                      tls_dir=tls)
    assert "listen 127.0.0.1:18443 ssl;" in text and f"{tls}/fullchain.pem" in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    done = subprocess.run([_cluster.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
