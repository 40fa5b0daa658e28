"""The site's press list: journalists and newsrooms that receive published statements.

One list for the whole site, shared by every coordinator. Coordinators add,
edit and remove contacts, which are ``active`` at once, and import them from a
CSV file (:mod:`cosign.press_import`). Journalists subscribe and unsubscribe
themselves (:mod:`cosign.subscription`). Every press e-mail carries a one-click
unsubscribe link (:func:`unsubscribe_token`).

Consent comes first: an address that unsubscribed is never re-activated by a
coordinator (adding, editing or importing it is refused and stores nothing);
only its owner can subscribe again, through the public form and its
confirmation link, or with the "subscribe again" button of the unsubscribe
page.

Tags ("beats") are stored as ``"tag1,tag2"``: lower case, sorted, without
duplicates (:func:`normalise_tags`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database
from cosign.core.language import normalise_language_tag
from cosign.core.names import clean_line
from cosign.core.paging import Page
from cosign.errors import N_, UserError
from cosign.models import PRESS_CONTACT_STATUSES, PressContact
from cosign.security import make_token

STATUSES = PRESS_CONTACT_STATUSES
SELECTIONS = ("none", "all", "tags")

UNSUBSCRIBE = "press-unsubscribe"  # the purpose of unsubscribe links (subscription.py reads them)

MAX_NAME = 200
MAX_OUTLET = 200
MAX_EMAIL = 254
MAX_TAGS = 20
MAX_TAG = 40
MAX_TAGS_TEXT = 500  # the column's size: 20 tags of 40 characters would not fit
PER_PAGE = 100


class PressError(UserError):
    """A press contact cannot be stored or changed; the message says why."""


class ContactNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ContactData:
    """What a coordinator or a journalist enters for one contact."""

    email: str
    name: str = ""
    outlet: str = ""
    language: str = "en"
    tags: str | Iterable[str] = ""


# --- checking input -------------------------------------------------------------

def _text(value: str, limit: int, field_name: str, message: str) -> str:
    text = clean_line(value)
    if len(text) > limit:
        raise PressError(message, field_name, max=limit)
    return text


def normalise_tags(text: str | Iterable[str]) -> str:
    """Tags in their stored form: ``"Human rights, Iraq"`` → ``"human rights,iraq"``.

    Split on commas; each tag cleaned (:func:`clean_line`) and in lower case;
    tags without a letter or digit dropped; duplicates removed; sorted. Raises
    PressError (field ``tags``) for more than 20 tags, a tag over 40
    characters, or more than 500 characters in all.
    """
    pieces = text.split(",") if isinstance(text, str) else [
        piece for item in text for piece in str(item).split(",")]
    tags: set[str] = set()
    for piece in pieces:
        tag = clean_line(piece).lower()
        if not any(c.isalnum() for c in tag):
            continue
        if len(tag) > MAX_TAG:
            raise PressError(N_("A tag may have at most %(max)d characters: “%(tag)s”."),
                             "tags", max=MAX_TAG, tag=tag[:MAX_TAG] + "…")
        tags.add(tag)
    if len(tags) > MAX_TAGS:
        raise PressError(N_("At most %(max)d tags."), "tags", max=MAX_TAGS)
    joined = ",".join(sorted(tags))
    if len(joined) > MAX_TAGS_TEXT:
        raise PressError(N_("The tags may have at most %(max)d characters in all."), "tags",
                         max=MAX_TAGS_TEXT)
    return joined


def normalise_email(address: str) -> str:
    """The address in lower case, or PressError (field ``email``)."""
    address = (address or "").strip()
    if not address:
        raise PressError(N_("Enter an e-mail address."), "email")
    if len(address) > MAX_EMAIL:
        raise PressError(N_("The e-mail address may have at most %(max)d characters."), "email",
                         max=MAX_EMAIL)
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PressError(N_("“%(value)s” is not a valid e-mail address."), "email",
                         value=address[:80]) from exc
    return info.normalized.lower()


def normalise_language(tag: str) -> str:
    tag = (tag or "").strip()
    if not tag:
        return "en"
    try:
        return normalise_language_tag(tag[:35])
    except ValueError as exc:
        raise PressError(N_("“%(value)s” is not a language code such as en, ar or fr."),
                         "language", value=tag[:40]) from exc


def check(data: ContactData) -> ContactData:
    """The contact in its stored form, or PressError naming the field at fault."""
    return ContactData(
        email=normalise_email(data.email),
        name=_text(data.name, MAX_NAME, "name",
                   N_("The name may have at most %(max)d characters.")),
        outlet=_text(data.outlet, MAX_OUTLET, "outlet",
                     N_("The outlet may have at most %(max)d characters.")),
        language=normalise_language(data.language),
        tags=normalise_tags(data.tags),
    )


def fill(contact: PressContact, data: ContactData) -> None:
    """Copy checked details (see :func:`check`) onto ``contact``."""
    contact.email, contact.name, contact.outlet = data.email, data.name, data.outlet
    contact.language, contact.tags = data.language, str(data.tags)


def date_text(moment) -> str:
    """The day of ``moment`` for messages (``2026-11-01``), ``?`` if unknown."""
    return moment.date().isoformat() if moment else "?"


def _taken(contact: PressContact) -> PressError:
    """Why ``contact``'s address cannot be added again by a coordinator."""
    if contact.status == "unsubscribed":
        return PressError(N_("%(email)s unsubscribed on %(date)s; only they can subscribe again."),
                          "email", email=contact.email, date=date_text(contact.unsubscribed_at))
    return PressError(N_("%(email)s is already on the press list."), "email", email=contact.email)


# --- reading the list -------------------------------------------------------------

def _has_tag(tag: str):
    return ("," + PressContact.tags + ",").contains(f",{tag},", autoescape=True)


def by_email(session: Session, email: str) -> PressContact | None:
    """The contact with this address in its stored form (:func:`normalise_email`), or None."""
    return session.scalar(select(PressContact).where(PressContact.email == email))


def get(session: Session, contact_id: int) -> PressContact:
    contact = session.get(PressContact, contact_id)
    if contact is None:
        raise ContactNotFound(contact_id)
    return contact


def search(session: Session, *, tag: str = "", status: str = "", text: str = "",
           page: int = 1, per_page: int = PER_PAGE) -> Page[PressContact]:
    """One page of the press list (every status unless ``status``), ordered by e-mail."""
    query = select(PressContact)
    if status:
        if status not in STATUSES:
            raise PressError(N_("Unknown status."), "status")
        query = query.where(PressContact.status == status)
    if tag:
        query = query.where(_has_tag(tag.strip().lower()))
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(PressContact.name).like(like),
                                func.lower(PressContact.outlet).like(like),
                                PressContact.email.like(like)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    items = session.scalars(query.order_by(PressContact.email)
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(items), total, page, per_page)


def status_counts(session: Session) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    counts.update(dict(session.execute(
        select(PressContact.status, func.count()).group_by(PressContact.status)).all()))
    return counts


def all_tags(session: Session, *, include_inactive: bool = False) -> list[str]:
    """The tags of active contacts (of every contact with ``include_inactive``), sorted."""
    query = select(PressContact.tags).where(PressContact.tags != "").distinct()
    if not include_inactive:
        query = query.where(PressContact.status == "active")
    return sorted({tag for tags in session.scalars(query) for tag in tags.split(",") if tag})


def recipients(session: Session, selection: str, tags: Iterable[str] = ()) -> list[PressContact]:
    """The active contacts a statement is sent to, ordered by e-mail.

    ``"none"``: nobody; ``"all"``: every active contact; ``"tags"``: active
    contacts with at least one of ``tags`` (compared in their stored form).
    """
    if selection not in SELECTIONS:
        raise PressError(N_("Choose who on the press list receives the statement."), "selection")
    if selection == "none":
        return []
    query = select(PressContact).where(PressContact.status == "active")
    if selection == "tags":
        wanted = [t for t in normalise_tags(list(tags)).split(",") if t]
        if not wanted:
            return []
        query = query.where(or_(*(_has_tag(tag) for tag in wanted)))
    return list(session.scalars(query.order_by(PressContact.email)))


@dataclass(frozen=True)
class LanguageCount:
    """Recipients of one language (a contact's ``language``) and how many carry each tag."""

    language: str
    total: int
    untagged: int
    tags: dict[str, int]
    id_sum: int = 0  # with the newest change below: tells that the recipients changed
    last_change: dt.datetime | None = None


def tag_counts(session: Session) -> tuple[int, dict[str, int]]:
    """Active contacts in all, and per tag (a contact with two tags counts under both):
    one aggregate query."""
    tags = all_tags(session)
    row = session.execute(
        select(func.count(), *(func.sum(case((_has_tag(tag), 1), else_=0)) for tag in tags))
        .where(PressContact.status == "active")).one()
    return row[0], {tag: int(count or 0) for tag, count in zip(tags, row[1:], strict=True)}


def recipient_counts(session: Session, selection: str, tags: Iterable[str] = ()
                     ) -> list[LanguageCount]:
    """The recipients of :func:`recipients`, counted by language and, within each, by tag and
    without a tag: one aggregate query (a sum per tag), no contact loaded. Ordered by
    language."""
    if selection not in SELECTIONS:
        raise PressError(N_("Choose who on the press list receives the statement."), "selection")
    if selection == "none":
        return []
    wanted = [t for t in normalise_tags(list(tags)).split(",") if t]
    if selection == "tags" and not wanted:
        return []
    counted = wanted if selection == "tags" else all_tags(session)
    query = (select(PressContact.language, func.count(),
                    func.sum(case((PressContact.tags == "", 1), else_=0)),
                    func.sum(PressContact.id), func.max(PressContact.updated_at),
                    *(func.sum(case((_has_tag(tag), 1), else_=0)) for tag in counted))
             .where(PressContact.status == "active").group_by(PressContact.language)
             .order_by(PressContact.language))
    if selection == "tags":
        query = query.where(or_(*(_has_tag(tag) for tag in wanted)))
    return [LanguageCount(language=row[0], total=row[1], untagged=int(row[2] or 0),
                          tags={tag: int(n or 0)
                                for tag, n in zip(counted, row[5:], strict=True) if n},
                          id_sum=int(row[3] or 0), last_change=row[4])
            for row in session.execute(query)]


# --- coordinators' changes ----------------------------------------------------------

def add(session: Session, data: ContactData, actor_id: int) -> PressContact:
    """A contact added by a coordinator: active at once. A known address is refused."""
    database.begin_write(session)
    clean = check(data)
    existing = by_email(session, clean.email)
    if existing is not None:
        raise _taken(existing)
    now = clock.now()
    contact = PressContact(status="active", source="desk", created_at=now, updated_at=now)
    fill(contact, clean)
    session.add(contact)
    try:
        session.flush()
    except IntegrityError:  # the same address, added at the same moment by someone else
        session.rollback()
        other = by_email(session, clean.email)
        if other is None:  # not the address after all
            raise
        raise _taken(other) from None
    audit.record(session, None, actor_id, "press-added", contact=contact.id, email=contact.email)
    session.commit()
    return contact


def update(session: Session, contact_id: int, data: ContactData,
           actor_id: int | None) -> PressContact:
    """Change a contact's details (not its status). An unsubscribed address stays untouched."""
    database.begin_write(session)
    contact = get(session, contact_id)
    if contact.status == "unsubscribed":
        raise _taken(contact)
    clean = check(data)
    if clean.email != contact.email:
        other = by_email(session, clean.email)
        if other is not None:
            raise _taken(other)
    changed = [name for name in ("email", "name", "outlet", "language", "tags")
               if getattr(contact, name) != getattr(clean, name)]
    if changed:
        fill(contact, clean)
        contact.updated_at = clock.now()
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            other = by_email(session, clean.email)
            if other is None:  # not the address after all
                raise
            raise _taken(other) from None
        audit.record(session, None, actor_id, "press-updated", contact=contact.id,
                     email=contact.email, changed=changed)
    session.commit()
    return contact


def remove(session: Session, contact_id: int, actor_id: int) -> None:
    """Delete a contact (also one that unsubscribed: then nothing remembers that it did)."""
    database.begin_write(session)
    contact = get(session, contact_id)
    audit.record(session, None, actor_id, "press-removed", contact=contact.id,
                 email=contact.email, status=contact.status)
    session.delete(contact)
    session.commit()


# --- links in press e-mails ------------------------------------------------------------

def contact_token(secret_key: str, purpose: str, contact: PressContact) -> str:
    """The signed token of a link for ``purpose``, bound to the contact's id and address."""
    return make_token(secret_key, purpose, {"c": contact.id, "e": contact.email})


def unsubscribe_token(secret_key: str, contact: PressContact) -> str:
    """The token of the contact's one-click unsubscribe link (bound to its id and address)."""
    return contact_token(secret_key, UNSUBSCRIBE, contact)
