"""`flask cosign backup` / `restore`: SQLite's online backup while the site writes, restored
onto an empty database.

The backup is SQLite's own feature, so these tests run on SQLite only (this
module's ``db_url``); for PostgreSQL the commands must point to pg_dump and
pg_restore, which is tested without a server.
"""
import shutil
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select

from cosign import backup, doctor, signing
from cosign.app import create_app
from cosign.extensions import db
from cosign.models import Signature
from tests.conftest import app_config
from tests.factories import make_statement, make_user

SECRET = "test-secret"


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    """SQLite only: the backup is SQLite's feature (PostgreSQL: pg_dump, tested below)."""
    path = tmp_path / "cosign.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def sign(session, statement, n):
    form = signing.SignOn(organisation=f"Organisation number {n}", country="IQ",
                          email=f"contact{n}@org{n}.example.org", contact_name="Sara Ali",
                          org_type="association")
    return signing.sign(session, statement, form, secret_key=SECRET, link_for=links)


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement


def other_app(url, tmp_path):
    return create_app(app_config(url, COSIGN_STORAGE_DIR=str(tmp_path / "other-storage")))


def invoke(app, *args):
    """Run a command of ``app`` (its own app context: a test's ``session`` holds another)."""
    with app.app_context():
        try:
            return app.test_cli_runner().invoke(args=["cosign", *map(str, args)])
        finally:
            db.session.remove()
            db.engine.dispose()


def signature_ids(path) -> dict[int, str]:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return dict(conn.execute("SELECT id, name FROM signature"))


def test_backup_while_writing_then_restore_finds_every_signature(app, session, runner, opened,
                                                                 tmp_path):
    statement = opened
    committed: dict[int, str] = {}
    for n in range(20):
        signature = sign(session, statement, n)
        committed[signature.id] = signature.name
    statement_id = statement.id
    session.rollback()  # end this session's transaction: the writer below needs the write lock
    lock, stop, started = threading.Lock(), threading.Event(), threading.Event()
    errors: list[Exception] = []
    after_backup_began: list[int] = []

    def writer():
        n = 1000
        try:
            with app.app_context():
                own = db.session
                from cosign.models import Statement

                stmt = own.get(Statement, statement_id)
                while not stop.is_set() and n < 1400:
                    signature = sign(own, stmt, n)
                    with lock:
                        committed[signature.id] = signature.name
                        if backup_began.is_set():
                            after_backup_began.append(signature.id)
                    n += 1
                    if n >= 1005:
                        started.set()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  (any failure in the thread: reported below)
            errors.append(exc)
        finally:
            started.set()

    backup_began = threading.Event()
    thread = threading.Thread(target=writer)
    thread.start()
    assert started.wait(30)
    with lock:  # everything committed before the backup starts
        before = dict(committed)
        backup_began.set()
    target = tmp_path / "backups" / "cosign-backup.sqlite3"
    result = runner.invoke(args=["cosign", "backup", str(target)])
    time.sleep(0.2)  # the writer goes on after the backup, too
    stop.set()
    thread.join(30)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert f"Wrote {target}" in result.output and "schema revision" in result.output
    assert len(before) >= 25 and after_backup_began, "the writer must run during the backup"

    backed_up = signature_ids(target)
    assert set(before) <= set(backed_up)
    assert all(backed_up[i] == name for i, name in before.items())
    assert set(backed_up) <= set(committed)  # nothing half-written
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not list(target.parent.glob("*.partial")) and not list(target.parent.glob("*-wal"))

    restored = tmp_path / "fresh" / "restored.sqlite3"
    result = invoke(other_app(f"sqlite:///{restored}", tmp_path), "restore", target)
    assert result.exit_code == 0, result.output
    assert f"signature(s) from {target}" in result.output
    ids = signature_ids(restored)
    assert set(before) <= set(ids) and ids == backed_up

    fresh = other_app(f"sqlite:///{restored}", tmp_path)  # the app runs on the restored file
    with fresh.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signature)) == len(ids)
        finding = doctor.check_migrations(db.engine)
        assert finding.level == doctor.OK, finding
        db.session.remove()
        db.engine.dispose()


def test_backup_refuses_to_overwrite_unless_forced(runner, opened, tmp_path):
    target = tmp_path / "b.sqlite3"
    target.write_text("old")
    result = runner.invoke(args=["cosign", "backup", str(target)])
    assert result.exit_code == 1 and "exists already" in result.output
    assert target.read_text() == "old"
    result = runner.invoke(args=["cosign", "backup", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert backup.inspect_backup(target).statements == 1


def test_restore_onto_a_migrated_empty_database(runner, opened, sqlite_template, tmp_path):
    target = tmp_path / "b.sqlite3"
    assert runner.invoke(args=["cosign", "backup", str(target)]).exit_code == 0
    empty = tmp_path / "empty-migrated.sqlite3"
    shutil.copy(sqlite_template, empty)
    result = invoke(other_app(f"sqlite:///{empty}", tmp_path), "restore", target)
    assert result.exit_code == 0, result.output
    assert "Restored 1 statement(s)" in result.output


def test_restore_refuses_a_database_with_data(runner, app, session, opened, tmp_path):
    sign(session, opened, 1)
    target = tmp_path / "b.sqlite3"
    assert runner.invoke(args=["cosign", "backup", str(target)]).exit_code == 0
    before = signature_ids(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    result = runner.invoke(args=["cosign", "restore", str(target)])
    assert result.exit_code == 1
    assert "is not empty" in result.output and "signature (1 rows)" in result.output
    assert signature_ids(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")) == before


def test_restore_refuses_what_is_not_a_cosign_backup(tmp_path):
    app = other_app(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("SELECT * FROM signature;\n")
    result = invoke(app, "restore", text_file)
    assert result.exit_code == 1 and "is not a cosign SQLite backup" in result.output

    plain = tmp_path / "plain.sqlite3"
    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    result = invoke(app, "restore", plain)
    assert result.exit_code == 1 and "no alembic_version table" in result.output

    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('ffff9999')")
    result = invoke(app, "restore", plain)
    assert result.exit_code == 1 and "does not know" in result.output

    result = invoke(app, "restore", tmp_path / "missing.sqlite3")
    assert result.exit_code == 1 and "there is no file" in result.output
    assert not (tmp_path / "target.sqlite3").exists() or not signature_table(
        tmp_path / "target.sqlite3"
    )


def signature_table(path) -> bool:
    with sqlite3.connect(path) as conn:
        return bool(conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'signature'").fetchone())


def test_postgresql_points_to_pg_dump_and_pg_restore(tmp_path):
    # No server is needed: the commands refuse before connecting.
    app = other_app("postgresql://cosign@db.invalid:5432/cosign", tmp_path)
    result = invoke(app, "backup", tmp_path / "x.dump")
    assert result.exit_code == 1
    assert "pg_dump -Fc" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "x.dump").exists()
    result = invoke(app, "restore", tmp_path / "x.dump")
    assert result.exit_code == 1 and "pg_restore" in result.output
