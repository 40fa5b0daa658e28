"""Whose address is the client's: the socket's, unless trusted proxies say otherwise.

Rate limits (sign-ons, logins, press subscriptions) are keyed by
``request.remote_addr``. Anyone can send an ``X-Forwarded-For`` header, so by
default it is ignored and the key is the address of the connection. Behind
reverse proxies (nginx, a load balancer) the connection comes from the proxy:
``COSIGN_TRUSTED_PROXIES=N`` says that N proxies in front of the app each
append the address they saw, and werkzeug's ``ProxyFix`` then takes the
client's address (and scheme) from the last N entries only, so a client's own
forged entries further left are still ignored.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("COSIGN_TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops)
