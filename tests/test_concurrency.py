"""Concurrent sign-ons against a real, threaded HTTP server (SQLite and PostgreSQL).

The app is served by werkzeug's threaded server on a free port; many client
threads released together by a barrier post the sign-on form over real
sockets. What must hold under the race (DESIGN.md, "Duplicates are prevented
by the database"): distinct organisations are all stored, each with one
confirmation e-mail and no error; the same organisation sent many times at
once from one address gives exactly one row, one e-mail, one "signed" audit entry plus
one "signed-again" entry per repeat, and the same 303 answer for everybody.
"""
from __future__ import annotations

import urllib.parse

import pytest
from sqlalchemy import func, select

from cosign.models import AuditEvent, OutboxMessage, Signature
from tests import live_server
from tests.live_server import WORKERS, form, sign_all

pytestmark = pytest.mark.slow


@pytest.fixture
def app_overrides() -> dict:
    return live_server.settings()


def count(session, model, *where) -> int:
    value = session.scalar(select(func.count()).select_from(model).where(*where))
    session.rollback()  # never keep a transaction (on SQLite: the write lock) open
    return value


def audit_count(session, statement_id: int, action: str) -> int:
    return count(session, AuditEvent, AuditEvent.statement_id == statement_id,
                 AuditEvent.action == action)


def test_100_distinct_organisations_sign_at_once(session, open_statement, live_port,
                                                 server_errors):
    """50 clients at once, each with two sign-ons on one kept-alive connection."""
    statement_id, slug = open_statement
    total = 2 * WORKERS
    names = [f"Organisation number {n} for civil rights" for n in range(total)]
    bodies = [form(name, n) for n, name in enumerate(names)]
    per_worker = [bodies[i::WORKERS] for i in range(WORKERS)]  # 50 workers x 2 sign-ons

    results = sign_all(live_port, slug, per_worker)

    assert server_errors == []
    assert len(results) == total
    bad = [r for r in results if r[0] != 303]
    assert bad == [], f"{len(bad)} sign-ons were not redirected: {bad[:3]}"
    locations = {urllib.parse.urlsplit(location).path for _status, location, _body in results}
    assert locations == {f"/s/{slug}/sign/sent"}

    rows = session.execute(
        select(Signature.name, Signature.email, Signature.status)
        .where(Signature.statement_id == statement_id)
    ).all()
    session.rollback()
    assert len(rows) == total
    assert sorted(row.name for row in rows) == sorted(names)
    assert {row.status for row in rows} == {"unconfirmed"}

    recipients = session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.statement_id == statement_id,
                                              OutboxMessage.kind == "signature-confirm")
    ).all()
    session.rollback()
    assert sorted(recipients) == sorted(f"contact{n}@example.org" for n in range(total))
    assert count(session, OutboxMessage) == total  # no other mail either
    assert audit_count(session, statement_id, "signed") == total
    assert audit_count(session, statement_id, "signed-again") == 0


def assert_one_signature(session, statement_id: int, results: list[tuple], n: int):
    assert len(results) == n
    statuses = {(status, location) for status, location, _body in results}
    assert len(statuses) == 1, f"different answers to the same sign-on: {statuses}"
    ((status, location),) = statuses
    assert status == 303, results[0]
    assert urllib.parse.urlsplit(location).path.endswith("/sign/sent")

    assert count(session, Signature, Signature.statement_id == statement_id) == 1
    assert count(session, OutboxMessage, OutboxMessage.statement_id == statement_id,
                 OutboxMessage.kind == "signature-confirm") == 1
    assert count(session, OutboxMessage) == 1
    assert audit_count(session, statement_id, "signed") == 1
    assert audit_count(session, statement_id, "signed-again") == n - 1


def test_50_identical_sign_ons_at_once_give_one_signature(session, open_statement, live_port,
                                                          server_errors):
    statement_id, slug = open_statement
    body = form("Iraqi Women Network", 1)

    results = sign_all(live_port, slug, [[body] for _ in range(50)])

    assert server_errors == []
    assert_one_signature(session, statement_id, results, 50)


def test_50_spellings_of_one_organisation_at_once_give_one_signature(
        session, open_statement, live_port, server_errors):
    """Case, spacing, punctuation and a leading "The" do not make a second organisation: from
    one address, one sign-on. (From several addresses they are competing claims of one name,
    the first to confirm wins: tests/test_claims.py.)"""
    statement_id, slug = open_statement
    spellings = ["Iraqi Women Network", "iraqi  women network", "  IRAQI WOMEN NETWORK ",
                 "The Iraqi Women Network", "Iraqi Women Network."]
    bodies = [form(spellings[n % len(spellings)], n, "office@iwn.example.org") for n in range(50)]

    results = sign_all(live_port, slug, [[b] for b in bodies])

    assert server_errors == []
    assert_one_signature(session, statement_id, results, 50)
    name = session.scalar(select(Signature.name).where(Signature.statement_id == statement_id))
    session.rollback()
    assert name in {" ".join(s.split()) for s in spellings}
