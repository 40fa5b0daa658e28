"""The fixtures' promise: every test starts on an empty database, ids from 1.

On PostgreSQL each test worker keeps one database and ``db_url`` empties it before
each test (``tests.conftest._PostgresEmptier``): here it is given rows in several
tables (parents and children), a sequence that handed out an id whose row was
rolled back, and, separately, more rows than it deletes one by one.
"""
from __future__ import annotations

import sqlalchemy as sa

from cosign.app import create_app
from cosign.extensions import db
from cosign.models import User
from tests.conftest import _empty_postgres, _PostgresEmptier, app_config
from tests.factories import make_statement, make_user


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'").scalars().all()
        found = {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one()
                 for t in tables}
    engine.dispose()
    return found


def fill(url: str, users: int = 1) -> None:
    app = create_app(app_config(url))
    with app.app_context():
        owner = make_user(db.session)
        make_statement(db.session, owner)
        db.session.add_all(User(email=f"u{n}@example.org", name=f"U {n}", password_hash="x")
                           for n in range(users))
        db.session.commit()
        db.session.add(User(email="rolled-back@example.org", name="R", password_hash="x"))
        db.session.flush()  # takes an id
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def first_ids(url: str) -> tuple[int, int]:
    """The ids a new user and a new statement get."""
    app = create_app(app_config(url))
    with app.app_context():
        owner = make_user(db.session)
        statement = make_statement(db.session, owner)
        ids = owner.id, statement.id
        db.session.remove()
        db.engine.dispose()
    return ids


def test_each_test_starts_on_an_empty_postgresql_database_with_ids_from_one(postgres_url):
    _empty_postgres(postgres_url)
    fill(postgres_url)
    filled = {t for t, n in counts(postgres_url).items() if n}
    assert {"user", "statement", "revision", "membership", "audit_event"} <= filled

    _empty_postgres(postgres_url)  # what db_url does before each test
    assert set(counts(postgres_url).values()) == {0}
    assert first_ids(postgres_url) == (1, 1)

    fill(postgres_url, users=_PostgresEmptier.DELETE_AT_MOST + 1)  # beyond: TRUNCATE
    assert counts(postgres_url)["user"] > _PostgresEmptier.DELETE_AT_MOST
    _empty_postgres(postgres_url)
    assert set(counts(postgres_url).values()) == {0}
    assert first_ids(postgres_url) == (1, 1)
    _empty_postgres(postgres_url)

