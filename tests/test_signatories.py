"""cosign.signatories on a real database (SQLite and PostgreSQL): the public list shows approved,
unflagged signatories only, public fields only, in collation order (binary on the stored keys,
so PostgreSQL's locale does not change it); counts per statement."""
from sqlalchemy import select

from cosign import listing, signatories
from cosign.models import Signature
from tests.factories import make_statement
from tests.signatures import added, confirmed


def test_public_order_is_collation_order_and_the_public_list_keeps_to_it(session, opened_statement):
    statement, owner = opened_statement
    for name in ("Zagros Rights", "banana Union", "Apple Org", "Äpfel Collective"):
        added(session, statement, owner, name, city="Basra")
    added(session, statement, owner, "Hidden Teachers", display="withheld", city="Secretville",
        country="EG", org_type="union")
    flagged = added(session, statement, owner, "Flagged Org")
    flagged.flagged = True
    session.commit()
    confirmed(session, statement, "Waiting Org", "w@waiting.example")
    ordered = session.scalars(select(Signature.public_name).where(
        Signature.statement_id == statement.id, Signature.status == "approved",
        Signature.flagged.is_(False)).order_by(*signatories.public_order())).all()
    assert ordered == ["Äpfel Collective", "Apple Org", "banana Union", "Zagros Rights",
                       "Hidden Teachers"]
    page = listing.build(session, statement.id).entries  # the public list, in that order
    assert [p.name for p in page] == ["Äpfel Collective", "Apple Org", "banana Union",
                                      "Zagros Rights", None]
    hidden = page[-1]
    assert hidden.withheld and hidden.city == "" and (hidden.country, hidden.org_type) == (
        "EG", "union")
    assert page[0].city == "Basra" and not page[0].withheld
    assert page[0].revision == statement.signed_revision
    assert not hasattr(page[0], "email") and not hasattr(page[0], "contact_name")
    assert signatories.approved_count(session, statement.id) == 5


def test_approved_counts_count_signers_of_the_current_text_in_one_query(session, opened_statement):
    statement, owner = opened_statement
    other = make_statement(session, owner, title="Nobody signed")
    for name in ("One", "Two", "Three"):
        added(session, statement, owner, f"Organisation {name}")
    earlier = session.query(Signature).filter_by(public_name="Organisation Three").one()
    earlier.revision = statement.signed_revision - 1  # signed an earlier version
    session.commit()
    assert signatories.approved_counts(session, [statement.id, other.id]) == {
        statement.id: 2, other.id: 0}
    assert signatories.approved_counts(session, []) == {}
    assert signatories.approved_count(session, statement.id) == 3  # every approved one
