"""The RQ side of jobs (cosign.queue) against a real Redis: enqueue after commit, the shared
render debounce, scheduled publication, fall-backs when Redis is down, rate limits in Redis.

Redis tests use ``COSIGN_TEST_REDIS_URL`` (db 15) and skip without it. Each
test gets its own ``COSIGN_QUEUE_PREFIX``, so its queue names and keys are its
own (tests on other xdist workers share the database): instead of flushing
db 15, which would pull jobs from under a test running in parallel, every key
of the test's namespace is deleted before and after it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from cosign import jobs, mail, moderation, publishing, queue, signing
from cosign.models import IssuedPdf, OutboxMessage, Signature, Statement
from tests.conftest import app_config
from tests.factories import make_statement, make_user
from tests.queues import (
    REDIS_URL,
    closed_port,
    redis_overrides,
    scheduled,
    sign_form,
    waiting,
)


@pytest.fixture
def app_overrides(request):
    return redis_overrides(request)


def invitation(session, email="x@example.org"):
    return mail.enqueue(session, kind="invitation", recipient=email, template="invitation",
                        context={"inviter": "I", "title": "T", "role": "editor",
                                 "link": "https://x", "has_account": False})


# --- without Redis -------------------------------------------------------------------------

def test_queue_names_and_choice():
    config = {"COSIGN_QUEUE_PREFIX": "site1"}
    assert queue.queue_name(config, "mail") == "site1-mail"
    assert queue.chosen(None) == ["mail", "default", "pdf"]
    assert queue.chosen(["pdf,mail"]) == ["mail", "pdf"]  # the worker's order, whatever was typed
    assert queue.chosen(["pdf", " default "]) == ["default", "pdf"]
    with pytest.raises(ValueError, match="unknown queue"):
        queue.chosen(["mail,nope"])
    with pytest.raises(ValueError, match="COSIGN_QUEUE_PREFIX"):
        queue.prefix({"COSIGN_QUEUE_PREFIX": "a b"})
    assert not queue.enabled({"REDIS_URL": None}) and queue.enabled({"REDIS_URL": "redis://x"})
    assert queue.redact("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"


def test_without_redis_jobs_run_inline_and_nothing_is_queued(session, app, monkeypatch):
    assert app.config["REDIS_URL"] is None
    monkeypatch.setattr(queue, "enqueue", lambda *a, **k: pytest.fail("queued without REDIS_URL"))
    monkeypatch.setattr(queue, "schedule_render",
                        lambda *a, **k: pytest.fail("queued without REDIS_URL"))
    ran: list[int] = []
    owner = make_user(session)
    statement = make_statement(session, owner)
    jobs.after_commit(session, ran.append, statement.id)
    session.commit()
    assert ran == [statement.id]


def test_redis_down_at_enqueue_is_a_logged_false_and_not_retried_at_once(logs):
    caplog = logs
    config = {"REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0", "COSIGN_QUEUE_PREFIX": "down"}
    with caplog.at_level(logging.DEBUG, logger="cosign.queue"):
        started = time.monotonic()
        assert queue.enqueue(config, "mail", jobs.deliver_mail, 1) is False
        assert queue.enqueue(config, "mail", jobs.deliver_mail, 2) is False
        assert queue.schedule_render(config, 7, 2.0) is None
        elapsed = time.monotonic() - started
    assert elapsed < 1.5  # refused at once, then not asked again for a while
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    assert "stays in the database" in warnings[0].getMessage()


# --- with Redis: after commit, never inside the transaction ---------------------------------

def test_mail_is_queued_after_commit_and_dropped_on_rollback(session, app, queue_prefix):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port())
    owner = make_user(session)
    make_statement(session, owner)
    message = invitation(session)
    session.flush()
    assert waiting(app.config, "mail") == []  # in the transaction: nothing queued yet
    session.commit()
    [job] = waiting(app.config, "mail")
    assert job.func_name == "cosign.jobs.deliver_mail" and job.args == (message.id,)
    assert job.id.startswith(queue_prefix)
    invitation(session, "y@example.org")
    session.flush()
    session.rollback()
    assert len(waiting(app.config, "mail")) == 1  # the rolled-back one never reached Redis
    session.refresh(message)
    assert message.sent_at is None and message.attempts == 0  # the request did not send it


@pytest.mark.parametrize("app_overrides", [{"MAIL_SERVER": "127.0.0.1"}])
def test_mail_a_person_waits_for_goes_to_the_front_of_the_mail_queue(session, app, queue_prefix,
                                                                      app_overrides):
    app.config.update(REDIS_URL=REDIS_URL, COSIGN_QUEUE_PREFIX=queue_prefix)
    owner = make_user(session)
    make_statement(session, owner)
    for n in range(3):
        mail.enqueue(session, kind="press-final", recipient=f"desk{n}@news.example",
                     template="invitation", context={"inviter": "I", "title": "T", "role": "editor",
                                                     "link": "https://x", "has_account": False})
    session.commit()
    press_ids = [job.args[0] for job in waiting(app.config, "mail")]
    invitation(session, "new@example.org")
    session.commit()
    [invited] = session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "invitation"))
    assert [job.args[0] for job in waiting(app.config, "mail")] == [invited, *press_ids]

def test_after_commit_jobs_are_queued_not_run(session, app, queue_prefix):
    ran: list[int] = []
    owner = make_user(session)
    statement = make_statement(session, owner)
    jobs.after_commit(session, jobs.distribute, statement.id, "final")
    session.flush()
    assert waiting(app.config, "default") == []
    session.commit()
    [job] = waiting(app.config, "default")
    assert job.func_name == "cosign.jobs.distribute" and job.args == (statement.id, "final")
    jobs.after_commit(session, ran.append, 1)
    session.rollback()
    session.commit()
    assert ran == [] and len(waiting(app.config, "default")) == 1


def test_a_quick_job_that_cannot_be_queued_runs_inline_a_render_never(session, app, logs,
                                                                       monkeypatch):
    caplog = logs
    """With Redis down a quick job runs at once; a press distribution (it renders the PDF)
    never runs in the request: the sweep picks up a publication with no delivery."""
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0", COSIGN_QUEUE_PREFIX="x")
    ran = []

    def distribute(statement_id, kind):
        ran.append((statement_id, kind))

    owner = make_user(session)
    statement = make_statement(session, owner)
    with caplog.at_level(logging.WARNING, logger="cosign.queue"):
        jobs.after_commit(session, distribute, statement.id, "final")
        session.commit()
    assert ran == [(statement.id, "final")]
    assert "it runs here instead" in caplog.text
    monkeypatch.setattr(jobs, "run", lambda job, *args, **kw: ran.append(job.__name__))
    with caplog.at_level(logging.DEBUG, logger="cosign.queue"):
        jobs.after_commit(session, jobs.distribute, statement.id, "final")
        session.commit()
    assert ran == [(statement.id, "final")]  # not run here
    assert "the worker's sweep or `flask cosign tick` sends it" in caplog.text


def test_scheduled_publication_is_queued_for_the_embargo_end(session, app, queue_prefix):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).replace(tzinfo=None, microsecond=0)
    publishing.publish(session, statement, owner.id,
                       publishing.PublishOptions(at=at, confirm_empty=True))
    [job] = scheduled(app.config, "default")
    assert job.func_name == "cosign.jobs.publish_due"
    registry = queue.queue(app.config, "default").scheduled_job_registry
    when = registry.get_scheduled_time(job.id).replace(tzinfo=None)
    assert when == at + dt.timedelta(seconds=1)


# --- the render debounce ---------------------------------------------------------------------

def test_debounce_key(app, queue_prefix, redis):
    config = app.config
    assert queue.schedule_render(config, 41, 5.0) is True
    assert queue.schedule_render(config, 41, 5.0) is False  # a render is due already
    assert queue.schedule_render(config, 42, 5.0) is True  # another statement
    ttl = redis.pttl(queue.render_key(config, 41))
    assert 5_000 < ttl <= (5 + queue.RENDER_KEY_GRACE) * 1000
    assert len(scheduled(config, "pdf")) == 2
    queue.render_started(config, 41)  # the render begins: the next change needs another
    assert queue.schedule_render(config, 41, 5.0) is True
    assert len(scheduled(config, "pdf")) == 3


@pytest.fixture
def confirmed(session):
    """A statement open for signature with 20 confirmed, not yet approved, signatures."""
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    ids = []
    for n in range(20):
        signature = signing.sign(
            session, statement,
            signing.SignOn(organisation=f"Organisation {n:02d}", country="IQ",
                           email=f"c{n}@org{n}.example", contact_name="Contact"),
            secret_key="x", link_for=lambda p, v: v)
        signature.status, signature.confirmed_at = "confirmed", signature.created_at
        ids.append(signature.id)
    session.commit()
    statement_id, owner_id = statement.id, owner.id
    session.rollback()  # leave no transaction (SQLite: no lock) behind for the threads
    return statement_id, owner_id, ids


def test_twenty_approvals_from_four_app_instances_give_one_render(
        db_url, session, app, queue_prefix, confirmed, tmp_path):
    """Twenty approvals in quick succession, from threads of four app instances (as if four
    web servers): one render job is queued, one PDF is issued, with all twenty names."""
    statement_id, owner_id, ids = confirmed
    # One job whatever the debounce: the render key holds until the render starts. A whole
    # number of seconds: the debounce counts from pdf_wanted_at, stored to the second.
    debounce = 1.0
    settings = dict(REDIS_URL=app.config["REDIS_URL"], COSIGN_QUEUE_PREFIX=queue_prefix,
                    COSIGN_PDF_AUTO=True, COSIGN_PDF_DEBOUNCE=debounce,
                    COSIGN_STORAGE_DIR=app.config["COSIGN_STORAGE_DIR"],
                    COSIGN_SIGNING_KEY="", COSIGN_SIGNING_CERT="")
    from cosign.app import create_app
    from cosign.extensions import db

    servers = [create_app(app_config(db_url, **settings)) for _ in range(4)]
    barrier = threading.Barrier(len(ids))
    errors = []

    def approve(n: int, signature_id: int) -> None:
        server = servers[n % len(servers)]
        try:
            with server.app_context():
                barrier.wait(timeout=30)
                statement = db.session.get_one(Statement, statement_id)
                moderation.approve(db.session(), statement, [signature_id], owner_id,
                                   secret_key="x", link_for=lambda p, v: v)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(n, i)) for n, i in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    try:
        renders = scheduled(app.config, "pdf")
        assert [job.func_name for job in renders] == ["cosign.jobs.render_pdf"]
        assert renders[0].args == (statement_id,)
        assert waiting(app.config, "pdf") == []
        # when the debounce is over (counted from the first change's commit), a worker
        # renders once: wait for the job's own due time, not for a guess
        registry = queue.queue(app.config, "pdf").scheduled_job_registry
        due = registry.get_scheduled_time(renders[0].id).replace(tzinfo=dt.UTC)
        time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds() + 0.5))
        worker_app = servers[0]
        assert jobs.work(worker_app, burst=True, logging_level="WARNING")
    finally:
        for server in servers:
            with server.app_context():
                db.session.remove()
                db.engine.dispose()
    session.expire_all()
    issued = session.scalars(select(IssuedPdf).where(IssuedPdf.statement_id == statement_id)).all()
    assert len(issued) == 1 and issued[0].signatory_count == 20
    assert session.get(Statement, statement_id).pdf_wanted_at is None
    assert session.scalar(select(func.count()).select_from(Signature)
                          .where(Signature.status == "approved")) == 20


# --- rate limits in Redis ----------------------------------------------------------------------


@pytest.fixture
def open_slug(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    slug = statement.slug
    session.rollback()
    return slug


def test_two_app_instances_share_one_sign_on_counter(db_url, app, session, open_slug, redis,
                                                     queue_prefix, tmp_path):
    """20 per hour from one IP: 10 sign-ons on one server, 10 on another, the 21st is refused
    on either. The second app binds the (process-wide) limiter to a new storage: only a
    counter kept in Redis survives that."""
    assert app.config["RATELIMIT_STORAGE_URI"] == app.config["REDIS_URL"]
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    domain = f"{queue_prefix}.example"
    first = app.test_client()
    for n in range(10):
        response = first.post(f"/s/{open_slug}/sign", data=sign_form(n, f"{n}.{domain}"),
                              environ_base={"REMOTE_ADDR": ip})
        assert response.status_code == 303
    session.rollback()  # SQLite: the other app's requests need the write lock
    from cosign.app import create_app

    other = create_app(app_config(db_url, REDIS_URL=app.config["REDIS_URL"],
                                  COSIGN_QUEUE_PREFIX=queue_prefix,
                                  COSIGN_STORAGE_DIR=str(tmp_path / "other")))
    second = other.test_client()
    for n in range(10, 20):
        response = second.post(f"/s/{open_slug}/sign", data=sign_form(n, f"{n}.{domain}"),
                               environ_base={"REMOTE_ADDR": ip})
        assert response.status_code == 303
    session.rollback()
    refused = first.post(f"/s/{open_slug}/sign", data=sign_form(20, f"20.{domain}"),
                         environ_base={"REMOTE_ADDR": ip})
    assert refused.status_code == 429
    session.rollback()
    assert second.post(f"/s/{open_slug}/sign", data=sign_form(21, f"21.{domain}"),
                       environ_base={"REMOTE_ADDR": ip}).status_code == 429
    assert session.scalar(select(func.count()).select_from(Signature)) == 20
    counters = [k for k in redis.scan_iter(match=f"*sign-ip:{ip}*")]
    assert len(counters) == 1 and int(redis.get(counters[0])) >= 20
    redis.delete(*counters, *redis.scan_iter(match=f"*{domain}*"))
    from cosign.extensions import db

    with other.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("app_overrides", [{
    "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0", "COSIGN_QUEUE_PREFIX": "down",
    "COSIGN_SIGN_LIMIT_IP": "2 per hour"}])
def test_with_redis_down_sign_ons_work_and_limits_hold_per_process(client, session, open_slug,
                                                                    logs):
    caplog = logs
    with caplog.at_level(logging.WARNING):
        answers = [client.post(f"/s/{open_slug}/sign", data=sign_form(n, f"d{n}.example"),
                               environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code
                   for n in range(3)]
    assert answers == [303, 303, 429]
    assert session.scalar(select(func.count()).select_from(Signature)) == 2
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    messages = [r.getMessage() for r in caplog.records if r.name == "cosign.ratelimit"]
    assert len(messages) == 1 and "unreachable" in messages[0]


def test_redis_gone_as_the_worker_marks_itself_idle_leaves_the_loop_quietly(tmp_path):
    """RQ marks the worker idle in Redis before its own retrying loop: when Redis is gone at
    that moment, the worker leaves RQ's loop as for any lost Redis (``redis_lost``), and
    RQ does not end it with "found an unhandled exception, quitting"."""
    from rq.exceptions import StopRequested

    from tests.redis_server import running

    server = running(tmp_path, "the test needs a private Redis it can stop")
    try:
        config = {"REDIS_URL": server.url, "COSIGN_QUEUE_PREFIX": f"idle-{uuid.uuid4().hex[:8]}"}
        worker = queue.make_worker(config)
        server.kill()
        with pytest.raises(StopRequested):
            worker.dequeue_job_and_maintain_ttl(1)
        assert worker.redis_lost and "Error" in worker.redis_lost
    finally:
        server.stop()
