"""cosign.collation on a real database (SQLite and PostgreSQL): every signature written gets its
collation key, a rename moves it, and a statement's new language re-sorts the withheld ones by
country name in that language."""
from sqlalchemy import select

from cosign import collation, listing, moderation
from cosign.models import Signature, Statement
from tests.signatures import added


def public_names(session, statement):
    return [p.name or p.country for p in listing.build(session, statement.id).entries]


def test_a_new_signature_gets_its_key_when_flushed(session, opened_statement):
    statement, owner = opened_statement
    signature = added(session, statement, owner, "Basra Teachers Union")
    assert signature.sort_key == collation.key_of(signature, statement.language)
    assert signature.sort_key.startswith("0")  # named ones before withheld ones ("1")
    withheld = added(session, statement, owner, "Hidden", display="withheld", country="EG")
    assert withheld.sort_key.startswith("1") and "Hidden" not in withheld.sort_key


def test_a_rename_moves_the_signature(session, opened_statement):
    statement, owner = opened_statement
    zeta = added(session, statement, owner, "Zeta Org")
    added(session, statement, owner, "Middle Org")
    assert public_names(session, statement) == ["Middle Org", "Zeta Org"]
    moderation.rename(session, statement, zeta.id, "Alpha Org", owner.id)
    assert zeta.sort_key == collation.key_of(zeta, statement.language)
    assert public_names(session, statement) == ["Alpha Org", "Middle Org"]


def test_an_unchanged_signature_keeps_its_key(session, opened_statement):
    statement, owner = opened_statement
    signature = added(session, statement, owner, "Basra Teachers Union")
    signature.sort_key = "0 kept"  # as if stored by an older version
    session.commit()
    signature.city = "Najaf"  # not a field the key depends on
    session.commit()
    assert session.scalar(select(Signature.sort_key).where(Signature.id == signature.id)) == (
        "0 kept")


def test_the_statement_language_orders_withheld_ones_by_country_name(session, opened_statement):
    statement, owner = opened_statement
    for country in ("DE", "EG"):
        added(session, statement, owner, f"Hidden {country}", display="withheld", country=country)
    assert public_names(session, statement) == ["EG", "DE"]  # Egypt, Germany
    statement.language = "fr"
    collation.recompute(session, statement)
    session.commit()
    assert public_names(session, statement) == ["DE", "EG"]  # Allemagne, Égypte
    keys = session.scalars(select(Signature).where(Signature.statement_id == statement.id))
    assert all(s.sort_key == collation.key_of(s, "fr") for s in keys)
    assert session.get(Statement, statement.id).language == "fr"
