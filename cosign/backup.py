"""Backups of an SQLite database, and their restoration onto an empty database.

:func:`backup` copies a live SQLite database with SQLite's online backup API in
a single step: one read transaction, so the copy is the database as it was at
one moment, while the site goes on writing (WAL mode lets the writers carry on
during the copy). The copy is a self-contained file (rollback journal mode,
no ``-wal`` file to carry around), checked, and moved into place only when
complete.

:func:`restore` copies such a file onto a database that holds no data yet,
and refuses anything else: a file that is not a cosign SQLite database at a
revision this code knows, or a target with any rows.

PostgreSQL has its own tools (``pg_dump -Fc`` and ``pg_restore``); these
functions say so instead of doing half the job (:class:`UsePgDump`).
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from cosign import doctor

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why, in plain words."""


class UsePgDump(BackupError):
    """The database is PostgreSQL: use its own tools."""


PG_DUMP_HELP = (
    "This site uses PostgreSQL. Back it up with PostgreSQL's own tool, which makes a "
    "consistent copy while the site runs:\n"
    "    pg_dump -Fc --no-owner --file=cosign.dump \"$DATABASE_URL\"\n"
    "and restore such a dump into a new, empty database with:\n"
    "    pg_restore --no-owner --dbname=\"$DATABASE_URL\" cosign.dump\n"
    "(both take the postgresql://user@host/name form of the address; see README, Backups)"
)

PG_RESTORE_HELP = (
    "This site uses PostgreSQL: restore a dump made with pg_dump -Fc into a new, empty "
    "database with PostgreSQL's own tool:\n"
    "    pg_restore --no-owner --dbname=\"$DATABASE_URL\" cosign.dump\n"
    "(it takes the postgresql://user@host/name form of the address; see README, Backups)"
)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str
    size: int
    statements: int
    signatures: int


def sqlite_path(url: str) -> Path:
    """The file of an SQLite database URL; :class:`UsePgDump` or :class:`BackupError` otherwise."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        raise UsePgDump(PG_DUMP_HELP)
    if backend != "sqlite":
        raise BackupError(f"backups are made for SQLite and PostgreSQL databases, not {backend}")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up")
    return Path(parsed.database)


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                     isolation_level=None)
    else:
        connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def _revision(connection: sqlite3.Connection) -> str | None:
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "alembic_version" not in tables:
        return None
    rows = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    return rows[0] if len(rows) == 1 else None


def _count(connection: sqlite3.Connection, table: str) -> int:
    try:
        return connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _data_tables(connection: sqlite3.Connection) -> dict[str, int]:
    """Row counts of the tables that hold data (all but alembic_version and SQLite's own)."""
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'alembic_version' ORDER BY name")]
    return {name: _count(connection, name) for name in names}


def _check(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} is damaged (SQLite's check says: {result})")


def backup(url: str, target: str | os.PathLike[str], *, overwrite: bool = False) -> BackupInfo:
    """Copy the SQLite database at ``url`` to the file ``target`` while it is in use."""
    source_path = sqlite_path(url)
    target = Path(target)
    if not source_path.is_file():
        raise BackupError(f"there is no database file at {source_path}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; choose a new file name (or --force)")
    if target.resolve() == source_path.resolve():
        raise BackupError("the backup file cannot be the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                       dir=target.parent)
    os.close(handle)
    partial_path = Path(partial)
    try:
        source = _connect(source_path)
        try:
            if _revision(source) is None:
                raise BackupError(f"{source_path} is not a cosign database (it has no schema "
                                  "version: run flask --app wsgi db upgrade first)")
            copy = sqlite3.connect(partial_path, isolation_level=None)
            try:
                source.backup(copy)  # pages=-1: all in one step, one consistent snapshot
            finally:
                copy.close()
        finally:
            source.close()
        copy = _connect(partial_path)
        try:
            copy.execute("PRAGMA journal_mode = DELETE")
            _check(copy, "the copy")
            info = BackupInfo(target, _revision(copy) or "?", 0,
                              _count(copy, "statement"), _count(copy, "signature"))
        finally:
            copy.close()
        with open(partial_path, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial_path, target)
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from exc
    finally:
        partial_path.unlink(missing_ok=True)
    return BackupInfo(target, info.revision, target.stat().st_size, info.statements,
                      info.signatures)


def inspect_backup(path: str | os.PathLike[str]) -> BackupInfo:
    """Check that ``path`` is a cosign SQLite backup this code can restore."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"there is no file at {path}")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a cosign SQLite backup (not an SQLite file; a "
                              "PostgreSQL dump is restored with pg_restore)")
    try:
        connection = _connect(path, readonly=True)
        try:
            revision = _revision(connection)
            if revision is None:
                raise BackupError(f"{path} is an SQLite file but not a cosign backup (it has no "
                                  "alembic_version table)")
            if not doctor.known_revision(revision):
                raise BackupError(f"{path} is a cosign database at revision {revision}, which "
                                  "this version of cosign does not know; restore it with the "
                                  "version that made it")
            _check(connection, str(path))
            return BackupInfo(path, revision, path.stat().st_size,
                              _count(connection, "statement"), _count(connection, "signature"))
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as an SQLite database: {exc}") from exc


def restore(source: str | os.PathLike[str], url: str) -> BackupInfo:
    """Copy the backup ``source`` onto the empty SQLite database at ``url``."""
    try:
        target_path = sqlite_path(url)
    except UsePgDump:
        raise UsePgDump(PG_RESTORE_HELP) from None
    info = inspect_backup(source)
    if target_path.exists() and target_path.resolve() == Path(source).resolve():
        raise BackupError("the backup file is the database itself")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        target = _connect(target_path)
        try:
            filled = {name: rows for name, rows in _data_tables(target).items() if rows}
            if filled:
                listed = ", ".join(f"{name} ({rows} rows)" for name, rows in sorted(filled.items()))
                raise BackupError(f"the database {target_path} is not empty: {listed}. Restore "
                                  "only onto a new, empty database (a new DATABASE_URL, or move "
                                  "the old file away first)")
            backup_file = _connect(Path(source), readonly=True)
            try:
                backup_file.backup(target)
            finally:
                backup_file.close()
            target.execute("PRAGMA journal_mode = WAL")
            _check(target, "the restored database")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from exc
    return info
