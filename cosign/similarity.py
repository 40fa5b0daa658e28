"""Near-duplicates on the database: which existing signatory of a statement a new sign-on is
"possibly the same" as (see :mod:`cosign.core.likeness` for the rules and the reasons).

The look-up only reads; callers run it BEFORE their write transaction (SQLite's write lock
must not wait for it) and store the result on the new row (``similar_to_id`` and
``similar_reason``). Moderators decide: "mark as duplicate" (moderation.mark_duplicate) or
"not the same" (moderation.not_the_same).
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session, aliased

from cosign.core.domain import email_domain, website_domain
from cosign.core.likeness import Entry, Index, Match
from cosign.models import Signature, Statement

# Who a new sign-on is compared with: whoever may end up on the list.
_COMPARED = ("unconfirmed", "confirmed", "approved")


@dataclass(frozen=True)
class Probe:
    """What a new sign-on is known by when it is compared."""

    name: str
    key: str
    website: str = ""
    email: str = ""


def find(session: Session, statement_id: int, probe: Probe,
         exclude_id: int | None = None) -> Match | None:
    """The existing signatory most likely the same organisation as ``probe``, and why."""
    new = Entry(id=exclude_id or 0, name=probe.name, key=probe.key,
                website=website_domain(probe.website), email=email_domain(probe.email))
    index = _index(session, statement_id)
    with _KNOWN_LOCK:
        return index.best(new)


def find_many(session: Session, statement_id: int, probes: Sequence[Probe]) -> list[Match | None]:
    """:func:`find` for the rows of one import; rows are not compared with each other (the
    import refuses a name twice in the file by key)."""
    index = _index(session, statement_id)
    with _KNOWN_LOCK:
        return [index.best(Entry(id=0, name=probe.name, key=probe.key,
                                 website=website_domain(probe.website),
                                 email=email_domain(probe.email)))
                for probe in probes]


class _Known(NamedTuple):
    """What this process last read of a statement's compared signatories."""

    version: int  # the statement's listing_version then
    counted: int  # rows counted (honeypot rows included)
    max_id: int
    seen: set[int]  # ids of the rows counted
    compared: Index  # of the rows that are compared (honeypot rows left out)


# Per process and database engine: an Index of each statement's compared signatories, brought
# up to date on each look-up by one cheap query (listing version, count, highest id, and the
# rows of the last _WINDOW ids) that adds the rows it has not seen. So a sign-on on a statement
# with 10,000 signatories reads its new neighbours, not 10,000 rows, and compares itself with
# a few dictionary entries. The window catches rows whose ids came before others but were
# committed after them (concurrent writers on PostgreSQL); anything else that does not add up
# (a row left, the list's version changed) reads them all again. A rename that changes no
# listed name (of an unconfirmed sign-on) may be seen late: the hint is advisory. Indexes are
# used and extended under the lock.
_KNOWN: weakref.WeakKeyDictionary[object, OrderedDict[int, _Known]] = \
    weakref.WeakKeyDictionary()
_KNOWN_LOCK = threading.RLock()
_KNOWN_MAX = 64  # statements per engine
_WINDOW = 64  # ids before the highest seen that are read again


def _index(session: Session, statement_id: int) -> Index:
    """The statement's compared signatories (names, keys, registrable domains), indexed."""
    engine = session.get_bind()
    with _KNOWN_LOCK:
        known = _KNOWN.setdefault(engine, OrderedDict()).get(statement_id)
    after = max(0, known.max_id - _WINDOW) if known is not None else 0
    version, count, max_id, rows = _read(session, statement_id, after=after)
    if known is not None and known.version == version:
        with _KNOWN_LOCK:
            if _KNOWN[engine].get(statement_id) is known:  # (no other thread came first)
                new = [row for row in rows if row[0] not in known.seen]
                if known.counted + len(new) == count:  # only new rows: add them
                    if new:
                        known.seen.update(row[0] for row in new)
                        known.compared.extend(_entries(new))
                        _KNOWN[engine][statement_id] = known._replace(
                            counted=count, max_id=max(known.max_id, max_id))
                    return known.compared
    if known is not None:  # a row left, or the version changed: read them all
        version, count, max_id, rows = _read(session, statement_id, after=0)
    index = Index(_entries(rows))
    with _KNOWN_LOCK:
        statements = _KNOWN.setdefault(engine, OrderedDict())
        statements[statement_id] = _Known(version, count, max_id, {row[0] for row in rows}, index)
        statements.move_to_end(statement_id)
        while len(statements) > _KNOWN_MAX:
            statements.popitem(last=False)
    return index


def _read(session: Session, statement_id: int, after: int) -> tuple[int, int, int, list[tuple]]:
    """(listing version, count and highest id of the compared rows, honeypot rows included;
    the rows with ids above ``after`` as (id, name, key, website, email, flagged)), in ONE
    statement, so that on PostgreSQL (a snapshot per statement) the count and rows agree."""
    totals = select(func.count(Signature.id).label("count"),
                    func.coalesce(func.max(Signature.id), 0).label("max_id")).where(
        Signature.statement_id == statement_id, Signature.status.in_(_COMPARED)).subquery()
    row = aliased(Signature)
    result = session.execute(
        select(Statement.listing_version, totals.c.count, totals.c.max_id, row.id, row.name,
               func.coalesce(row.name_key, row.pending_key, ""), row.website, row.email,
               row.flagged)
        .select_from(Statement).join(totals, true())
        .outerjoin(row, and_(row.statement_id == statement_id, row.status.in_(_COMPARED),
                             row.id > after))
        .where(Statement.id == statement_id).order_by(row.id)
    ).all()
    if not result:
        return 0, 0, 0, []
    version, count, max_id = result[0][:3]
    return version, count, max_id, [tuple(r[3:]) for r in result if r[3] is not None]


def _entries(rows: list[tuple]) -> list[Entry]:
    return [Entry(id_, name, key, website_domain(website), email_domain(email))
            for id_, name, key, website, email, flagged in rows if not flagged]


def store(signature: Signature, match: Match | None) -> None:
    """Put a look-up's result on a (new) row; ids of rows of the same import are left out."""
    if match is not None and match.id > 0 and match.id != signature.id:
        signature.similar_to_id, signature.similar_reason = match.id, match.reason
    else:
        signature.similar_to_id, signature.similar_reason = None, ""


__all__ = ["Probe", "find", "find_many", "store"]
