"""The web layer: blueprints, forms and request/response handling only."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def register_blueprints(app: Flask) -> None:
    from cosign.web import (api, auth, desk, dev, feed, health, labels, moderation, press,
                            public, publication, verification)
    from cosign.web.uploads import CosignRequest

    app.request_class = CosignRequest

    labels.init_app(app)

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(verification.bp)
    app.register_blueprint(press.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(publication.bp)
    if app.config.get("COSIGN_DEV"):
        app.register_blueprint(dev.bp)

    @app.errorhandler(404)
    def _not_found(error):
        if request.path.startswith("/api/"):
            return api.error_response(error)
        return render_template("errors/error.html", status=404,
                               heading=_("Page not found"),
                               message=_("There is nothing at this address, or you are not "
                                         "allowed to see it.")), 404

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

    @app.errorhandler(429)
    def _too_many(error):
        if request.endpoint == "auth.login":
            return auth.login_throttled()
        if request.endpoint == "public.sign":
            return public.sign_throttled()
        if request.endpoint == "press.subscribe":
            return press.subscribe_throttled()
        return render_template("errors/error.html", status=429,
                               heading=_("Too many attempts"),
                               message=_("Please wait a minute and try again.")), 429

    @app.errorhandler(500)
    def _server_error(_error):
        return render_template("errors/error.html", status=500,
                               heading=_("Something went wrong"),
                               message=_("The error has been logged. Nothing was saved; "
                                         "please try again in a moment.")), 500
