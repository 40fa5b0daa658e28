"""The public catalogue (API and feed data) on the service: published only, public fields only.

The published statements are built by tests/publications.py (the API, feed and listing tests
use them too).
"""
import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from cosign import catalogue, drafting, listing, publishing, signing
from cosign.models import Signature
from tests.publications import (
    CONTACT,
    HIDDEN_CITY,
    HIDDEN_NAME,
    HIDDEN_SITE,
    SECRET,
    add_from_the_web,
    add_named,
    add_withheld,
    links,
    many_published,
    not_public,
    opened,
    publish,
    published,
)

# --- tests --------------------------------------------------------------------

def test_only_published_statements_are_in_the_catalogue(session, frozen_clock):
    hidden = not_public(session, frozen_clock)
    statement, _ = published(session, names=("Org A", "Org B"), withheld=True)
    page = catalogue.published_page(session)
    assert [e.statement.slug for e in page.entries] == [statement.slug]
    assert page.entries[0].signatory_count == 3
    assert page.total == 1 and page.pages == 1
    listed = catalogue.published(session, statement.slug)
    assert listed is not None and listed.id == statement.id
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
    people = list(listing.build(session, statement.id).entries)  # what the API lists
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
    assert found.correction is not None and found.correction.corrected_at == frozen_clock.now
    [entry] = catalogue.newest(session)
    assert entry.corrected_at == frozen_clock.now and entry.updated_at == frozen_clock.now


def test_csv_has_public_columns_only(session):
    statement, owner = opened(session)
    add_named(session, statement, owner, "=HYPERLINK(\"https://evil.example\")", city="+Basra")
    add_named(session, statement, owner, "Nasiriya Rights", city="Nasiriya",
              website="https://rights.example")
    add_withheld(session, statement, owner)
    publish(session, statement, owner)
    text = listing.build(session, statement.id).api_csv().decode()  # the API's CSV
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(listing.API_CSV_COLUMNS)
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
        listed = catalogue.published(session, statement.slug)
        assert listed is not None
        catalogue.detail(session, listed)
        listing.build(session, statement.id).api_csv()
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
