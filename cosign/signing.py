"""Organisations sign a statement: opening, sign-on, confirmation, withdrawal, new versions.

A sign-on is stored ``unconfirmed`` with a confirmation e-mail in the same
transaction; the e-mail link opens a page whose button confirms it (or
approves it straight away when the statement auto-approves).

Who holds a name: the organisation's normalised name (``name_key``) is
unique per statement in the database, but only a *confirmed* sign-on holds
it. An unconfirmed one keeps its key in ``pending_key`` (not unique), so a
typo in an address, an expired link or somebody squatting a name never
blocks the organisation: several sign-ons may claim a name and the first to
confirm wins (:func:`confirm`); the others are closed (status stays
``unconfirmed``, ``pending_key`` emptied) and their senders told by mail.
A claim lasts as long as its link (``CONFIRM_MAX_AGE``): an unconfirmed
row's ``created_at`` is when its latest confirmation mail was queued, and
:func:`close_expired_claims` (run by ``flask cosign tick`` and the worker's
sweep through :mod:`cosign.retention`) closes older claims; an expired
claim never blocks anything even before that.

Every answer on the web is the same ("check your e-mail"); what happened is
said truthfully by mail, to the address given, without naming who holds a
name or their address.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database, dispatch, drafting, mail, similarity
from cosign.core.countries import is_country
from cosign.core.domain import domain_verified
from cosign.core.names import InvalidName, check_scripts, clean_name, clean_text, name_key
from cosign.core.signatory import ORG_TYPES
from cosign.errors import N_, UserError
from cosign.models import Revision, Signature, Statement
from cosign.security import TokenExpired, TokenInvalid, make_token, read_link

CONFIRM = "signature-confirm"
WITHDRAW = "signature-withdraw"
RECONFIRM = "signature-reconfirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
RESEND_EVERY = dt.timedelta(minutes=5)  # at most one confirmation mail per sign-on this often
RESEND_MAX_ROWS = 10  # sign-ons of one address on one statement handled by one resend
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


class NameTaken(SigningError):
    """This sign-on was not confirmed: another sign-on of the organisation holds its name."""

    def __init__(self, name: str) -> None:
        super().__init__(N_("“%(name)s” is already on the list of signatories of this statement, "
                            "so this sign-on was not added."), name=name)


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
    # the interface language of the sign-on (its mails are written in it), and the language
    # of the text read on the sign page (the authoritative text or a translation of it)
    language: str = ""
    read_language: str = ""


@dataclass(frozen=True)
class OpenOptions:
    deadline: dt.datetime | None = None
    auto_approve: bool = False
    allow_individuals: bool = False
    public_list: bool = True
    visibility: str = "public"


# --- opening and closing ------------------------------------------------------

class Openness(Protocol):
    """What :func:`is_open` reads: a Statement, or the columns of one read in one query
    (:class:`cosign.catalogue.PublishedState`)."""

    @property
    def status(self) -> str: ...
    @property
    def keep_open(self) -> bool: ...
    @property
    def deadline(self) -> dt.datetime | None: ...


def is_open(statement: Openness, now: dt.datetime | None = None) -> bool:
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
    try:
        check_scripts(name)
    except InvalidName as exc:
        raise SigningError(N_("The name mixes letters of different alphabets in “%(word)s” "
                              "(for example a Cyrillic “а” among Latin letters). Type the "
                              "name again in one alphabet."), "organisation",
                           word=exc.word) from exc
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
    whitespace collapsed, zero-width characters dropped (cosign.core.names.clean_text)."""
    return clean_text(value)[:limit]


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
    signature.message = clean_text(_printable(form.message), multiline=True)[:MAX_MESSAGE]
    # the address's registrable domain is the website's: meaningful once it is confirmed
    signature.domain_verified = domain_verified(signature.email, signature.website)
    signature.language = _line(form.language, 35)
    signature.read_language = _line(form.read_language, 35)


def waits_for_domain(statement: Statement, signature: Signature) -> bool:
    """Whether approving ``signature`` must wait: the coalition requires the e-mail's domain to
    be the website's and it is not (auto-approve skips it; moderators cannot approve it)."""
    return bool(statement.require_domain_verified) and not signature.domain_verified


def _signature_token(secret_key: str, purpose: str, signature: Signature) -> str:
    return make_token(secret_key, purpose, {"s": signature.id, "e": signature.email})


def _confirmation(statement: Statement, name: str, locale: str) -> mail.Prepared:
    """The confirmation e-mail, rendered before the write transaction (its link, which
    needs the new row's id, is filled in inside it). Signatories' mails are written in
    the language they signed in."""
    return mail.prepare("signature_confirm", {"name": name, "title": statement.title,
                                              "link": mail.LINK,
                                              "coalition": statement.coalition},
                        mail.locale_of(locale))


def _taken(statement: Statement, name: str, locale: str) -> mail.Prepared:
    """To the sender of a sign-on for a name a confirmed sign-on already holds."""
    return mail.prepare("signature_taken", {"name": name, "title": statement.title,
                                            "contact": statement.press_email},
                        mail.locale_of(locale))


def _claim_lost(statement: Statement, name: str, locale: str) -> mail.Prepared:
    """To the sender of a claim closed because another one was confirmed first."""
    return mail.prepare("signature_claim_lost", {"name": name, "title": statement.title,
                                                 "contact": statement.press_email},
                        mail.locale_of(locale))


def _send_confirmation(session, statement_id: int, signature, prepared: mail.Prepared,
                       secret_key, link_for: LinkFor) -> None:
    token = _signature_token(secret_key, CONFIRM, signature)
    mail.enqueue_prepared(session, prepared, kind="signature-confirm",
                          recipient=signature.email, link=link_for(CONFIRM, token),
                          statement_id=statement_id)


def _lock_name(session: Session, statement_id: int, key: str) -> None:
    """PostgreSQL: one transaction at a time per (statement, organisation key) until it ends,
    so two sign-ons or confirmations of one name never both act on what they read. SQLite
    needs none: its single write lock (``BEGIN IMMEDIATE``) already serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"cosign-name:{statement_id}:{key}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                    {"k": int.from_bytes(digest[:8], "big", signed=True)})


def sign(
    session: Session,
    statement: Statement,
    form: SignOn,
    *,
    secret_key: str,
    link_for: LinkFor,
    ip: str | None = None,
    honeypot: bool = False,
    max_age: int = CONFIRM_MAX_AGE,
) -> Signature:
    """Record a sign-on; returns the row that stands for it.

    The web answers the same whatever happens here; the mail says what did:

    - a confirmed, approved or rejected sign-on holds the name: nothing is
      stored, the sender is told by mail that the organisation already
      signed (never who or from which address); the holder is returned;
    - a withdrawn one holds it: it is re-activated, unconfirmed again with a
      new confirmation mail (only confirming puts it back on the list);
    - an unconfirmed sign-on of the same name from the same address: that row,
      with the new details, and its confirmation mail again (at most one per
      ``RESEND_EVERY``), also when its link has expired;
    - otherwise a new unconfirmed row claims the name (``pending_key``), next
      to any competing claims from other addresses.

    Checking the form, cleaning the name and rendering the e-mails happen
    before the write transaction; the write lock covers only the look-ups by
    key, the writes and the commit.
    """
    if not is_open(statement):
        raise SigningClosed()
    name, key = check_sign_on(statement, form)
    statement_id, revision = statement.id, statement.signed_revision
    submitted = Signature()  # the cleaned details, to compare and copy (never added)
    fill(submitted, form, name)
    email = submitted.email
    ip_hash = ip_fingerprint(secret_key, ip)
    if honeypot:  # kept for abuse review, never shown, never mailed, blocks nobody
        database.begin_write(session)
        if not is_open(statement):  # read again under the lock: it may have closed meanwhile
            raise SigningClosed()
        flagged = Signature(statement_id=statement_id, name_key=None, flagged=True,
                            revision=revision, created_at=clock.now(), ip_hash=ip_hash)
        fill(flagged, form, name)
        session.add(flagged)
        session.commit()
        return flagged
    prepared = _confirmation(statement, name, form.language)
    taken = _taken(statement, name, form.language)
    similar = similarity.find(  # a read, before the write lock
        session, statement_id, similarity.Probe(name, key, submitted.website, email))
    database.begin_write(session)
    if not is_open(statement):  # read again under the lock: it may have closed meanwhile
        raise SigningClosed()
    now = clock.now()

    _lock_name(session, statement_id, key)
    holder = _by_key(session, statement_id, key)
    if holder is not None:
        return _signed_again(session, statement, holder, form, name, key, email, secret_key,
                             link_for, prepared, taken)
    claims = _claims(session, statement_id, key)
    mine = next((c for c in claims if c.email == email), None)
    if mine is not None:
        return _claimed_again(session, statement, mine, form, name, secret_key, link_for,
                              prepared)
    signature = Signature(statement_id=statement_id, name_key=None, pending_key=key,
                          status="unconfirmed", revision=revision, provenance="web",
                          created_at=now, ip_hash=ip_hash)
    fill(signature, form, name)
    similarity.store(signature, similar)
    session.add(signature)
    session.flush()
    _send_confirmation(session, statement_id, signature, prepared, secret_key, link_for)
    cutoff = now - dt.timedelta(seconds=max_age)
    competing = sum(1 for c in claims if c.created_at > cutoff)
    audit.record(session, statement_id, None, "signed", signature=signature.id, name=name,
                 **({"competing": competing} if competing else {}))
    session.commit()
    return signature


def _by_key(session: Session, statement_id: int, key: str) -> Signature | None:
    """The sign-on that holds the name (confirmed, approved, rejected or withdrawn)."""
    return session.scalar(
        select(Signature).where(Signature.statement_id == statement_id, Signature.name_key == key)
    )


def _claims(session: Session, statement_id: int, key: str) -> list[Signature]:
    """Unconfirmed sign-ons still claiming the name (expired ones included), oldest first."""
    return list(session.scalars(
        select(Signature).where(Signature.statement_id == statement_id,
                                Signature.pending_key == key,
                                Signature.status == "unconfirmed",
                                Signature.flagged.is_(False))
        .order_by(Signature.id)
    ))


def _signed_again(session, statement, existing, form, name, key, email, secret_key, link_for,
                  prepared: mail.Prepared, taken: mail.Prepared) -> Signature:
    if existing.status == "withdrawn":
        # Only confirming undoes a withdrawal: until then the row claims the name like any
        # other unconfirmed sign-on.
        fill(existing, form, name)
        existing.status = "unconfirmed"
        existing.name_key, existing.pending_key = None, key
        existing.revision = statement.signed_revision
        existing.withdrawn_at = existing.confirmed_at = existing.decided_at = None
        existing.created_at = clock.now()
        _send_confirmation(session, statement.id, existing, prepared, secret_key, link_for)
        audit.record(session, statement.id, None, "signed-after-withdrawal",
                     signature=existing.id, name=name)
    else:
        # Truthful by mail, to the address given; the page says "check your e-mail" as always.
        mail.enqueue_prepared(session, taken, kind="signature-taken", recipient=email,
                              statement_id=statement.id)
        audit.record(session, statement.id, None, "signed-again", signature=existing.id,
                     name=name)
    session.commit()
    return existing


def _claimed_again(session, statement, mine: Signature, form, name, secret_key,
                   link_for: LinkFor, prepared: mail.Prepared) -> Signature:
    """The same address signs the same name again: its row gets the new details and a new
    link, unless one was sent within ``RESEND_EVERY`` (a double click sends one mail)."""
    fill(mine, form, name)
    now = clock.now()
    if mine.created_at <= now - RESEND_EVERY:
        mine.created_at = now
        _send_confirmation(session, statement.id, mine, prepared, secret_key, link_for)
    audit.record(session, statement.id, None, "signed-again", signature=mine.id, name=name)
    session.commit()
    return mine


def _key_of(signature: Signature) -> str | None:
    """The key a sign-on claims: its pending key, or (closed) its name's."""
    if signature.pending_key:
        return signature.pending_key
    try:
        return name_key(signature.name)
    except InvalidName:
        return None


def is_taken(session: Session, signature: Signature) -> bool:
    """Whether another sign-on holds the name this unconfirmed one claims (read only)."""
    key = _key_of(signature)
    holder = _by_key(session, signature.statement_id, key) if key else None
    return holder is not None and holder.id != signature.id


# --- "resend my confirmation" and expired claims ---------------------------------

def resend(session: Session, statement: Statement, email: str, *, secret_key: str,
           link_for: LinkFor) -> int:
    """Fresh confirmation links to ``email`` for its unconfirmed sign-ons on ``statement``.

    The caller answers the same whatever happened (nobody learns from the page whether
    an address signed). By mail: a new confirmation link for each sign-on still waiting
    (an expired or closed one claims its name again, unless another sign-on of that name
    was confirmed meanwhile), or, for one whose name another sign-on now holds, that the
    organisation is already on the list. Nothing is sent when the address has no
    unconfirmed sign-on here, nor for a sign-on mailed within ``RESEND_EVERY``. Returns
    the number of e-mails queued.
    """
    if not is_open(statement):
        raise SigningClosed()
    email = _line(email, 254).lower()
    if not email:
        return 0
    rows = list(session.scalars(
        select(Signature).where(Signature.statement_id == statement.id,
                                Signature.email == email, Signature.status == "unconfirmed",
                                Signature.flagged.is_(False))
        .order_by(Signature.id.desc()).limit(RESEND_MAX_ROWS)))
    plan = sorted(((key, row.id) for row in rows if (key := _key_of(row))), key=lambda p: p)
    if not plan:
        session.rollback()
        return 0
    names = {row.id: row.public_name for row in rows}
    languages = {row.id: row.language for row in rows}
    confirmations = {i: _confirmation(statement, names[i], languages[i]) for _k, i in plan}
    lost = {i: _claim_lost(statement, names[i], languages[i]) for _k, i in plan}
    statement_id = statement.id
    database.begin_write(session)
    if not is_open(session.get_one(Statement, statement_id)):
        session.rollback()
        raise SigningClosed()
    now, sent = clock.now(), 0
    for key, row_id in plan:  # in key order: two resends never wait on each other's locks
        _lock_name(session, statement_id, key)
        row = session.get(Signature, row_id, populate_existing=True)
        if (row is None or row.status != "unconfirmed" or row.email != email
                or row.created_at > now - RESEND_EVERY):
            continue
        row.created_at = now
        if _by_key(session, statement_id, key) is not None:
            row.pending_key = None
            mail.enqueue_prepared(session, lost[row_id], kind="signature-claim-lost",
                                  recipient=email, statement_id=statement_id)
        else:
            row.pending_key = key
            _send_confirmation(session, statement_id, row, confirmations[row_id], secret_key,
                               link_for)
            audit.record(session, statement_id, None, "confirmation-resent", signature=row.id,
                         name=row.public_name)
        sent += 1
    session.commit()
    return sent


def close_expired_claims(session: Session, max_age: int = CONFIRM_MAX_AGE) -> int:
    """Unconfirmed sign-ons whose link has expired stop claiming their name (``pending_key``
    emptied; status stays ``unconfirmed``; the contact data goes with the retention rules).
    Only statements that accept signatures are looked at (elsewhere a claim can never be
    confirmed); a read finds whether there is anything to do, so an idle sweep never takes
    the write lock. Idempotent; one UPDATE; the number closed."""
    cutoff = clock.now() - dt.timedelta(seconds=max_age)
    accepting = select(Statement.id).where(or_(
        Statement.status == "open",
        and_(Statement.status == "published", Statement.keep_open.is_(True))))
    expired = (Signature.statement_id.in_(accepting), Signature.status == "unconfirmed",
               Signature.pending_key.is_not(None), Signature.created_at <= cutoff)
    if session.scalar(select(Signature.id).where(*expired).limit(1)) is None:
        session.rollback()
        return 0
    database.begin_write(session)
    result = session.execute(update(Signature).where(*expired).values(pending_key=None)
                             .execution_options(synchronize_session=False))
    session.commit()
    return database.rowcount(result) or 0


# --- links from e-mails ---------------------------------------------------------

def _from_token(session: Session, secret_key: str, purpose: str, token: str,
                max_age: int) -> Signature:
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


def read_confirmation(session: Session, token: str, *, secret_key: str,
                      max_age: int = CONFIRM_MAX_AGE) -> Signature:
    """The sign-on of a confirmation link, for the page that shows it (changes nothing)."""
    return _from_token(session, secret_key, CONFIRM, token, max_age)


def statement_of_expired(session: Session, token: str, *, secret_key: str,
                         purpose: str = CONFIRM) -> Statement | None:
    """The statement of a genuine but expired link (to offer "resend my confirmation")."""
    try:
        return _from_token(session, secret_key, purpose, token, LINK_MAX_AGE * 10).statement
    except LinkInvalid:
        return None


def confirm(session: Session, token: str, *, secret_key: str, link_for: LinkFor,
            max_age: int = CONFIRM_MAX_AGE) -> tuple[Signature, bool]:
    """Confirm by the button the e-mail link opens: (signature, whether this changed it).

    The first sign-on of a name to be confirmed gets it (``name_key``); the other
    claims of that name are closed and their senders told by mail that another
    person confirmed first. When another sign-on already holds the name, this one is
    closed, its sender told by mail, and :class:`NameTaken` is raised.

    The link is read and the e-mails rendered in a read transaction; the write lock
    is then taken for the updates and the commit only, and the state is checked
    again under it (two clicks: one change).
    """
    signature = _from_token(session, secret_key, CONFIRM, token, max_age)
    if signature.status != "unconfirmed":
        return signature, False
    statement = signature.statement
    if not is_open(statement):
        raise SigningClosed()
    key = _key_of(signature)
    if key is None:
        raise LinkInvalid()
    signature_id, statement_id = signature.id, statement.id
    prepared = (_approval(statement, signature, secret_key, link_for)
                if statement.auto_approve else None)
    lost = {signature.public_name: _claim_lost(statement, signature.public_name,
                                               signature.language)}
    for rival in _claims(session, statement_id, key):
        if rival.public_name not in lost:
            lost[rival.public_name] = _claim_lost(statement, rival.public_name, rival.language)
    database.begin_write(session)  # ends the read: the next statement takes the write lock
    _lock_name(session, statement_id, key)
    signature = session.get_one(Signature, signature_id, populate_existing=True)
    statement = signature.statement
    if signature.status != "unconfirmed":
        session.rollback()
        return signature, False
    if not is_open(statement):
        session.rollback()
        raise SigningClosed()
    if _by_key(session, statement_id, key) is not None:
        _lose(session, signature, lost)
    now = clock.now()
    signature.name_key, signature.pending_key = key, None
    signature.status, signature.confirmed_at = "confirmed", now
    try:
        session.flush()
    except IntegrityError:  # a coordinator added the organisation at this very moment
        session.rollback()
        database.begin_write(session)
        _lose(session, session.get_one(Signature, signature_id, populate_existing=True), lost)
    audit.record(session, statement_id, None, "confirmed", signature=signature.id,
                 name=signature.public_name)
    cutoff = now - dt.timedelta(seconds=max_age)
    for rival in _claims(session, statement_id, key):  # this one no longer claims: it holds
        rival.pending_key = None
        audit.record(session, statement_id, None, "claim-lost", signature=rival.id,
                     name=rival.public_name)
        if rival.email and rival.email != signature.email and rival.created_at > cutoff:
            message = (lost.get(rival.public_name)
                       or _claim_lost(statement, rival.public_name, rival.language))
            mail.enqueue_prepared(session, message, kind="signature-claim-lost",
                                  recipient=rival.email, statement_id=statement_id)
    if statement.auto_approve and not waits_for_domain(statement, signature):
        approve_one(session, statement, signature, None, secret_key, link_for,
                    prepared=prepared)
    session.commit()
    return signature, True


def _lose(session: Session, signature: Signature, lost: dict[str, mail.Prepared]) -> None:
    """Another sign-on holds the name: close this claim, tell its sender once, raise."""
    name = signature.public_name
    if signature.pending_key is not None:
        signature.pending_key = None
        message = lost.get(name) or _claim_lost(signature.statement, name, signature.language)
        mail.enqueue_prepared(session, message, kind="signature-claim-lost",
                              recipient=signature.email, statement_id=signature.statement_id)
        audit.record(session, signature.statement_id, None, "claim-lost", signature=signature.id,
                     name=name)
        session.commit()
    else:
        session.rollback()
    raise NameTaken(name)


def _approval(statement: Statement, signature: Signature, secret_key: str,
              link_for: LinkFor) -> mail.Prepared:
    token = _signature_token(secret_key, WITHDRAW, signature)
    return mail.prepare("signature_approved", {
        "name": signature.public_name, "title": statement.title,
        "withdraw_link": link_for(WITHDRAW, token),
        "statement_link": link_for("statement", statement.slug)},
        mail.locale_of(signature.language or statement.language))


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
    signature.pending_key = None  # a withdrawn sign-on claims nothing (one confirmed keeps its key)
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
) -> tuple[Revision, int]:
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
                locale=mail.locale_of(signature.language or statement.language),
            )
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, author_id, "new-version", revision=revision.number,
                 sha256=revision.sha256, asked=len(earlier))
    session.commit()
    return revision, len(earlier)


def read_reconfirmation(session: Session, token: str, *, secret_key: str) -> Signature:
    """The signature of a re-confirmation link, for the page that shows what changed
    (changes nothing); SigningError when it is no longer on the list."""
    signature = _from_token(session, secret_key, RECONFIRM, token, LINK_MAX_AGE)
    if signature.status not in ("confirmed", "approved"):
        raise SigningError(N_("This signature is no longer on the list."))
    return signature


def reconfirm(session: Session, token: str, *, secret_key: str) -> tuple[Signature, bool]:
    """The button on the re-confirmation page: the signatory agrees to the current signed
    version."""
    signature = read_reconfirmation(session, token, secret_key=secret_key)
    statement = signature.statement
    if signature.revision == statement.signed_revision:
        return signature, False
    if statement.status not in CORRECTABLE:
        raise SigningClosed()
    signature_id = signature.id
    database.begin_write(session)  # take the write lock for the update only
    signature = session.get_one(Signature, signature_id, populate_existing=True)
    statement = signature.statement
    if signature.revision == statement.signed_revision or signature.status not in (
            "confirmed", "approved"):
        session.rollback()
        return signature, False
    if statement.signed_revision is None:  # no longer signed (never so in CORRECTABLE)
        session.rollback()
        raise SigningClosed()
    old = signature.revision
    signature.revision = statement.signed_revision
    dispatch.listing_changed(session, statement.id)
    audit.record(session, statement.id, None, "reconfirmed", signature=signature.id,
                 name=signature.public_name, old_version=old, version=signature.revision)
    session.commit()
    return signature, True
