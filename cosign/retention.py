"""Data retention: signatories' contact data is erased some time after signing closes.

Contact data is needed while a statement collects signatures (confirmation,
withdrawal and re-confirmation links) and for a while after, to answer
questions about the list. ``COSIGN_RETENTION_DAYS`` (default 365) after
signing closed, :func:`erase_due` erases it for good; ``flask cosign tick``
and the worker's periodic sweep call :func:`erase_expired_contacts`.

Due are statements whose signing is over: ``closed``, or ``published``
without ``keep_open`` (a published open letter that still accepts signatures
has no ``closed_at`` until someone closes it), with ``closed_at`` at least the
retention ago. Every signature of such a statement is erased, whatever its
status (approved, rejected, withdrawn, still unconfirmed or confirmed, and
honeypot hits):

- erased (set to ""): ``email``, ``contact_name``, ``contact_role``,
  ``message``, ``ip_hash``;
- ``name`` (the name as submitted, which may differ from the name the
  coordinators show) becomes ``public_name``;
- kept: everything the public sees or the PDF is made from (``public_name``,
  ``country``, ``org_type``, ``city``, ``website``, ``display``, ``kind``,
  ``status``, ``revision``, ``lead_rank``, the times) and the deduplication
  key ``name_key`` (an unconfirmed sign-on's ``pending_key`` is emptied: it
  claims nothing any more). Public pages, API, feed, CSV and the PDF's cache key do
  not change, so no PDF is rendered again.

E-mails to signatories (outbox kinds ``signature-*``: confirmation, approval,
re-confirmation, "already signed", "another confirmed first") hold the address, the
name and signed links; they are **deleted** from the outbox with the contact data,
whatever their age (their links stop working anyway: a link names the signature's e-mail
address). A message that a mail worker is sending at this very moment (claimed) is not
deleted under its feet but scrubbed (recipient, subject and bodies emptied)
and marked failed, so it is never sent again. Press mail (``press-*``) is
addressed to journalists, not signatories, and stays.

Each statement is done in one short write transaction: one UPDATE of its
signatures, one DELETE of its mail, ``Statement.contacts_erased_at`` set, and
one audit event ``contacts-erased`` with the number of signatures erased. The
mark makes the job idempotent and cheap: an erased statement is never looked
at again. The audit log itself is kept as it is (it names organisations, not
their contact people).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from cosign import audit, clock, database, signing
from cosign.models import OutboxMessage, Signature, Statement

DEFAULT_RETENTION_DAYS = 365
SIGNATORY_MAIL = "signature-%"
ACTION = "contacts-erased"


def retention_days(config: Mapping[str, Any]) -> int:
    """``COSIGN_RETENTION_DAYS`` as a whole number of days (default 365)."""
    value = config.get("COSIGN_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"COSIGN_RETENTION_DAYS must be a whole number of days, not {value!r}") \
            from exc
    if days < 0:
        raise ValueError(f"COSIGN_RETENTION_DAYS must not be negative, not {days}")
    return days


def due_query(cutoff: dt.datetime):
    """Ids of statements whose signing closed at or before ``cutoff`` and whose
    signatories' contact data is still there."""
    return (select(Statement.id)
            .where(Statement.contacts_erased_at.is_(None),
                   Statement.closed_at.is_not(None), Statement.closed_at <= cutoff,
                   or_(Statement.status == "closed",
                       and_(Statement.status == "published", Statement.keep_open.is_(False))))
            .order_by(Statement.closed_at, Statement.id))


def is_due(statement: Statement, cutoff: dt.datetime) -> bool:
    """:func:`due_query` for one loaded statement."""
    signing_over = statement.status == "closed" or (statement.status == "published"
                                                    and not statement.keep_open)
    return (statement.contacts_erased_at is None and statement.closed_at is not None
            and statement.closed_at <= cutoff and signing_over)


def erase_due(session: Session, retention_days: int, now: dt.datetime | None = None) -> int:
    """Erase the contact data of every statement due; the number of signatures erased."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=retention_days)
    due = list(session.scalars(due_query(cutoff)))
    session.rollback()  # end the read; each statement gets its own write transaction
    erased = 0
    for statement_id in due:
        database.begin_write(session)
        statement = session.get(Statement, statement_id)
        if statement is None:
            session.rollback()
            continue
        session.refresh(statement, with_for_update=True)  # PostgreSQL: one sweep at a time
        if not is_due(statement, cutoff):
            session.rollback()  # another process was quicker
            continue
        count = _erase_statement(session, statement_id, now)
        statement.contacts_erased_at = now
        audit.record(session, statement_id, None, ACTION, count=count,
                     retention_days=retention_days)
        session.commit()
        erased += count
    return erased


def _erase_statement(session: Session, statement_id: int, now: dt.datetime) -> int:
    """One UPDATE of the statement's signatures and one DELETE of their mail."""
    result = session.execute(
        update(Signature)
        .where(Signature.statement_id == statement_id,
               or_(Signature.email != "", Signature.contact_name != "",
                   Signature.contact_role != "", Signature.message != "",
                   Signature.ip_hash != "", Signature.name != Signature.public_name))
        .values(email="", contact_name="", contact_role="", message="", ip_hash="",
                name=Signature.public_name, pending_key=None)
        .execution_options(synchronize_session=False)
    )
    mail = (OutboxMessage.statement_id == statement_id,
            OutboxMessage.kind.like(SIGNATORY_MAIL))
    being_sent = and_(OutboxMessage.claimed_until.is_not(None), OutboxMessage.claimed_until > now)
    session.execute(
        update(OutboxMessage).where(*mail, being_sent)
        .values(recipient="", subject="", body_text="", body_html="", list_unsubscribe="",
                failed_at=now, last_error="contact data erased (retention)")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(OutboxMessage).where(*mail, ~being_sent)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()  # loaded signatures and messages show the erased values
    return database.rowcount(result) or 0


def erase_expired_contacts(session: Session, config: Mapping[str, Any]) -> int:
    """The scheduled job (``flask cosign tick``, the worker's sweep): close the claims of
    unconfirmed sign-ons whose link expired (``COSIGN_CONFIRM_MAX_AGE``, see
    :func:`cosign.signing.close_expired_claims`), then erase what is due under
    ``COSIGN_RETENTION_DAYS``; the number of signatures erased."""
    signing.close_expired_claims(
        session, int(config.get("COSIGN_CONFIRM_MAX_AGE") or signing.CONFIRM_MAX_AGE))
    return erase_due(session, retention_days(config))
