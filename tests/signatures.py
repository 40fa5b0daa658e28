"""Signing helpers for service tests: a sign-on, its e-mail links and tokens, a confirmed one."""

import re

from sqlalchemy import func, select

from cosign import moderation, signing
from cosign.models import OutboxMessage

SECRET = "test-secret"


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def sign_on(name="Iraqi Democratic Association", email="contact@ida.example.org", **kw):
    data = dict(organisation=name, country="IQ", email=email, contact_name="Sara Ali",
                org_type="association")
    data.update(kw)
    return signing.SignOn(**data)


def sign(session, statement, form=None, **kw):
    return signing.sign(session, statement, form or sign_on(), secret_key=SECRET,
                        link_for=links, **kw)


def token_in(session, kind, recipient=None):
    query = (
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    )
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    message = session.scalars(query).first()
    purpose = {"signature-confirm": signing.CONFIRM, "signature-approved": signing.WITHDRAW,
               "signature-reconfirm": signing.RECONFIRM}[kind]
    link = re.search(rf"https://cosign\.test/{purpose}/(\S+)", message.body_text)
    assert link is not None, f"no {purpose} link in the {kind} e-mail"
    return link.group(1)


def confirmed(session, statement, name, email, **kw):
    """A web sign-on, confirmed by its e-mail link: it waits for moderation."""
    sign(session, statement, sign_on(name, email, **kw))
    signature, _changed = signing.confirm(session, token_in(session, "signature-confirm", email),
                                          secret_key=SECRET, link_for=links)
    return signature


def added(session, statement, owner, name, **kw):
    """A signature the coordinator adds by hand (approved at once), with its own address."""
    email = f"contact@{name.lower().replace(' ', '-')}.example"
    return moderation.add(session, statement, sign_on(name, email, **kw), owner.id)
