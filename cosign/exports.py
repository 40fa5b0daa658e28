"""Lists of signatories as CSV and XLSX files.

The public export has public columns only; withheld names stay withheld. It
is made from the public list's snapshot (:mod:`cosign.listing`), in the
public order, once per version of the list when a cache of snapshots is given.
The full export, for members, adds contact data and moderation details.
Cells that a spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from cosign import listing
from cosign.core.countries import country_name
from cosign.core.names import csv_safe
from cosign.models import Signature, Statement
from cosign.signatories import public_order

PUBLIC_COLUMNS = listing.EXPORT_COLUMNS
FULL_COLUMNS = PUBLIC_COLUMNS + (
    "original_name", "display", "status", "contact_name", "contact_role", "email", "website",
    "message", "provenance", "signed_at", "confirmed_at",
)
WITHHELD = listing.WITHHELD


def _public(session: Session, statement: Statement,
            listings: listing.Cache | None) -> listing.Listing:
    return listings.get(session, statement) if listings else listing.build(session, statement.id)


def _signatures(session: Session, statement: Statement) -> Iterator[Signature]:
    query = select(Signature).where(Signature.statement_id == statement.id,
                                    Signature.flagged.is_(False))
    return session.scalars(query.order_by(*public_order())).yield_per(500)


def rows(session: Session, statement: Statement, *, full: bool,
         listings: listing.Cache | None = None) -> Iterator[list[str]]:
    if not full:
        yield from (list(row) for row in _public(session, statement, listings).export_rows())
        return
    yield list(FULL_COLUMNS)
    for s in _signatures(session, statement):
        country = country_name(s.country)
        row = [s.public_name, country, s.country, s.city, s.org_type, str(s.revision),
               s.name, s.display, s.status, s.contact_name, s.contact_role, s.email,
               s.website, s.message, s.provenance + (f": {s.provenance_detail}"
                                                     if s.provenance_detail else ""),
               s.created_at.isoformat(sep=" "),
               s.confirmed_at.isoformat(sep=" ") if s.confirmed_at else ""]
        yield [csv_safe(value) for value in row]


def to_csv(session: Session, statement: Statement, *, full: bool,
           listings: listing.Cache | None = None) -> str:
    if not full:
        return _public(session, statement, listings).export_csv()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows(session, statement, full=True))
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets then read UTF-8 (Arabic) correctly


def to_xlsx(session: Session, statement: Statement, *, full: bool,
            listings: listing.Cache | None = None) -> bytes:
    # deferred: openpyxl takes ~0.15 s to import; of the web app's requests only this export
    # needs it (every gunicorn worker and command would pay it at start)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Signatories")
    for row in rows(session, statement, full=full, listings=listings):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
