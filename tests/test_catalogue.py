"""The public catalogue (API and feed data) on the service: published only, public fields only.

The helpers here build published statements through the real services; the
API and feed tests import them.
"""
import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from cosign import catalogue, drafting, embargo, moderation, publishing, signing
from cosign.models import OutboxMessage, Signature
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
    token = re.search(rf"https://cosign\.test/{signing.CONFIRM}/(\S+)", message.body_text).group(1)
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


# --- tests --------------------------------------------------------------------

def test_only_published_statements_are_in_the_catalogue(session, frozen_clock):
    hidden = not_public(session, frozen_clock)
    statement, _ = published(session, names=("Org A", "Org B"), withheld=True)
    page = catalogue.published_page(session)
    assert [e.statement.slug for e in page.entries] == [statement.slug]
    assert page.entries[0].signatory_count == 3
    assert page.total == 1 and page.pages == 1
    assert catalogue.published(session, statement.slug).id == statement.id
    for other in hidden.values():
        assert catalogue.published(session, other.slug) is None
    assert catalogue.published(session, "no-such-statement") is None
    assert [e.statement.slug for e in catalogue.newest(session)] == [statement.slug]


def test_embargoed_statement_enters_the_catalogue_when_its_time_comes(session, frozen_clock):
    hidden = not_public(session, frozen_clock)
    slug = hidden["embargoed"].slug
    frozen_clock.advance(days=3)
    assert publishing.publish_due(session) == 1
    assert catalogue.published(session, slug) is not None
    assert [e.statement.slug for e in catalogue.published_page(session).entries] == [slug]


def test_pages_newest_first_with_counts(session, frozen_clock):
    made = many_published(session, frozen_clock, 7)
    first = catalogue.published_page(session, 1, 3)
    assert (first.total, first.pages) == (7, 3)
    assert [e.statement.id for e in first.entries] == [s.id for s in made[::-1][:3]]
    assert [e.signatory_count for e in first.entries] == [6 % 3, 5 % 3, 4 % 3]
    assert [e.title for e in first.entries] == ["Statement number 06", "Statement number 05",
                                                 "Statement number 04"]
    last = catalogue.published_page(session, 3, 3)
    assert [e.statement.id for e in last.entries] == [made[0].id]
    assert catalogue.published_page(session, 4, 3).entries == []


@pytest.mark.parametrize("page, per_page, field", [
    ("0", None, "page"), ("-1", None, "page"), ("x", None, "page"), ("100001", None, "page"),
    (None, "0", "per_page"), (None, "101", "per_page"), (None, "abc", "per_page"),
    (None, "-1", "per_page"), (None, "1.5", "per_page"), (None, "", "per_page"),
    (None, "٣", "per_page"),
])
def test_bad_page_numbers_name_the_parameter(page, per_page, field):
    with pytest.raises(catalogue.BadPage) as caught:
        catalogue.page_numbers(page, per_page)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_page_numbers():
    assert catalogue.page_numbers(None, None) == (1, 20)
    assert catalogue.page_numbers("3", "100") == (3, 100)
    assert catalogue.page_numbers(" 2 ", "1") == (2, 1)


def test_public_signatories_hide_withheld_ones(session):
    statement, owner = opened(session)
    add_named(session, statement, owner, "Zeta Org", country="GB", city="London",
              website="https://zeta.example")
    add_named(session, statement, owner, "alpha Org", country="FR")
    add_withheld(session, statement, owner)
    add_from_the_web(session, statement, owner, "Waiting Org", "waiting@example.org",
                     approve=False)
    publish(session, statement, owner)
    people = catalogue.public_signatories(session, statement.id)
    assert [p.name for p in people] == ["alpha Org", "Zeta Org", None]
    zeta = people[1]
    assert (zeta.country, zeta.org_type, zeta.city, zeta.website, zeta.revision) == \
        ("GB", "ngo", "London", "https://zeta.example", 1)
    hidden = people[2]
    assert hidden.withheld and (hidden.country, hidden.org_type) == ("IQ", "union")
    assert (hidden.city, hidden.website) == ("", "")


def test_detail_and_correction(session, frozen_clock):
    statement, owner = published(session, names=("Org A",), withheld=True)
    found = catalogue.detail(session, statement)
    assert found.revision.number == 1 and found.correction is None
    assert found.signatory_count == 2 and found.pdf is None
    frozen_clock.advance(days=1)
    text = drafting.Text("Free the journalists", drafting.current_revision(session, statement).body
                         + "\n\nCorrected: five reporters.", "London", dt.date(2026, 11, 20))
    signing.save_new_version(session, statement, owner.id, text, note="correction",
                             base_revision=1, secret_key=SECRET, link_for=links)
    found = catalogue.detail(session, statement)
    assert found.revision.number == 2 and "five reporters" in found.revision.body
    assert found.correction.corrected_at == frozen_clock.now
    [entry] = catalogue.newest(session)
    assert entry.corrected_at == frozen_clock.now and entry.updated_at == frozen_clock.now


def test_csv_has_public_columns_only(session):
    statement, owner = opened(session)
    add_named(session, statement, owner, "=HYPERLINK(\"https://evil.example\")", city="+Basra")
    add_named(session, statement, owner, "Nasiriya Rights", city="Nasiriya",
              website="https://rights.example")
    add_withheld(session, statement, owner)
    publish(session, statement, owner)
    text = catalogue.signatories_csv(session, statement)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(catalogue.CSV_COLUMNS)
    assert rows[1][0].startswith("'=") and rows[1][3] == "'+Basra"
    assert rows[2] == ["Nasiriya Rights", "Iraq", "IQ", "Nasiriya", "ngo",
                       "https://rights.example", "1"]
    assert rows[3] == ["An organisation in Iraq (name withheld)", "Iraq", "IQ", "", "union", "",
                       "1"]
    for secret in [*CONTACT.values(), HIDDEN_NAME, HIDDEN_CITY, HIDDEN_SITE]:
        assert secret not in text


CONTACT_COLUMNS = ("email", "contact_name", "contact_role", "message", "ip_hash", "name_key")


def test_contact_columns_are_never_selected(session, frozen_clock):
    statement, owner = published(session, names=("Org A", "Org B"), withheld=True)
    queries = []

    def record(conn, cursor, sql, parameters, context, executemany):
        queries.append(sql.lower())

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        catalogue.published_page(session)
        catalogue.newest(session)
        catalogue.detail(session, catalogue.published(session, statement.slug))
        catalogue.signatories_csv(session, statement)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    signature_queries = [q for q in queries if "signature" in q]
    assert signature_queries
    for sql in signature_queries:
        for column in CONTACT_COLUMNS:
            assert f"signature.{column}" not in sql, sql
        assert not re.search(r"signature\.name\b", sql), sql  # the original name
    assert session.scalar(select(Signature.email).where(Signature.statement_id == statement.id)) \
        == CONTACT["email"]
