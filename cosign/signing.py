"""Organisations sign a statement: opening, sign-on, confirmation, withdrawal, new versions.

A sign-on is stored ``unconfirmed`` with a confirmation e-mail in the same
transaction; the e-mail link confirms it (or approves it straight away when
the statement auto-approves). The organisation's normalised name is unique
per statement in the database: a second sign-on of the same organisation, a
double click or a race yields the first row and the same response.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database, dispatch, drafting, mail
from cosign.core.countries import is_country
from cosign.core.names import InvalidName, clean_line, clean_name, name_key
from cosign.errors import N_, UserError
from cosign.core.signatory import ORG_TYPES
from cosign.models import Signature, Statement
from cosign.security import TokenExpired, TokenInvalid, make_token, read_link

CONFIRM = "signature-confirm"
WITHDRAW = "signature-withdraw"
RECONFIRM = "signature-reconfirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
LINK_MAX_AGE = 2 * 365 * 24 * 3600  # withdrawal/re-confirmation links work while signing is open

MAX_NAME = 200
# A new signed version can be saved while open, and as a correction once published.
CORRECTABLE = ("open", "published")
MAX_MESSAGE = 2000

LinkFor = Callable[[str, str], str]  # (purpose, token) -> absolute URL


class SigningError(UserError):
    """A sign-on or a signing action cannot be done; the message says why."""


class SigningClosed(SigningError):
    def __init__(self) -> None:
        super().__init__(N_("Signing this statement is closed."))


class LinkInvalid(Exception):
    """A link from an e-mail was altered, is incomplete or belongs to another purpose."""


class LinkExpired(LinkInvalid):
    pass


@dataclass(frozen=True)
class SignOn:
    """What an organisation (or a person) submits."""

    organisation: str
    country: str
    email: str
    contact_name: str
    org_type: str = "other"
    city: str = ""
    website: str = ""
    contact_role: str = ""
    display: str = "named"
    message: str = ""
    kind: str = "organisation"


@dataclass(frozen=True)
class OpenOptions:
    deadline: dt.datetime | None = None
    auto_approve: bool = False
    allow_individuals: bool = False
    public_list: bool = True
    visibility: str = "public"


# --- opening and closing ------------------------------------------------------

def is_open(statement: Statement, now: dt.datetime | None = None) -> bool:
    """Whether signatures are accepted now (open, and before any deadline)."""
    accepting = statement.status == "open" or (statement.status == "published"
                                               and statement.keep_open)
    if not accepting:
        return False
    return statement.deadline is None or (now or clock.now()) < statement.deadline


def open_for_signature(
    session: Session, statement: Statement, actor_id: int, options: OpenOptions
) -> Statement:
    """Freeze the current revision as the signed text and accept signatures."""
    if statement.status != "draft":
        raise SigningError(N_("Only a draft can be opened for signature."))
    now = clock.now()
    if options.deadline is not None and options.deadline <= now:
        raise SigningError(N_("The deadline must be in the future."), "deadline")
    if options.visibility not in ("public", "unlisted"):
        raise SigningError(N_("Choose public or unlisted."), "visibility")
    revision = drafting.current_revision(session, statement)
    statement.status = "open"
    statement.signed_revision = revision.number
    statement.signed_sha256 = revision.sha256
    statement.opened_at = now
    statement.deadline = options.deadline
    statement.auto_approve = options.auto_approve
    statement.allow_individuals = options.allow_individuals
    statement.public_list = options.public_list
    statement.visibility = options.visibility
    if options.visibility == "unlisted":
        statement.slug = f"{statement.slug[:66]}-{secrets.token_hex(6)}"
    statement.updated_at, statement.updated_by_id = now, actor_id
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "opened", revision=revision.number,
                 sha256=revision.sha256, visibility=options.visibility,
                 deadline=options.deadline.isoformat() if options.deadline else None,
                 auto_approve=options.auto_approve)
    session.commit()
    return statement


def close(session: Session, statement: Statement, actor_id: int | None) -> Statement:
    """Stop accepting signatures (a published open letter stays published)."""
    if statement.status == "published" and statement.keep_open:
        statement.keep_open = False
    elif statement.status == "open":
        statement.status = "closed"
    else:
        raise SigningError(N_("The statement is not open for signature."))
    statement.closed_at = clock.now()
    statement.updated_at, statement.updated_by_id = statement.closed_at, actor_id
    audit.record(session, statement.id, actor_id, "closed")
    session.commit()
    return statement


def close_expired(session: Session) -> int:
    """Close every open statement whose deadline has passed (run by `flask cosign tick`)."""
    now = clock.now()
    expired = session.scalars(
        select(Statement).where(Statement.deadline <= now, or_(
            Statement.status == "open",
            and_(Statement.status == "published", Statement.keep_open.is_(True))))
    ).all()
    for statement in expired:
        if statement.status == "open":
            statement.status = "closed"
        statement.keep_open, statement.closed_at = False, now
        audit.record(session, statement.id, None, "closed", reason="deadline")
    session.commit()
    return len(expired)


# --- sign-on ------------------------------------------------------------------

def ip_fingerprint(secret_key: str, ip: str | None) -> str:
    """The IP address, keyed-hashed: comparable for abuse checks, not reversible."""
    if not ip:
        return ""
    return hashlib.sha256(f"{secret_key}:ip:{ip}".encode()).hexdigest()


def check_sign_on(statement: Statement, form: SignOn) -> tuple[str, str]:
    """(display name, key) for a valid sign-on, or SigningError naming the field."""
    try:
        name = clean_name(form.organisation, MAX_NAME)
    except InvalidName as exc:
        if exc.reason == "too-long":
            raise SigningError(N_("The name may have at most %(max)d characters."),
                               "organisation", max=MAX_NAME) from exc
        raise SigningError(N_("Enter the name of the organisation."), "organisation") from exc
    if form.kind not in ("organisation", "individual"):
        raise SigningError(N_("Choose how you sign."), "kind")
    if form.kind == "individual" and not statement.allow_individuals:
        raise SigningError(N_("This statement is signed by organisations only."), "kind")
    if not is_country((form.country or "").upper()):
        raise SigningError(N_("Choose a country from the list."), "country")
    if form.org_type not in ORG_TYPES:
        raise SigningError(N_("Choose the type of organisation."), "org_type")
    if form.display not in ("named", "withheld"):
        raise SigningError(N_("Choose how the name is shown."), "display")
    if len(form.message) > MAX_MESSAGE:
        raise SigningError(N_("The message may have at most %(max)d characters."), "message",
                           max=MAX_MESSAGE)
    return name, name_key(name)


def _line(value: str, limit: int) -> str:
    """One line of text: control and format characters (bidi overrides) dropped,
    whitespace collapsed."""
    return clean_line(value)[:limit]


def _printable(value: str) -> str:
    """``value`` without control characters (tabs and line breaks kept)."""
    return "".join(c for c in (value or "") if c in "\t\n" or unicodedata.category(c) != "Cc")


def fill(signature: Signature, form: SignOn, name: str) -> None:
    signature.kind = form.kind
    signature.name = name
    signature.public_name = name
    signature.country = form.country.upper()
    signature.city = _line(form.city, 100)
    signature.org_type = "individual" if form.kind == "individual" else form.org_type
    signature.website = _line(form.website, 300)
    signature.display = form.display
    signature.contact_name = _line(form.contact_name, 200)
    signature.contact_role = _line(form.contact_role, 100)
    signature.email = _line(form.email, 254).lower()
    signature.message = _printable(form.message).strip()[:MAX_MESSAGE]


def _signature_token(secret_key: str, purpose: str, signature: Signature) -> str:
    return make_token(secret_key, purpose, {"s": signature.id, "e": signature.email})


def _confirmation(statement: Statement, name: str) -> mail.Prepared:
    """The confirmation e-mail, rendered before the write transaction (its link, which
    needs the new row's id, is filled in inside it)."""
    return mail.prepare("signature_confirm", {"name": name, "title": statement.title,
                                              "link": mail.LINK,
                                              "coalition": statement.coalition})


def _send_confirmation(session, statement_id: int, signature, prepared: mail.Prepared,
                       secret_key, link_for: LinkFor) -> None:
    token = _signature_token(secret_key, CONFIRM, signature)
    mail.enqueue_prepared(session, prepared, kind="signature-confirm",
                          recipient=signature.email, link=link_for(CONFIRM, token),
                          statement_id=statement_id)


def sign(
    session: Session,
    statement: Statement,
    form: SignOn,
    *,
    secret_key: str,
    link_for: LinkFor,
    ip: str | None = None,
    honeypot: bool = False,
) -> Signature:
    """Record a sign-on; the same organisation twice gives the first row back.

    Checking the form, cleaning the name and rendering the confirmation
    e-mail happen before the write transaction; SQLite's write lock covers
    only the look-up by key, the inserts and the commit.
    """
    if not is_open(statement):
        raise SigningClosed()
    name, key = check_sign_on(statement, form)
    statement_id, revision = statement.id, statement.signed_revision
    prepared = None if honeypot else _confirmation(statement, name)
    ip_hash = ip_fingerprint(secret_key, ip)
    database.begin_write(session)
    if not is_open(statement):  # read again under the lock: it may have closed meanwhile
        raise SigningClosed()
    now = clock.now()
    if honeypot:  # kept for abuse review, never shown, never mailed, blocks nobody
        flagged = Signature(statement_id=statement_id, name_key=None, flagged=True,
                            revision=revision, created_at=now, ip_hash=ip_hash)
        fill(flagged, form, name)
        session.add(flagged)
        session.commit()
        return flagged

    existing = _by_key(session, statement_id, key)
    if existing is not None:
        return _signed_again(session, statement, existing, form, name, secret_key, link_for,
                             prepared)
    signature = Signature(statement_id=statement_id, name_key=key, status="unconfirmed",
                          revision=revision, provenance="web", created_at=now, ip_hash=ip_hash)
    fill(signature, form, name)
    session.add(signature)
    try:
        session.flush()
    except IntegrityError:  # a concurrent sign-on of the same organisation won
        session.rollback()
        existing = _by_key(session, statement_id, key)
        return _signed_again(session, statement, existing, form, name, secret_key, link_for,
                             prepared)
    _send_confirmation(session, statement_id, signature, prepared, secret_key, link_for)
    audit.record(session, statement_id, None, "signed", signature=signature.id, name=name)
    session.commit()
    return signature


def _by_key(session: Session, statement_id: int, key: str) -> Signature | None:
    return session.scalar(
        select(Signature).where(Signature.statement_id == statement_id, Signature.name_key == key)
    )


def _signed_again(session, statement, existing, form, name, secret_key, link_for,
                  prepared: mail.Prepared) -> Signature:
    if existing.status == "withdrawn":
        # Only the signatory can undo a withdrawal: by signing again and confirming.
        fill(existing, form, name)
        existing.status = "unconfirmed"
        existing.revision = statement.signed_revision
        existing.withdrawn_at = existing.confirmed_at = existing.decided_at = None
        existing.created_at = clock.now()
        _send_confirmation(session, statement.id, existing, prepared, secret_key, link_for)
        audit.record(session, statement.id, None, "signed-after-withdrawal",
                     signature=existing.id, name=name)
    else:
        audit.record(session, statement.id, None, "signed-again", signature=existing.id,
                     name=name)
    session.commit()
    return existing


# --- links from e-mails ---------------------------------------------------------

def _from_token(session: Session, secret_key: str, purpose: str, token: str, max_age: int) -> Signature:
    try:
        signature_id, email = read_link(secret_key, purpose, token, max_age, "s")
    except TokenExpired as exc:
        raise LinkExpired() from exc
    except TokenInvalid as exc:
        raise LinkInvalid() from exc
    signature = session.get(Signature, signature_id)
    if signature is None or signature.flagged or signature.email != email:
        raise LinkInvalid()
    return signature


def confirm(session: Session, token: str, *, secret_key: str, link_for: LinkFor,
            max_age: int = CONFIRM_MAX_AGE) -> tuple[Signature, bool]:
    """Confirm by the e-mail link: (signature, whether this click changed it).

    The link is read and the approval e-mail (auto-approve) rendered in a read
    transaction; the write lock is then taken for the update and the commit
    only, and the state is checked again under it (two clicks: one change).
    """
    signature = _from_token(session, secret_key, CONFIRM, token, max_age)
    if signature.status != "unconfirmed":
        return signature, False
    if not is_open(signature.statement):
        raise SigningClosed()
    signature_id = signature.id
    prepared = (_approval(signature.statement, signature, secret_key, link_for)
                if signature.statement.auto_approve else None)
    database.begin_write(session)  # ends the read: the next statement takes the write lock
    signature = session.get(Signature, signature_id)
    statement = signature.statement
    if signature.status != "unconfirmed":
        session.rollback()
        return signature, False
    if not is_open(statement):
        raise SigningClosed()
    now = clock.now()
    signature.status, signature.confirmed_at = "confirmed", now
    audit.record(session, statement.id, None, "confirmed", signature=signature.id,
                 name=signature.public_name)
    if statement.auto_approve:
        approve_one(session, statement, signature, None, secret_key, link_for,
                    prepared=prepared)
    session.commit()
    return signature, True


def _approval(statement: Statement, signature: Signature, secret_key: str,
              link_for: LinkFor) -> mail.Prepared:
    token = _signature_token(secret_key, WITHDRAW, signature)
    return mail.prepare("signature_approved", {
        "name": signature.public_name, "title": statement.title,
        "withdraw_link": link_for(WITHDRAW, token),
        "statement_link": link_for("statement", statement.slug)})


def approve_one(session, statement, signature, actor_id, secret_key, link_for: LinkFor, *,
                prepared: mail.Prepared | None = None) -> None:
    """Approve (the caller commits); ``prepared``: the approval e-mail rendered ahead."""
    signature.status = "approved"
    signature.decided_at, signature.decided_by_id = clock.now(), actor_id
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, actor_id, "approved", signature=signature.id,
                 name=signature.public_name)
    if signature.email:
        mail.enqueue_prepared(
            session, prepared or _approval(statement, signature, secret_key, link_for),
            kind="signature-approved", recipient=signature.email, statement_id=statement.id)


def read_withdrawal(session: Session, token: str, *, secret_key: str) -> Signature:
    return _from_token(session, secret_key, WITHDRAW, token, LINK_MAX_AGE)


def withdraw(session: Session, token: str, *, secret_key: str) -> tuple[Signature, bool]:
    """Withdraw by the link in the approval e-mail, while signing is open."""
    signature = read_withdrawal(session, token, secret_key=secret_key)
    if signature.status == "withdrawn":
        return signature, False
    if not is_open(signature.statement):
        raise SigningClosed()
    signature.status, signature.withdrawn_at = "withdrawn", clock.now()
    dispatch.listing_changed(session, signature.statement_id)
    audit.record(session, signature.statement_id, None, "withdrawn", signature=signature.id,
                 name=signature.public_name)
    session.commit()
    return signature, True


# --- new versions of the signed text --------------------------------------------

def save_new_version(
    session: Session,
    statement: Statement,
    author_id: int,
    text: drafting.Text,
    *,
    note: str,
    base_revision: int | None,
    secret_key: str,
    link_for: LinkFor,
) -> tuple[object, int]:
    """Change the text of an open statement: a new signed version.

    Every earlier signatory (confirmed or approved) is asked by e-mail to
    re-confirm for the new text; until then the list shows the version each
    signed. A published statement is corrected the same way. Returns
    (revision, number of signatories asked).
    """
    if statement.status not in CORRECTABLE:
        raise drafting.NotEditable()
    revision = drafting.save_revision(session, statement, author_id, text, note=note,
                                      base_revision=base_revision, allow_open=True)
    statement.signed_revision, statement.signed_sha256 = revision.number, revision.sha256
    earlier = session.scalars(
        select(Signature).where(
            Signature.statement_id == statement.id,
            Signature.status.in_(("confirmed", "approved")),
            Signature.revision < revision.number,
            Signature.flagged.is_(False),
        )
    ).all()
    now = clock.now()
    for signature in earlier:
        signature.reconfirm_requested_at = now
        if signature.email:
            token = _signature_token(secret_key, RECONFIRM, signature)
            mail.enqueue(
                session, kind="signature-reconfirm", recipient=signature.email,
                template="signature_reconfirm",
                context={"name": signature.public_name, "title": statement.title,
                         "version": revision.number, "link": link_for(RECONFIRM, token),
                         "old_version": signature.revision},
                statement_id=statement.id,
            )
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, author_id, "new-version", revision=revision.number,
                 sha256=revision.sha256, asked=len(earlier))
    session.commit()
    return revision, len(earlier)


def reconfirm(session: Session, token: str, *, secret_key: str) -> tuple[Signature, bool]:
    """One click: the signatory agrees to the current signed version."""
    signature = _from_token(session, secret_key, RECONFIRM, token, LINK_MAX_AGE)
    statement = signature.statement
    if signature.status not in ("confirmed", "approved"):
        raise SigningError(N_("This signature is no longer on the list."))
    if signature.revision == statement.signed_revision:
        return signature, False
    if statement.status not in CORRECTABLE:
        raise SigningClosed()
    signature_id = signature.id
    database.begin_write(session)  # a GET: take the write lock for the update only
    signature = session.get(Signature, signature_id)
    statement = signature.statement
    if signature.revision == statement.signed_revision:
        session.rollback()
        return signature, False
    old = signature.revision
    signature.revision = statement.signed_revision
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, None, "reconfirmed", signature=signature.id,
                 name=signature.public_name, old_version=old, version=signature.revision)
    session.commit()
    return signature, True
