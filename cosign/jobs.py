"""Background jobs: one function per job, taking ids.

Jobs queued during a transaction run after it commits and are dropped if it
rolls back. Without a queue (the embedded default) they run inline, each in a
fresh app context and database session.
"""
from __future__ import annotations

import logging
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


def _after_commit(session: Session) -> None:
    messages = session.info.pop("cosign.new_mail", None)
    if not messages or _app is None or not _app.config.get("MAIL_SERVER"):
        return
    ids = [m.id for m in messages]
    # Run after this session's commit has finished; a new session does the work.
    for message_id in ids:
        run(deliver_mail, message_id)
    run(deliver_due_mail)  # and anything waiting for a retry


def _after_rollback(session: Session) -> None:
    session.info.pop("cosign.new_mail", None)


def init_app(app: Flask) -> None:
    global _app
    _app = app
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
