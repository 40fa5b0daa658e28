"""How far the background work is behind (``/healthz``): the age of the oldest e-mail
that is due and not sent, and of the oldest PDF that is owed and not rendered.

Both are 0 when nothing waits. They grow when the worker is stopped, or stuck
behind an outage (SMTP, Redis); a monitor alerts on them. Reads only: two
``SELECT min(...)``, on the outbox's pending index and the statements.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cosign import clock
from cosign.models import OutboxMessage, Statement


@dataclass(frozen=True)
class Lag:
    mail_seconds: int  # the oldest unsent mail whose time has come (retries waiting: not yet)
    pdf_seconds: int  # the oldest PDF wish (pdf_wanted_at) with no render begun since


def _age(since: dt.datetime | None, now: dt.datetime) -> int:
    return 0 if since is None else max(0, int((now - since).total_seconds()))


def lag(session: Session, now: dt.datetime | None = None) -> Lag:
    now = now or clock.now()
    oldest_mail = session.scalar(
        select(func.min(OutboxMessage.created_at))
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)))
    oldest_wish = session.scalar(
        select(func.min(Statement.pdf_wanted_at))
        .where(Statement.pdf_wanted_at.is_not(None), Statement.signed_revision.is_not(None),
               or_(Statement.pdf_rendered_at.is_(None),
                   Statement.pdf_rendered_at < Statement.pdf_wanted_at)))
    return Lag(mail_seconds=_age(oldest_mail, now), pdf_seconds=_age(oldest_wish, now))
