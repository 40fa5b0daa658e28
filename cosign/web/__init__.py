"""The web layer: blueprints, forms and request/response handling only."""
from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import SecurityError

from cosign.extensions import db
from cosign.web import (
    account,
    api,
    auth,
    desk,
    dev,
    feed,
    health,
    labels,
    letters,
    links,
    moderation,
    press,
    public,
    publication,
    translations,
    verification,
)
from cosign.web.uploads import CosignRequest


def register_blueprints(app: Flask) -> None:
    app.request_class = CosignRequest

    labels.init_app(app)
    # absolute links in pages, from configuration
    app.add_template_global(links.site_url, "site_url")

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(letters.bp)
    app.register_blueprint(translations.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(press.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(publication.bp)
    if app.config.get("COSIGN_DEV"):
        app.register_blueprint(dev.bp)
    register_error_pages(app)
    register_server_error_pages(app)


def register_error_pages(app: Flask) -> None:
    """The pages of the client errors (4xx), JSON under /api/."""

    @app.errorhandler(404)
    def _not_found(error):
        if request.path.startswith("/api/"):
            return api.error_response(error)
        return render_template("errors/error.html", status=404,
                               heading=_("Page not found"),
                               message=_("There is nothing at this address, or you are not "
                                         "allowed to see it.")), 404

    @app.errorhandler(SecurityError)
    def _unknown_host(_error):
        # a Host outside TRUSTED_HOSTS (COSIGN_SITE_URL's): no page (it would link to that
        # host), and the host is not echoed back
        return Response(_("This site does not answer for that host name.") + "\n", 400,
                        mimetype="text/plain")

    @app.errorhandler(405)
    def _not_allowed(error):
        if request.path.startswith("/api/"):
            return api.error_response(error)
        return error

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return render_template("errors/error.html", status=400,
                               heading=_("The form has expired"),
                               message=_("The form was missing its security token or it had "
                                         "expired. Nothing was saved. Go back, reload the page "
                                         "and submit it again.")), 400

    @app.errorhandler(413)
    def _too_large(_error):
        return render_template("errors/error.html", status=413,
                               heading=_("Too much data"),
                               message=_("What you sent is larger than this site accepts. "
                                         "Nothing was saved.")), 413

    throttled_pages = {"auth.login": auth.login_throttled, "public.sign": public.sign_throttled,
                       "press.subscribe": press.subscribe_throttled}

    @app.errorhandler(429)
    def _too_many(error):
        throttled_page = throttled_pages.get(request.endpoint or "")
        if throttled_page is not None:
            return throttled_page()
        return render_template("errors/error.html", status=429,
                               heading=_("Too many attempts"),
                               message=_("Please wait a minute and try again.")), 429


def register_server_error_pages(app: Flask) -> None:
    """500, and 503 while the database cannot be reached (JSON under /api/)."""

    @app.errorhandler(DBAPIError)
    def _database_unavailable(error):
        """A lost or refused database connection (a restart, a failover): 503, retry soon."""
        if not isinstance(error, (OperationalError, InterfaceError)) and \
                not getattr(error, "connection_invalidated", False):
            app.logger.error("database error", exc_info=error)  # a bug, not an outage
            return _server_error(error)
        app.logger.warning("database unavailable: %s", type(error.orig).__name__)
        db.session.remove()
        if request.path.startswith("/api/"):
            response = api.error_response(503, _("The database cannot be reached right now. "
                                                 "Please try again in a minute."))
        else:
            response = app.make_response((render_template(
                "errors/error.html", status=503, heading=_("Please try again in a minute"),
                message=_("The site cannot reach its database right now. Sending the form "
                          "again is safe: a signature is never counted twice.")), 503))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(500)
    def _server_error(_error):
        return render_template("errors/error.html", status=500,
                               heading=_("Something went wrong"),
                               message=_("The error has been logged. Nothing was saved; "
                                         "please try again in a moment.")), 500
