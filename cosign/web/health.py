"""``/healthz``: is this web server able to serve? For load balancers and monitoring.

200 ``{"status": "ok", "database": "ok", "redis": "ok" | "not configured"}`` when
the database answers ``SELECT 1`` and, if ``REDIS_URL`` is set, Redis answers
PING; 503 with ``"status": "error"`` and the failing part marked
``"unreachable"`` otherwise. The cause goes to the server's log, never into
the public answer (it can name hosts and users). Reads only, never cached,
never rate-limited.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify

from cosign import doctor
from cosign.extensions import db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

REDIS_TIMEOUT = 1.0


@bp.get("/healthz")
@limiter.exempt
def healthz():
    answer = {"status": "ok", "database": "ok", "redis": "not configured"}
    failure = doctor.database_status(db.engine)
    if failure is not None:
        answer["database"] = "unreachable"
        log.error("healthz: the database is unreachable: %s", failure)
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        failure = doctor.redis_status(redis_url, timeout=REDIS_TIMEOUT)
        answer["redis"] = "ok" if failure is None else "unreachable"
        if failure is not None:
            log.error("healthz: Redis is unreachable: %s", failure)
    healthy = "unreachable" not in answer.values()
    if not healthy:
        answer["status"] = "error"
    g.no_store = True
    g.robots = "noindex"
    return jsonify(answer), 200 if healthy else 503
