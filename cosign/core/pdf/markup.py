"""The HTML of a printed statement: ``templates/pdf/statement.html`` filled in.

:func:`_prepare` (or :func:`_base_job` without the list) turns a :class:`PdfDocument`,
its signatories and the :class:`RenderOptions` into a :class:`_Job`: the template's
values in the document's language, the list items in print order and the
``signatories.json`` attachment (:func:`public_signatory_json`). A job is what the
worker processes receive; :func:`_html` writes the HTML of the whole document or of
a chunk of its pages from it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import segno
from babel import Locale
from babel.support import Translations
from markupsafe import Markup

from cosign.core.countries import country_name
from cosign.core.language import text_direction
from cosign.core.markdown import render_markdown
from cosign.core.ordering import GROUPINGS, ORDERS, group_signatories
from cosign.core.pdf.document import PAGE_SIZES, PdfDocument, RenderError, RenderOptions
from cosign.core.pdf.fetcher import logo_type
from cosign.core.pdf.labels import (
    _UNKNOWN_LOCALE,
    TYPE_LABELS,
    _environment,
    _format_date,
    _format_number,
    _locale,
    _translations,
    counter_style,
    native_digits,
)
from cosign.core.pdf.pagination import Block, Item
from cosign.core.pdf.version import TEMPLATE_VERSION
from cosign.core.signatory import Signatory

# A signatory as printed: ``(name, its direction, detail line, its direction, withheld)``
# (an :data:`~cosign.core.pdf.pagination.Item` without its group heading).
Entry = tuple[str, str, str, str, bool]
# What a worker's layout depends on: template version, language, direction, page size,
# columns (:meth:`_Job.layout_key`).
LayoutKey = tuple[str, str, str, str, int]


def css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe inside a ``<style>`` element."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>&' or ord(c) < 0x20 or ord(c) == 0x7f
                      else c for c in text)
    return f'"{escaped}"'


def _direction(text: str, default: str) -> str:
    """What ``dir="auto"`` gives: the direction of the first strong character."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return default




def _heading(key: str, grouping: str, language: str, default: str) -> tuple[str, str]:
    """``(text, direction)`` of a group heading (a country code or a type)."""
    if grouping == "country":
        text = country_name(key, _locale(language))
    else:
        text = _translations(language).gettext(TYPE_LABELS.get(key, TYPE_LABELS["other"]))
    return text, _direction(text, default)


def _entry(signatory: Signatory, grouping: str, language: str, default: str) -> Entry:
    """``(name, its direction, detail line, its direction, withheld)`` as printed: a
    withheld signatory is "An organisation in <country> (name withheld)"; the detail
    line is "City, Country", or the city alone under a country heading."""
    _ = _translations(language).gettext
    country = country_name(signatory.country, _locale(language))
    detail_dir = ""
    if signatory.withheld:
        name = _("An organisation in %(country)s (name withheld)") % {"country": country}
        detail = ""
    else:
        name = " ".join(signatory.name.split())
        city = " ".join(signatory.city.split())
        if grouping == "country":
            detail = city
        elif city:  # runs in the direction of the country's name (the document's language)
            detail = _("%(city)s, %(country)s") % {"city": city, "country": country}
            detail_dir = _direction(country, default)
        else:
            detail = country
    if detail and not detail_dir:
        detail_dir = _direction(detail, default)
    return (name, _direction(name, default), detail, detail_dir, signatory.withheld)


def _items(signatories: Sequence[Signatory], options: RenderOptions, language: str
           ) -> tuple[list[Item], list[Signatory]]:
    """List items ``(group, its dir, name, its dir, detail, its dir, withheld)`` in
    print order (a group's first item carries its heading) and the signatories in
    that order."""
    default = text_direction(language)
    headings: dict[str, tuple[str, str]] = {}
    items: list[Item] = []
    ordered: list[Signatory] = []
    for key, members in group_signatories(signatories, options.grouping, options.order,
                                          _locale(language)):
        for position, signatory in enumerate(members):
            heading = ("", "")
            if key and position == 0:
                heading = headings.setdefault(key, _heading(key, options.grouping, language,
                                                            default))
            items.append((*heading, *_entry(signatory, options.grouping, language, default)))
            ordered.append(signatory)
    return items, ordered


def public_signatory_json(signatories: Sequence[Signatory], locale: str = "en") -> bytes:
    """The ``signatories.json`` attachment: public fields only, in the given order."""
    records = []
    for signatory in signatories:
        record: dict[str, Any] = {
            "name": None if signatory.withheld else signatory.name,
            "country": signatory.country,
            "country_name": country_name(signatory.country, _locale(locale)),
            "type": signatory.org_type,
            "display": "withheld" if signatory.withheld else "named",
        }
        if not signatory.withheld and signatory.city:
            record["city"] = signatory.city
        records.append(record)
    # one record a line: readable, and json's fast encoder (indent= is pure Python)
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n".encode() if records else b"[]\n"


def _qr_svg(url: str, title: str) -> str:
    """The QR code of ``url`` as inline SVG; ``title`` is its alternative text in the
    tagged PDF (a Figure's /Alt)."""
    return segno.make(url, error="m").svg_inline(dark="#1f1e1c", scale=1, border=0,
                                                 omitsize=True, title=title)


class _EarlierSection(TypedDict):
    """The section of the signatories of an earlier version (:func:`_earlier_sections`)."""

    heading: str
    note: str
    digest: str
    items: list[Item]
    dirs: dict[str, str]  # the direction of the heading, the note and the digest line


class _DocValues(TypedDict):
    """The template's ``doc``: the document's fixed parts in its language."""

    lang: str
    dir: str
    title: str
    label_lang: str  # the labels' language: the document's if cosign has its catalogue
    label_dir: str
    coalition: str
    description: str
    generator: str
    created: str
    dateline: str
    body_html: str
    count_label: str
    press_line: str
    version: str
    issued: str
    site_name: str
    text_sha256: str
    verification_url: str
    qr_svg: str
    logo_alt: str
    watermark: str
    logo: bool
    earlier: list[_EarlierSection]
    translation_note: list[str]


class _PageValues(TypedDict):
    """The page's set-up, from which :func:`_html` writes the template's ``page``."""

    size: str
    columns: int
    footer_verify: str   # a CSS string
    page_label: str      # "Page X of Y" with the markers in place of the numbers
    markers: tuple[str, str]
    header: str          # a CSS string, or ""


@dataclass
class _Job:
    """Everything a worker needs to write the HTML of the document or a chunk."""

    language: str
    doc: _DocValues
    page: _PageValues
    logo: bytes | None
    attachment: bytes
    created: dt.datetime | None
    items: list[Item] = dataclasses.field(default_factory=list)

    def layout_key(self) -> LayoutKey:
        return (TEMPLATE_VERSION, self.language, self.doc["dir"], self.page["size"],
                self.page["columns"])


def _validate(document: PdfDocument, options: RenderOptions) -> None:
    if options.page_size not in PAGE_SIZES:
        raise RenderError(f"page_size must be one of {', '.join(PAGE_SIZES)}")
    if options.columns not in (2, 3):
        raise RenderError("columns must be 2 or 3")
    if options.grouping not in GROUPINGS:
        raise RenderError(f"grouping must be one of {', '.join(GROUPINGS)}")
    if options.order not in ORDERS:
        raise RenderError(f"order must be one of {', '.join(ORDERS)}")
    if not document.title.strip():
        raise RenderError("the statement has no title")
    if document.logo is not None and logo_type(document.logo) is None:
        raise RenderError("the logo must be a PNG, JPEG or SVG image")


def _dateline(document: PdfDocument, language: str) -> str:
    """"Place, date" in the document's language (either alone if the other is missing)."""
    parts = [part for part in (document.place.strip(),
                               _format_date(document.date, language) if document.date else "")
             if part]
    _ = _translations(language).gettext
    if len(parts) == 2:
        return _("%(place)s, %(date)s") % {"place": parts[0], "date": parts[1]}
    return "".join(parts)


def printed_lines(document: PdfDocument, signatories: Sequence[Signatory]
                  ) -> tuple[str, str, list[tuple[str, str]]]:
    """What the PDF prints, as plain lines in the document's language, for other formats
    (the Word file): ``(dateline, list heading, [(name, detail line), ...])``."""
    language = document.language or "en"
    _ = _translations(language).gettext
    dateline = _dateline(document, language)
    heading = _("Signatories (%(count)s)") % {"count": _format_number(len(signatories),
                                                                        language)}
    entries = [(entry[0], entry[2]) for entry in
               (_entry(s, "none", language, "ltr") for s in signatories)]
    return dateline, heading, entries


def _base_job(document: PdfDocument, count: int, options: RenderOptions) -> _Job:
    """The document's fixed parts (no list yet); ``count`` signatories."""
    _validate(document, options)
    language = document.language or "en"
    _ = _translations(language).gettext
    issued = options.issued_at
    if issued is not None and issued.tzinfo is None:
        issued = issued.replace(tzinfo=dt.UTC)
    dateline = _dateline(document, language)
    verify = []
    if options.verification_code:
        verify.append(_("Verification code %(code)s") % {"code": options.verification_code})
    if options.verification_url:
        verify.append(options.verification_url)
    marker_page, marker_pages = "\x00P\x00", "\x00T\x00"
    # labels come in the document's language when cosign has its catalogue, else in English,
    # laid out left to right even in a right-to-left document
    label_lang = language if isinstance(_translations(language), Translations) else "en"
    doc: _DocValues = {
        "lang": language, "dir": text_direction(language), "title": document.title.strip(),
        "label_lang": label_lang, "label_dir": text_direction(label_lang),
        "coalition": document.coalition.strip(),
        "description": _("Joint statement, text version %(version)s, signed by %(count)s "
                         "signatories") % {"version": document.version,
                                          "count": _format_number(count, language)},
        "generator": options.site_name,
        "created": issued.isoformat().replace("+00:00", "Z") if issued else "",
        "dateline": dateline, "body_html": render_markdown(document.body),
        "count_label": _format_number(count, language),
        "press_line": " · ".join(p.strip() for p in (document.press_name, document.press_email,
                                                       document.press_phone) if p.strip()),
        "version": _format_number(document.version, language),
        "issued": _format_date((issued or dt.datetime.now(dt.UTC)).date(), language),
        "site_name": options.site_name, "text_sha256": document.text_sha256,
        "verification_url": options.verification_url,
        "qr_svg": (_qr_svg(options.verification_url, _(
            "QR code of the verification address %(url)s") % {"url": options.verification_url})
            if options.verification_url else ""),
        "logo_alt": (_("Logo of %(coalition)s") % {"coalition": document.coalition.strip()}
                     if document.coalition.strip() else _("Logo")),
        "watermark": options.watermark.strip(), "logo": document.logo is not None,
        "earlier": _earlier_sections(document, language),
        "translation_note": _translation_note(document, label_lang),
    }
    page: _PageValues = {
        "size": PAGE_SIZES[options.page_size], "columns": options.columns,
        "footer_verify": css_string(" · ".join(verify)) if verify else '""',
        "page_label": _("Page %(page)s of %(pages)s") % {"page": marker_page,
                                                           "pages": marker_pages},
        "markers": (marker_page, marker_pages),
        "header": css_string(options.watermark.strip()) if options.watermark.strip() else "",
    }
    return _Job(language=language, doc=doc, page=page, logo=document.logo, attachment=b"",
                created=issued)


def _translation_note(document: PdfDocument, language: str) -> list[str]:
    """A translation's first-page note: what it translates, and that the signatories signed
    the authoritative text (and whether that text changed since)."""
    original = document.translates
    if original is None:
        return []
    _ = _translations(language).gettext
    try:
        name = Locale.parse(_locale(original.language)).get_display_name(_locale(language))
    except _UNKNOWN_LOCALE:
        name = original.language
    lines = [_("Translation of the authoritative text in %(language)s, version %(version)s "
               "(SHA-256 %(digest)s). The signatories signed the authoritative text.") % {
                   "language": name, "version": _format_number(original.version, language),
                   "digest": original.text_sha256}]
    if original.outdated:
        lines.append(_("The authoritative text has changed since this translation was made: "
                       "where they differ, the authoritative text prevails."))
    return lines


def _earlier_sections(document: PdfDocument, language: str) -> list[_EarlierSection]:
    """The sections of signatories of earlier versions: heading, note and list items (no
    group headings; the detail line is "City, Country")."""
    _ = _translations(language).gettext
    ngettext = _translations(language).ngettext
    default = text_direction(language)
    sections: list[_EarlierSection] = []
    for group in document.earlier:
        if not group.signatories:
            continue
        count = len(group.signatories)
        lines = {
            "heading": _("Signed version %(old)s (SHA-256 %(digest)s…), not yet re-confirmed "
                         "for version %(new)s") % {"old": group.version,
                                                  "digest": group.text_sha256[:12],
                                                  "new": document.version},
            "note": ngettext(
                "%(num)s signatory signed version %(old)s of the text and has not yet "
                "confirmed the text printed here (version %(new)s). Not counted among the "
                "signatories above.",
                "%(num)s signatories signed version %(old)s of the text and have not yet "
                "confirmed the text printed here (version %(new)s). Not counted among the "
                "signatories above.", count) % {"num": _format_number(count, language),
                                                 "old": group.version, "new": document.version},
            "digest": _("SHA-256 of the text of version %(old)s: %(digest)s") % {
                "old": group.version, "digest": group.text_sha256},
        }
        sections.append({
            "heading": lines["heading"], "note": lines["note"], "digest": lines["digest"],
            "items": [("", "", *_entry(s, "none", language, default))
                      for s in group.signatories],
            # WeasyPrint has no dir="auto": the direction of each line, as for the entries
            "dirs": {key: _direction(text, default) for key, text in lines.items()},
        })
    return sections


def _prepare(document: PdfDocument, signatories: Sequence[Signatory],
             options: RenderOptions) -> _Job:
    """Everything needed to render the whole document (its list in print order)."""
    job = _base_job(document, len(signatories), options)
    items, ordered = _items(signatories, options, job.language)
    return dataclasses.replace(job, items=items,
                               attachment=public_signatory_json(ordered, _locale(job.language)))


def _page_content(job: _Job, total: int | None) -> str:
    """The CSS ``content`` of the page-number margin box: "Page X of Y", translated,
    with Y written literally when it is known (chunks) or ``counter(pages)``."""
    marker_page, marker_pages = job.page["markers"]
    parts = []
    for token in re.split(f"({re.escape(marker_page)}|{re.escape(marker_pages)})",
                          job.page["page_label"]):
        style = counter_style(job.language)
        if token == marker_page:
            parts.append(f"counter(page, {style})")
        elif token == marker_pages:
            parts.append(css_string(native_digits(str(total), job.language)) if total is not None
                         else f"counter(pages, {style})")
        elif token:
            parts.append(css_string(token))
    return " ".join(parts) or '""'


def _html(job: _Job, *, front: bool, end: bool, blocks: Sequence[Block],
          counter_start: int = 0, total: int | None = None, column_width: float | None = None,
          column_gap: float | None = None, probe: Sequence[Item] | None = None,
          closing: str = "") -> str:
    """The document (or a chunk) as HTML. ``closing``: how the closing section (press
    contact, version, fingerprints) is laid out when it would otherwise stand alone on the
    last page: "compact" (tighter, to fit on the page before) or "keep" (it takes the end of
    the list with it)."""
    doc = dict(job.doc, body_html=Markup(job.doc["body_html"]), qr_svg=Markup(job.doc["qr_svg"]))
    numbers = _page_content(job, total)
    verify = job.page["footer_verify"]
    rtl = job.doc["dir"] == "rtl"
    page = {
        "size": job.page["size"], "columns": job.page["columns"],
        "footer_left": Markup(numbers if rtl else verify),
        "footer_right": Markup(verify if rtl else numbers),
        "header": Markup(job.page["header"]) if job.page["header"] else "",
        "counter_start": counter_start,
        "column_width": f"{column_width!r}px" if column_width is not None else "",
        # a hair less than the real gap: floats that add up to the full width exactly
        # may not fit after rounding (the last one would drop to the next page)
        "column_gap": f"{column_gap - 0.01!r}px" if column_gap is not None else "",
        "gap_side": "margin-right" if rtl else "margin-left",
    }
    template = _environment(job.language).get_template("pdf/statement.html")
    return template.render(doc=doc, page=page, front=front, end=end, blocks=blocks,
                           probe=probe, closing=closing)
