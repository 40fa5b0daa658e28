"""Background jobs: one function per job, taking ids.

Jobs queued during a transaction are handed on after it commits and dropped
if it rolls back:

- without ``REDIS_URL`` (the embedded default) they run inline, each in a
  fresh app context and database session; PDF renders wait in a timer of this
  process for the burst of changes to end;
- with ``REDIS_URL`` they go to RQ queues (:mod:`cosign.queue`) once the
  transaction has committed, and ``flask cosign worker`` runs them (:func:`work`),
  each in a fresh app context of the worker's app. Renders are debounced in
  Redis, so a burst of changes seen by many web servers gives one render.

If Redis cannot be reached, nothing is lost: new mail stays in the outbox and
a wanted PDF stays marked, for the worker's :func:`sweep` or ``flask cosign
tick``; a publication stays scheduled in the database; a press distribution
(recorded nowhere else) runs inline, as without Redis.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from typing import Callable, Iterable, Iterator

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from cosign import database, mail, queue

log = logging.getLogger(__name__)

_app: Flask | None = None


def _require_app() -> Flask:
    if _app is None:
        raise RuntimeError("cosign.jobs is not bound to an app (call jobs.init_app)")
    return _app


def _current_app() -> Flask:
    """The app of the current context (several apps may live in one process), else the bound one."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return _require_app()


def _config():
    return _current_app().config


# --- the jobs ---------------------------------------------------------------------------

def deliver_mail(message_id: int) -> None:
    from cosign.extensions import db

    mail.deliver(db.session, message_id, _config())


def deliver_mail_inline(message_id: int) -> None:
    """Send a new message right after the request's commit (no queue): a short SMTP
    timeout, so a hung relay cannot hold the request; what fails waits for ``tick``."""
    from cosign.extensions import db

    config = dict(_config())
    config["MAIL_TIMEOUT"] = config.get("COSIGN_INLINE_MAIL_TIMEOUT") or 5
    mail.deliver(db.session, message_id, config)


def deliver_due_mail() -> None:
    """Retry what is due (after a temporary SMTP failure)."""
    from cosign.extensions import db

    mail.deliver_due(db.session, _config())


def distribute(statement_id: int, kind: str) -> None:
    """Send a statement to its press recipients (final, or the embargoed copy)."""
    from cosign import distribution
    from cosign.extensions import db

    distribution.distribute(db.session, statement_id, kind, _config())


def publish_due() -> None:
    from cosign import publishing
    from cosign.extensions import db

    publishing.publish_due(db.session)


def render_pdf(statement_id: int) -> None:
    from cosign import pdfs
    from cosign.extensions import db

    config = _config()
    if queue.enabled(config):
        queue.render_started(config, statement_id)  # later changes queue a render of their own
    pdfs.render_wanted(db.session, statement_id, config)


def sweep() -> dict[str, int]:
    """The worker's periodic work, what ``flask cosign tick`` does; every step is idempotent.

    Publishes statements whose embargo has ended, runs press distributions
    that never ran, closes statements past their deadline, queues renders of
    PDFs wanted for longer than the debounce (their render was lost, or Redis
    was down when they changed) and sends the e-mail that is due (new mail that
    could not be queued, and retries).
    """
    from cosign import clock, distribution, publishing, retention, signing
    from cosign.extensions import db
    from cosign.models import Statement

    config = _config()
    session = db.session
    published = publishing.publish_due(session)
    distributed = distribution.sweep(session, config)
    closed = signing.close_expired(session)
    erased = retention.erase_expired_contacts(session, config)
    debounce = float(config.get("COSIGN_PDF_DEBOUNCE", 2.0))
    overdue = list(session.scalars(select(Statement.id).where(
        Statement.pdf_wanted_at.is_not(None),
        Statement.pdf_wanted_at <= clock.now() - dt.timedelta(seconds=debounce))))
    session.rollback()  # hold no lock while talking to Redis
    renders = sum(bool(queue.schedule_render(config, statement_id, 0)) for statement_id in overdue)
    sent = mail.deliver_due(session, config)
    counts = {"published": published, "distributed": distributed, "closed": closed,
              "erased": erased, "renders": renders, "sent": sent}
    (log.info if any(counts.values()) else log.debug)(
        "sweep: published %(published)d statement(s); queued %(distributed)d press mail(s) of "
        "distributions that never ran; closed %(closed)d statement(s) past their deadline; "
        "erased the contact data of %(erased)d signature(s); "
        "queued %(renders)d PDF render(s); sent %(sent)d e-mail(s)", counts)
    return counts


# --- running jobs -------------------------------------------------------------------------

@contextlib.contextmanager
def job_context(app: Flask) -> Iterator[None]:
    """A fresh app context (hence database session) for one job; jobs may write."""
    with app.app_context(), database.write_intent(True):
        yield


def run(job: Callable[..., None], *args, app: Flask | None = None) -> None:
    """Run a job now in a fresh app context (inline mode)."""
    app = app or _current_app()
    with job_context(app):
        try:
            job(*args)
        except Exception:  # a failed job must not fail the request that caused it
            log.exception("job %s failed", job.__name__)


def work(app: Flask, queues: Iterable[str] | None = None, *, burst: bool = False,
         logging_level: str | None = "INFO") -> bool:
    """Run an RQ worker for ``app`` on the given queues (all by default); see :mod:`cosign.queue`.

    Every job runs in :func:`job_context`; the worker whose turn it is runs
    :func:`sweep` every minute. True if any job was done.
    """
    return queue.work(app.config, queues, burst=burst, logging_level=logging_level,
                      job_context=lambda: job_context(app),
                      periodic=lambda: run(sweep, app=app))


# --- PDFs: a change of the list or the text marks the statement; one render follows ---

PDF_ACTIONS = frozenset({
    "opened", "approved", "rejected", "withdrawn", "renamed", "duplicate", "added", "imported",
    "new-version", "reconfirmed", "settings", "pdf-settings", "lead", "logo",
})
_timers: dict[int, threading.Timer] = {}
_timers_lock = threading.Lock()


def _schedule_render(app: Flask, statement_id: int, delay: float) -> None:
    """Debounce (inline mode): a burst of changes to one statement gives one render."""
    with _timers_lock:
        if statement_id in _timers:
            return

        def fire():
            with _timers_lock:
                _timers.pop(statement_id, None)
            run(render_pdf, statement_id, app=app)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        _timers[statement_id] = timer
        timer.start()


# --- after commit ---------------------------------------------------------------------------

def _after_flush(session: Session, _context) -> None:
    from cosign.models import AuditEvent

    for obj in session.new:
        if not isinstance(obj, AuditEvent) or not obj.statement_id:
            continue
        if obj.action in PDF_ACTIONS:
            session.info.setdefault("cosign.pdf_wanted", set()).add(obj.statement_id)
        elif obj.action == "scheduled" and obj.detail.get("at"):
            try:
                at = dt.datetime.fromisoformat(obj.detail["at"])
            except (TypeError, ValueError):
                continue
            session.info.setdefault("cosign.publish_at", set()).add(at)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: wait for the real commit
    session.flush()  # before_commit runs before the commit's own flush: collect its events too
    ids = session.info.get("cosign.pdf_wanted")
    if ids:
        from cosign import pdfs

        pdfs.want(session, ids)


def after_commit(session: Session, job: Callable[..., None], *args) -> None:
    """Run ``job(*args)`` once the session's transaction commits (dropped on rollback)."""
    session.info.setdefault("cosign.jobs", []).append((job, args))


def _ids(objects) -> list[int]:
    """Primary keys of committed objects, read without loading them again."""
    ids = []
    for obj in objects or ():
        identity = inspect(obj).identity
        if identity:
            ids.append(identity[0])
    return ids


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the transaction goes on
    queued = session.info.pop("cosign.jobs", None)
    wanted = session.info.pop("cosign.pdf_wanted", None)
    publish_at = session.info.pop("cosign.publish_at", None)
    messages = session.info.pop("cosign.new_mail", None)
    if not (queued or wanted or publish_at or messages):
        return
    app = _current_app() if queued or has_app_context() else _app
    if app is None:
        return
    config = app.config
    if queue.enabled(config):
        _enqueue(app, queued, wanted, publish_at, _ids(messages))
        return
    for job, args in queued or ():
        run(job, *args, app=app)
    if wanted and config.get("COSIGN_PDF_AUTO"):
        for statement_id in wanted:
            _schedule_render(app, statement_id, float(config.get("COSIGN_PDF_DEBOUNCE", 2.0)))
    if not messages or not config.get("MAIL_SERVER"):
        return
    # Run after this session's commit has finished; a new session does the work. Retries
    # of earlier failures, and new mail beyond the first few (a publication to a long press
    # list), are left to `tick`: they must not hold up this request.
    limit = int(config.get("COSIGN_INLINE_MAIL_LIMIT") or 20)
    for message_id in _ids(messages)[:limit]:
        run(deliver_mail_inline, message_id, app=app)


def _enqueue(app: Flask, queued, wanted, publish_at, message_ids: list[int]) -> None:
    """Hand the committed transaction's jobs to RQ (see the module's docstring for failures)."""
    config = app.config
    for job, args in queued or ():
        if not queue.enqueue(config, "default", job, *args, fallback="it runs here instead"):
            run(job, *args, app=app)
    for at in sorted(publish_at or ()):
        # a second late, so that publish_due finds the time has come
        queue.enqueue(config, "default", publish_due, at=at + dt.timedelta(seconds=1),
                      fallback="the publication stays scheduled in the database for the "
                               "worker's sweep or `flask cosign tick`")
    if wanted and config.get("COSIGN_PDF_AUTO"):
        delay = float(config.get("COSIGN_PDF_DEBOUNCE", 2.0))
        for statement_id in sorted(wanted):
            queue.schedule_render(config, statement_id, delay)
    if config.get("MAIL_SERVER"):
        for message_id in message_ids:
            queue.enqueue(config, "mail", deliver_mail, message_id,
                          fallback="it stays in the outbox for the worker's sweep or "
                                   "`flask cosign tick`")


def _after_rollback(session: Session) -> None:
    session.info.pop("cosign.jobs", None)
    session.info.pop("cosign.new_mail", None)
    session.info.pop("cosign.pdf_wanted", None)
    session.info.pop("cosign.publish_at", None)


def init_app(app: Flask) -> None:
    global _app
    _app = app
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback",
                     lambda s, previous: None if previous.nested else _after_rollback(s))
