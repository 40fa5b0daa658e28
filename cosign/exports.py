"""Lists of signatories as CSV and XLSX files.

The public export has public columns only; withheld names stay withheld.
The full export, for members, adds contact data and moderation details.
Cells that a spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import csv
import io
from typing import Iterator

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from cosign.core.countries import country_name
from cosign.core.names import csv_safe
from cosign.models import Signature, Statement
from cosign.signatories import public_order

PUBLIC_COLUMNS = ("name", "country", "country_code", "city", "type", "signed_version")
FULL_COLUMNS = PUBLIC_COLUMNS + (
    "original_name", "display", "status", "contact_name", "contact_role", "email", "website",
    "message", "provenance", "signed_at", "confirmed_at",
)
WITHHELD = "An organisation in {country} (name withheld)"


def _signatures(session: Session, statement: Statement, full: bool) -> Iterator[Signature]:
    query = select(Signature).where(Signature.statement_id == statement.id,
                                    Signature.flagged.is_(False))
    if not full:
        query = query.where(Signature.status == "approved")
    return session.scalars(query.order_by(*public_order())).yield_per(500)


def rows(session: Session, statement: Statement, *, full: bool) -> Iterator[list[str]]:
    yield list(FULL_COLUMNS if full else PUBLIC_COLUMNS)
    for s in _signatures(session, statement, full):
        country = country_name(s.country)
        withheld = s.display == "withheld"
        public = [
            WITHHELD.format(country=country) if withheld and not full else s.public_name,
            country, s.country, "" if withheld and not full else s.city,
            s.org_type, str(s.revision),
        ]
        if full:
            public += [s.name, s.display, s.status, s.contact_name, s.contact_role, s.email,
                       s.website, s.message, s.provenance + (f": {s.provenance_detail}"
                                                             if s.provenance_detail else ""),
                       s.created_at.isoformat(sep=" "),
                       s.confirmed_at.isoformat(sep=" ") if s.confirmed_at else ""]
        yield [csv_safe(value) for value in public]


def to_csv(session: Session, statement: Statement, *, full: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows(session, statement, full=full))
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets then read UTF-8 (Arabic) correctly


def to_xlsx(session: Session, statement: Statement, *, full: bool) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Signatories")
    for row in rows(session, statement, full=full):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
