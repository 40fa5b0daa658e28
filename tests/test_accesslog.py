"""gunicorn.conf.py and its access log: no client addresses, no tokens, no query strings."""
import datetime as dt
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from cosign.accesslog import RedactingLogger, redact_path, request_path, scrub_text
from cosign.security import make_token

ROOT = Path(__file__).resolve().parent.parent
TOKEN = make_token("k", "confirm", [12, "contact@ngo.example.org"])
LINE = re.compile(r'^\[[^\]]+\] "(GET|POST|HEAD) (/[^"]*)" (\d{3}) (\d+|-) (\d+\.\d{3})s$')


@pytest.mark.parametrize("path, expected", [
    (f"/confirm/{TOKEN}", "/confirm/[token]"),
    (f"/withdraw/{TOKEN}", "/withdraw/[token]"),
    (f"/reconfirm/{TOKEN}", "/reconfirm/[token]"),
    ("/invitation/anything-at-all", "/invitation/[token]"),
    (f"/press/confirm/{TOKEN}", "/press/confirm/[token]"),
    (f"/press/unsubscribe/{TOKEN}", "/press/unsubscribe/[token]"),
    (f"/press/unsubscribe/{TOKEN}/undo", "/press/unsubscribe/[token]/undo"),
    (f"/some/new/route/{TOKEN}/x", "/some/new/route/[token]/x"),  # shaped like a signed token
    ("/s/free-the-journalists/sign", "/s/free-the-journalists/sign"),
    ("/verify/AB12-CD34", "/verify/AB12-CD34"),
    ("/", "/"),
    ("", "-"),
], ids=lambda value: value.replace(TOKEN, "TOKEN") if isinstance(value, str) else None)
def test_redact_path(path, expected):
    assert redact_path(path) == expected


def test_request_path_never_has_the_query():
    assert request_path({"PATH_INFO": "/confirm/x", "QUERY_STRING": "a=b",
                         "RAW_URI": "/confirm/x?a=b"}) == "/confirm/x"
    assert request_path({"RAW_URI": "/confirm/x?a=b#f"}) == "/confirm/x"
    assert request_path({"RAW_URI": "http://host/confirm/x?a=b"}) == "/confirm/x"


def test_scrub_text_for_the_error_log():
    text = scrub_text(f"Invalid request from ip=203.0.113.9: bad line 'GET /withdraw/{TOKEN}?k=v'")
    assert "203.0.113.9" not in text and TOKEN not in text and "k=v" not in text
    assert "/withdraw/[token]" in text and text.startswith("Invalid request from ip=-: bad")
    assert scrub_text("from ip=::1: x") == "from ip=-: x"
    assert scrub_text("Booting worker with pid: 12") == "Booting worker with pid: 12"


def test_access_line_fields():
    logger = RedactingLogger.__new__(RedactingLogger)
    resp = SimpleNamespace(status="200 OK", sent=1234)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/confirm/{TOKEN}",
               "QUERY_STRING": "utm=1", "REMOTE_ADDR": "198.51.100.7",
               "HTTP_USER_AGENT": "Agent", "HTTP_REFERER": "https://x.example/?q"}
    line = logger.access_line(resp, environ, dt.timedelta(microseconds=12_500))
    assert LINE.match(line), line
    assert '"GET /confirm/[token]" 200 1234 0.013s' in line
    for secret in ("198.51.100.7", TOKEN, "utm", "Agent", "x.example"):
        assert secret not in line


def test_access_line_refuses_log_injection():
    logger = RedactingLogger.__new__(RedactingLogger)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": '/a\n[fake] "GET /b" 200'}
    line = logger.access_line(SimpleNamespace(status="404 NOT FOUND", sent=0), environ,
                              dt.timedelta(0))
    assert "\n" not in line and LINE.match(line), line


def load_config(monkeypatch, **env):
    for name in ("BIND", "PORT", "HOST", "WEB_CONCURRENCY", "GUNICORN_ACCESSLOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_config_defaults_and_environment(monkeypatch):
    conf = load_config(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"]
    cpus = os.cpu_count()
    assert cpus is not None
    assert conf["workers"] == cpus * 2 + 1
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (60, 30, 5)
    assert conf["logger_class"] == "cosign.accesslog.RedactingLogger"
    assert conf["accesslog"] == "-" and conf["wsgi_app"] == "wsgi:app"
    assert conf["control_socket_disable"] is True  # one path per user: instances would clash
    if os.path.isdir("/dev/shm"):
        assert conf["worker_tmp_dir"] == "/dev/shm"
    conf = load_config(monkeypatch, PORT="9123", WEB_CONCURRENCY="3")
    assert conf["bind"] == ["127.0.0.1:9123"] and conf["workers"] == 3
    conf = load_config(monkeypatch, PORT="9123", BIND="0.0.0.0:80, unix:/run/c.sock")
    assert conf["bind"] == ["0.0.0.0:80", "unix:/run/c.sock"]
    assert load_config(monkeypatch, GUNICORN_ACCESSLOG="off")["accesslog"] is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> int:
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_gunicorn_access_log_has_no_ip_token_or_query(sqlite_template, tmp_path):
    database = tmp_path / "cosign.sqlite3"
    shutil.copy(sqlite_template, database)
    port = free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "SECRET_KEY": "a-long-random-key-for-this-gunicorn-test-only-0123456789",
           "COSIGN_STORAGE_DIR": str(tmp_path / "storage"), "COSIGN_DEV": "",
           "PORT": str(port), "WEB_CONCURRENCY": "1", "GUNICORN_ACCESSLOG": str(access),
           "COSIGN_SITE_URL": f"http://127.0.0.1:{port}"}
    env.pop("BIND", None)
    env.pop("REDIS_URL", None)
    env.pop("MAIL_SERVER", None)
    with open(errors, "wb") as error_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=error_file, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, errors.read_text()
                try:
                    if fetch(f"{base}/healthz") == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.1)
            token_urls = [f"/confirm/{TOKEN}?utm_source=mailquery",
                          f"/withdraw/{TOKEN}?secretquery=1",
                          f"/invitation/{TOKEN}?q=inviteequery"]
            for url in token_urls:
                assert fetch(base + url) < 500
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                # a malformed request line: gunicorn itself answers 400 and logs a warning
                raw.sendall(f"GET /withdraw/{TOKEN}?secretquery=2 HTTP/1.1 junk\r\n\r\n".encode())
                assert b" 400 " in raw.recv(1000)
        finally:
            server.terminate()
            server.wait(timeout=30)
    log = access.read_text()
    lines = log.splitlines()
    assert len(lines) >= 4, log
    for line in lines:
        assert LINE.match(line), line
    assert '"GET /confirm/[token]"' in log and '"GET /withdraw/[token]"' in log
    assert '"GET /invitation/[token]"' in log and '"GET /healthz" 200' in log
    for secret in ("127.0.0.1", TOKEN, TOKEN.split(".")[-1], "mailquery", "secretquery",
                   "inviteequery", "?"):
        assert secret not in log, secret
    error_log = errors.read_text()
    assert "Invalid request from ip=-:" in error_log, error_log
    for secret in (TOKEN, "mailquery", "secretquery", "ip=127.0.0.1"):
        assert secret not in error_log, secret
