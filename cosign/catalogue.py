"""What the public API and the feed show: published statements and their public lists.

A statement is in the catalogue only once it is published
(:func:`cosign.publishing.published_query`): drafts, statements open for
signature or closed, and statements under embargo are not, and cannot be
found by their slug here. Signatories appear with public fields only;
contact columns are never even selected. A withheld signatory is only its
country and type.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from cosign import drafting, listing, pdfs, publishing, signatories, translating
from cosign.errors import N_, UserError
from cosign.models import IssuedPdf, Revision, Statement

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
FEED_SIZE = 50


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
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(high)) \
            or not low <= int(value) <= high:
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
    def published_at(self) -> dt.datetime:
        published = self.statement.published_at
        if published is None:  # the feed lists published statements only
            raise ValueError(f"statement {self.statement.id} is in the feed, unpublished")
        return published

    @property
    def updated_at(self) -> dt.datetime:
        return self.corrected_at or self.published_at


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


class PublishedState(NamedTuple):
    """The columns of a published statement that its public answers are made from, and
    a mark of its issued PDFs that changes whenever one is issued (how many, the newest
    id): read in one query, they say whether a kept answer still holds."""

    id: int
    slug: str
    listing_version: int
    signed_revision: int | None
    signed_sha256: str
    published_revision: int | None
    status: str
    keep_open: bool
    deadline: dt.datetime | None
    coalition: str
    language: str
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    pdf_count: int
    newest_pdf: int | None


@cache
def _state_query():
    # built once (building and caching a query costs more than running it): the
    # published query is a condition on columns, with no moment of time in it
    issued = (IssuedPdf.statement_id == Statement.id, IssuedPdf.watermark == "")
    return publishing.published_query().with_only_columns(
        *[getattr(Statement, name) for name in PublishedState._fields[:-2]],
        select(func.count(IssuedPdf.id)).where(*issued).scalar_subquery(),
        select(func.max(IssuedPdf.id)).where(*issued).scalar_subquery(),
    ).where(Statement.slug == bindparam("slug"))


def published_state(session: Session, slug: str) -> PublishedState | None:
    """:class:`PublishedState` of the published statement at ``slug`` (one query, run as a
    plain statement on the session's connection: no ORM work), or None."""
    row = session.connection().execute(_state_query(), {"slug": slug}).first()
    return PublishedState(*row) if row else None


@dataclass(frozen=True)
class About:
    """What the public may know about one published statement, but its list."""

    statement: Statement
    revision: Revision  # the signed text
    correction: publishing.Correction | None
    pdf: IssuedPdf | None
    # (translation, its current revision, its newest PDF), by language
    translations: tuple


def about(session: Session, statement: Statement) -> About:
    return About(
        statement=statement,
        revision=drafting.signed_revision(session, statement),
        correction=publishing.correction(session, statement),
        pdf=pdfs.latest(session, statement.id),
        translations=tuple((t, r, pdfs.latest(session, statement.id, language=t.language))
                           for t, r in translating.public_versions(session, statement)),
    )


@dataclass(frozen=True)
class Detail(About):
    """Everything the public may know about one published statement."""

    public_list: listing.Listing

    @property
    def signatories(self) -> tuple[listing.Entry, ...]:
        return self.public_list.entries

    @property
    def signatory_count(self) -> int:
        return self.public_list.total


def detail(session: Session, statement: Statement,
           listings: listing.Cache | None = None) -> Detail:
    """The statement's public detail; its list from ``listings`` (kept snapshots) if given."""
    public_list = (listings.get(session, statement) if listings
                   else listing.build(session, statement.id))
    return Detail(**vars(about(session, statement)), public_list=public_list)
