"""The job worker survives Redis (issue 13, item 10): a real `flask cosign worker` process on a
private redis-server that the test kills and starts again on the same port, the test's database
(SQLite and PostgreSQL) and the real SMTP sink. While Redis is down the worker stays alive and
sends the outbox's mail from the database; when Redis is back it works on the queues again.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cosign import jobs, mail, queue
from cosign.config import ROOT, Config
from tests.redis_server import running
from tests.smtp_sink import free_port
from tests.waiting import wait_until


@pytest.fixture
def private_redis(tmp_path):
    server = running(tmp_path, "the worker's outage tests need a server they can kill")
    yield server
    server.kill()


def mark(directory: str, name: str) -> None:
    """A queued job: leaves a file, so the test sees that the worker took it from the queue."""
    (Path(directory) / name).touch()


def outbox_mail(session, recipient: str, kind: str = "signature-confirm") -> None:
    """A message in the outbox, committed; the session holds no transaction afterwards (on
    SQLite an open read would keep the worker from writing)."""
    mail.enqueue(session, kind=kind, recipient=recipient, template="invitation",
                 context={"inviter": "I", "title": "T", "role": "editor",
                          "link": "https://cosign.test/x", "has_account": False})
    session.commit()
    session.close()


def test_worker_outlives_a_redis_outage_sends_mail_meanwhile_and_uses_the_queue_again(
        app, session, db_url, smtp, private_redis, tmp_path):
    controller, sink = smtp
    prefix = f"outage-{uuid.uuid4().hex[:8]}"
    config = {"REDIS_URL": private_redis.url, "COSIGN_QUEUE_PREFIX": prefix}
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": private_redis.url,
           "COSIGN_QUEUE_PREFIX": prefix, "SECRET_KEY": "test-secret-0123456789-abcdefghijklmnop",
           "COSIGN_STORAGE_DIR": str(tmp_path / "storage"), "COSIGN_SITE_URL": "https://cosign.test",
           "COSIGN_SIGNING_KEY": str(tmp_path / "none.pem"),
           "COSIGN_SIGNING_CERT": str(tmp_path / "none.crt"), "COSIGN_PDF_AUTO": "0",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port), "COSIGN_DEV": "",
           "PYTHONUNBUFFERED": "1",
           # Redis down: the outbox is read every 0.1 s, Redis asked again after 0.1, 0.2,
           # 0.4, 0.5, 0.5 ... s (the production intervals, 1 s and 1 ... 30 s, are the
           # same code with other numbers: test_backoff_doubles_up_to_its_cap_and_starts_over)
           "COSIGN_WORKER_POLL": "0.1", "COSIGN_WORKER_RECONNECT": "0.1",
           "COSIGN_WORKER_RECONNECT_MAX": "0.5"}
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w+")  # noqa: SIM115 - the worker writes to it
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cosign", "worker"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    output = log_path.read_text
    try:
        # 1. Redis is up: the worker takes jobs from the queue
        assert queue.enqueue(
            config, "default", "tests.test_worker_outage.mark", str(marks), "before"
        )
        assert wait_until((marks / "before").exists, 60), output()

        # 2. Redis is killed: the worker stays, and sends the outbox's mail from the database
        private_redis.kill()
        assert wait_until(lambda: "until Redis answers again" in output(), 30), output()
        outbox_mail(session, "during@kwu.example")
        assert wait_until(lambda: sink.messages, 30), output()
        assert [e.rcpt_tos for e in sink.messages] == [["during@kwu.example"]]
        assert worker.poll() is None, output()

        # 3. Redis is back on the same port: the worker goes back to the queues
        private_redis.start()
        assert wait_until(lambda: "answers again: back to the queues" in output(), 60), output()
        assert queue.enqueue(
            config, "default", "tests.test_worker_outage.mark", str(marks), "after"
        )
        assert wait_until((marks / "after").exists, 60), output()
        assert worker.poll() is None, output()

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, output()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
    text = output()
    # one line when Redis went, one when it came back: not one per attempt
    assert text.count("until Redis answers again") == 1, text
    assert "asking it every 0.1 to 0.5 s" in text, text  # the intervals set in the environment
    assert text.count("answers again: back to the queues") == 1, text
    assert "could not connect to Redis instance" not in text, text  # RQ's own retry loop
    assert "quitting" not in text and "failed; trying again" not in text, text


def test_backoff_doubles_up_to_its_cap_and_starts_over():
    backoff = jobs.Backoff(1.0, 30.0)
    assert [backoff.next() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    backoff.reset()
    assert backoff.next() == 1


def test_the_worker_intervals_come_from_the_environment_with_production_defaults(tmp_path):
    names = ("COSIGN_WORKER_POLL", "COSIGN_WORKER_SWEEP", "COSIGN_WORKER_RECONNECT",
             "COSIGN_WORKER_RECONNECT_MAX")
    config = Config.from_env(tmp_path, environ={"SECRET_KEY": "k", "COSIGN_DEV": "1"})
    assert [config[n] for n in names] == [1.0, 10.0, 1.0, 30.0]
    assert (jobs.RECONNECT_FIRST, jobs.RECONNECT_MAX) == (1.0, 30.0)
    values = dict(zip(names, ("0.1", "2", "0.25", "4"), strict=True))
    config = Config.from_env(tmp_path, environ={"SECRET_KEY": "k", "COSIGN_DEV": "1", **values})
    assert [config[n] for n in names] == [0.1, 2.0, 0.25, 4.0]


def test_while_redis_is_down_the_worker_sends_due_mail_and_asks_redis_with_backoff(
        app, session, smtp, monkeypatch):
    """work_without_redis in this process: mail goes out at once; Redis is asked after each
    of the backoff's waits, and the function returns when it answers."""
    controller, sink = smtp
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=controller.port)
    outbox_mail(session, "waiting@kwu.example")  # not queued: Redis is down
    session.rollback()
    assert sink.messages == []
    asked = []

    def reachable(config, timeout=2.0):
        asked.append(True)
        return None if len(asked) >= 3 else "ConnectionError: refused"

    monkeypatch.setattr(queue, "reachable", reachable)
    backoff = jobs.Backoff(0.05, 0.2)
    worked = jobs.work_without_redis(app, backoff, lambda: False, poll=0.02, sweep_every=60)
    assert worked and len(asked) == 3
    assert [e.rcpt_tos for e in sink.messages] == [["waiting@kwu.example"]]
    assert backoff.current == 0.2  # 0.05, 0.1, 0.2: it grew, capped
