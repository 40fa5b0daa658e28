"""cosign.audit on a real database (SQLite and PostgreSQL): an entry joins the caller's
transaction, a statement's entries are listed newest first, details are read back oldest first."""
import datetime as dt

from sqlalchemy import func, select

from cosign import audit
from cosign.models import AuditEvent
from tests.factories import make_statement, make_user


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_record_joins_the_callers_transaction(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    before = count(session)
    audit.record(session, statement.id, owner.id, "renamed", name="A")
    session.rollback()
    assert count(session) == before  # the caller did not commit: nothing is kept
    event = audit.record(session, statement.id, owner.id, "renamed", name="B")
    session.commit()
    stored = session.get(AuditEvent, event.id)
    assert (stored.statement_id, stored.actor_id, stored.action) == (statement.id, owner.id,
                                                                      "renamed")
    assert stored.created_at == frozen_clock.now
    assert count(session) == before + 1


def test_details_are_json_with_sorted_keys_unescaped_text_and_dates_as_strings(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    event = audit.record(session, statement.id, None, "imported", when=dt.date(2026, 11, 2),
                         name="اتحاد Ünïon", rows=3)
    session.commit()
    assert session.get(AuditEvent, event.id).detail_json == (
        '{"name": "اتحاد Ünïon", "rows": 3, "when": "2026-11-02"}')


def test_events_for_lists_one_statement_newest_first_up_to_the_limit(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    other = make_statement(session, owner, title="Another statement")
    for action in ("edited", "commented"):
        audit.record(session, statement.id, owner.id, action)
        frozen_clock.advance(minutes=1)
    audit.record(session, other.id, owner.id, "opened")
    audit.record(session, statement.id, owner.id, "approved")  # same time as the next one:
    audit.record(session, statement.id, owner.id, "rejected")  # the later row comes first
    session.commit()
    actions = [e.action for e in audit.events_for(session, statement.id)]
    assert actions[:4] == ["rejected", "approved", "commented", "edited"]
    assert "opened" not in actions
    assert [e.action for e in audit.events_for(session, statement.id, limit=2)] == [
        "rejected", "approved"]


def test_details_of_chosen_actions_oldest_first(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    other = make_statement(session, owner, title="Another statement")
    audit.record(session, statement.id, owner.id, "published", n=1)
    frozen_clock.advance(minutes=1)
    audit.record(session, statement.id, owner.id, "renamed", n=2)
    audit.record(session, other.id, owner.id, "published", n=3)
    frozen_clock.advance(minutes=1)
    audit.record(session, statement.id, owner.id, "published", n=4)
    session.add(AuditEvent(statement_id=statement.id, action="published", detail_json="",
                           created_at=frozen_clock.now + dt.timedelta(minutes=1)))
    session.commit()
    assert audit.details(session, statement.id, ["published"]) == [{"n": 1}, {"n": 4}, {}]
    assert audit.details(session, statement.id, ("published", "renamed")) == [
        {"n": 1}, {"n": 2}, {"n": 4}, {}]
    assert audit.details(session, statement.id, []) == []
