"""Database engine behaviour that the ORM does not give by itself.

SQLite: WAL journal, ``synchronous=FULL``, a busy timeout, foreign keys, and
transactions that begin with ``BEGIN IMMEDIATE`` so that concurrent
read-then-write transactions wait for each other instead of failing with
"database is locked" (see NOTES.md). Requests with a safe method (GET, HEAD,
OPTIONS) only read, and begin deferred so readers never queue behind writers.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000

_write_intent: ContextVar[bool] = ContextVar("cosign_write_intent", default=True)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
