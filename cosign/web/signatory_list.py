"""The list of signatories on a statement's page, read from the kept snapshot.

Pages of :data:`cosign.listing.PER_PAGE` names, and three ways to narrow the
list that work without JavaScript (plain GET links and a GET form): a search
(``?q=``, case- and accent-insensitive, on names only: a withheld
organisation never matches), a strip of the initials present (``?letter=``,
in any script) and a country filter (``?country=IQ``). The three combine.
A malformed value, or a page past the last, is a 404; a well-formed value
that matches nothing gives an empty list and a sentence saying so.

Printed = signed: the numbered list holds the signatories of the current text
version only. Without filters, the signatories of an earlier version who have
not re-confirmed follow it on the last pages, in a section per version headed
with that version and its SHA-256 (:attr:`cosign.listing.Listing.earlier`);
the filters search the current list only.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from cosign import listing
from cosign.core.countries import country_name
from cosign.core.names import DIGIT_INITIAL, initial, search_text
from cosign.core.paging import Page
from cosign.web.forms import ORG_TYPE_LABELS

MAX_PAGE_DIGITS = 7  # pages of 100: ten million pages is far beyond any list
MAX_LETTER = 4  # characters: a letter and its marks


def listings():
    """This application's snapshots of public lists (:mod:`cosign.listing`), in this process."""
    return listing.cache_in(current_app.extensions)


@dataclass(frozen=True)
class Filters:
    query: str = ""
    letter: str = ""
    country: str = ""

    @property
    def active(self) -> bool:
        return bool(self.query or self.letter or self.country)

    def args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments of these filters with ``changes``, empty ones left out."""
        values = {"q": self.query, "letter": self.letter, "country": self.country, **changes}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Shown:
    """What the statement page shows of its list (the partial ``_signatory_list.html``)."""

    names: list[listing.Entry]
    # the names cut where a section begins: (earlier group or None, first number, names)
    sections: list[tuple[listing.Earlier | None, int, list[listing.Entry]]]
    page: int
    pages: int
    first: int  # the number of the first name shown (the list's ``start``)
    matched: int  # names matching the filters (all of them without filters)
    filters: Filters
    message: str = ""  # why nothing is shown
    letters: list[tuple[str, str]] = field(default_factory=list)  # (letter, link)
    countries: list[tuple[str, str]] = field(default_factory=list)  # (code, "Iraq (12)")


def _page_number() -> int:
    value = request.args.get("page", "1")
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_PAGE_DIGITS \
            or int(value) < 1:
        abort(404)
    return int(value)


def _filters() -> Filters:
    query = " ".join(request.args.get("q", "").split())
    if len(query) > listing.MAX_QUERY:
        abort(404)
    letter = request.args.get("letter", "").strip()
    if letter and letter != DIGIT_INITIAL:
        if not _is_one_letter(letter):
            abort(404)
        letter = initial(letter) or ""
    country = request.args.get("country", "").strip().upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        abort(404)
    return Filters(query=query, letter=letter, country=country)


def _is_one_letter(text: str) -> bool:
    """One letter, perhaps with accents or marks ("e", "É", "إ")."""
    text = unicodedata.normalize("NFD", text)
    return (len(text) <= MAX_LETTER and unicodedata.category(text[0])[0] == "L"
            and all(unicodedata.category(c)[0] == "M" for c in text[1:]))


def _nothing_found(public_list: listing.Listing, filters: Filters, locale: str) -> str:
    if filters.letter and not public_list.has_letter(filters.letter):
        return _("No signatory's name begins with “%(letter)s”.", letter=filters.letter)
    if filters.country and filters.country not in public_list.country_counts:
        return _("No signatory is from %(country)s.",
                 country=country_name(filters.country, locale))
    if filters.query and not search_text(filters.query):
        return _("Type a name or part of a name to search for.")
    if filters.query:
        return _("No signatory's name contains “%(text)s”.", text=filters.query)
    return _("No signatory matches.")


def html(public_list: listing.Listing, slug: str, signed_revision: int, locale: str) -> Markup:
    """The list part of the statement page that the request's arguments ask for (404 for
    bad ones). Made once per version of the list, language, page and filters and kept
    with the snapshot (:meth:`cosign.listing.Listing.memo`): a view of an unchanged
    list only reads its arguments."""
    number, filters = _page_number(), _filters()
    page = public_list.memo(("page", filters, number), lambda: _page(public_list, filters,
                                                                     number))
    if number > page.pages:
        abort(404)
    return public_list.memo(("html", locale, slug, signed_revision, filters, number),
                            lambda: _html(public_list, page, filters, slug, signed_revision,
                                          locale))


def _page(public_list: listing.Listing, filters: Filters, number: int) -> Page[listing.Entry]:
    """Page ``number`` of the current list matching the filters; without filters, of the
    current list followed by the earlier versions' sections."""
    if filters.active:
        return public_list.page(number, query=filters.query, letter=filters.letter,
                                country=filters.country)
    start = (number - 1) * listing.PER_PAGE
    return Page(items=list(public_list.printed[start:start + listing.PER_PAGE]),
                total=len(public_list.printed), page=number, per_page=listing.PER_PAGE)


def _html(public_list: listing.Listing, page: Page[listing.Entry], filters: Filters, slug: str,
          signed_revision: int, locale: str) -> Markup:
    base = url_for("public.statement", slug=slug)
    country = f"&country={filters.country}" if filters.country else ""
    option = _("%(country)s (%(num)d)")  # formatted below: one translation for every option
    names = page.items
    country_names = {code: country_name(code, locale) for code in {e.country for e in names}}
    first = (page.page - 1) * page.per_page
    sections: list[tuple[listing.Earlier | None, int, list[listing.Entry]]] = (
        [(None, first + 1, list(names))] if filters.active
        else public_list.sections(first, first + len(names)))
    shown = Shown(
        names=names, sections=sections, page=page.page, pages=page.pages, first=first + 1,
        matched=page.total, filters=filters,
        message="" if names or not filters.active else _nothing_found(public_list, filters,
                                                                       locale),
        # links built here: one url_for per letter costs more than the rest of the list
        letters=[(letter, f"{base}?letter={quote(letter, safe='')}{country}")
                 for letter, _count in public_list.letters],
        countries=[(code, option % {"country": name, "num": count})
                   for code, name, count in public_list.countries(locale)],
    )
    return Markup(render_template(
        "public/_signatory_list.html", shown=shown, slug=slug, signed_revision=signed_revision,
        earlier=public_list.earlier, earlier_total=public_list.earlier_total,
        country_names=country_names,
        type_labels={kind: str(ORG_TYPE_LABELS.get(kind, kind))
                     for kind in {e.org_type for e in names if not e.withheld}},
        withheld_labels={code: _("An organisation in %(country)s (name withheld)",
                                 country=country_names[code])
                         for code in {e.country for e in names if e.withheld}},
    ))
