"""The application factory."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l

from cosign import database, jobs
from cosign.config import ROOT, Config
from cosign.extensions import babel, csrf, db, limiter, login_manager, migrate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        "cosign",
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(Config.from_env(app.instance_path, config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    logging.getLogger("flask-limiter").setLevel(logging.ERROR)  # its warnings name IPs
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
    jobs.init_app(app)

    with app.app_context():
        database.configure_engine(db.engine)

    from cosign.models import User

    @login_manager.user_loader
    def _load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @app.before_request
    def _start_request() -> None:
        database.set_write_intent(request.method not in SAFE_METHODS)
        # response-header wishes of the views (g may outlive a request in tests)
        g.no_store, g.robots, g.referrer_policy = False, None, "same-origin"

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", g.get("referrer_policy") or "same-origin")
        if g.get("robots"):
            response.headers["X-Robots-Tag"] = g.robots
        response.headers.setdefault("X-Frame-Options", "DENY")
        if g.get("no_store"):
            response.headers["Cache-Control"] = "no-store"
        return response

    from cosign import cli
    from cosign.web import register_blueprints

    register_blueprints(app)
    cli.init_app(app)
    return app


def _select_locale() -> str:
    from flask import current_app

    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
