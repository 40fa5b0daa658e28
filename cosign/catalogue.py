"""What the public API and the feed show: published statements and their public lists.

A statement is in the catalogue only once it is published
(:func:`cosign.publishing.published_query`): drafts, statements open for
signature or closed, and statements under embargo are not, and cannot be
found by their slug here. Signatories appear with public fields only;
contact columns are never even selected. A withheld signatory is only its
country and type.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cosign import drafting, pdfs, publishing, signatories
from cosign.core.countries import country_name
from cosign.core.names import csv_safe
from cosign.errors import N_, UserError
from cosign.exports import WITHHELD
from cosign.models import IssuedPdf, Revision, Signature, Statement

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
FEED_SIZE = 50
CSV_COLUMNS = ("name", "country", "country_code", "city", "type", "website", "signed_version")


class BadPage(UserError):
    """A page number or page size out of range; ``field`` names the parameter."""


def page_numbers(page: str | None, per_page: str | None) -> tuple[int, int]:
    """``page`` and ``per_page`` as given in a query string, checked."""
    return (_whole(page, "page", 1, MAX_PAGE, 1),
            _whole(per_page, "per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE))


def _whole(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise BadPage(N_("%(name)s must be a whole number from %(low)d to %(high)d."), name,
                      name=name, low=low, high=high)
    return int(value)


@dataclass(frozen=True)
class Entry:
    """A published statement as listed: its signed text's title and its approved count."""

    statement: Statement
    title: str
    signatory_count: int


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)


def _signed_text():
    """Join condition: a statement's signed revision (its text as signed and published)."""
    return and_(Revision.statement_id == Statement.id, Revision.number == Statement.signed_revision)


def published_page(session: Session, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """One page of published statements, newest first, with approved counts (one query)."""
    total = session.scalar(_count(publishing.published_query())) or 0
    rows = session.execute(
        publishing.published_query().add_columns(Revision.title).join(Revision, _signed_text())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    counts = signatories.approved_counts(session, [s.id for s, _title in rows])
    return Page([Entry(s, title, counts[s.id]) for s, title in rows], page, per_page, total)


def _count(query):
    return select(func.count()).select_from(query.order_by(None).subquery())


@dataclass(frozen=True)
class FeedEntry:
    statement: Statement
    revision: Revision  # the signed text
    corrected_at: dt.datetime | None

    @property
    def updated_at(self) -> dt.datetime:
        return self.corrected_at or self.statement.published_at


def newest(session: Session, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest published statements with their signed text, in one query."""
    rows = session.execute(
        publishing.published_query().add_columns(Revision).join(Revision, _signed_text())
        .limit(limit)
    ).all()
    return [FeedEntry(s, revision, _corrected_at(s, revision)) for s, revision in rows]


def _corrected_at(statement: Statement, revision: Revision) -> dt.datetime | None:
    # as publishing.correction(): a signed version newer than the published one
    if statement.published_revision is not None and revision.number > statement.published_revision:
        return revision.created_at
    return None


def published(session: Session, slug: str) -> Statement | None:
    """The published statement at ``slug``; None for every other slug, known or not."""
    return session.scalar(publishing.published_query().where(Statement.slug == slug))


@dataclass(frozen=True)
class PublicSignatory:
    """A signatory as the API shows it: no contact data; withheld ones have no name."""

    name: str | None
    country: str
    org_type: str
    city: str
    website: str
    revision: int

    @property
    def withheld(self) -> bool:
        return self.name is None


def public_signatories(session: Session, statement_id: int) -> list[PublicSignatory]:
    """Every approved signatory in public order (as on the statement's page), one query."""
    rows = session.execute(
        select(Signature.public_name, Signature.display, Signature.country, Signature.org_type,
               Signature.city, Signature.website, Signature.revision)
        .where(Signature.statement_id == statement_id, Signature.status == "approved",
               Signature.flagged.is_(False))
        .order_by(*signatories.public_order())
    )
    return [
        PublicSignatory(name=None, country=country, org_type=org_type, city="", website="",
                        revision=revision)
        if display == "withheld" else
        PublicSignatory(name=name, country=country, org_type=org_type, city=city,
                        website=website, revision=revision)
        for name, display, country, org_type, city, website, revision in rows
    ]


@dataclass(frozen=True)
class Detail:
    """Everything the public may know about one published statement."""

    statement: Statement
    revision: Revision  # the signed text
    correction: publishing.Correction | None
    signatories: list[PublicSignatory]
    pdf: IssuedPdf | None

    @property
    def signatory_count(self) -> int:
        return len(self.signatories)


def detail(session: Session, statement: Statement) -> Detail:
    return Detail(
        statement=statement,
        revision=drafting.get_revision(session, statement.id, statement.signed_revision),
        correction=publishing.correction(session, statement),
        signatories=public_signatories(session, statement.id),
        pdf=pdfs.latest(session, statement.id),
    )


def signatories_csv(session: Session, statement: Statement) -> str:
    """The public list as CSV (UTF-8, header row); spreadsheet formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in public_signatories(session, statement.id):
        country = country_name(s.country)
        name = WITHHELD.format(country=country) if s.withheld else s.name
        row = (name, country, s.country, s.city, s.org_type, s.website, str(s.revision))
        writer.writerow([csv_safe(value) for value in row])
    return out.getvalue()
