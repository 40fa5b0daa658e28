"""The application factory."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l

from cosign import cli, database, jobs
from cosign.config import ROOT, Config
from cosign.extensions import babel, csrf, db, limiter, login_manager, migrate
from cosign.web import converters, languages, proxy, register_blueprints, uploads
from cosign.web.auth import load_user

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
HSTS = "max-age=31536000; includeSubDomains"
# Pages of coordinators and of the development mail outbox: drafts, contact data.
PRIVATE_PREFIXES = ("/desk/", "/dev/")


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
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    limiter.init_app(app)
    logging.getLogger("flask-limiter").setLevel(logging.ERROR)  # its warnings name IPs
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
    jobs.init_app(app)

    languages.init_app(app)  # ?lang=, the switcher's cookie, preference, Accept-Language
    converters.init_app(app)  # <int:...> and <slug> bounded: no 500 on huge numbers
    proxy.init_app(app)  # X-Forwarded-For only from COSIGN_TRUSTED_PROXIES
    uploads.init_app(app)  # oversized bodies and NUL characters are refused first

    with app.app_context():
        database.configure_engine(db.engine)

    @login_manager.user_loader
    def _load_user(user_id: str):
        return load_user(user_id)  # refuses a session of an older epoch

    @app.before_request
    def _start_request() -> None:
        database.set_write_intent(request.method not in SAFE_METHODS)
        # response-header wishes of the views (g may outlive a request in tests)
        g.no_store, g.robots, g.referrer_policy = False, None, "same-origin"

    hsts = not app.config.get("COSIGN_DEV")  # development runs on plain http://127.0.0.1

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)
        token_page = _is_token_page()
        if token_page:  # the token must not leave in a Referer header
            headers["Referrer-Policy"] = "no-referrer"
        else:
            headers.setdefault("Referrer-Policy", g.get("referrer_policy") or "same-origin")
        if g.get("robots"):
            headers["X-Robots-Tag"] = g.robots
        if token_page or g.get("no_store") or _is_private_path():
            headers["Cache-Control"] = "no-store"
        if response.is_json and not (response.is_streamed or response.direct_passthrough):
            _html_safe_json(response)
        return response

    register_blueprints(app)
    cli.init_app(app)
    return app


def _is_token_page() -> bool:
    """A page reached by a link with a token from an e-mail (/confirm/<token>, ...)."""
    rule = request.url_rule
    return rule is not None and "token" in rule.arguments


_JSON_HTML_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def _html_safe_json(response) -> None:
    """Escape ``< > &`` in JSON as ``\\u003c`` etc.: the same JSON to every parser, but no
    markup even if the body ends up inside an HTML page. (Outside strings these
    characters cannot occur in JSON, so the replacement is always valid.)"""
    data = response.get_data()
    if any(char in data for char, _escaped in _JSON_HTML_ESCAPES):
        for char, escaped in _JSON_HTML_ESCAPES:
            data = data.replace(char, escaped)
        response.set_data(data)


def _is_private_path() -> bool:
    return request.path == "/desk" or request.path.startswith(PRIVATE_PREFIXES)


def _select_locale() -> str:
    return languages.select()


def _select_timezone() -> str | None:
    return languages.select_timezone()
