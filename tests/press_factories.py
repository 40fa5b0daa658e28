"""Factory functions for the press list: real rows through the real service."""
from __future__ import annotations

import itertools
import re

from sqlalchemy import func, select

from cosign import press, subscription
from cosign.models import OutboxMessage, PressContact
from tests.factories import make_user

SECRET = "test-secret-key-not-for-production"
_counter = itertools.count(1)


def links(purpose: str, token: str) -> str:
    return f"http://cosign.test/{purpose}/{token}"


def make_contact(session, actor=None, *, email: str | None = None, status: str = "active",
                 **fields) -> PressContact:
    """A contact added by a coordinator, then brought to ``status`` the way people do it."""
    actor = actor or make_user(session)
    n = next(_counter)
    data = press.ContactData(email=email or f"journalist{n}@example.org",
                             name=fields.pop("name", f"Journalist {n}"),
                             outlet=fields.pop("outlet", "The Daily"),
                             language=fields.pop("language", "en"), tags=fields.pop("tags", ""))
    assert not fields, fields
    if status == "pending":
        subscription.subscribe(session, data, secret_key=SECRET, link_for=links)
        return session.scalar(select(PressContact).where(PressContact.email == data.email.lower()))
    contact = press.add(session, data, actor.id)
    if status == "unsubscribed":
        subscription.unsubscribe(session, press.unsubscribe_token(SECRET, contact),
                                 secret_key=SECRET)
    assert contact.status == status
    return contact


def confirm_token(session, recipient: str) -> str:
    """The token in the newest press confirmation e-mail to ``recipient``."""
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "press-confirm", OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no confirmation e-mail to {recipient}"
    link = re.search(r"http://cosign\.test/press(?:/|-)confirm/(\S+)", message.body_text)
    assert link is not None, f"no confirmation link in the e-mail to {recipient}"
    return link.group(1)


def by_email(session, email: str) -> PressContact | None:
    """The contact with this address as the requests committed it."""
    session.rollback()
    return session.scalar(select(PressContact).where(PressContact.email == email))


def contact_by_email(session, email: str) -> PressContact:
    """The contact with this address, which must exist (as the requests committed it)."""
    contact = by_email(session, email)
    assert contact is not None, f"no press contact {email}"
    return contact


def contact_count(session, *where) -> int:
    session.rollback()  # read what the requests committed
    return session.scalar(select(func.count()).select_from(PressContact).where(*where))


def mail_count(session, recipient: str | None = None) -> int:
    session.rollback()
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "press-confirm")
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return session.scalar(query)


CONTACTS = [  # (address, language, tags)
    ("a@news.example", "en", "iraq"),
    ("b@news.example", "ar", "iraq,gulf"),
    ("c@news.example", "ar-IQ", ""),
    ("d@news.example", "fr", ""),  # no French translation: the original text
    ("e@news.example", "en", "gulf"),
]
