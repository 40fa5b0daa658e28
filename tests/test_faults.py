"""Faults under a real gunicorn: a worker killed mid-request, SMTP down, Redis down, PostgreSQL
restarted.

Each test starts ``gunicorn -c gunicorn.conf.py wsgi:app`` (2 sync workers,
CSRF on, the app built from the environment as in production) against the
test's database and signs on over real sockets: a visitor loads the form
(session cookie + CSRF token), then posts it. What must hold whatever breaks:

* a sign-on answered 303 is in the database: one complete row (every column as
  submitted) and one confirmation mail in the outbox;
* no row without its outbox mail, no half-written row;
* a failed request fails visibly: a connection error, or a 5xx error page
  without a traceback; never a 303 for something that was not stored;
* mail is delivered exactly once, however often SMTP or Redis went away.

(c) needs ``/usr/bin/redis-server`` (Debian package redis-server), (d) the
PostgreSQL server binaries (``/usr/lib/postgresql/<version>/bin``, Debian
package postgresql); each is skipped with the reason when they are missing.
"""
from __future__ import annotations

import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from cosign.database import write_intent
from cosign.models import OutboxMessage, Signature, Statement
from cosign.signing import OpenOptions, open_for_signature
from tests.factories import make_statement, make_user
from tests.redis_server import running
from tests.smtp_sink import Sink, free_port, start

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SECRET = "fault-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
LIMIT = "1000000 per hour"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TIMEOUT = 30.0  # seconds a client waits for one answer
TRACEBACK_SIGNS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "OperationalError",
                   "redis.exceptions", "Werkzeug Debugger")


# --- gunicorn and the client ----------------------------------------------------------------

def base_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "REDIS_URL": "",
        "MAIL_SERVER": "",
        "COSIGN_DEV": "",
        "COSIGN_SITE_URL": "http://127.0.0.1",  # required outside development
        "COSIGN_SIGN_LIMIT_IP": LIMIT,
        "COSIGN_SIGN_LIMIT_DOMAIN": LIMIT,
        "COSIGN_PDF_AUTO": "0",
        "COSIGN_STORAGE_DIR": str(tmp / "storage"),
        "COSIGN_SIGNING_KEY": str(tmp / "no-signing-key.pem"),
        "COSIGN_SIGNING_CERT": str(tmp / "no-signing-cert.pem"),
        "GUNICORN_ACCESSLOG": "off",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def healthz(port: int) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, response.read().decode()
    except (OSError, http.client.HTTPException):
        return 0, ""
    finally:
        conn.close()


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def workers(self) -> list[int]:
        """Worker pids: the children of the gunicorn master."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the master stops its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture
def gunicorn(tmp_path):
    """start(env, workers=2) -> a running gunicorn (stopped after the test)."""
    servers: list[Server] = []

    def start(env: dict[str, str], workers: int = 2) -> Server:
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        server = Server(proc, port, log)
        servers.append(server)
        deadline = time.monotonic() + 30
        while healthz(port)[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{server.log_text()[-3000:]}")
            time.sleep(0.1)
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        return server

    yield start
    for server in servers:
        server.stop()


def sign_data(n: int, tag: str) -> dict[str, str]:
    """A complete sign-on: every optional field filled, so a half-written row shows."""
    return {
        "kind": "organisation", "organisation": f"Fault test organisation {tag} {n}",
        "country": "IQ", "city": f"Nasiriya {n}", "org_type": "ngo",
        "website": f"https://org{n}.example.org", "contact_name": f"Contact Person {n}",
        "contact_role": "Director", "email": f"contact{n}@{tag}.example.org", "display": "named",
        "authorised": "y", "message": f"In solidarity, number {n}", "fax": "",
    }


@dataclass
class Answer:
    data: dict[str, str]
    status: int | None  # None: no HTTP answer (connection refused, reset, closed)
    location: str = ""
    body: str = ""
    error: str = ""

    @property
    def signed(self) -> bool:
        return self.status == 303 and self.location.endswith("/sign/sent")


class Visitor:
    """One browser: loads the sign-on form once (cookie + CSRF token), then posts sign-ons."""

    def __init__(self, port: int, slug: str):
        self.port, self.slug = port, slug
        for attempt in range(5):
            try:
                self.cookie, self.token = self._form()
                return
            except (OSError, http.client.HTTPException, AssertionError):
                if attempt == 4:
                    raise
                time.sleep(0.2)

    def _form(self) -> tuple[str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request("GET", f"/s/{self.slug}/sign")
            response = conn.getresponse()
            html = response.read().decode()
        finally:
            conn.close()
        cookie = next((c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or ()
                       if c.startswith("session=")), "")
        match = CSRF_RE.search(html)
        assert response.status == 200 and cookie and match, (response.status, html[:300])
        return cookie, match.group(1)

    def sign(self, data: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode({**data, "csrf_token": self.token})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request("POST", f"/s/{self.slug}/sign", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            return Answer(data, response.status, response.getheader("Location") or "", text)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(data, None, error=repr(exc))
        finally:
            conn.close()


class SlowSignOn:
    """A sign-on POST whose body stops half-way: the gunicorn worker that accepts it stays
    in the middle of that request (reading the body) until it is killed."""

    def __init__(self, port: int, slug: str, visitor: Visitor, data: dict[str, str]):
        self.data = data
        body = urllib.parse.urlencode({**data, "csrf_token": visitor.token}).encode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.sendall(
            f"POST /s/{slug}/sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nCookie: {visitor.cookie}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:len(body) // 2])

    def holder(self, server: Server) -> int | None:
        """The worker that accepted the connection (it owns the server end's socket), or
        None while it waits in the listen queue."""
        mine = self.sock.getsockname()[1]
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if int(local.rsplit(":", 1)[1], 16) == server.port and \
                        int(remote.rsplit(":", 1)[1], 16) == mine and inode != "0":
                    inodes.add(f"socket:[{inode}]")
        for pid in server.workers():
            try:
                if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir()):
                    return pid
            except OSError:
                continue
        return None

    def answer(self) -> Answer:
        """What came back once the worker died: nothing, normally."""
        try:
            reply = self.sock.recv(65536)
        except OSError as exc:
            reply, error = b"", repr(exc)
        else:
            error = "connection closed without an answer"
        finally:
            self.sock.close()
        if not reply:
            return Answer(self.data, None, error=error)
        status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None
        return Answer(self.data, status, body=reply.decode(errors="replace"))


def wait_for_value(probe, seconds: float):
    """``probe()`` once it returns something truthy (checked every 10 ms), else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.01)
    return None


def sign_many(port: int, slug: str, datas: list[dict[str, str]], threads: int) -> list[Answer]:
    """Sign every ``datas`` item once, from ``threads`` visitors at the same time."""
    visitors = [Visitor(port, slug) for _ in range(threads)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(lambda v, part: [v.sign(d) for d in part], visitors[i],
                               datas[i::threads])
                   for i in range(threads)]
        return [answer for future in futures for answer in future.result(timeout=120)]


# --- the database ---------------------------------------------------------------------------

@pytest.fixture
def statement(session) -> tuple[int, str]:
    """(id, slug) of a statement open for signature; no PDF wanted; the session left idle."""
    owner = make_user(session)
    stmt = make_statement(session, owner)
    open_for_signature(session, stmt, owner.id, OpenOptions())
    ids = stmt.id, stmt.slug
    session.execute(update(Statement).values(pdf_wanted_at=None))  # `tick` must not render
    session.commit()
    return ids


ROW_COLUMNS = ("kind", "name", "public_name", "country", "city", "org_type", "website", "display",
               "contact_name", "contact_role", "email", "message", "status", "revision",
               "created_at", "ip_hash", "name_key", "pending_key", "flagged")
MAIL_COLUMNS = ("recipient", "sent_at", "failed_at", "attempts", "last_error", "message_id")


def snapshot(session, statement_id: int) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """(rows by organisation name, confirmation mails by recipient) as plain dicts.

    Read in a deferred transaction that ends at once: on SQLite the test must
    not hold the write lock while the server runs (nor reload expired objects
    later, which would begin a new transaction).
    """
    with write_intent(False):
        rows: dict[str, list[dict]] = {}
        for row in session.scalars(select(Signature).where(Signature.statement_id == statement_id)):
            rows.setdefault(row.name, []).append({c: getattr(row, c) for c in ROW_COLUMNS})
        mails: dict[str, list[dict]] = {}
        for message in session.scalars(select(OutboxMessage).where(
                OutboxMessage.statement_id == statement_id,
                OutboxMessage.kind == "signature-confirm")):
            mails.setdefault(message.recipient, []).append(
                {c: getattr(message, c) for c in MAIL_COLUMNS})
        session.rollback()
    return rows, mails


def assert_complete(row: dict, data: dict[str, str]) -> None:
    """Every column as submitted: nothing half-written."""
    assert (row["kind"], row["name"], row["public_name"], row["country"], row["city"],
            row["org_type"], row["website"], row["display"], row["contact_name"],
            row["contact_role"], row["email"], row["message"]) == (
        "organisation", data["organisation"], data["organisation"], data["country"], data["city"],
        data["org_type"], data["website"], data["display"], data["contact_name"],
        data["contact_role"], data["email"].lower(), data["message"]), row["name"]
    assert row["status"] == "unconfirmed" and row["revision"] == 1 and row["created_at"]
    assert row["ip_hash"] and row["pending_key"] and not row["flagged"]
    assert row["name_key"] is None  # unconfirmed: claims the name, holds nothing


def check_store(session, statement_id: int, answers: list[Answer],
                every: list[dict[str, str]]) -> tuple[dict, dict]:
    """Every 303 stored once with its mail; every row complete with exactly one mail."""
    rows, mails = snapshot(session, statement_id)
    by_name = {d["organisation"]: d for d in every}
    for answer in answers:
        if answer.signed:
            stored = rows.get(answer.data["organisation"], [])
            assert len(stored) == 1, f"a 303 without its row: {answer.data['organisation']}"
    for name, stored in rows.items():
        assert len(stored) == 1, f"two rows for {name}"
        assert name in by_name, f"a row nobody sent: {name!r}"
        assert_complete(stored[0], by_name[name])
        assert len(mails.get(stored[0]["email"], [])) == 1, f"row without exactly one mail: {name}"
    assert sum(len(m) for m in mails.values()) == len(rows), "outbox mail without its row"
    return rows, mails


def command_here(app, runner, *args: str):
    """``flask cosign <args>`` in this process, in an app context of its own: its database
    session ends with it, as it does when the command's process exits (the test's own
    session would keep its last transaction, on SQLite the write lock, open)."""
    with app.app_context():
        return runner.invoke(args=["cosign", *args])


def assert_clean_error(answer: Answer) -> None:
    """A failed request: no HTTP answer at all, or a 5xx page that gives nothing away."""
    if answer.status is None:
        return
    assert answer.status in (500, 502, 503), (answer.status, answer.location, answer.body[:500])
    for sign in TRACEBACK_SIGNS:
        assert sign not in answer.body, f"error page shows {sign!r}: {answer.body[:800]}"


# --- (a) kill -9 of a gunicorn worker in the middle of sign-ons -----------------------------

def _on_cpu(pid: int) -> bool:
    """On a CPU now (state R): in the middle of a request, not waiting in accept()."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
    except OSError:
        return False


def _busy_worker(server, killed: list[int]) -> int:
    """A gunicorn worker seen running within 5 s (mid-request), else any live one."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        candidates = [pid for pid in server.workers() if pid not in killed]
        victim = next((pid for pid in candidates if _on_cpu(pid)), None)
        if victim is not None:
            return victim
        time.sleep(0.001)
    candidates = [pid for pid in server.workers() if pid not in killed]
    assert candidates, "no gunicorn worker to kill"
    return candidates[0]


def test_kill_9_of_a_worker_mid_sign_ons_loses_no_answered_sign_on(
        db_url, session, statement, gunicorn, tmp_path):
    statement_id, slug = statement
    server = gunicorn(base_env(db_url, tmp_path), workers=2)
    tag = "kill"
    # at most this many: the visitors sign on until the kills below are over (then the
    # ones in flight finish), not for a fixed count
    datas = [sign_data(n, tag) for n in range(160)]
    threads = 16
    visitors = [Visitor(server.port, slug) for _ in range(threads)]
    done = []  # answers so far, appended from the client threads
    killed: list[int] = []
    pending, taking = iter(datas), threading.Lock()
    kills_over = threading.Event()

    def client(i: int) -> list[Answer]:
        mine = []
        while not kills_over.is_set():
            with taking:
                data = next(pending, None)
            if data is None:
                break
            answer = visitors[i].sign(data)
            mine.append(answer)
            done.append(answer)
        return mine

    def cuts() -> int:
        return sum(a.status is None for a in list(done))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(client, i) for i in range(threads)]
        # One kill that surely lands mid-request, however loaded the machine: a sign-on whose
        # body is still arriving holds its worker; that worker is found and killed.
        deadline = time.monotonic() + 60
        while len(done) < 20 and time.monotonic() < deadline:
            time.sleep(0.002)
        slow_data = sign_data(500, tag)
        slow = SlowSignOn(server.port, slug, visitors[0], slow_data)
        holder = wait_for_value(lambda: slow.holder(server), 60)
        assert holder, "no gunicorn worker took the slow sign-on"
        os.kill(holder, signal.SIGKILL)
        killed.append(holder)
        slow_answer = slow.answer()
        # Kill a worker seen running, again and again (at most six times, spread over the
        # run), until two kills have cut a request: on a loaded machine a worker may be
        # between two requests when the signal lands, and that kill proves nothing.
        for answered in (30, 55, 80, 100, 120, 140):
            if len(killed) >= 2 and cuts() >= 2:
                break
            deadline = time.monotonic() + 60
            while len(done) < answered and time.monotonic() < deadline:
                time.sleep(0.002)
            seen_cuts = cuts()
            victim = _busy_worker(server, killed)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            # the cut request answers (with nothing) soon; count it before the next kill
            deadline = time.monotonic() + 10
            while cuts() == seen_cuts and time.monotonic() < deadline and len(done) < len(datas):
                time.sleep(0.005)
        kills_over.set()
        answers = [a for future in futures for a in future.result(timeout=180)]

    sent = [a.data for a in answers]  # each once, in the order taken
    assert sorted(d["organisation"] for d in sent) == \
        sorted(d["organisation"] for d in datas[:len(sent)])
    assert len(killed) >= 2 and len(answers) == len(done)
    assert slow_answer.status is None, "the slow sign-on was answered although its worker died"
    answers.append(slow_answer)
    cut = [a for a in answers if a.status is None]
    assert cut, "no request was cut by the kills: the test did not kill a busy worker"
    for answer in answers:
        if not answer.signed:
            assert_clean_error(answer)
    check_store(session, statement_id, answers, sent + [slow_data])
    assert sum(a.signed for a in answers) >= len(sent) - len(killed) * threads  # most got through

    # the master replaced the killed workers and serves on
    deadline = time.monotonic() + 20
    while (len(server.workers()) < 2 or set(server.workers()) & set(killed)) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(server.workers()) == 2 and not set(server.workers()) & set(killed)
    late = Visitor(server.port, slug).sign(sign_data(999, tag))
    assert late.signed, (late.status, late.error, server.log_text()[-5000:])
    log = server.log_text()
    assert "Traceback" not in log, log[-3000:]


# --- (b) SMTP down for a while, then back ----------------------------------------------------

def test_smtp_down_then_back_every_mail_delivered_exactly_once(
        db_url, app, session, runner, statement, gunicorn, tmp_path):
    statement_id, slug = statement
    smtp_port = free_port()  # nothing listens here yet: SMTP is down
    env = base_env(db_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
                   MAIL_DEFAULT_SENDER="cosign <noreply@cosign.test>")
    server = gunicorn(env, workers=2)
    datas = [sign_data(n, "smtp") for n in range(20)]

    answers = sign_many(server.port, slug, datas, threads=4)

    assert [a.status for a in answers] == [303] * 20, [(a.status, a.error) for a in answers]
    _rows, mails = check_store(session, statement_id, answers, datas)
    messages = [m for ms in mails.values() for m in ms]
    assert len(messages) == 20
    assert all(m["sent_at"] is None and m["failed_at"] is None and m["attempts"] >= 1
               for m in messages)
    assert all("Connection refused" in m["last_error"] or "ConnectionRefused" in m["last_error"]
               for m in messages), {m["last_error"] for m in messages}

    sink = Sink()
    controller = start(sink, port=smtp_port)  # SMTP is back
    try:
        # their retry is due (as if the backoff had passed)
        session.execute(update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
        session.commit()
        # two `tick`s at once, as from two cron hosts: `flask cosign tick`, and the same
        # command in this process as soon as the first has sent a mail (it is in the middle
        # of its batch); then one more: none sends twice
        tick = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cosign", "tick"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert wait_for_value(lambda: sink.messages or tick.poll() is not None, 60)
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port)
        here = command_here(app, runner, "tick")
        outputs = [tick.communicate(timeout=60)[0], here.output]
        outputs.append(command_here(app, runner, "tick").output)
        sent = [int(m.group(1)) for out in outputs for m in [re.search(r"sent (\d+) e-mail", out)]
                if m]
        recipients = sorted(r for envelope in sink.messages for r in envelope.rcpt_tos)
        assert recipients == sorted(d["email"] for d in datas), outputs  # each exactly once
        assert len(sent) == 3 and sent[2] == 0, outputs  # the last tick found nothing left
    finally:
        controller.stop()
    _rows, mails = check_store(session, statement_id, answers, datas)
    for message in (m for ms in mails.values() for m in ms):
        assert message["sent_at"] is not None and message["message_id"]
        assert message["attempts"] >= 2


# --- (c) Redis stopped and started again ------------------------------------------------------

@pytest.fixture
def redis_server(tmp_path):
    server = running(tmp_path, "the Redis fault test needs a private server it can stop")
    yield server
    server.stop()


def test_redis_stopped_loses_no_sign_on_and_mail_goes_out_when_it_is_back(
        db_url, app, session, runner, statement, gunicorn, tmp_path, redis_server, smtp):
    statement_id, slug = statement
    controller, sink = smtp
    env = base_env(db_url, tmp_path, REDIS_URL=redis_server.url, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=str(controller.port), COSIGN_QUEUE_PREFIX="faults")
    server = gunicorn(env, workers=2)
    datas = [sign_data(n, "redis") for n in range(24)]

    before = sign_many(server.port, slug, datas[:8], threads=4)  # Redis up
    assert all(a.signed for a in before), [(a.status, a.error) for a in before]

    redis_server.stop()
    status, body = healthz(server.port)
    assert status == 503 and json.loads(body)["redis"] == "unreachable", body
    during = sign_many(server.port, slug, datas[8:16], threads=4)  # Redis down
    for answer in during:
        assert answer.status in (303, 503), (answer.status, answer.error, answer.body[:800])
        if not answer.signed:
            assert_clean_error(answer)

    redis_server.start()  # back, on the same port, empty: jobs queued before are gone
    deadline = time.monotonic() + 15
    while healthz(server.port)[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert healthz(server.port)[0] == 200
    after = sign_many(server.port, slug, datas[16:], threads=4)  # Redis up again
    assert all(a.signed for a in after), [(a.status, a.error) for a in after]

    answers = before + during + after
    rows, _mails = check_store(session, statement_id, answers, datas)
    # the RQ worker (queued jobs, and its sweep: the outbox), then `tick` for whatever is still
    # due: the commands in this process, with the site's settings (`flask cosign worker` as a
    # process of its own, through an outage of its own: tests/test_worker_outage.py)
    app.config.update(REDIS_URL=redis_server.url, COSIGN_QUEUE_PREFIX="faults",
                      MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    for command in (("worker", "--burst"), ("tick",)):
        result = command_here(app, runner, *command)
        assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 10
    while len(sink.messages) < len(rows) and time.monotonic() < deadline:
        time.sleep(0.05)
    recipients = sorted(r for envelope in sink.messages for r in envelope.rcpt_tos)
    assert recipients == sorted(row["email"] for (row,) in rows.values())  # every one, once
    _rows, mails = check_store(session, statement_id, answers, datas)
    assert all(m["sent_at"] is not None for ms in mails.values() for m in ms)
    assert "Traceback" not in server.log_text(), server.log_text()[-3000:]


# --- (d) PostgreSQL restarted under load ------------------------------------------------------

def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temporary directory, on a free port."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        # not under /tmp/pytest-of-root (0700)
        self.dir = Path(tempfile.mkdtemp(prefix="cosign-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=timeout,
                              cwd=self.dir)

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off")
        return self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                         "-l", str(self.dir / "server.log"), "-w", "-t", "30", *args)

    def init(self) -> None:
        result = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                           "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
        assert result.returncode == 0, result.stdout + result.stderr
        result = self.pg_ctl("start")
        assert result.returncode == 0, result.stdout + result.stderr + self.server_log()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def server_log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    bindir = _pg_bin()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("the PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin: initdb, "
                    "pg_ctl) are not installed (Debian: apt-get install postgresql): the restart "
                    "test needs a private cluster it can restart")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: cannot run initdb as the postgres user")
    cluster = PrivatePostgres(bindir)
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.destroy()


def test_postgresql_restart_fails_cleanly_and_the_app_recovers_without_restart(
        private_postgres, gunicorn, tmp_path):
    from cosign.app import create_app
    from cosign.extensions import db
    from tests.conftest import app_config, migrate

    admin = sa.create_engine(private_postgres.url("postgres").replace("postgresql://",
                                                                       "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE cosign_faults")
    admin.dispose()
    url = private_postgres.url("cosign_faults")
    migrate(url)
    app = create_app(app_config(url, COSIGN_STORAGE_DIR=str(tmp_path / "storage")))
    with app.app_context():
        session = db.session()
        owner = make_user(session)
        stmt = make_statement(session, owner)
        open_for_signature(session, stmt, owner.id, OpenOptions())
        statement_id, slug = stmt.id, stmt.slug
        session.rollback()

        server = gunicorn(base_env(url, tmp_path), workers=2)
        threads = 4
        visitors = [Visitor(server.port, slug) for _ in range(threads)]
        stop = threading.Event()
        answers: list[tuple[float, Answer]] = []  # (time answered, answer)
        counter = iter(range(1_000_000))
        lock = threading.Lock()

        def client(visitor: Visitor) -> None:
            while not stop.is_set():
                with lock:
                    n = next(counter)
                answer = visitor.sign(sign_data(n, "pgrestart"))
                answers.append((time.monotonic(), answer))
                time.sleep(0.01)

        workers = [threading.Thread(target=client, args=(v,)) for v in visitors]
        for w in workers:
            w.start()
        try:
            # sign-ons go through before the restart (waited for, however loaded the machine)
            assert wait_for_value(lambda: sum(a.signed for _t, a in list(answers)) >= 4, 120), \
                [(a.status, a.error, a.body[:200]) for _t, a in answers[-5:]]
            restart_began = time.monotonic()
            result = private_postgres.pg_ctl("restart", "-m", "fast")
            restarted = time.monotonic()
            assert result.returncode == 0, result.stdout + result.stderr
            # and sign-ons are answered again after it (from a second on: see `late` below)
            wait_for_value(lambda: sum(t > restarted + 1.0 for t, _a in list(answers)) >= 8, 120)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=60)

        # after the restart, the same gunicorn (never restarted) signs on again
        final = [Visitor(server.port, slug).sign(sign_data(10_000 + n, "pgrestart"))
                 for n in range(5)]
        assert all(a.signed for a in final), [(a.status, a.body[:300]) for a in final]
        assert healthz(server.port)[0] == 200

        every = [a for _t, a in answers] + final
        assert len([a for t, a in answers if t < restart_began and a.signed]) > 0
        for answer in every:
            if not answer.signed:
                assert answer.status is not None, f"no HTTP answer: {answer.error}"
                assert_clean_error(answer)
        late = [a for t, a in answers if t > restarted + 1.0]
        assert late and all(a.signed for a in late), [(a.status, a.body[:200]) for a in late]
        datas = [a.data for a in every]
        check_store(session, statement_id, every, datas)
        db.session.remove()
        db.engine.dispose()
