"""Collation keys kept with each signature, so lists are ordered without collating on reads.

``signature.sort_key`` (:func:`cosign.core.ordering.sort_key`) is computed
when a signature is written: created, renamed, its display, country or type
changed. Every public list (page, CSV, API, feed, PDF) is then ordered by that
column with ``ORDER BY sort_key`` alone; no request runs the Unicode
Collation Algorithm. A statement's language decides how withheld entries'
country names sort, so changing it recomputes its keys
(:func:`recompute`).
"""
from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from cosign.core.ordering import sort_key
from cosign.models import Signature, Statement

_FIELDS = ("public_name", "display", "country", "org_type")


def key_of(signature: Signature, language: str) -> str:
    return sort_key(signature.public_name or "", withheld=signature.display == "withheld",
                    country=signature.country or "", org_type=signature.org_type or "other",
                    locale=language or "en")


def _changed(signature: Signature) -> bool:
    state = inspect(signature)
    return any(state.attrs[field].history.has_changes() for field in _FIELDS)


def _language(session: Session, statement_id: int, cache: dict[int, str]) -> str:
    if statement_id not in cache:
        with session.no_autoflush:
            loaded = session.identity_map.get(identity_key(Statement, statement_id))
            if loaded is not None and "language" in loaded.__dict__:  # no query needed
                cache[statement_id] = loaded.language or "en"
            else:
                cache[statement_id] = session.scalar(
                    select(Statement.language).where(Statement.id == statement_id)) or "en"
    return cache[statement_id]


def _before_flush(session: Session, _context, _instances) -> None:
    languages: dict[int, str] = {}
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Signature) and obj.statement_id and (
                obj in session.new or not obj.sort_key or _changed(obj)):
            obj.sort_key = key_of(obj, _language(session, obj.statement_id, languages))


def recompute(session: Session, statement: Statement) -> None:
    """New keys for every signature of the statement (its language changed)."""
    for signature in session.scalars(select(Signature).where(
            Signature.statement_id == statement.id)):
        signature.sort_key = key_of(signature, statement.language)


def init() -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
