"""Absolute links (those in signatories' e-mails too), and the page for a link from one of our
e-mails that has expired or is not valid."""
from __future__ import annotations

from flask import current_app, g, render_template, url_for
from flask_babel import gettext as _

from cosign import signing


def link_problem(exc: Exception, expired: type[Exception], again: str):
    """410 with ``again`` (how to get a new link) if ``exc`` is an ``expired``, else 404."""
    g.no_store = True
    if isinstance(exc, expired):
        return render_template("public/link.html", heading=_("This link has expired"),
                               message=again), 410
    return render_template("public/link.html", heading=_("This link is not valid"),
                           message=_("The link is incomplete or has been altered. Check that you "
                                     "opened the whole link from the e-mail.")), 404


def site_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on the public site: ``COSIGN_SITE_URL`` and the
    route's path, never the request's Host header (anyone can send any Host)."""
    return current_app.config["COSIGN_SITE_URL"].rstrip("/") + url_for(endpoint, **values)


def link_for(purpose: str, value: str) -> str:
    """Absolute links for signatories' e-mails."""
    endpoints = {signing.CONFIRM: "public.confirm", signing.WITHDRAW: "public.withdraw",
                 signing.RECONFIRM: "public.reconfirm"}
    if purpose == "statement":
        return site_url("public.statement", slug=value)
    return site_url(endpoints[purpose], token=value)
