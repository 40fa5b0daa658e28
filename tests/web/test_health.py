"""/healthz: the database and (if configured) Redis, answered in JSON, never cached."""
import os
import socket

import pytest
from sqlalchemy import event

from cosign.app import create_app
from cosign.extensions import db, limiter
from tests.conftest import app_config

REDIS_URL = os.environ.get("COSIGN_TEST_REDIS_URL")
REDIS_SKIP = (
    "COSIGN_TEST_REDIS_URL is not set: the test against a real Redis is skipped (.ci/run sets it)"
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


def statements_during(app, action):
    seen = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement.strip().split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return result, seen


def test_healthy_without_redis(app, client):
    response, statements = statements_during(app, lambda: client.get("/healthz"))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not configured",
                                   "mail_lag_seconds": 0, "pdf_lag_seconds": 0}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    assert statements and not {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP"} & set(statements)


def test_head_and_repeated_requests(app, client):
    assert client.head("/healthz").status_code == 200
    assert all(client.get("/healthz").status_code == 200 for _ in range(30))
    scope = limiter.limit_manager.exemption_scope(app, "health.healthz", "health")
    assert scope, "/healthz must be exempt from rate limits"


def test_unreachable_database_gives_503(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        broken = f"sqlite:///{tmp_path / 'no-such-directory' / 'cosign.sqlite3'}"
    else:
        broken = f"postgresql+psycopg://cosign:hunter2@127.0.0.1:{closed_port()}/cosign"
    app = create_app(app_config(broken, COSIGN_STORAGE_DIR=str(tmp_path / "storage")))
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "error", "database": "unreachable",
                                       "redis": "not configured", "mail_lag_seconds": None,
                                       "pdf_lag_seconds": None}
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert "hunter2" not in body and "no-such-directory" not in body and "127.0.0.1" not in body
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}])
def test_unreachable_redis_gives_503(client, app_overrides):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "ok", "redis": "unreachable",
                                   "mail_lag_seconds": 0, "pdf_lag_seconds": 0}


@pytest.mark.skipif(not REDIS_URL, reason=REDIS_SKIP)
@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": REDIS_URL}])
def test_healthy_with_redis(client, app_overrides):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok",
                                   "mail_lag_seconds": 0, "pdf_lag_seconds": 0}
