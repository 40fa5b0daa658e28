"""``/healthz``: is this web server able to serve? For load balancers and monitoring.

200 ``{"status": "ok", "database": "ok", "redis": "ok" | "not configured", ...}``
when the database answers ``SELECT 1`` and, if ``REDIS_URL`` is set, Redis
answers PING; 503 with ``"status": "error"`` and the failing part marked
``"unreachable"`` otherwise. The cause goes to the server's log, never into
the public answer (it can name hosts and users). Reads only, never cached,
never rate-limited.

Also the queue's lag (:mod:`cosign.backlog`), for monitoring; it does not
change the status: ``"mail_lag_seconds"`` (age of the oldest unsent mail that is
due) and ``"pdf_lag_seconds"`` (age of the oldest PDF wish with no render since),
0 when nothing waits, ``null`` when the database cannot be asked.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify

from cosign import backlog, database, doctor
from cosign.extensions import db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

REDIS_TIMEOUT = 1.0


@bp.get("/healthz")
@limiter.exempt
def healthz():
    answer = {"status": "ok", "database": "ok", "redis": "not configured",
              "mail_lag_seconds": None, "pdf_lag_seconds": None}
    failure = doctor.database_status(db.engine)
    if failure is not None:
        answer["database"] = "unreachable"
        log.error("healthz: the database is unreachable: %s", failure)
    else:
        answer.update(_lag())
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        failure = doctor.redis_status(redis_url, timeout=REDIS_TIMEOUT)
        answer["redis"] = "ok" if failure is None else "unreachable"
        if failure is not None:
            log.error("healthz: Redis is unreachable: %s", failure)
    healthy = "unreachable" not in (answer["database"], answer["redis"])
    if not healthy:
        answer["status"] = "error"
    g.no_store = True
    g.robots = "noindex"
    return jsonify(answer), 200 if healthy else 503


def _lag() -> dict:
    """The lag fields; left null (and logged) if reading them fails."""
    try:
        with database.write_intent(False):
            lag = backlog.lag(db.session())
            db.session.rollback()
    except Exception:  # the health answer must not fail on it
        db.session.rollback()
        log.exception("healthz: the queue's lag could not be read")
        return {}
    return {"mail_lag_seconds": lag.mail_seconds, "pdf_lag_seconds": lag.pdf_seconds}
