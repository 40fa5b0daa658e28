"""The sharing kit on the desk: the public link, the share card and an HTML snippet.

Every address is absolute and made from ``COSIGN_SITE_URL`` (:func:`site_url`), never
from the request. The snippet is plain HTML (a link to the sign page around the card
image), no script: partners paste it into their own sites.
"""
from __future__ import annotations

from flask import current_app, url_for
from markupsafe import escape

from cosign import cards, signing
from cosign.models import Statement
from cosign.web.links import site_url


def snippet(statement: Statement) -> str:
    """``<a href="…/sign"><img src="…/card.png" …></a>``: the card always shows the newest
    count (its address has no version, and it may be cached for five minutes). Once signing
    has closed the link leads to the statement's page instead."""
    title = " ".join(statement.title.split())
    target = "public.sign" if signing.is_open(statement) else "public.statement"
    return (f'<a href="{escape(site_url(target, slug=statement.slug))}">'
            f'<img src="{escape(site_url("public.card", slug=statement.slug))}" '
            f'width="600" height="315" alt="{escape(title)}" lang="{escape(statement.language)}">'
            f"</a>")


def kit(statement: Statement) -> dict:
    """What the desk's "Share" section shows; ``ready`` is False for drafts (no public
    page, no card). ``preview``: the card's address on this site, or None before the
    worker has made it."""
    if not cards.is_public(statement):
        return {"ready": False}
    version = cards.version_of(current_app.config, statement.id)
    return {
        "ready": True,
        "page": site_url("public.statement", slug=statement.slug),
        "sign": site_url("public.sign", slug=statement.slug),
        "card": site_url("public.card", slug=statement.slug),
        "preview": url_for("public.card", slug=statement.slug, v=version) if version else None,
        "snippet": snippet(statement),
    }
