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

import http.client
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import got_request_exception
from sqlalchemy import func, select
from werkzeug.serving import make_server

from cosign.models import AuditEvent, OutboxMessage, Signature
from cosign.signing import OpenOptions, open_for_signature
from tests.factories import make_statement, make_user

pytestmark = pytest.mark.slow

WORKERS = 50
TIMEOUT = 30  # seconds; a socket or barrier wait longer than this fails the test


@pytest.fixture
def app_overrides() -> dict:
    """No SERVER_NAME (any host:port is served), CSRF off, rate limits out of the way.

    The limits are raised rather than switched off: ``RATELIMIT_ENABLED=False``
    would stick to the process-wide limiter for every later test on this worker.
    """
    return {
        "SERVER_NAME": None,
        "WTF_CSRF_ENABLED": False,
        "COSIGN_SIGN_LIMIT_IP": "100000 per hour",
        "COSIGN_SIGN_LIMIT_DOMAIN": "100000 per hour",
    }


@pytest.fixture
def open_statement(session):
    """(id, slug) of a statement open for signature; the test's session is left idle.

    On SQLite a transaction left open in this thread would hold the write lock
    (transactions outside requests begin IMMEDIATE) and stall every request.
    """
    owner = make_user(session)
    statement = make_statement(session, owner)
    open_for_signature(session, statement, owner.id, OpenOptions())
    ids = statement.id, statement.slug
    session.rollback()
    return ids


@pytest.fixture
def server_errors(app):
    """Exceptions raised by views while the live server runs."""
    errors: list[BaseException] = []

    def record(_sender, exception, **_extra):
        errors.append(exception)

    got_request_exception.connect(record, app)
    yield errors
    got_request_exception.disconnect(record, app)


@pytest.fixture
def live_port(app, server_errors):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def form(organisation: str, n: int, email: str = "") -> bytes:
    return urllib.parse.urlencode({
        "kind": "organisation",
        "organisation": organisation,
        "country": "IQ",
        "city": "Nasiriya",
        "org_type": "ngo",
        "website": "",
        "contact_name": f"Contact {n}",
        "contact_role": "Director",
        "email": email or f"contact{n}@example.org",
        "display": "named",
        "authorised": "y",
        "message": "",
        "fax": "",
    }).encode()


def sign_all(port: int, slug: str, bodies_per_worker: list[list[bytes]]) -> list[tuple]:
    """Each worker opens a connection, waits at the barrier, then posts its bodies.

    Returns (status, Location, first bytes of the body) for every request.
    """
    barrier = threading.Barrier(len(bodies_per_worker), timeout=TIMEOUT)
    path = f"/s/{slug}/sign"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def worker(bodies: list[bytes]) -> list[tuple]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.connect()
            barrier.wait()
            results = []
            for body in bodies:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                results.append((response.status, response.getheader("Location"), data[:300]))
                if response.will_close:
                    conn.close()
            return results
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(worker, bodies) for bodies in bodies_per_worker]
        return [result for future in futures for result in future.result(timeout=TIMEOUT)]


def count(session, model, *where) -> int:
    value = session.scalar(select(func.count()).select_from(model).where(*where))
    session.rollback()  # never keep a transaction (on SQLite: the write lock) open
    return value


def audit_count(session, statement_id: int, action: str) -> int:
    return count(session, AuditEvent, AuditEvent.statement_id == statement_id,
                 AuditEvent.action == action)


def test_200_distinct_organisations_sign_at_once(session, open_statement, live_port,
                                                 server_errors):
    statement_id, slug = open_statement
    names = [f"Organisation number {n} for civil rights" for n in range(200)]
    bodies = [form(name, n) for n, name in enumerate(names)]
    per_worker = [bodies[i::WORKERS] for i in range(WORKERS)]  # 50 workers x 4 sign-ons

    results = sign_all(live_port, slug, per_worker)

    assert server_errors == []
    assert len(results) == 200
    bad = [r for r in results if r[0] != 303]
    assert bad == [], f"{len(bad)} sign-ons were not redirected: {bad[:3]}"
    locations = {urllib.parse.urlsplit(location).path for _status, location, _body in results}
    assert locations == {f"/s/{slug}/sign/sent"}

    rows = session.execute(
        select(Signature.name, Signature.email, Signature.status)
        .where(Signature.statement_id == statement_id)
    ).all()
    session.rollback()
    assert len(rows) == 200
    assert sorted(row.name for row in rows) == sorted(names)
    assert {row.status for row in rows} == {"unconfirmed"}

    recipients = session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.statement_id == statement_id,
                                              OutboxMessage.kind == "signature-confirm")
    ).all()
    session.rollback()
    assert sorted(recipients) == sorted(f"contact{n}@example.org" for n in range(200))
    assert count(session, OutboxMessage) == 200  # no other mail either
    assert audit_count(session, statement_id, "signed") == 200
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
