"""cosign.database on real databases: SQLite connections get WAL, foreign keys and a busy
timeout; transactions that may write begin IMMEDIATE (holding the write lock), read-only ones
deferred; begin_write turns an idle read transaction into a writing one. On PostgreSQL the
engine is left alone and begin_write changes nothing."""
import sqlite3

import pytest
import sqlalchemy as sa

from cosign import database
from cosign.models import User
from tests.factories import make_user

# SQLite's own settings and write lock: these run on SQLite only (not skipped on PostgreSQL)
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def sqlite_path(db_url: str) -> str:
    path = sa.make_url(db_url).database
    assert path is not None, db_url
    return path


def can_take_the_write_lock(path: str) -> bool:
    """Whether another connection gets the write lock at once (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc) or "busy" in str(exc), exc
        return False
    finally:
        other.close()


def test_write_intent_is_restored_after_the_block():
    before = database._write_intent.get()
    with database.write_intent(False):
        assert database._write_intent.get() is False
        with database.write_intent():
            assert database._write_intent.get() is True
        assert database._write_intent.get() is False
    assert database._write_intent.get() is before


@SQLITE_ONLY
def test_sqlite_connections_are_configured(session, db_url):
    pragma = {name: session.execute(sa.text(f"PRAGMA {name}")).scalar()
              for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1,
                      "busy_timeout": database.BUSY_TIMEOUT_MS, "synchronous": 2}  # 2: FULL
    session.rollback()


@SQLITE_ONLY
def test_a_writing_transaction_holds_the_lock_a_reading_one_does_not(session, db_url):
    path = sqlite_path(db_url)
    make_user(session)
    with database.write_intent(True):
        session.scalar(sa.select(User.id))  # begins IMMEDIATE: writes may follow
        assert not can_take_the_write_lock(path)
        session.rollback()
        assert can_take_the_write_lock(path)
    with database.write_intent(False):
        session.scalar(sa.select(User.id))  # a read-only transaction: deferred
        assert can_take_the_write_lock(path)
        session.rollback()


def test_begin_write_upgrades_an_idle_read_transaction(session, db_url):
    user = make_user(session)
    with database.write_intent(False):
        session.scalar(sa.select(User.id))
        if db_url.startswith("sqlite"):
            assert can_take_the_write_lock(sqlite_path(db_url))
        database.begin_write(session)
        session.get(User, user.id).name = "Renamed"
        if db_url.startswith("sqlite"):
            assert not can_take_the_write_lock(sqlite_path(db_url))  # IMMEDIATE now
        session.commit()
    session.expire_all()
    assert session.get(User, user.id).name == "Renamed"


def test_begin_write_keeps_pending_changes(session, db_url):
    user = make_user(session)
    with database.write_intent(False):
        session.scalar(sa.select(User.id))
        session.get(User, user.id).name = "Pending"
        database.begin_write(session)  # changes not flushed yet: the transaction is kept
        session.commit()
    session.expire_all()
    assert session.get(User, user.id).name == "Pending"
