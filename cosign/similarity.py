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
from dataclasses import dataclass
from typing import NamedTuple, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

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


def _compared(statement_id: int) -> tuple:
    return (Signature.statement_id == statement_id, Signature.flagged.is_(False),
            Signature.status.in_(_COMPARED))


class _Known(NamedTuple):
    """What this process last read of a statement's compared signatories."""

    version: int  # the statement's listing_version then
    count: int  # rows counted (honeypot rows included)
    max_id: int
    index: Index  # of the rows that are compared (honeypot rows left out)


# Per process and database engine: an Index of each statement's compared signatories, brought
# up to date on each look-up by one cheap query (listing version, count, highest id) and, when
# only new rows came, by reading and adding those alone. So a sign-on on a statement with
# 10,000 signatories reads its new neighbours, not 10,000 rows, and compares itself with a
# few dictionary entries. A rename that changes no listed name (of an unconfirmed sign-on)
# may be seen late: the hint is advisory. Indexes are used and extended under the lock.
_KNOWN: "weakref.WeakKeyDictionary[object, OrderedDict[int, _Known]]" = \
    weakref.WeakKeyDictionary()
_KNOWN_LOCK = threading.RLock()
_KNOWN_MAX = 64  # statements per engine


def _index(session: Session, statement_id: int) -> Index:
    """The statement's compared signatories (names, keys, registrable domains), indexed."""
    # counted on the (statement_id, status) index alone; honeypot rows (flagged) are counted
    # here and left out of the entries
    version, count, max_id = session.execute(
        select(Statement.listing_version, func.count(Signature.id),
               func.coalesce(func.max(Signature.id), 0))
        .select_from(Statement).outerjoin(Signature, and_(
            Signature.statement_id == statement_id, Signature.status.in_(_COMPARED)))
        .where(Statement.id == statement_id).group_by(Statement.listing_version)
    ).one_or_none() or (0, 0, 0)
    engine = session.get_bind()
    with _KNOWN_LOCK:
        known = _KNOWN.setdefault(engine, OrderedDict()).get(statement_id)
    if known is not None and (known.version, known.count, known.max_id) == (version, count,
                                                                             max_id):
        return known.index
    fresh_known = None
    if known is not None and known.version == version and max_id > known.max_id:
        rows, fresh = _read(session, statement_id, after=known.max_id)
        if known.count + rows == count:  # nothing left the set meanwhile
            with _KNOWN_LOCK:  # (unless another thread of this process came first)
                if _KNOWN[engine].get(statement_id) is known:
                    known.index.extend(fresh)
                    fresh_known = _Known(version, count, max_id, known.index)
                    _KNOWN[engine][statement_id] = fresh_known
    if fresh_known is None:
        rows, entries = _read(session, statement_id)
        fresh_known = _Known(version, rows, max_id, Index(entries))
    with _KNOWN_LOCK:
        statements = _KNOWN.setdefault(engine, OrderedDict())
        statements[statement_id] = fresh_known
        statements.move_to_end(statement_id)
        while len(statements) > _KNOWN_MAX:
            statements.popitem(last=False)
    return fresh_known.index


def _read(session: Session, statement_id: int, after: int = 0) -> tuple[int, tuple[Entry, ...]]:
    """(rows read, entries of the unflagged ones) with ids above ``after``."""
    rows = session.execute(
        select(Signature.id, Signature.name,
               func.coalesce(Signature.name_key, Signature.pending_key, ""),
               Signature.website, Signature.email, Signature.flagged)
        .where(Signature.statement_id == statement_id, Signature.status.in_(_COMPARED),
               Signature.id > after).order_by(Signature.id)
    ).all()
    return len(rows), tuple(Entry(id_, name, key, website_domain(website), email_domain(email))
                            for id_, name, key, website, email, flagged in rows if not flagged)


def candidates(session: Session, statement_id: int) -> list[Entry]:
    """The statement's compared signatories as :class:`Entry` rows, oldest first."""
    index = _index(session, statement_id)
    with _KNOWN_LOCK:
        return list(index.entries)


def store(signature: Signature, match: Match | None) -> None:
    """Put a look-up's result on a (new) row; ids of rows of the same import are left out."""
    if match is not None and match.id > 0 and match.id != signature.id:
        signature.similar_to_id, signature.similar_reason = match.id, match.reason
    else:
        signature.similar_to_id, signature.similar_reason = None, ""


__all__ = ["Probe", "candidates", "find", "find_many", "store"]
