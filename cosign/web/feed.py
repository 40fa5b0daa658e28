"""/feed.atom: the newest published statements as an Atom feed (RFC 4287)."""
from __future__ import annotations

import datetime as dt

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from cosign import catalogue, clock, translating
from cosign.core.markdown import plain_text, render_markdown
from cosign.extensions import db
from cosign.web.links import site_url

bp = Blueprint("feed", __name__)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class EntryExtras(BaseEntryExtension):
    """Links with a ``rel`` and ``type`` and the entry's language.

    feedgen 1.0 drops the ``rel`` and ``type`` of an entry's links (two links
    would then both be "alternate", which RFC 4287 forbids), so every link but
    the one alternate link is written here.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.language = ""

    def extend_atom(self, entry):
        for attributes in self.links:
            xml_elem("link", entry, **attributes)
        if self.language:
            entry.set(XML_LANG, self.language)
        return entry


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC)


def _summary(markdown: str) -> str:
    """The first paragraph as plain text."""
    return plain_text(markdown).split("\n\n", 1)[0]


@bp.get("/feed.atom")
def atom():
    site = current_app.config.get("COSIGN_SITE_NAME", "cosign")
    entries = catalogue.newest(db.session(), catalogue.FEED_SIZE)
    feed = FeedGenerator()
    feed.id(site_url(".atom"))
    feed.title(_("Published statements · %(site)s", site=site))
    feed.author({"name": site})
    feed.link(href=site_url(".atom"), rel="self", type="application/atom+xml")
    feed.link(href=site_url("public.index"), rel="alternate", type="text/html")
    feed.language(current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))
    feed.updated(_utc(max((e.updated_at for e in entries), default=None) or clock.now()))
    for item in entries:  # newest first
        statement, revision = item.statement, item.revision
        entry = feed.add_entry(order="append")
        entry.register_extension("cosign", EntryExtras, atom=True, rss=False)
        page = site_url("public.statement", slug=statement.slug)
        entry.id(page)
        entry.title(revision.title)
        entry.updated(_utc(item.updated_at))
        entry.published(_utc(item.published_at))
        entry.author({"name": statement.coalition or site})
        entry.summary(_summary(revision.body))
        entry.content(render_markdown(revision.body), type="html")
        entry.link(href=page)  # rel="alternate"
        entry.cosign.links.append({
            "href": site_url("public.statement_pdf", slug=statement.slug),
            "rel": "enclosure", "type": "application/pdf", "title": _("PDF"),
        })
        entry.cosign.language = statement.language
        for translation, _row in translating.public_versions(db.session(), statement):
            entry.cosign.links.append({  # the statement in other languages, same list
                "href": site_url("public.translation", slug=statement.slug,
                                 lang=translation.language),
                "rel": "alternate", "type": "text/html", "hreflang": translation.language})
            entry.cosign.links.append({
                "href": site_url("public.translation_pdf", slug=statement.slug,
                                 lang=translation.language),
                "rel": "enclosure", "type": "application/pdf", "hreflang": translation.language,
                "title": _("PDF"),
            })
    response = Response(feed.atom_str(pretty=True),
                        content_type="application/atom+xml; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.add_etag()
    return response.make_conditional(request)
