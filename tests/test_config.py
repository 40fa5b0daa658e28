"""Configuration from the environment."""
import pytest

from cosign.app import create_app
from cosign.config import Config, ConfigurationError, database_url


def test_missing_secret_key_outside_development_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        Config.from_env(tmp_path, environ={})


def test_development_gets_a_persistent_generated_key(tmp_path):
    first = Config.from_env(tmp_path, environ={"COSIGN_DEV": "1"})
    second = Config.from_env(tmp_path, environ={"COSIGN_DEV": "1"})
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert first["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure(tmp_path):
    cfg = Config.from_env(tmp_path, environ={"SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://u@h/db",
                                             "COSIGN_SITE_URL": "https://statements.example.org"})
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["SESSION_COOKIE_HTTPONLY"]
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert cfg["COSIGN_DEV"] is False


def test_default_database_is_sqlite_in_instance(tmp_path):
    cfg = Config.from_env(tmp_path, environ={"SECRET_KEY": "k",
                                             "COSIGN_SITE_URL": "https://statements.example.org"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'cosign.sqlite3'}"


def test_database_url_driver():
    assert database_url("postgres://a/b") == "postgresql+psycopg://a/b"
    assert database_url("sqlite:///x") == "sqlite:///x"


def test_create_app_refuses_to_start_without_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("COSIGN_DEV", raising=False)
    with pytest.raises(ConfigurationError):
        create_app()


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    import shutil

    from tests.conftest import app_config

    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    return create_app(app_config(f"sqlite:///{path}"))


def test_sqlite_pragmas(sqlite_app):
    from sqlalchemy import text

    from cosign.extensions import db

    with sqlite_app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            busy_timeout = conn.execute(text("PRAGMA busy_timeout")).scalar()
            assert busy_timeout is not None and busy_timeout >= 5000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_read_then_write_transactions_do_not_fail_under_concurrency(sqlite_app):
    """With a deferred BEGIN, concurrent read-then-write transactions fail with
    "database is locked"; BEGIN IMMEDIATE makes them wait their turn."""
    import threading
    import time

    from sqlalchemy import func, select

    from cosign.extensions import db
    from cosign.models import User

    errors, barrier = [], threading.Barrier(6)

    def worker(n):
        with sqlite_app.app_context():
            try:
                barrier.wait()
                taken = db.session.scalar(select(func.count()).select_from(User))
                time.sleep(0.05)
                db.session.add(User(email=f"u{n}@example.org", name=f"U{n}", password_hash="x"))
                db.session.commit()
                assert taken is not None and taken >= 0
            except Exception as exc:  # noqa: BLE001 - the test reports every failure
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 6


def test_each_app_counts_its_rate_limits_under_its_own_prefix(tmp_path):
    """Sites (and test runs) sharing one Redis must not share rate-limit counters."""
    from cosign.extensions import limiter

    settings = {"SECRET_KEY": "x", "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    create_app({**settings, "COSIGN_QUEUE_PREFIX": "site-one"})
    assert limiter._key_prefix == "site-one"
    create_app({**settings, "COSIGN_QUEUE_PREFIX": "site-two"})
    assert limiter._key_prefix == "site-two"
