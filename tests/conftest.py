"""Fixtures: every database test runs on SQLite and on PostgreSQL, each with its own database.

SQLite: one migrated template file per test session, copied for every test.
PostgreSQL (``COSIGN_TEST_DATABASE_URL``): one migrated database per test
worker; every table is emptied before each test.
"""
from __future__ import annotations

import gc
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, got_request_exception
from jinja2 import BytecodeCache
from redis import Redis
from werkzeug.routing import Rule
from werkzeug.serving import make_server

from cosign import clock
from cosign.app import create_app
from cosign.config import database_url
from cosign.signing import OpenOptions, open_for_signature
from tests.factories import make_statement, make_user
from tests.queues import (
    REDIS_SKIP,
    REDIS_URL,
    forget,
)

PG_URL = os.environ.get("COSIGN_TEST_DATABASE_URL")
PG_SKIP_REASON = ("COSIGN_TEST_DATABASE_URL is not set: the PostgreSQL variant of this test "
                  "is skipped (.ci/run sets it)")


def app_config(url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "cosign.test",
        "COSIGN_SITE_URL": "http://cosign.test",  # absolute links come from here, not the Host
        "MAIL_SERVER": None,
        "COSIGN_DEV": False,
        "COSIGN_PDF_AUTO": False,  # tests render PDFs explicitly
        "COSIGN_SHARE_CARDS": False,  # made with the PDF only where a test is about them
        # renders due at once (tests that are about the debounce set their own)
        "COSIGN_PDF_DEBOUNCE": 0.0,
        "COSIGN_PDF_MIN_INTERVAL": 0.0,
    }
    config.update(extra)
    return config


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        from cosign.extensions import db

        db.engine.dispose()


# Python's cyclic garbage collector, tuned for this test process (not for the app's own
# processes, which keep Python's defaults): with the default thresholds (700, 10, 10) a web test
# spent about a fifth of its CPU time in collections, most of them young-generation passes
# triggered by the ORM's and the templates' short-lived objects, and full passes over the
# ever-larger heap of a long test run. Collections still run, 70 times less often for the
# youngest generation; what the tests prove does not depend on when garbage is collected.
GC_THRESHOLDS = (50_000, 50, 50)
gc.set_threshold(*GC_THRESHOLDS)


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(config, items) -> None:
    """Every test under tests/browser/ is marked ``browser`` (``-m browser`` runs them all).

    Modules with slow or browser tests run first, each module's tests together (so a
    module's fixtures are made once): the long tests are shared out between the test
    processes at the start, and the short ones fill the end, instead of one process
    finishing a long test alone while the other has nothing left."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)
    heavy = {item.path for item in items
             if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in heavy)


def pytest_collection_finish(session) -> None:
    """What collection made (modules, test items, the app's imports) lives as long as the run:
    kept out of every later full collection."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return str(path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    base = sa.make_url(database_url(PG_URL))
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    name = f"{base.database}_{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        # a commit need not wait for its WAL record to reach the disk: a test database
        # need not survive a crash of the server; what sessions see and lock is the same
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    if url in _pg_emptiers:
        _pg_emptiers.pop(url).dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


class _PostgresEmptier:
    """Empties the test database of one worker before each test, cheaply.

    A TRUNCATE of every table costs a new file for each table and index (some 0.3 s
    even when all are empty); most tests leave rows in a few tables only. So one
    query first finds the tables with rows and the sequences that handed out ids;
    the tables with rows are emptied with DELETE, children before their parents,
    and those sequences start again (ids from 1, as in a fresh SQLite copy). A table
    with more rows than ``DELETE_AT_MOST`` (DELETE's foreign-key triggers run per
    row) makes it the TRUNCATE of every table, as before.
    """

    DELETE_AT_MOST = 500

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, pool_size=1, pool_pre_ping=True)
        with self.engine.connect() as conn:
            tables = set(conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ).scalars())
            references = conn.exec_driver_sql(
                "SELECT c.relname, p.relname FROM pg_constraint f "
                "JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class p ON p.oid = f.confrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE f.contype = 'f' AND n.nspname = 'public'"
            ).all()
        # deletion order: a table before every table it refers to
        parents = {t: {p for c, p in references if c == t and p != t} for t in tables}
        self.order: list[str] = []
        while parents:
            free = sorted(t for t in parents if not any(t in ps for ps in parents.values()))
            if not free:
                raise RuntimeError(f"foreign keys in a cycle: {sorted(parents)}")
            self.order.extend(free)
            for t in free:
                del parents[t]
        self.truncate_all = (f"TRUNCATE {', '.join(f'{q(t)}' for t in sorted(tables))} "
                             "RESTART IDENTITY CASCADE")
        self.probe = " UNION ALL ".join(
            f"SELECT '{t}', count(*) FROM (SELECT FROM {q(t)} LIMIT {self.DELETE_AT_MOST + 1}) s"
            for t in self.order
        )

    def empty(self) -> None:
        with self.engine.begin() as conn:
            rows: dict[str, int] = {name: count for name, count
                                    in conn.exec_driver_sql(self.probe)}
            sequences = conn.exec_driver_sql(
                "SELECT schemaname, sequencename, start_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            ).all()
            if any(n > self.DELETE_AT_MOST for n in rows.values()):
                conn.exec_driver_sql(self.truncate_all)
                return
            for table in self.order:
                if rows[table]:
                    conn.exec_driver_sql(f"DELETE FROM {q(table)}")
            for schema, name, start in sequences:
                conn.exec_driver_sql("SELECT setval(%s, %s, false)",
                                     (f"{q(schema)}.{q(name)}", start))

    def dispose(self) -> None:
        self.engine.dispose()


def q(name: str) -> str:
    """A quoted SQL identifier (``user`` is a reserved word)."""
    return '"' + name.replace('"', '""') + '"'


_pg_emptiers: dict[str, _PostgresEmptier] = {}


def _empty_postgres(url: str) -> None:
    if url not in _pg_emptiers:
        _pg_emptiers[url] = _PostgresEmptier(url)
    _pg_emptiers[url].empty()


# SQLite files of tests live in memory where the machine has a tmpfs: with the app's
# `synchronous = FULL` every commit waits for the disk, and a test database need not
# survive a crash of the machine (the PostgreSQL test databases skip the same wait with
# `synchronous_commit = off`). What SQLite does and locks is the same.
MEMORY_DISK = Path("/dev/shm")


@pytest.fixture
def sqlite_dir(tmp_path) -> Iterator[Path]:
    """A directory of its own for the test's SQLite files, in memory if possible."""
    if not (MEMORY_DISK.is_dir() and os.access(MEMORY_DISK, os.W_OK)):
        yield tmp_path
        return
    directory = Path(tempfile.mkdtemp(prefix="cosign-test-", dir=MEMORY_DISK))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = request.getfixturevalue("sqlite_dir") / "cosign.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def app_overrides() -> dict:
    """Tests override app settings by overriding this fixture."""
    return {}


def _share_compiled_url_builders() -> None:
    """Test-only: every test makes its own app, and most of ``create_app``'s time went on
    Werkzeug compiling, for each of its URL rules, two URL-builder functions (an ``ast``
    built and compiled). A builder is a function of what this key holds (the rule, its
    parsed parts, its defaults, the converted defaults it inlines, with or without
    unknown arguments); it reaches the rule only through its first argument, to which
    ``Rule.compile`` binds it. So apps share the builders of equal rules."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def shared_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (type(self), self.rule, tuple(self._trace), append_unknown, tuple(defaults),
               tuple((k, self._converters[k].to_url(v)) for k, v in defaults.items()
                     if k in self._converters))
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared_builder  # type: ignore[method-assign]  # a test-only patch


_share_compiled_url_builders()


class _SharedBytecode(BytecodeCache):
    """Test-only: every test makes its own app, so its own Jinja environment, which compiled
    each template again on first use (some 30 % of an ordinary web test's time). The apps of a
    test process share the compiled code instead: Jinja keys it by the template's name and
    file and checks it against a checksum of the source; every app's environment is made
    alike by ``create_app`` (the same options and extensions), so the code is the same."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedBytecode()}


@pytest.fixture
def app(db_url, app_overrides, tmp_path):
    app = create_app(app_config(db_url, COSIGN_STORAGE_DIR=str(tmp_path / "storage"),
                                COSIGN_SIGNING_KEY="", COSIGN_SIGNING_CERT="", **app_overrides))
    yield app
    from cosign.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    from cosign.extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def render_pdfs(app, session):
    """What the embedded worker does on each poll: render every PDF owed and due.
    Returns how many statements it rendered. The test's own session ends its
    transaction first (on SQLite it would hold the write lock the worker needs)."""
    from cosign import jobs

    def render() -> int:
        session.rollback()
        return jobs.render_due(app)

    return render


@pytest.fixture
def run_worker(app, session):
    """One round of the embedded worker (`flask cosign worker` without Redis): the
    sweep (publication, press distribution, mail due) and the renders due."""
    from cosign import jobs

    def work() -> bool:
        session.rollback()
        return jobs.work_embedded(app, burst=True)

    return work


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def frozen_clock():
    """A clock the test moves by hand: ``frozen_clock.advance(seconds=...)``."""
    import datetime as dt

    class Clock:
        def __init__(self):
            self.now = dt.datetime(2026, 11, 1, 12, 0, 0)

        def __call__(self):
            return self.now

        def advance(self, **delta):
            self.now += dt.timedelta(**delta)

    c = Clock()
    clock.set_source(c)
    yield c
    clock.set_source(None)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A real test PKI on loopback (tests/pki.py): CA, OCSP, CRLs and two RFC 3161
    time-stamping authorities, the first with a certificate that expires in 30 days."""
    from tests import pki as test_pki

    running = test_pki.start(tmp_path_factory.mktemp("pki"), tsa_valid_days=30)
    yield running
    running.stop()


@pytest.fixture
def logs(caplog):
    """caplog, with cosign's loggers enabled again: the migrations run in this process by the
    ``sqlite_template`` fixture (Alembic's ``fileConfig``) disable every logger that exists."""
    for name in ("cosign.queue", "cosign.jobs", "cosign.ratelimit"):
        logging.getLogger(name).disabled = False
    return caplog


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip(REDIS_SKIP)
    return REDIS_URL


@pytest.fixture
def redis(redis_url):
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def queue_prefix(redis):
    prefix = f"t{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:10]}"
    forget(redis, prefix)
    yield prefix
    forget(redis, prefix)


@pytest.fixture
def smtp():
    """(controller, sink): a running SMTP server on loopback (tests/smtp_sink.py) that accepts
    everything."""
    from tests.smtp_sink import Sink, start

    sink = Sink()
    controller = start(sink)
    yield controller, sink
    controller.stop()


def _opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    open_for_signature(session, statement, owner.id, OpenOptions())
    return statement, owner


@pytest.fixture
def opened_statement(session, frozen_clock):
    """(statement, owner): a statement open for signature, on the frozen clock."""
    return _opened(session)


@pytest.fixture
def open_statement(session):
    """(id, slug) of a statement open for signature; the test's session is left idle.

    On SQLite a transaction left open in this thread would hold the write lock
    (transactions outside requests begin IMMEDIATE) and stall every request.
    """
    statement, _owner = _opened(session)
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
