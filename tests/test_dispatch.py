"""cosign.dispatch on a real database (SQLite and PostgreSQL): a listing change bumps the
statement's listing_version and marks a PDF as wanted at the real commit, once per transaction;
a rollback forgets it, a savepoint waits for the outer commit."""
import datetime as dt

import sqlalchemy as sa

from cosign import dispatch
from cosign.models import Statement
from tests.factories import make_statement, make_user


def state(session, statement_id):
    session.expire_all()
    statement = session.get(Statement, statement_id)
    return statement.listing_version, statement.pdf_wanted_at


def test_a_change_bumps_the_version_once_and_wants_a_pdf_at_commit(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    other = make_statement(session, owner, title="Untouched")
    version, wanted = state(session, statement.id)
    assert wanted is None
    dispatch.listing_changed(session, statement.id)
    dispatch.listing_changed(session, statement.id)  # twice in one transaction: one bump
    assert state(session, statement.id)[0] == version  # nothing before the commit
    session.commit()
    assert state(session, statement.id) == (version + 1, frozen_clock.now)
    assert state(session, other.id) == (0, None)


def test_an_earlier_wish_is_kept(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    earlier = frozen_clock.now - dt.timedelta(hours=1)
    statement.pdf_wanted_at = earlier
    session.commit()
    frozen_clock.advance(minutes=5)
    dispatch.listing_changed(session, statement.id)
    session.commit()
    assert state(session, statement.id)[1] == earlier  # the oldest unmet wish counts


def test_a_rollback_forgets_the_change_and_the_distribution(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    version, _wanted = state(session, statement.id)
    dispatch.listing_changed(session, statement.id)
    dispatch.distribution_wanted(session, statement.id, "final")
    assert session.info[dispatch.DISTRIBUTE] == [(statement.id, "final")]
    session.rollback()
    assert dispatch.LISTING not in session.info and dispatch.DISTRIBUTE not in session.info
    session.commit()
    assert state(session, statement.id) == (version, None)


def test_a_savepoint_waits_for_the_outer_commit(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    version, _wanted = state(session, statement.id)
    session.get(Statement, statement.id)  # the outer transaction is open
    nested = session.begin_nested()
    dispatch.listing_changed(session, statement.id)
    nested.commit()
    assert dispatch.LISTING in session.info  # still owed
    session.commit()
    assert state(session, statement.id) == (version + 1, frozen_clock.now)


def test_a_scheduled_publication_is_noted_for_after_the_commit(session):
    at = dt.datetime(2026, 12, 1, 9, 0)
    session.execute(sa.text("SELECT 1"))  # a transaction is under way
    dispatch.publication_scheduled(session, at)
    dispatch.publication_scheduled(session, at)
    assert session.info[dispatch.PUBLISH_AT] == {at}
    session.rollback()
    assert dispatch.PUBLISH_AT not in session.info
