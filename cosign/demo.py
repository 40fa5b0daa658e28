"""The demo statements that ``make run`` loads into an empty database.

A fictional coalition's joint condemnation letter, drafted by two people over
three revisions, so that history, diff and comments have something to show;
and a second one whose authoritative text is Arabic, with an English and a
French translation (all three written for the demo).
The demo coordinator's password is random, kept in ``instance/demo-login.txt``
(never committed) and printed by ``flask cosign demo``.
"""
from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cosign import accounts, clock, drafting, membership, moderation, press, signing, translating
from cosign.config import ROOT
from cosign.core.document import paragraph_key, paragraphs
from cosign.core.names import name_key
from cosign.models import Signature, Statement, User

TEXTS = Path(__file__).resolve().parent / "demo_texts"
COORDINATOR = ("amira.haddad@example.org", "Amira Haddad")
CO_DRAFTER = ("tom.reilly@example.org", "Tom Reilly")
TITLE = "Joint statement on the killing of protesters in Sahel al-Nour"
DEMO_SLUG = "sahel-al-nour-protesters"


def credentials_file() -> Path:
    return ROOT / "instance" / "demo-login.txt"


def _read(path: Path) -> tuple[str, str] | None:
    try:
        email, password = path.read_text().split()[:2]
    except (FileNotFoundError, ValueError):
        return None
    return email, password


def load_if_empty(session: Session, path: Path) -> tuple[str, str, bool] | None:
    """(email, password, created now) of the demo login, or None if not loaded."""
    known = _read(path)
    if known and accounts.find_by_email(session, known[0]) is not None:
        return known[0], known[1], False
    if session.scalar(select(func.count()).select_from(Statement)) or session.scalar(
        select(func.count()).select_from(User)
    ):
        return None
    password = secrets.token_urlsafe(12)
    statement = load(session, password)
    open_with_signatories(session, statement)
    add_press_list(session, _owner_id(statement))
    load_arabic(session, _owner_id(statement))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{COORDINATOR[0]} {password}\n")
    path.chmod(0o600)
    return COORDINATOR[0], password, True


def _owner_id(statement: Statement) -> int:
    """The demo statement's coordinator, who created it."""
    if statement.created_by_id is None:
        raise ValueError("the demo statement has no coordinator")
    return statement.created_by_id


def load(session: Session, password: str) -> Statement:
    """Create the two drafters and the demo statement with three revisions."""
    amira = accounts.create_user(session, COORDINATOR[0], COORDINATOR[1], password)
    tom = accounts.create_user(session, CO_DRAFTER[0], CO_DRAFTER[1], secrets.token_urlsafe(16))
    date = (clock.now() - dt.timedelta(days=2)).date()
    place = "London"

    statement = drafting.create_statement(
        session, amira.id,
        drafting.Text(TITLE, (TEXTS / "r1.md").read_text(), place, date),
        slug=DEMO_SLUG, language="en",
        coalition="Coalition for Civic Freedom in Sahel al-Nour",
        press_name="Amira Haddad", press_email="press@example.org", press_phone="+44 20 7946 0000",
        note="First draft",
    )
    membership.add_member(session, statement.id, tom.id, "editor", actor_id=amira.id)
    drafting.save_revision(
        session, statement, tom.id,
        drafting.Text(TITLE, (TEXTS / "r2.md").read_text(), place, date),
        note="Stronger wording; adds the demand for an independent investigation",
    )
    first = paragraphs((TEXTS / "r2.md").read_text())
    question = drafting.add_comment(
        session, statement, amira.id, paragraph_key(first[1]),
        "The hospital now says seven. Can we update the figure before we open for signature?",
    )
    drafting.save_revision(
        session, statement, amira.id,
        drafting.Text(TITLE, (TEXTS / "r3.md").read_text(), place, date),
        note="Updated casualty figures; adds the paragraph on rights and the call to the "
             "international community",
    )
    drafting.resolve_comment(session, statement, question.id, tom.id)
    final = paragraphs((TEXTS / "r3.md").read_text())
    drafting.add_comment(
        session, statement, tom.id, paragraph_key(final[-1]),
        "Should we name the governments that fund the security forces here?",
    )
    return statement



ARABIC_TITLE = "بيان مشترك بشأن الاختفاء القسري لثلاثة مدافعين عن حقوق الإنسان في ساحل النور"
ARABIC_TRANSLATIONS = {
    "en": "Joint statement on the enforced disappearance of three human rights defenders in "
          "Sahel al-Nour",
    "fr": "Déclaration commune sur la disparition forcée de trois défenseurs des droits humains "
          "à Sahel al-Nour",
}
ARABIC_PLACES = {"ar": "ساحل النور", "en": "Sahel al-Nour", "fr": "Sahel al-Nour"}
ARABIC_SIGNATORIES = [
    ("جمعية النور لحقوق الإنسان", "IQ", "ngo", "ساحل النور"),
    ("نقابة المعلمين في ساحل النور", "IQ", "union", "ساحل النور"),
    ("مرصد NGO للحريات العامة", "IQ", "ngo", "بغداد"),
    ("Diaspora Forum for Democracy", "GB", "association", "London"),
    ("Ligue des droits et libertés", "FR", "ngo", "Paris"),
]


def load_arabic(session: Session, owner_id: int) -> Statement:
    """The Arabic statement, open for signature, with its English and French translations."""
    date = (clock.now() - dt.timedelta(days=1)).date()
    statement = drafting.create_statement(
        session, owner_id,
        drafting.Text(ARABIC_TITLE, (TEXTS / "ar.md").read_text(), ARABIC_PLACES["ar"], date),
        language="ar", coalition="تحالف الحريات المدنية في ساحل النور",
        press_name="أميرة حداد", press_email="press@example.org", note="المسودة الأولى")
    for language, title in ARABIC_TRANSLATIONS.items():
        translating.add(session, statement, owner_id, language, drafting.Text(
            title, (TEXTS / f"ar-{language}.md").read_text(), ARABIC_PLACES[language], date))
    signing.open_for_signature(session, statement, owner_id, signing.OpenOptions())
    for name, country, org_type, city in ARABIC_SIGNATORIES:
        moderation.add(session, statement, signing.SignOn(
            organisation=name, country=country, email="", contact_name="", org_type=org_type,
            city=city), owner_id)
    return statement


# Fictional signatories: approved, withheld, waiting for review and unconfirmed.
SIGNATORIES = [
    ("Sahel al-Nour Teachers' Union", "IQ", "union", "named", "Sahel al-Nour"),
    ("جمعية النور لحقوق الإنسان", "IQ", "ngo", "named", "Sahel al-Nour"),
    ("Diaspora Forum for Democracy", "GB", "association", "named", "London"),
    ("Riverside Press Freedom Network", "DE", "media", "named", "Berlin"),
    ("Coalition of Student Unions", "IQ", "union", "withheld", ""),
    ("Centre for Civic Studies", "FR", "academic", "named", "Lyon"),
]
WAITING = [
    ("Kurdish Women's Solidarity Group", "IQ", "association", "review@example.org"),
    ("Open Society Lawyers", "JO", "ngo", "lawyers@example.org"),
]


def open_with_signatories(session: Session, statement: Statement) -> None:
    """Open the demo for signature, with signatories in every state a coordinator meets."""
    owner_id = _owner_id(statement)
    signing.open_for_signature(session, statement, owner_id, signing.OpenOptions())
    for name, country, org_type, display, city in SIGNATORIES:
        moderation.add(session, statement, signing.SignOn(
            organisation=name, country=country, email="", contact_name="", org_type=org_type,
            display=display, city=city), owner_id)
    for name, country, org_type, email in WAITING:  # as if they had clicked their e-mail link
        form = signing.SignOn(organisation=name, country=country, email=email,
                              contact_name="Demo Contact", org_type=org_type)
        signature = Signature(statement_id=statement.id, name_key=name_key(name),
                              status="confirmed", revision=statement.signed_revision,
                              provenance="web", created_at=clock.now(), confirmed_at=clock.now())
        signing.fill(signature, form, name)
        session.add(signature)
    session.commit()


# A fictional press list (example.org addresses), with beats to choose from.
PRESS = [
    ("Lena Fischer", "Riverside Daily", "lena.fischer@example.org", "de", "human rights, iraq"),
    ("Omar Saleh", "Al-Nour Radio", "omar.saleh@example.org", "ar", "iraq, protests"),
    ("Grace Mensah", "World Desk Weekly", "desk@example.org", "en", "human rights"),
]


def add_press_list(session: Session, actor_id: int) -> None:
    for name, outlet, email, language, tags in PRESS:
        press.add(session, press.ContactData(email=email, name=name, outlet=outlet,
                                             language=language, tags=tags), actor_id)
