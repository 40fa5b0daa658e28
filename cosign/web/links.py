"""The page for a link from one of our e-mails that has expired or is not valid."""
from __future__ import annotations

from flask import g, render_template
from flask_babel import gettext as _


def link_problem(exc: Exception, expired: type[Exception], again: str):
    """410 with ``again`` (how to get a new link) if ``exc`` is an ``expired``, else 404."""
    g.no_store = True
    if isinstance(exc, expired):
        return render_template("public/link.html", heading=_("This link has expired"),
                               message=again), 410
    return render_template("public/link.html", heading=_("This link is not valid"),
                           message=_("The link is incomplete or has been altered. Check that you "
                                     "opened the whole link from the e-mail.")), 404
