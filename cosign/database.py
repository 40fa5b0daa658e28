"""Database engine behaviour that the ORM does not give by itself.

SQLite: WAL journal, ``synchronous=FULL``, a busy timeout, foreign keys, and
transactions that begin with ``BEGIN IMMEDIATE`` so that concurrent
read-then-write transactions wait for each other instead of failing with
"database is locked" (see NOTES.md). Requests with a safe method (GET, HEAD,
OPTIONS) only read, and begin deferred so readers never queue behind writers.
"""
from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import Session, scoped_session

BUSY_TIMEOUT_MS = 10_000

_write_intent: ContextVar[bool] = ContextVar("cosign_write_intent", default=True)


def rowcount(result: Result[Any]) -> int:
    """How many rows the UPDATE or DELETE that gave ``result`` matched.

    ``Session.execute`` is typed as returning a ``Result``; for these statements
    it returns a ``CursorResult``, which has the count.
    """
    return cast("CursorResult[Any]", result).rowcount


def set_write_intent(value: bool) -> None:
    """Declare whether transactions begun from now on in this context may write."""
    _write_intent.set(value)


@contextlib.contextmanager
def write_intent(value: bool = True) -> Iterator[None]:
    token = _write_intent.set(value)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    """Install the SQLite connection and transaction settings on ``engine``."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        # Let SQLAlchemy emit BEGIN itself (pysqlite would delay it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = _write_intent.get()
        if immediate:
            _begin_immediate(connection.connection.driver_connection)
        else:
            connection.exec_driver_sql("BEGIN")
        connection.info[_IMMEDIATE] = immediate

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        connection.info.pop(_IMMEDIATE, None)


_IMMEDIATE = "cosign.immediate"
_MAX_POLL = 0.004


def _begin_immediate(dbapi_connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock by polling every few milliseconds.

    SQLite's own busy handler backs off to sleeps of 25-100 ms, so a process
    waiting for the lock keeps missing the short moments when it is free while
    another process takes it again and again; polling at most every 4 ms keeps
    the waits short and the turns fair.
    """
    cursor = dbapi_connection.cursor()
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.0002
    cursor.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, _MAX_POLL)
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.close()


def begin_write(session: Session) -> None:
    """Make the session's transaction one that may write (SQLite: ``BEGIN IMMEDIATE``).

    A request that only read so far holds a deferred read transaction; upgrading
    it to a write can fail at once with "database is locked" if another writer
    committed meanwhile. So a read transaction without pending changes is ended
    here (its objects expire and reload) and the next statement begins
    IMMEDIATE, which waits its turn. This keeps SQLite's single write lock
    held only for the writing part of a request.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite":
        return
    set_write_intent(True)
    if not session.in_transaction():
        return
    if session.connection().info.get(_IMMEDIATE):
        return
    if not (session.new or session.dirty or session.deleted):
        session.rollback()
