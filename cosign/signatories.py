"""The public list of a statement's signatories: approved, never flagged, public fields only."""
from __future__ import annotations

from sqlalchemy import Text, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from cosign.models import Signature, Statement


def _approved(statement_id: int):
    return (Signature.statement_id == statement_id, Signature.status == "approved",
            Signature.flagged.is_(False))


class binary_order(FunctionElement):
    """A text column compared byte by byte (code point order), on every database:
    ``COLLATE "C"`` on PostgreSQL (whose default collation follows the locale),
    the column itself on SQLite (which compares text with BINARY)."""

    type = Text()
    inherit_cache = True


@compiles(binary_order)
def _binary_order(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(binary_order, "postgresql")
def _binary_order_postgresql(element, compiler, **kw):
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


def public_order():
    """The public order: by the stored collation key (:mod:`cosign.collation`) in binary
    order, then by id. That is named signatories by the Unicode Collation Algorithm, then
    the withheld ones by country and type (a withheld signatory's place in the list must
    not hint at its hidden name), as :func:`cosign.core.ordering.order_signatories`
    orders them; no query collates names."""
    return (binary_order(Signature.sort_key), Signature.id)


def approved_count(session: Session, statement_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Signature)
                          .where(*_approved(statement_id))) or 0


def approved_counts(session: Session, statement_ids: list[int]) -> dict[int, int]:
    """Approved signatories of the current signed text of several statements, in one query
    (those of an earlier version who have not re-confirmed are not counted: cosign.listing)."""
    if not statement_ids:
        return {}
    rows = session.execute(
        select(Signature.statement_id, func.count())
        .join(Statement, Statement.id == Signature.statement_id)
        .where(Signature.statement_id.in_(statement_ids), Signature.status == "approved",
               Signature.flagged.is_(False), Signature.revision == Statement.signed_revision)
        .group_by(Signature.statement_id)
    )
    counts = dict.fromkeys(statement_ids, 0)
    counts.update({statement_id: n for statement_id, n in rows})
    return counts
