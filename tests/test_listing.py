"""The public list's snapshot (cosign.listing) on a real database: order, versions, privacy,
filters."""

import csv
import io
import json
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from cosign import database, listing, moderation
from cosign.core.ordering import order_signatories
from cosign.core.signatory import Signatory
from cosign.models import Signature, Statement
from tests.publications import (
    CONTACT,
    HIDDEN_CITY,
    HIDDEN_NAME,
    HIDDEN_SITE,
    SECRET,
    add_from_the_web,
    add_withheld,
    links,
    opened,
    publish,
    sign_on,
)

NAMES = [
    ("Émile Zola Society", "FR"), ("emile Workers", "FR"), ("Emilia Trust", "IT"),
    ("zeta Org", "GB"), ("Åland Union", "FI"), ("Ångström Lab", "SE"), ("Zürich Forum", "CH"),
    ("منظمة حقوق الإنسان", "IQ"), ("إتحاد الطلبة", "IQ"), ("أمل للتنمية", "JO"),
    ("ٱلجمعية الثقافية", "IQ"), ("بيت الحرية", "LB"), ("1st Union of Teachers", "GB"),
    ("\"Hope\" Foundation", "US"), ("Iraqi Democratic Association", "IQ"),
]
WITHHELD = [("Secret Teachers Marzipan", "IQ", "union"), ("Hidden Lawyers Quince", "IQ", "ngo"),
            ("Hidden Press Persimmon", "FR", "media"), ("Hidden Union Walnut", "SY", "union")]


@pytest.fixture
def mixed(session):
    statement, owner = opened(session)
    rows = [sign_on(name, country=country, city=f"City of {name[:5]}",
                    website="https://site.example") for name, country in NAMES]
    rows += [sign_on(name, country=country, org_type=org_type, display="withheld",
                     city=HIDDEN_CITY, website=HIDDEN_SITE)
             for name, country, org_type in WITHHELD]
    moderation.import_rows(session, statement, rows, "list.csv", owner.id)
    return statement, owner


def expected_order(session, statement):
    rows = session.execute(select(Signature.public_name, Signature.country, Signature.org_type,
                                  Signature.display)
                           .where(Signature.statement_id == statement.id,
                                  Signature.status == "approved")).all()
    people = [Signatory(name=n, country=c, org_type=t, display=d) for n, c, t, d in rows]
    return [(None if s.withheld else s.name, s.country, s.org_type)
            for s in order_signatories(people, "alphabetical", statement.language)]


def count_queries(session):
    queries = []

    def record(conn, cursor, sql, parameters, context, executemany):
        queries.append(sql)

    sa.event.listen(session.get_bind(), "before_cursor_execute", record)
    return queries, lambda: sa.event.remove(session.get_bind(), "before_cursor_execute", record)


def test_order_is_the_collated_order_of_core(session, mixed):
    statement, _owner = mixed
    built = listing.build(session, statement.id)
    assert [(e.name, e.country, e.org_type) for e in built.entries] == \
        expected_order(session, statement)
    names: list[str] = []
    for e in built.entries:
        if not e.withheld:
            assert e.name is not None, e
            names.append(e.name)
    assert names.index("emile Workers") < names.index("Émile Zola Society") \
        < names.index("Emilia Trust")
    assert names.index("Zürich Forum") < names.index("منظمة حقوق الإنسان")  # Latin, then Arabic
    assert all(e.withheld for e in built.entries[len(NAMES):])  # withheld ones last
    # the API's list, its CSV and the public export agree with the page's order
    api = [item.get("name") for item in json.loads(built.api_json())]
    assert api == [e.name for e in built.entries]
    rows = list(csv.reader(io.StringIO(built.api_csv().decode())))[1:]
    export = list(csv.reader(io.StringIO(built.export_csv().lstrip("\ufeff"))))[1:]
    assert [r[0] for r in rows] == [r[0] for r in export]
    assert [r[0] for r in rows][:len(NAMES)] == \
        [n if not n.startswith(("=", "+", "-", "@")) else "'" + n for n in names]


def test_order_follows_a_rename(session, mixed):
    statement, owner = mixed
    zeta = session.scalar(select(Signature).where(Signature.public_name == "zeta Org"))
    moderation.rename(session, statement, zeta.id, "Aardvark Org", owner.id)
    session.expire_all()
    built = listing.build(session, statement.id)
    names = [e.name for e in built.entries]
    assert "zeta Org" not in names and names.index("Aardvark Org") < names.index("Åland Union")
    assert [(e.name, e.country, e.org_type) for e in built.entries] == \
        expected_order(session, statement)


def test_a_new_version_after_a_committed_approval(app, session):
    statement, owner = opened(session)
    cache = listing.Cache()
    first = cache.get(session, statement)
    assert first.total == 0 and first.version == statement.listing_version
    waiting = add_from_the_web(session, statement, owner, "Waiting Org", "w@example.org",
                               approve=False)
    assert cache.get(session, session.get(Statement, statement.id)).total == 0
    version = session.get(Statement, statement.id).listing_version
    moderation.approve(session, statement, [waiting.id], owner.id, secret_key=SECRET,
                       link_for=links)  # commits; cosign.dispatch bumps listing_version
    statement = session.get(Statement, statement.id)
    assert statement.listing_version > version
    second = cache.get(session, statement)
    assert second is not first and [e.name for e in second.entries] == ["Waiting Org"]
    assert second.version == statement.listing_version
    queries, stop = count_queries(session)
    try:
        assert cache.get(session, statement) is second  # the same version: no query
    finally:
        stop()
    assert queries == []


def test_a_withdrawal_leaves_the_list_at_once(session, mixed):
    statement, owner = mixed
    cache = listing.Cache()
    before = cache.get(session, statement)
    named = session.scalar(select(Signature).where(Signature.public_name == "Emilia Trust"))
    moderation.reject(session, statement, [named.id], owner.id)
    after = cache.get(session, session.get(Statement, statement.id))
    assert after.total == before.total - 1
    assert "Emilia Trust" not in [e.name for e in after.entries]


def test_concurrent_readers_share_one_build(app, session, mixed, monkeypatch):
    from sqlalchemy.orm import Session

    from cosign.extensions import db

    statement, _owner = mixed
    statement_id = statement.id  # read here: the threads have sessions of their own
    builds = []
    real_build = listing.build

    def counted(session, statement_id):
        builds.append(statement_id)
        return real_build(session, statement_id)

    monkeypatch.setattr(listing, "build", counted)
    cache = listing.Cache()
    got, errors, start = [], [], threading.Barrier(6, timeout=30)
    engine = db.engine

    def read():  # as a GET request does: a read transaction (deferred on SQLite)
        database.set_write_intent(False)
        with app.app_context(), Session(engine) as own:
            try:
                found = own.get_one(Statement, statement_id)
                start.wait()
                got.append(cache.get(own, found))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                start.abort()

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(got) == 6 and len({id(g) for g in got}) == 1
    assert builds == [statement_id]


def test_the_cache_keeps_a_few_statements(session):
    statement, _owner = opened(session)
    other, _ = opened(session, title="Another one")
    cache = listing.Cache(size=1)
    first = cache.get(session, statement)
    cache.get(session, other)
    assert cache.get(session, statement) is not first  # pushed out, built again


def test_no_contact_data_in_the_snapshot_csv_or_json(session):
    statement, owner = opened(session)
    web = add_from_the_web(session, statement, owner, "Named Web Org", "named@leak.example")
    add_withheld(session, statement, owner)
    publish(session, statement, owner)
    built = listing.build(session, statement.id)
    assert [e.withheld for e in built.entries] == [False, True]
    assert built.entries[1] == listing.Entry(name=None, country="IQ", org_type="union", city="",
                                             website="", kind="organisation", revision=1)
    ip_hash = session.scalar(select(Signature.ip_hash).where(Signature.id == web.id))
    secrets = [*CONTACT.values(), "named@leak.example", HIDDEN_NAME, HIDDEN_CITY, HIDDEN_SITE,
               ip_hash, "203.0.113.77"]
    texts = {"entries": repr(built.entries), "csv": built.api_csv().decode(),
             "export": built.export_csv(), "json": built.api_json().decode(),
             "export rows": repr(built.export_rows()), "items": repr(built.api_items())}
    for where, text in texts.items():
        for secret in secrets:
            assert secret and secret.lower() not in text.lower(), (where, secret)
    assert "An organisation in Iraq (name withheld)" in texts["csv"]
    assert built.find(query="marzipan") == [] and built.find(query="hidden") == []
    assert built.find(letter="H") == ()  # the withheld name has no initial


def names_of(built, indexes):
    return [built.entries[i].name for i in indexes]


def test_search_ignores_case_and_accents_and_finds_arabic(session, mixed):
    statement, _owner = mixed
    built = listing.build(session, statement.id)
    assert names_of(built, built.find(query="EMILE")) == ["emile Workers", "Émile Zola Society"]
    assert names_of(built, built.find(query="émilia")) == ["Emilia Trust"]
    assert names_of(built, built.find(query="angstrom")) == ["Ångström Lab"]
    assert names_of(built, built.find(query="zurich fo")) == ["Zürich Forum"]
    assert names_of(built, built.find(query="الانسان")) == ["منظمة حقوق الإنسان"]
    assert names_of(built, built.find(query="اتحاد")) == ["إتحاد الطلبة"]
    assert names_of(built, built.find(query="  union   of ")) == ["1st Union of Teachers"]
    assert built.find(query="marzipan") == [] and built.find(query="quince") == []
    assert built.find(query="\nzeta") == built.find(query="zeta")  # no match across names
    assert built.find(query="a" * 500) == []
    assert built.find(query="'; DROP TABLE signature; --") == []


def test_initials_in_any_script(session, mixed):
    statement, _owner = mixed
    built = listing.build(session, statement.id)
    letters = dict(built.letters)
    assert letters["E"] == 3 and letters["Z"] == 2 and letters["A"] == 2
    assert letters["ا"] == 3  # إ أ ٱ are indexed under alef
    assert letters["م"] == 1 and letters["ب"] == 1 and letters["#"] == 1 and letters["H"] == 1
    order = [letter for letter, _n in built.letters]
    assert order[0] == "#" and order.index("Z") < order.index("ا") < order.index("ب")
    assert sum(letters.values()) == len(NAMES)  # the withheld ones have no initial
    assert names_of(built, built.find(letter="A")) == ["Åland Union", "Ångström Lab"]
    alef = built.find(letter="ا")
    assert list(alef) == sorted(alef)  # in list order
    assert set(names_of(built, alef)) == {"إتحاد الطلبة", "أمل للتنمية", "ٱلجمعية الثقافية"}
    assert built.find(letter="Q") == () and built.find(letter="??") == ()


def test_countries_and_combined_filters(session, mixed):
    statement, _owner = mixed
    built = listing.build(session, statement.id)
    assert built.country_counts["IQ"] == 6 and built.country_counts["FR"] == 3
    iraq = built.find(country="IQ")
    assert sum(built.entries[i].withheld for i in iraq) == 2
    assert names_of(built, built.find(country="FR", query="emile")) == [
        "emile Workers", "Émile Zola Society"]
    assert names_of(built, built.find(country="FR", letter="E", query="zola")) == [
        "Émile Zola Society"]
    assert built.find(country="XX") == () and built.find(country="GB", letter="ب") == []
    names = [name for _code, name, _n in built.countries("en")]
    assert names == sorted(names) and "Iraq" in names
    assert dict((code, n) for code, _name, n in built.countries("ar"))["IQ"] == 6


def test_pages(session, mixed):
    statement, _owner = mixed
    built = listing.build(session, statement.id)
    first = built.page(1, per_page=5)
    assert len(first.items) == 5 and first.total == len(NAMES) + len(WITHHELD)
    assert first.pages == 4
    assert built.page(4, per_page=5).items == list(built.entries[15:])
    assert built.page(5, per_page=5).items == []
    assert built.page(2 ** 63, per_page=5).items == []
    only = built.page(1, per_page=5, country="IQ", query="الطلبة")
    assert [e.name for e in only.items] == ["إتحاد الطلبة"] and only.pages == 1


def test_a_transaction_that_changed_the_list_gets_its_own_snapshot(session, mixed):
    from cosign import dispatch

    statement, _owner = mixed
    cache = listing.Cache()
    committed = cache.get(session, statement)
    zeta = session.scalar(select(Signature).where(Signature.public_name == "zeta Org"))
    zeta.public_name = "Uncommitted Name"
    dispatch.listing_changed(session, statement.id)
    mine = cache.get(session, statement)  # not even flushed yet
    assert "Uncommitted Name" in [e.name for e in mine.entries]
    session.rollback()
    again = cache.get(session, session.get(Statement, statement.id))
    assert again is committed and "Uncommitted Name" not in [e.name for e in again.entries]


def test_memo_keeps_answers_with_their_version(session, mixed):
    statement, _owner = mixed
    built = listing.build(session, statement.id)
    calls: list[int] = []

    def counted(answer: str) -> Callable[[], str]:
        def make() -> str:
            calls.append(1)
            return answer
        return make

    assert built.memo(("x", 1), counted("made")) == "made"
    assert built.memo(("x", 1), counted("again")) == "made"
    assert calls == [1]
    for n in range(listing.MEMO_SIZE + 5):
        built.memo(("y", n), lambda n=n: n)
    assert built.memo(("x", 1), lambda: "new") == "new"  # pushed out by newer ones
