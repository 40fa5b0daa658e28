"""Background jobs: one function per job, taking ids.

Jobs queued during a transaction run after it commits and are dropped if it
rolls back. Without a queue (the embedded default) they run inline, each in a
fresh app context and database session.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from cosign import mail

log = logging.getLogger(__name__)

_app: Flask | None = None


def deliver_mail(message_id: int) -> None:
    from cosign.extensions import db

    mail.deliver(db.session, message_id, _require_app().config)


def deliver_due_mail() -> None:
    """Retry what is due (after a temporary SMTP failure)."""
    from cosign.extensions import db

    mail.deliver_due(db.session, _require_app().config)


def _require_app() -> Flask:
    if _app is None:
        raise RuntimeError("cosign.jobs is not bound to an app (call jobs.init_app)")
    return _app


def run(job: Callable[..., None], *args) -> None:
    """Run a job now in a fresh app context (inline mode)."""
    app = _require_app()
    with app.app_context():
        try:
            job(*args)
        except Exception:  # a failed job must not fail the request that caused it
            log.exception("job %s failed", job.__name__)


def distribute(statement_id: int, kind: str) -> None:
    """Send a statement to its press recipients (final, or the embargoed copy)."""
    from cosign import distribution
    from cosign.extensions import db

    distribution.distribute(db.session, statement_id, kind, _require_app().config)


def publish_due() -> None:
    from cosign import publishing
    from cosign.extensions import db

    publishing.publish_due(db.session)


# --- PDFs: a change of the list or the text marks the statement; one render follows ---

PDF_ACTIONS = frozenset({
    "opened", "approved", "rejected", "withdrawn", "renamed", "duplicate", "added", "imported",
    "new-version", "reconfirmed", "settings", "pdf-settings", "lead", "logo",
})
_timers: dict[int, threading.Timer] = {}
_timers_lock = threading.Lock()


def render_pdf(statement_id: int) -> None:
    from cosign import pdfs
    from cosign.extensions import db

    pdfs.render_wanted(db.session, statement_id, _require_app().config)


def _schedule_render(statement_id: int, delay: float) -> None:
    """Debounce: a burst of changes to one statement gives one render."""
    with _timers_lock:
        if statement_id in _timers:
            return

        def fire():
            with _timers_lock:
                _timers.pop(statement_id, None)
            run(render_pdf, statement_id)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        _timers[statement_id] = timer
        timer.start()


def _after_flush(session: Session, _context) -> None:
    from cosign.models import AuditEvent

    for obj in session.new:
        if isinstance(obj, AuditEvent) and obj.action in PDF_ACTIONS and obj.statement_id:
            session.info.setdefault("cosign.pdf_wanted", set()).add(obj.statement_id)


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


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the transaction goes on
    queued = session.info.pop("cosign.jobs", None)
    for job, args in queued or ():
        run(job, *args)
    wanted = session.info.pop("cosign.pdf_wanted", None)
    if wanted and _app is not None and _app.config.get("COSIGN_PDF_AUTO"):
        for statement_id in wanted:
            _schedule_render(statement_id, float(_app.config.get("COSIGN_PDF_DEBOUNCE", 2.0)))
    messages = session.info.pop("cosign.new_mail", None)
    if not messages or _app is None or not _app.config.get("MAIL_SERVER"):
        return
    ids = [m.id for m in messages]
    # Run after this session's commit has finished; a new session does the work.
    for message_id in ids:
        run(deliver_mail, message_id)
    run(deliver_due_mail)  # and anything waiting for a retry


def _after_rollback(session: Session) -> None:
    session.info.pop("cosign.jobs", None)
    session.info.pop("cosign.new_mail", None)
    session.info.pop("cosign.pdf_wanted", None)


def init_app(app: Flask) -> None:
    global _app
    _app = app
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback",
                     lambda s, previous: None if previous.nested else _after_rollback(s))
