"""`flask cosign worker` against a real Redis, the test's database (SQLite and PostgreSQL) and a
real SMTP server on loopback: jobs queued by requests and services are done by the worker;
with Redis down nothing accepted is lost; SIGTERM is a warm shutdown.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cosign import jobs, press, publishing, queue, signing
from cosign.config import ROOT
from cosign.models import OutboxMessage, PressDelivery, Signature, Statement
from tests.factories import make_statement, make_user
from tests.publication_flow import open_statement
from tests.queues import closed_port, redis_overrides, sign_form, waiting


@pytest.fixture
def app_overrides(request):
    return redis_overrides(request)


def skip_sweep(app, redis) -> None:
    """Take this minute's sweep turn, so that only the queued jobs do the work."""
    redis.set(queue.key(app.config, "sweep"), 1, ex=120)


def work(app) -> bool:
    return jobs.work(app, burst=True, logging_level="WARNING")


def slug_of(session) -> str:
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    slug = statement.slug
    session.rollback()
    return slug


def test_a_sign_on_is_answered_at_once_and_its_mail_sent_by_the_worker(
        app, client, session, smtp, queue_prefix, redis):
    _controller, sink = smtp
    slug = slug_of(session)
    response = client.post(f"/s/{slug}/sign", data=sign_form(1, "kwu.example"))
    assert response.status_code == 303
    session.rollback()
    time.sleep(0.2)
    assert sink.messages == []  # not sent by the request
    [job] = waiting(app.config, "mail")
    assert job.func_name == "cosign.jobs.deliver_mail"
    skip_sweep(app, redis)
    assert work(app)
    assert [e.rcpt_tos for e in sink.messages] == [["c1@kwu.example"]]
    message = session.scalar(select(OutboxMessage))
    assert message.sent_at is not None and message.attempts == 1
    assert waiting(app.config, "mail") == []


def test_publication_press_distribution_and_its_mail_go_through_the_worker(
        app, session, smtp, queue_prefix, redis):
    _controller, sink = smtp
    owner, statement = open_statement(session)
    press.add(session, press.ContactData(email="desk@news.example", name="Desk", outlet="Daily"),
              owner.id)
    publishing.publish(
        session, statement, owner.id, publishing.PublishOptions(press_selection="all")
    )
    [job] = waiting(app.config, "default")
    assert job.func_name == "cosign.jobs.distribute" and job.args == (statement.id, "final")
    assert session.scalar(select(func.count()).select_from(PressDelivery)) == 0  # not inline
    session.rollback()
    skip_sweep(app, redis)
    assert work(app)  # the distribution queues a mail; the same worker sends it
    [delivered] = sink.messages
    assert delivered.rcpt_tos == ["desk@news.example"]
    parsed = email.message_from_bytes(delivered.content, policy=email.policy.default)
    attachments = [part.get_filename() for part in parsed.iter_attachments()]
    assert len(attachments) == 1 and attachments[0] is not None and attachments[0].endswith(".pdf")
    assert session.scalar(select(PressDelivery.email)) == "desk@news.example"


def test_a_scheduled_publication_happens_at_the_embargo_end(app, session, queue_prefix, redis):
    owner, statement = open_statement(session)
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).replace(
        tzinfo=None, microsecond=0) + dt.timedelta(seconds=1)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions(at=at))
    statement_id = statement.id
    session.rollback()
    skip_sweep(app, redis)  # the queued job publishes, not the sweep
    work(app)
    assert session.get(Statement, statement_id).status == "open"  # not yet
    session.rollback()
    time.sleep(max(0.0, (at - dt.datetime.now(dt.UTC).replace(tzinfo=None))
                   .total_seconds() + 1.2))
    assert work(app)
    statement = session.get(Statement, statement_id)
    assert statement.status == "published" and statement.published_at >= at


def test_redis_down_a_sign_on_is_kept_and_tick_sends_its_mail(app, client, session, smtp, logs,
                                                               runner):
    _controller, sink = smtp
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    slug = slug_of(session)
    with logs.at_level(logging.WARNING):
        response = client.post(f"/s/{slug}/sign", data=sign_form(1, "kwu.example"))
    assert response.status_code == 303
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Signature)) == 1
    message = session.scalar(select(OutboxMessage))
    assert message.kind == "signature-confirm" and message.sent_at is None
    assert "stays in the outbox" in logs.text
    assert sink.messages == []
    session.rollback()
    result = runner.invoke(args=["cosign", "tick"])
    assert result.exit_code == 0 and "sent 1 e-mail(s)" in result.output, result.output
    assert [e.rcpt_tos for e in sink.messages] == [["c1@kwu.example"]]


def test_redis_down_then_back_the_worker_sweep_sends_what_was_left(
        app, client, session, smtp, queue_prefix, redis, redis_url):
    _controller, sink = smtp
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0", COSIGN_PDF_AUTO=True)
    slug = slug_of(session)
    assert client.post(f"/s/{slug}/sign", data=sign_form(1, "kwu.example")).status_code == 303
    session.rollback()
    app.config.update(REDIS_URL=redis_url)  # Redis is back; a worker starts
    assert waiting(app.config, "mail") == []  # nothing was queued
    work(app)
    assert [e.rcpt_tos for e in sink.messages] == [["c1@kwu.example"]]
    assert session.scalar(select(OutboxMessage.sent_at)) is not None


def test_worker_command(app, runner, session, queue_prefix, redis):
    config = app.config
    assert queue.enqueue(config, "mail", jobs.deliver_mail, 999)
    assert queue.enqueue(config, "pdf", jobs.render_pdf, 999)
    skip_sweep(app, redis)
    result = runner.invoke(args=["cosign", "worker", "--burst", "--queues", "mail"])
    assert result.exit_code == 0, result.output
    assert waiting(config, "mail") == [] and len(waiting(config, "pdf")) == 1
    result = runner.invoke(args=["cosign", "worker", "--burst", "-q", "pdf,default"])
    assert result.exit_code == 0, result.output
    assert waiting(config, "pdf") == []
    assert not queue.queue(config, "pdf").failed_job_registry.get_job_ids()
    bad = runner.invoke(args=["cosign", "worker", "--burst", "--queues", "mail,nope"])
    assert bad.exit_code == 2 and "unknown queue(s) nope" in bad.output


def test_worker_command_without_redis_is_the_embedded_worker(app, runner):
    result = runner.invoke(args=["cosign", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["cosign", "worker", "--burst", "--queues", "pdf"])
    assert result.exit_code == 2 and "queues exist only with REDIS_URL" in result.output
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    result = runner.invoke(args=["cosign", "worker", "--burst"])
    assert result.exit_code == 1 and "cannot reach Redis at redis://127.0.0.1" in result.output


# --- a real worker process -------------------------------------------------------------------

def slow_job(directory: str, name: str, seconds: float) -> None:
    """A job for the SIGTERM test: says when it starts, runs until the test lets it finish
    (a ``<name>.go`` file; at most ``seconds``), and says when it has finished."""
    (Path(directory) / f"{name}.started").touch()
    go = Path(directory) / f"{name}.go"
    deadline = time.monotonic() + seconds
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    (Path(directory) / f"{name}.done").touch()


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_sigterm_lets_the_running_job_finish_then_stops(sqlite_template, tmp_path, redis_url,
                                                        queue_prefix):
    database = tmp_path / "worker.sqlite3"
    shutil.copy(sqlite_template, database)
    config = {"REDIS_URL": redis_url, "COSIGN_QUEUE_PREFIX": queue_prefix}
    marks = tmp_path / "marks"
    marks.mkdir()
    for name in ("first", "second"):
        assert queue.enqueue(config, "default", "tests.test_worker.slow_job", str(marks), name,
                             60.0)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": redis_url,
           "COSIGN_QUEUE_PREFIX": queue_prefix, "SECRET_KEY": "test-secret",
           "COSIGN_STORAGE_DIR": str(tmp_path / "storage"), "COSIGN_SITE_URL": "https://cosign.test"}
    env.pop("MAIL_SERVER", None)
    log = open(tmp_path / "worker.log", "w+")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cosign", "worker"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    output = (tmp_path / "worker.log").read_text
    try:
        assert wait_for((marks / "first.started").exists, 30), output()
        worker.send_signal(signal.SIGTERM)
        # the worker has taken the signal while the job runs; only then the job may end
        assert wait_for(lambda: "warm shut down" in output(), 30), output()
        assert not (marks / "first.done").exists()
        (marks / "first.go").touch()
        (marks / "second.go").touch()  # (were it started, it would not hang the test)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
    text = output()
    assert (marks / "first.done").exists(), text  # the running job finished
    assert not (marks / "second.started").exists(), text  # and no other began
    assert len(waiting(config, "default")) == 1  # it waits for the next worker
    assert "warm shut down" in text
