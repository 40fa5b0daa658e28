"""Published statements built through the real services, for the catalogue, API, feed and
listing tests; contact data that must never leave the database."""

import datetime as dt
import re

from sqlalchemy import select

from cosign import embargo, moderation, publishing, signing
from cosign.models import OutboxMessage
from tests.factories import make_statement, make_user

SECRET = "test-secret"
# contact data of every signature: it must never leave the database
CONTACT = {
    "email": "zq-contact-7d1f@leak.example",
    "contact_name": "Zebulon Quixote-Contact",
    "contact_role": "Role-Xylophone-Secret",
    "message": "Private note Pomegranate-4471 for the coordinators",
}
HIDDEN_NAME = "Hidden Teachers Union Marzipan"
HIDDEN_CITY = "Secretville-Basra"
HIDDEN_SITE = "https://hidden-marzipan.example"
IP = "203.0.113.77"


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def sign_on(name, **kw):
    data = dict(organisation=name, country="IQ", org_type="ngo", city="Nasiriya",
                website="https://www.example.org", **CONTACT)
    data.update(kw)
    return signing.SignOn(**data)


def add_named(session, statement, owner, name, **kw):
    return moderation.add(session, statement, sign_on(name, **kw), owner.id)


def add_withheld(session, statement, owner, name=HIDDEN_NAME, **kw):
    data = dict(display="withheld", city=HIDDEN_CITY, website=HIDDEN_SITE, country="IQ",
                org_type="union")
    data.update(kw)
    return moderation.add(session, statement, sign_on(name, **data), owner.id)


def add_from_the_web(session, statement, owner, name, email, *, approve=True):
    """Signed through the form (so an IP fingerprint is stored), confirmed, approved."""
    data = dict(CONTACT, email=email)
    sig = signing.sign(session, statement, sign_on(name, **data), secret_key=SECRET,
                       link_for=links, ip=IP)
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)
                              .order_by(OutboxMessage.id.desc())).first()
    link = re.search(rf"https://cosign\.test/{signing.CONFIRM}/(\S+)", message.body_text)
    assert link is not None, f"no confirmation link in the e-mail to {email}"
    token = link.group(1)
    signing.confirm(session, token, secret_key=SECRET, link_for=links)
    if approve:
        moderation.approve(session, statement, [sig.id], owner.id, secret_key=SECRET,
                           link_for=links)
    return sig


def opened(session, owner=None, *, title="Free the journalists", **settings):
    owner = owner or make_user(session)
    settings.setdefault("coalition", "Iraqi Solidarity Coalition")
    statement = make_statement(session, owner, title=title, **settings)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement, owner


def publish(session, statement, owner, **options):
    options.setdefault("confirm_empty", True)
    return publishing.publish(session, statement, owner.id, publishing.PublishOptions(**options))


def published(session, owner=None, *, title="Free the journalists",
              names=("Iraqi Democratic Association",), withheld=False, **settings):
    """A published statement with approved named signatories (and one withheld one)."""
    statement, owner = opened(session, owner, title=title, **settings)
    for name in names:
        add_named(session, statement, owner, name)
    if withheld:
        add_withheld(session, statement, owner)
    publish(session, statement, owner)
    return statement, owner


def not_public(session, frozen_clock):
    """A draft, an open, a closed and an embargoed statement, each with a named signatory."""
    owner = make_user(session)
    draft = make_statement(session, owner, title="Draft statement Alpha")
    is_open, _ = opened(session, owner, title="Open statement Bravo")
    add_named(session, is_open, owner, "Open Signatory Org")
    closed, _ = opened(session, owner, title="Closed statement Charlie")
    add_named(session, closed, owner, "Closed Signatory Org")
    signing.close(session, closed, owner.id)
    embargoed, _ = opened(session, owner, title="Embargoed statement Delta")
    add_named(session, embargoed, owner, "Embargoed Signatory Org")
    publish(session, embargoed, owner, at=frozen_clock.now + dt.timedelta(days=2),
            timezone="Europe/London")
    assert embargo.is_embargoed(embargoed)
    return {"draft": draft, "open": is_open, "closed": closed, "embargoed": embargoed}


def many_published(session, frozen_clock, n):
    """``n`` published statements, one minute apart; the last one is the newest."""
    owner = make_user(session)
    made = []
    for i in range(n):
        statement, _ = opened(session, owner, title=f"Statement number {i:02d}")
        for j in range(i % 3):
            add_named(session, statement, owner, f"Signatory {j} of {i}")
        publish(session, statement, owner)
        made.append(statement)
        frozen_clock.advance(minutes=1)
    return made
