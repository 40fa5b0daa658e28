"""The daily digest: coordinators hear once a day of new sign-ons waiting for moderation.

For each statement that accepts signatures (open, or published and kept open,
before any deadline), the worker's sweep (and ``flask cosign tick``) mails every
coordinator (a member with the role *owner*; editors, the co-drafters, are not
mailed) whose account has not turned the digest off (``user.digest_opt_out``):
how many sign-ons wait ("To review": confirmed, not yet approved or rejected),
which are new since the last digest (organisation name and country; never a
contact person, an e-mail address or a message; a name withheld from the public
is withheld here too, since mail is kept in mailboxes the site cannot protect),
a link to the moderation page and one to the account page, where a button turns
the digest off. Links are built from ``COSIGN_SITE_URL``.

When: at most one digest per statement in any 24 hours
(``statement.digest_sent_at``), and only when a sign-on that came in since the
last digest still waits; nothing at all when nothing waits. The 24-hour rule is
plain on purpose: the coordinators of one statement often live in different
time zones, and the statement has one mark, so "at 8 in the morning" could only
be one of theirs; and the statement's first digest goes out without waiting for
a clock hour, when the first sign-ons have waited for :data:`GATHER` (an hour:
the burst that follows an opening makes one digest, not one per sign-on).

Each coordinator's mail is rendered in their language (``user.language``, else
the statement's) with times in their time zone, before the short write
transaction that queues the mail and sets the mark, so no lock is held while
templates render. The mark is checked again under the lock: two sweeps (a
worker and ``tick``) never send the same digest twice.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from cosign import clock, database, mail
from cosign.core.countries import country_name
from cosign.models import Membership, Signature, Statement, User

INTERVAL = dt.timedelta(hours=24)  # at most one digest per statement in this time
GATHER = dt.timedelta(hours=1)  # a new sign-on waits this long before it causes a digest
LISTED = 30  # new sign-ons named in one mail; the rest are counted
KIND = "moderation-digest"
ROLE = "owner"  # the coordinators; editors are co-drafters


def _waiting():
    return and_(Signature.status == "confirmed", Signature.flagged.is_(False))


def due(session: Session, now: dt.datetime | None = None, *,
        statement_id: int | None = None) -> list[int]:
    """Ids of the statements whose digest is due now (one query); ``statement_id``: that
    one only, if due."""
    now = now or clock.now()
    confirmed = func.coalesce(Signature.confirmed_at, Signature.created_at)
    new_waiting = exists().where(
        Signature.statement_id == Statement.id, _waiting(),
        or_(Statement.digest_sent_at.is_(None), confirmed >= Statement.digest_sent_at),
        confirmed <= now - GATHER)
    reader = exists().where(
        Membership.statement_id == Statement.id, Membership.role == ROLE,
        User.id == Membership.user_id, User.digest_opt_out.is_(False))
    return list(session.scalars(
        select(Statement.id)
        .where(or_(Statement.status == "open",
                   and_(Statement.status == "published", Statement.keep_open.is_(True))),
               or_(Statement.deadline.is_(None), Statement.deadline > now),
               or_(Statement.digest_sent_at.is_(None),
                   Statement.digest_sent_at <= now - INTERVAL),
               new_waiting, reader,
               *([Statement.id == statement_id] if statement_id is not None else []))
        .order_by(Statement.id)))


@dataclass(frozen=True)
class NewSignOn:
    name: str  # "" when withheld from the public
    country: str  # ISO code


@dataclass(frozen=True)
class Summary:
    """What one statement's digest says, whoever reads it."""

    statement_id: int
    slug: str
    title: str
    language: str
    waiting: int
    new: tuple[NewSignOn, ...]
    new_total: int
    mark: dt.datetime | None  # the last digest's time as read (checked again under the lock)


def summary(session: Session, statement_id: int, now: dt.datetime) -> Summary | None:
    """The statement's digest as of ``now``. New are the sign-ons waiting that came in from
    the last digest's time (included) until ``now`` (excluded), and ``now`` becomes the mark:
    each sign-on falls in exactly one digest's time, also one that came in while the last
    digest was being sent."""
    statement = session.get(Statement, statement_id)
    if statement is None:
        return None
    mark = statement.digest_sent_at
    confirmed = func.coalesce(Signature.confirmed_at, Signature.created_at)
    waiting = (Signature.statement_id == statement_id, _waiting())
    new = (*waiting, confirmed < now, *([confirmed >= mark] if mark is not None else []))
    total = session.scalar(select(func.count()).select_from(Signature).where(*waiting)) or 0
    new_total = session.scalar(select(func.count()).select_from(Signature).where(*new)) or 0
    rows = session.execute(
        select(Signature.public_name, Signature.country, Signature.display)
        .where(*new).order_by(confirmed, Signature.id).limit(LISTED)).all()
    return Summary(statement_id, statement.slug, statement.title, statement.language, total,
                   tuple(NewSignOn("" if display == "withheld" else name, country)
                         for name, country, display in rows),
                   new_total, mark)


def readers(session: Session, statement_id: int) -> list[User]:
    """The statement's coordinators who get the digest."""
    return list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.statement_id == statement_id, Membership.role == ROLE,
               User.digest_opt_out.is_(False))
        .order_by(User.id)))


def prepare(summary: Summary, user: User, config: Mapping[str, Any]) -> mail.Prepared:
    """One coordinator's digest, in their language and time zone."""
    locale = mail.locale_of(user.language or summary.language)
    site = config["COSIGN_SITE_URL"].rstrip("/")
    return mail.prepare("moderation_digest", {
        "name": user.name, "title": summary.title, "waiting": summary.waiting,
        "new": [(s.name, country_name(s.country, locale), s.country) for s in summary.new],
        "new_total": summary.new_total, "more": summary.new_total - len(summary.new),
        "since": summary.mark, "zone": user.timezone or "UTC",
        "link": f"{site}/desk/{summary.slug}/signatures/?status=confirmed",
        "account_link": f"{site}/account/#digest",
        "site_name": config.get("COSIGN_SITE_NAME", "cosign"),
    }, locale)


def send(session: Session, statement_id: int, config: Mapping[str, Any],
         now: dt.datetime | None = None) -> int:
    """Queue one statement's digest if it is still due; the number of mails queued."""
    now = now or clock.now()
    with database.write_intent(False):  # reading and rendering take no write lock (SQLite)
        found = summary(session, statement_id, now) \
            if due(session, now, statement_id=statement_id) else None
        people = readers(session, statement_id) if found is not None else []
        prepared = ([(user.email, prepare(found, user, config)) for user in people]
                    if found is not None else [])
        session.rollback()  # end the read: the write below is short
    if found is None or not prepared:
        return 0
    database.begin_write(session)
    statement = session.get(Statement, statement_id)
    if statement is None:
        session.rollback()
        return 0
    session.refresh(statement, with_for_update=True)  # PostgreSQL: one sweep at a time
    if statement.digest_sent_at != found.mark:  # another sweep sent it meanwhile
        session.rollback()
        return 0
    for email, message in prepared:
        mail.enqueue_prepared(session, message, kind=KIND, recipient=email,
                              statement_id=statement_id)
    statement.digest_sent_at = now
    session.commit()
    return len(prepared)


def send_due(session: Session, config: Mapping[str, Any], now: dt.datetime | None = None) -> int:
    """The scheduled job (the worker's sweep, ``flask cosign tick``): every digest that is
    due; the number of mails queued (they are delivered with the rest of the outbox)."""
    now = now or clock.now()
    with database.write_intent(False):
        statements = due(session, now)
        session.rollback()
    return sum(send(session, statement_id, config, now) for statement_id in statements)
