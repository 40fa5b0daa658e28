"""Journalists on the press list by themselves: subscribing and unsubscribing.

A journalist subscribes with the public form: the contact is ``pending`` until
they open the link in the confirmation e-mail (:func:`confirm`). The one-click
link in every press e-mail (:func:`cosign.press.unsubscribe_token`) unsubscribes
them (:func:`unsubscribe`); the page it opens can undo that
(:func:`resubscribe`). The links are signed and bound to the contact's id and
address: a link stops working when the contact leaves the list or changes its
address.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database, mail
from cosign.errors import N_
from cosign.models import PressContact
from cosign.press import UNSUBSCRIBE, ContactData, PressError, by_email, check, contact_token, fill
from cosign.security import TokenExpired, TokenInvalid, read_link

CONFIRM = "press-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
UNSUBSCRIBE_MAX_AGE = 5 * 365 * 24 * 3600  # an old press e-mail's link keeps working

LinkFor = Callable[[str, str], str]  # (purpose, token) -> absolute URL


class LinkInvalid(Exception):
    """A link from a press e-mail was altered, is incomplete or belongs to another purpose."""


class LinkExpired(LinkInvalid):
    pass


def _send_confirmation(session, contact, secret_key: str, link_for: LinkFor, site: str) -> None:
    mail.enqueue(session, kind="press-confirm", recipient=contact.email, template="press_confirm",
                 context={"name": contact.name, "site": site,
                          "link": link_for(CONFIRM, contact_token(secret_key, CONFIRM, contact))},
                 locale=contact.language)


def subscribe(session: Session, data: ContactData, *, secret_key: str, link_for: LinkFor,
              site: str = "cosign", honeypot: bool = False) -> None:
    """A journalist asks to receive statements: pending until the e-mail link is opened.

    The caller answers the same whatever happened, so nobody learns whether an
    address is on the list: a new address, one still pending or one that
    unsubscribed (its owner may change their mind) gets a confirmation e-mail;
    an active one gets nothing and keeps its details; a filled-in honeypot
    stores and sends nothing.
    """
    database.begin_write(session)
    clean = check(data)
    if honeypot:
        return
    contact = by_email(session, clean.email)
    now = clock.now()
    if contact is None:
        contact = PressContact(status="pending", source="subscribe", created_at=now,
                               updated_at=now)
        fill(contact, clean)
        session.add(contact)
        try:
            session.flush()
        except IntegrityError:  # a double click: the first request stored it
            session.rollback()
            return
        audit.record(session, None, None, "press-subscribed", contact=contact.id,
                     email=contact.email)
    elif contact.status == "active":
        session.rollback()
        return
    else:
        again = contact.status == "unsubscribed"
        fill(contact, clean)
        contact.status, contact.updated_at = "pending", now
        if again:
            audit.record(session, None, None, "press-subscribed", contact=contact.id,
                         email=contact.email, again=True)
    _send_confirmation(session, contact, secret_key, link_for, site)
    session.commit()


def _from_token(session: Session, secret_key: str, purpose: str, token: str,
                max_age: int) -> PressContact | None:
    """The contact of a genuine link; None when it left the list or changed its address."""
    try:
        contact_id, email = read_link(secret_key, purpose, token, max_age, "c")
    except TokenExpired as exc:
        raise LinkExpired() from exc
    except TokenInvalid as exc:
        raise LinkInvalid() from exc
    contact = session.get(PressContact, contact_id)
    if contact is None or contact.email != email:
        return None
    return contact


def read_confirmation(session: Session, token: str, *, secret_key: str,
                      max_age: int = CONFIRM_MAX_AGE) -> PressContact:
    """The contact of a confirmation link, for the page whose button confirms (changes
    nothing)."""
    contact = _from_token(session, secret_key, CONFIRM, token, max_age)
    if contact is None:
        raise LinkInvalid()
    return contact


def confirm(session: Session, token: str, *, secret_key: str,
            max_age: int = CONFIRM_MAX_AGE) -> tuple[PressContact, bool]:
    """The link in the confirmation e-mail: (contact, whether this click activated it)."""
    database.begin_write(session)
    contact = _from_token(session, secret_key, CONFIRM, token, max_age)
    if contact is None:
        raise LinkInvalid()
    if contact.status == "active":
        return contact, False
    if contact.status == "unsubscribed":
        raise PressError(N_("This address unsubscribed after the link was sent. Subscribe "
                            "again to receive statements."))
    now = clock.now()
    contact.status, contact.confirmed_at, contact.unsubscribed_at = "active", now, None
    contact.updated_at = now
    audit.record(session, None, None, "press-confirmed", contact=contact.id, email=contact.email)
    session.commit()
    return contact, True


def read_unsubscribe(session: Session, token: str, *, secret_key: str) -> PressContact | None:
    return _from_token(session, secret_key, UNSUBSCRIBE, token, UNSUBSCRIBE_MAX_AGE)


def unsubscribe(session: Session, token: str, *,
                secret_key: str) -> tuple[PressContact | None, bool]:
    """One click: no more statements. (contact or None if no longer listed, whether changed)."""
    database.begin_write(session)
    contact = read_unsubscribe(session, token, secret_key=secret_key)
    if contact is None or contact.status == "unsubscribed":
        return contact, False
    now = clock.now()
    contact.status, contact.unsubscribed_at, contact.updated_at = "unsubscribed", now, now
    audit.record(session, None, None, "press-unsubscribed", contact=contact.id,
                 email=contact.email)
    session.commit()
    return contact, True


def resubscribe(session: Session, token: str, *,
                secret_key: str) -> tuple[PressContact | None, bool]:
    """Undo an unsubscription by the same link: the owner of the address consents again."""
    database.begin_write(session)
    contact = read_unsubscribe(session, token, secret_key=secret_key)
    if contact is None or contact.status == "active":
        return contact, False
    now = clock.now()
    contact.status, contact.unsubscribed_at, contact.updated_at = "active", None, now
    contact.confirmed_at = now
    audit.record(session, None, None, "press-resubscribed", contact=contact.id,
                 email=contact.email)
    session.commit()
    return contact, True
