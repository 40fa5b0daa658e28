"""A statement corrected twice while it was signed (signatories of three versions, two of them
re-confirmed): the printed list and the publication summary are tested on it."""
from __future__ import annotations

from sqlalchemy import select

from cosign import drafting, moderation, publishing, signing
from cosign.models import Revision, Signature, Statement
from cosign.security import make_token
from tests.factories import make_statement, make_user

SECRET = "test-secret-key-not-for-production"  # the app fixture's SECRET_KEY
V1 = ["Amal Rights Centre", "Basra Teachers Union", "Civic Forum Iraq", "Dijla Women Network",
      "Euphrates Lawyers"]
V2 = ["Free Press Nasiriya", "Green Iraq", "Hawar Youth", "Iraqi Al-Amal Association",
      "Journalists Without Borders Iraq", "Kurdistan Civil Alliance"]
RECONFIRMED = ["Amal Rights Centre", "Green Iraq"]


def link(purpose: str, value: str) -> str:
    return f"http://cosign.test/{purpose}/{value}"


def sign_on(name: str, display: str = "named") -> signing.SignOn:
    return signing.SignOn(organisation=name, country="IQ", email=f"{abs(hash(name))}@org.example",
                          contact_name="Private Contact", org_type="ngo", display=display,
                          city="Baghdad")


def new_version(session, statement, owner, words: str) -> Revision:
    text = drafting.Text(statement.title, f"We, the undersigned organisations, {words}.",
                         "London", None)
    revision, _asked = signing.save_new_version(
        session, statement, owner.id, text, note=words, base_revision=statement.current_revision,
        secret_key=SECRET, link_for=link)
    return revision


def reconfirm(session, statement, name: str) -> None:
    signature = session.scalar(select(Signature).where(Signature.statement_id == statement.id,
                                                       Signature.public_name == name))
    token = make_token(SECRET, signing.RECONFIRM, {"s": signature.id, "e": signature.email})
    _signature, changed = signing.reconfirm(session, token, secret_key=SECRET)
    assert changed


def corrected(session, policy: str = "section", *, withheld: bool = False):
    """A statement signed by 5 on version 1 and 6 more on version 2, now at version 3;
    two of them (one of each) re-confirmed version 3, and one organisation signed it."""
    owner = make_user(session)
    statement = make_statement(session, owner, title="Stop the arrests",
                               coalition="Coalition for Civic Freedom",
                               press_name="Hana Press", press_email="press@coalition.example")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    for name in V1:
        moderation.add(session, statement, sign_on(name), owner.id)
    new_version(session, statement, owner, "condemn the arrest of four journalists")
    for name in V2:
        moderation.add(session, statement, sign_on(name), owner.id)
    if withheld:
        moderation.add(session, statement, sign_on("Hidden Teachers", "withheld"), owner.id)
    new_version(session, statement, owner, "condemn the arrest of five journalists")
    moderation.add(session, statement, sign_on("Zagros Human Rights"), owner.id)
    for name in RECONFIRMED:
        reconfirm(session, statement, name)
    if policy != "section":
        publishing.set_earlier_signers(session, statement, owner.id, policy)
    session.expire_all()
    return owner, session.get(Statement, statement.id)
