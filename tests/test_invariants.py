"""Property test: whatever organisations submit and coordinators decide, the lists agree.

Hypothesis generates a sequence of steps on a fresh statement: sign-ons
(names in Latin, Arabic, Persian/Kurdish and Hebrew script, mixed, with bidi
controls and zero-width characters sprinkled in; named or withheld; countries
from the list; contacts at various domains; repeats of an earlier name), e-mail
confirmations, and decisions (approve, reject; a signatory's withdrawal). It
runs them through the real services and then checks:

- the statuses in the database are those a small model of the rules predicts;
- the approved signatures in the database = the statement page's list
  (cosign.signatories, and the HTML) = the API's list (cosign.catalogue, and the
  JSON) = the names in the PDF (cosign.pdfs.issue, read back with pypdf);
- a withheld name, and anything not approved, appears in none of them;
- no contact e-mail address or contact name appears in any public output.

Every sign-on carries a unique tag word (``T007Z``) so that "does not appear"
cannot be fooled by one name being part of another.
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import select

from cosign import listing, moderation, pdfs, publishing, signing
from cosign.core.countries import country_choices
from cosign.models import Signature, Statement
from cosign.security import make_token
from tests.factories import make_statement, make_user

SECRET = "test-secret-key-not-for-production"  # the app fixture's SECRET_KEY
COUNTRIES = [code for code, _name in country_choices("en")]
DOMAINS = ["example.org", "ngo.example", "xn--mnchen-3ya.example", "union.example.iq",
           "mail.example.co.uk"]
SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZÀÉÎÕÜßçñøåĞışŁńœŠž",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى",
    "kurdish-persian": "پچژگکیڕڵۆێەڤ",
    "hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
}
INVISIBLE = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200f", "\u200b", "\u061c",
             "\ufeff"]


def word(script: str):
    return st.text(alphabet=SCRIPTS[script], min_size=2, max_size=9)


@st.composite
def names(draw) -> str:
    """One to three words, each in one script; the scripts may mix; invisible characters
    (which cleaning removes) may come between or around the words."""
    scripts = draw(st.lists(st.sampled_from(sorted(SCRIPTS)), min_size=1, max_size=3))
    words = [draw(word(script)) for script in scripts]
    invisible = draw(st.lists(st.sampled_from(INVISIBLE), max_size=2))
    between = [w for pair in zip(invisible, words[1:], strict=False) for w in pair]
    parts = words[:1] + between + words[1 + len(invisible):]
    return " ".join(parts) if not invisible else invisible[-1] + " ".join(parts)


@dataclass(frozen=True)
class SignStep:
    name: str
    display: str
    country: str
    domain: str
    confirm: bool
    repeat: int | None  # sign again with an earlier sign-on's name (the same organisation)


@dataclass(frozen=True)
class DecideStep:
    target: int  # index into the signatures so far
    action: str  # approve | reject | withdraw | confirm


sign_step = st.builds(
    SignStep, name=names(), display=st.sampled_from(["named", "named", "withheld"]),
    country=st.sampled_from(COUNTRIES), domain=st.sampled_from(DOMAINS),
    confirm=st.sampled_from([True, True, True, False]),
    repeat=st.one_of(st.none(), st.none(), st.integers(0, 20)))
decide_step = st.builds(DecideStep, target=st.integers(0, 20),
                        action=st.sampled_from(["approve", "approve", "reject", "withdraw",
                                                "confirm"]))
# steps (sign-ons twice as likely as decisions), then perhaps "approve all confirmed"
plans = st.tuples(st.lists(st.one_of(sign_step, sign_step, decide_step), min_size=2, max_size=14),
                  st.sampled_from([True, True, True, False]))


class Model:
    """The rules of DESIGN.md for one statement, without a database.

    An unconfirmed sign-on only claims its organisation's name; the first to be confirmed
    holds it (withdrawn or rejected, it keeps holding it), and confirming another claim of a
    held name fails (``NameTaken``)."""

    def __init__(self):
        self.status: dict[int, str] = {}
        self.confirmed: dict[int, bool] = {}
        self.display: dict[int, str] = {}
        self.key: dict[int, str] = {}
        self.holds: dict[int, bool] = {}

    def signed(self, sid: int, display: str, key: str) -> None:
        if sid not in self.status or self.status[sid] == "withdrawn":
            self.status[sid], self.confirmed[sid], self.display[sid] = "unconfirmed", False, display
            self.key[sid], self.holds[sid] = key, False

    def confirm(self, sid: int) -> bool:
        """False when another sign-on holds the name."""
        if self.status[sid] != "unconfirmed":
            return True
        if any(h and self.key[other] == self.key[sid] and other != sid
               for other, h in self.holds.items()):
            return False
        self.status[sid], self.confirmed[sid], self.holds[sid] = "confirmed", True, True
        return True

    def approve(self, sid: int) -> None:
        if self.status[sid] == "confirmed" or (self.status[sid] == "rejected"
                                               and self.confirmed[sid]):
            self.status[sid] = "approved"

    def reject(self, sid: int) -> None:
        if self.status[sid] in ("unconfirmed", "confirmed", "approved"):
            self.status[sid] = "rejected"

    def withdraw(self, sid: int) -> None:
        self.status[sid] = "withdrawn"


def confirm(session, model: Model, signature: Signature) -> None:
    """Confirm through the service; the model says whether the name was free."""
    try:
        signing.confirm(session, token(signing.CONFIRM, signature), secret_key=SECRET,
                        link_for=link)
        taken = False
    except signing.NameTaken:
        taken = True
    assert model.confirm(signature.id) is not taken


# The one letter of these alphabets whose joined form the PDF's Arabic font draws with
# another letter's glyph: Kurdish ە (U+06D5) after a joining letter is the final form of
# ه (U+0647), and a PDF's ToUnicode map gives a glyph one character, so text read back
# says ه where an earlier name on the page had one (a limit of the file format without
# /ActualText, left to issue 15; found by this test with seed
# 130665756240179675858123614690384398330 and by a scan of every letter in every position).
SAME_GLYPH = str.maketrans({"\u06d5": "\u0647"})


def flat(text: str) -> str:
    """NFKC, without whitespace: how names are compared with text read out of a PDF (letters
    drawn with one glyph compared as one)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).translate(SAME_GLYPH)


def link(purpose: str, value: str) -> str:
    return f"http://cosign.test/{purpose}/{value}"


def token(purpose: str, signature: Signature) -> str:
    return make_token(SECRET, purpose, {"s": signature.id, "e": signature.email})


def run(session, statement, owner, plan) -> tuple[Model, dict[int, str]]:
    """Apply the steps through the services; (the model, each signature's tag)."""
    model = Model()
    orgs: list[str] = []
    ids: list[int] = []
    tags: dict[int, str] = {}
    steps, approve_all = plan
    for step in steps:
        if isinstance(step, SignStep):
            n = len(orgs) + 1
            if step.repeat is not None and orgs:
                organisation = orgs[step.repeat % len(orgs)]
            else:
                organisation = f"{step.name} T{n:03d}Z"
            orgs.append(organisation)
            form = signing.SignOn(organisation=organisation, country=step.country,
                                  email=f"person{n:03d}@{step.domain}",
                                  contact_name=f"Contact P{n:03d}K", org_type="ngo",
                                  display=step.display, city=f"City C{n:03d}Y")
            signature = signing.sign(session, statement, form, secret_key=SECRET, link_for=link)
            key = signature.pending_key or signature.name_key
            tag = re.search(r"T\d{3}Z", signature.public_name)
            assert key is not None and tag is not None, signature.public_name
            model.signed(signature.id, step.display, key)
            tags.setdefault(signature.id, tag.group())
            if signature.id not in ids:
                ids.append(signature.id)
            if step.confirm:
                confirm(session, model, signature)
        elif ids:
            sid = ids[step.target % len(ids)]
            if step.action == "approve":
                moderation.approve(session, statement, [sid], owner.id, secret_key=SECRET,
                                   link_for=link)
            elif step.action == "reject":
                moderation.reject(session, statement, [sid], owner.id)
            elif step.action == "confirm":
                confirm(session, model, session.get(Signature, sid))
                continue
            else:
                signing.withdraw(session, token(signing.WITHDRAW, session.get(Signature, sid)),
                                 secret_key=SECRET)
            getattr(model, step.action)(sid)
    if approve_all:
        moderation.approve(session, statement, ids, owner.id, secret_key=SECRET, link_for=link)
        for sid in ids:
            model.approve(sid)
    return model, tags


def pdf_text(app, session, statement) -> str:
    issued = pdfs.issue(session, statement, app.config)
    reader = PdfReader(io.BytesIO(pdfs.file_path(app.config, issued).read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def owner(session):
    return make_user(session)


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=plans)
def test_approved_list_is_the_public_list_is_the_pdf_list(app, client, session, owner, plan):
    statement = make_statement(session, owner, title="Invariants")  # a fresh statement each time
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    model, tags = run(session, statement, owner, plan)

    session.expire_all()
    rows = session.scalars(select(Signature).where(Signature.statement_id == statement.id)).all()
    assert {s.id: s.status for s in rows} == model.status
    assert {s.id: s.display for s in rows} == model.display
    approved = [s for s in rows if s.status == "approved"]
    named = sorted(s.public_name for s in approved if s.display == "named")
    withheld = [s for s in approved if s.display == "withheld"]
    hidden_tags = {tags[s.id] for s in rows if s.status != "approved" or s.display == "withheld"}
    shown_tags = {tags[s.id] for s in approved if s.display == "named"}
    hidden_tags -= shown_tags  # a losing claim of a listed organisation carries its tag too
    private = [v for s in rows for v in (s.email, s.contact_name, s.city if s.display == "withheld"
                                         else "")] + [f"@{d}" for d in DOMAINS]
    private = [v for v in private if v]

    for s in approved:  # what is shown was cleaned: no bidi controls, no invisible characters
        assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in s.public_name)

    # the public list (cosign.listing: the statement page's and the API's), and the page
    page = listing.build(session, statement.id).printed
    assert sorted(p.name for p in page if p.name is not None) == named
    assert sum(p.withheld for p in page) == len(withheld)
    html = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert f"{len(approved)} signator" in html
    for name in named:
        assert str(escape(name)) in html

    # the API's list: the JSON of the published statement
    publishing.publish(session, session.get(Statement, statement.id), owner.id,
                       publishing.PublishOptions(confirm_empty=True))
    data = client.get(f"/api/v1/statements/{statement.slug}")
    assert data.status_code == 200
    listed = data.get_json()["signatories"]
    assert sorted(s["name"] for s in listed if not s.get("withheld")) == named
    assert sum(1 for s in listed if s.get("withheld")) == len(withheld)
    csv = client.get(f"/api/v1/statements/{statement.slug}/signatories.csv").get_data(as_text=True)

    # the PDF
    text = pdf_text(app, session, session.get(Statement, statement.id))
    flat_text = flat(text)
    heading = re.search(r"Signatories\((\d+)\)", flat_text)
    assert heading is not None and heading.group(1) == str(len(approved))
    assert flat_text.count(flat("(name withheld)")) == len(withheld)
    for name in named:
        for part in name.split():
            assert flat(part) in flat_text, (name, part)

    outputs = {"page": html, "api": data.get_data(as_text=True), "csv": csv, "pdf": text}
    for where, output in outputs.items():
        for tag in shown_tags:
            assert tag in output, (where, tag)
        for tag in hidden_tags:
            assert tag not in output, (where, tag)
        for value in private:
            assert value not in output and flat(value) not in flat(output), (where, value)
