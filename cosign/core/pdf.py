"""The printed statement: a PDF of the text and its signatories (WeasyPrint).

:func:`render_statement` lays out ``templates/pdf/statement.html`` with
``static/css/print.css``: letterhead (coalition, logo, place and date, a QR
code of the verification URL), title, text, "Signatories (N)" in two or
three columns, the press contact; "Page X of Y" and the verification line
on every page; the public signatory list attached as ``signatories.json``.

Safety: every WeasyPrint call goes through
:func:`cosign.core.pdf_fetcher.run_weasyprint`, with one ``SafeFetcher`` that
serves only ``cosign-static:css/print.css`` and the logo (``cosign-logo:``)
and refuses everything else (``file:``, ``data:``, ``http(s):``, relative
URLs); attachments declared in the HTML are dropped before the PDF is written.

Isolation: renders run in a small pool of worker processes (spawn start
method) with an address-space limit and a time limit; a render that times
out, runs out of memory or crashes its worker raises :class:`RenderError`
and the pool is replaced, so the next render works.

Speed: short lists are rendered as one document. Long ones are planned page
by page (:mod:`cosign.core.pagination`), rendered in chunks of about 16 pages
in parallel, and joined with pypdf (see NOTES.md for the measurements).

Use: ``render_statement(document, signatories, options)`` runs in the
default pool (2 workers, 120 s, 1.5 GB each), started on first use;
``configure(...)`` changes those limits, ``default_pool().start()`` warms the
workers ahead of time, ``shutdown()`` stops them (also at exit). Worker
processes are spawned, so a script calling this must guard its entry point
with ``if __name__ == "__main__":``. The cache key of a PDF should include
:data:`TEMPLATE_VERSION` and the :class:`RenderOptions`.
"""
from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import gc
import io
import json
import logging
import multiprocessing
import os
import re
import threading
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from cosign.core.countries import country_name
from cosign.core.language import text_direction
from cosign.core.markdown import render_markdown
from cosign.core.ordering import GROUPINGS, ORDERS, group_signatories
from cosign.core.pagination import (Geometry, chunk_blocks, first_item_fits, measure, plan,
                                     read_layout, split_chunks)
from cosign.core.pdf_fetcher import SafeFetcher, html_to_pdf  # noqa: F401 (html_to_pdf: API)
from cosign.core.pdf_fetcher import logo_type as _logo_type
from cosign.core.pdf_fetcher import run_weasyprint as _weasyprint
from cosign.core.signatory import Signatory

__all__ = ["TEMPLATE_VERSION", "EarlierSigners", "PdfDocument", "RenderError", "RenderOptions",
           "RenderPool", "SafeFetcher", "configure", "html_to_pdf", "public_signatory_json",
           "render_naive", "render_statement", "shutdown"]

LOG = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "cosign" / "translations"
# Part of the cache key of a rendered PDF (with the text revision and the ordered list):
# changes with the template and the stylesheet by itself; bump the number when this
# module's output changes.
_LAYOUT_REVISION = 2  # 2: labels in the document's language and digits, translations


def _template_version() -> str:
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for path in (TEMPLATES / "pdf" / "statement.html", ROOT / "static" / "css" / "print.css"):
        digest.update(path.read_bytes())
    # the PDF's labels come from the catalogues: a changed label is a changed PDF (the
    # entries used by the PDF only, so other new strings cause no re-render)
    for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        for entry in path.read_text(encoding="utf-8").split("\n\n"):
            if "templates/pdf/" in entry or "cosign/core/pdf.py" in entry:
                digest.update(entry.encode())
    try:
        digest.update(f"weasyprint {version('weasyprint')}".encode())
    except PackageNotFoundError:  # pragma: no cover
        pass
    return f"pdf-{_LAYOUT_REVISION}-{digest.hexdigest()[:12]}"


TEMPLATE_VERSION = _template_version()


DEFAULT_WORKERS = 2
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_LIMIT = 1536 * 1024 * 1024
CHUNK_THRESHOLD = 200      # signatories: fewer are rendered as one document
PAGES_PER_CHUNK = 16
PROBE_COST = 700           # items measured in the time the front matter is laid out
PAGE_SIZES = {"A4": "A4", "Letter": "letter"}


class RenderError(Exception):
    """A render that failed (time limit, memory limit, crash or bad input)."""


@dataclass(frozen=True)
class EarlierSigners:
    """Signatories bound to an earlier text ``version`` (SHA-256 ``text_sha256``) who have
    not re-confirmed the printed one: printed after the list in a section of their own,
    headed with that version and hash, never counted."""

    version: int
    text_sha256: str
    signatories: tuple[Signatory, ...] = ()


@dataclass(frozen=True)
class PdfDocument:
    title: str
    body: str                 # Markdown
    coalition: str = ""
    place: str = ""
    date: dt.date | None = None
    language: str = "en"      # BCP 47
    press_name: str = ""
    press_email: str = ""     # the coalition's public press contact (printed at the end)
    press_phone: str = ""
    version: int = 1          # text version number
    text_sha256: str = ""     # SHA-256 of the signed text
    logo: bytes | None = None  # PNG or SVG bytes of the coalition's logo, optional
    earlier: tuple[EarlierSigners, ...] = ()  # after the list, newest version first
    translates: "Original | None" = None  # a translation: the authoritative text it renders


@dataclass(frozen=True)
class Original:
    """The authoritative text a translation's PDF renders (printed on its first page)."""

    language: str
    version: int
    text_sha256: str
    outdated: bool = False  # the authoritative text changed since the translation was made


@dataclass(frozen=True)
class RenderOptions:
    page_size: str = "A4"            # or "Letter"
    columns: int = 2                 # 2 or 3
    grouping: str = "none"           # "none", "country", "type"
    order: str = "alphabetical"      # "alphabetical", "as-given"
    verification_code: str = ""      # printed in every footer with verification_url
    verification_url: str = ""       # page 1 carries a QR code of it
    issued_at: dt.datetime | None = None
    watermark: str = ""              # e.g. "EMBARGOED UNTIL 2026-12-01 09:00 UTC"
    site_name: str = "cosign"


# --- the HTML -----------------------------------------------------------------------

def _locale(language: str) -> str:
    return (language or "en").replace("-", "_")


@lru_cache(maxsize=16)
def _translations(language: str):
    from babel.support import NullTranslations, Translations

    translations = Translations.load(str(TRANSLATIONS), [_locale(language)])
    return translations if isinstance(translations, Translations) else NullTranslations()


@lru_cache(maxsize=16)
def _environment(language: str):
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(enabled_extensions=("html",)),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore
    return env


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


# Digits of the document's language: Arabic-script documents print Arabic-Indic digits in
# their labels, dates and counts ("صفحة ١ من ٣"); codes, fingerprints and addresses stay Latin.
_NATIVE_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}
_COUNTER_STYLES = {"arab": "arabic-indic", "arabext": "persian"}


@lru_cache(maxsize=32)
def _numbering(language: str) -> str:
    """The numbering system of the document's labels: the language's own (CLDR), and
    Arabic-Indic for Arabic, whose CLDR default is Latin digits in some regions."""
    from babel import Locale

    try:
        system = Locale.parse(_locale(language)).default_numbering_system
    except Exception:
        return "latn"
    if system == "latn" and _locale(language).split("_")[0] == "ar":
        return "arab"
    return system if system in _NATIVE_DIGITS else "latn"


def native_digits(text: str, language: str) -> str:
    """``text`` with its ASCII digits written in the language's digits."""
    digits = _NATIVE_DIGITS.get(_numbering(language))
    return text.translate(str.maketrans("0123456789", digits)) if digits else text


def counter_style(language: str) -> str:
    """The CSS counter style of page numbers in the language."""
    return _COUNTER_STYLES.get(_numbering(language), "decimal")


def _format_date(value: dt.date, language: str) -> str:
    from babel.dates import format_date

    try:
        text = format_date(value, format="long", locale=_locale(language))
    except Exception:  # unknown to babel: English
        return format_date(value, format="long", locale="en")
    return native_digits(text, language)


def _format_number(value: int, language: str) -> str:
    from babel.numbers import format_decimal

    try:
        return native_digits(format_decimal(value, locale=_locale(language)), language)
    except Exception:
        return f"{value:,}"


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is used."""
    return message


TYPE_LABELS = {
    "ngo": N_("Non-governmental organisations"), "party": N_("Political parties"),
    "union": N_("Trade unions"), "association": N_("Associations"), "media": N_("Media"),
    "academic": N_("Academic institutions"), "faith": N_("Faith groups"),
    "individual": N_("Individuals"), "other": N_("Other organisations"),
}


def _heading(key: str, grouping: str, language: str, default: str) -> tuple[str, str]:
    """``(text, direction)`` of a group heading (a country code or a type)."""
    if grouping == "country":
        text = country_name(key, _locale(language))
    else:
        text = _translations(language).gettext(TYPE_LABELS.get(key, TYPE_LABELS["other"]))
    return text, _direction(text, default)


def _entry(signatory: Signatory, grouping: str, language: str, default: str) -> tuple:
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
           ) -> tuple[list[tuple], list[Signatory]]:
    """List items ``(group, its dir, name, its dir, detail, its dir, withheld)`` in
    print order (a group's first item carries its heading) and the signatories in
    that order."""
    default = text_direction(language)
    headings: dict[str, tuple[str, str]] = {}
    items: list[tuple] = []
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
    return f"[\n{lines}\n]\n".encode("utf-8") if records else b"[]\n"


def _qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(dark="#1f1e1c", scale=1, border=0,
                                                 omitsize=True)


@dataclass
class _Job:
    """Everything a worker needs to write the HTML of the document or a chunk."""

    language: str
    doc: dict
    page: dict
    logo: bytes | None
    attachment: bytes
    created: dt.datetime | None
    items: list = dataclasses.field(default_factory=list)

    def layout_key(self) -> tuple:
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
    if document.logo is not None and _logo_type(document.logo) is None:
        raise RenderError("the logo must be a PNG, JPEG or SVG image")


def _base_job(document: PdfDocument, count: int, options: RenderOptions) -> _Job:
    """The document's fixed parts (no list yet); ``count`` signatories."""
    _validate(document, options)
    language = document.language or "en"
    _ = _translations(language).gettext
    issued = options.issued_at
    if issued is not None and issued.tzinfo is None:
        issued = issued.replace(tzinfo=dt.timezone.utc)
    place_date = [part for part in (document.place.strip(),
                                    _format_date(document.date, language) if document.date
                                    else "") if part]
    dateline = (_("%(place)s, %(date)s") % {"place": place_date[0], "date": place_date[1]}
                if len(place_date) == 2 else "".join(place_date))
    verify = []
    if options.verification_code:
        verify.append(_("Verification code %(code)s") % {"code": options.verification_code})
    if options.verification_url:
        verify.append(options.verification_url)
    marker_page, marker_pages = "\x00P\x00", "\x00T\x00"
    # labels come in the document's language when cosign has its catalogue, else in English,
    # laid out left to right even in a right-to-left document
    from babel.support import Translations

    label_lang = language if isinstance(_translations(language), Translations) else "en"
    doc = {
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
        "issued": _format_date((issued or dt.datetime.now(dt.timezone.utc)).date(), language),
        "site_name": options.site_name, "text_sha256": document.text_sha256,
        "verification_url": options.verification_url,
        "qr_svg": _qr_svg(options.verification_url) if options.verification_url else "",
        "watermark": options.watermark.strip(), "logo": document.logo is not None,
    }
    page = {
        "size": PAGE_SIZES[options.page_size], "columns": options.columns,
        "footer_verify": css_string(" · ".join(verify)) if verify else '""',
        "page_label": _("Page %(page)s of %(pages)s") % {"page": marker_page,
                                                           "pages": marker_pages},
        "markers": (marker_page, marker_pages),
        "header": css_string(options.watermark.strip()) if options.watermark.strip() else "",
    }
    doc["earlier"] = _earlier_sections(document, language)
    doc["translation_note"] = _translation_note(document, label_lang)
    return _Job(language=language, doc=doc, page=page, logo=document.logo, attachment=b"",
                created=issued)


def _translation_note(document: PdfDocument, language: str) -> list[str]:
    """A translation's first-page note: what it translates, and that the signatories signed
    the authoritative text (and whether that text changed since)."""
    original = document.translates
    if original is None:
        return []
    from babel import Locale

    _ = _translations(language).gettext
    try:
        name = Locale.parse(_locale(original.language)).get_display_name(_locale(language))
    except Exception:
        name = original.language
    lines = [_("Translation of the authoritative text in %(language)s, version %(version)s "
               "(SHA-256 %(digest)s). The signatories signed the authoritative text.") % {
                   "language": name, "version": _format_number(original.version, language),
                   "digest": original.text_sha256}]
    if original.outdated:
        lines.append(_("The authoritative text has changed since this translation was made: "
                       "where they differ, the authoritative text prevails."))
    return lines


def _earlier_sections(document: PdfDocument, language: str) -> list[dict]:
    """The sections of signatories of earlier versions: heading, note and list items (no
    group headings; the detail line is "City, Country")."""
    _ = _translations(language).gettext
    ngettext = _translations(language).ngettext
    default = text_direction(language)
    sections = []
    for group in document.earlier:
        if not group.signatories:
            continue
        count = len(group.signatories)
        sections.append({
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
            "items": [("", "", *_entry(s, "none", language, default))
                      for s in group.signatories],
        })
        # WeasyPrint has no dir="auto": the direction of each line, as for the entries
        sections[-1]["dirs"] = {key: _direction(sections[-1][key], default)
                                for key in ("heading", "note", "digest")}
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


def _html(job: _Job, *, front: bool, end: bool, blocks: list[dict], counter_start: int = 0,
          total: int | None = None, column_width: float | None = None,
          column_gap: float | None = None, probe: list | None = None) -> str:
    from markupsafe import Markup

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
                           probe=probe)


# --- work done in the worker processes ----------------------------------------------

_WORKER: dict[Any, Any] = {}
_SAMPLES = [  # one item of each kind and direction, for the measuring styles
    ("Sample group", "ltr", "Sample name", "ltr", "Sample country", "ltr", False),
    ("عينة", "rtl", "اسم العينة", "rtl", "بلد", "rtl", False),
    ("", "", "Sample withheld", "ltr", "", "", True),
    ("", "", "عينة محجوبة", "rtl", "", "", True),
]
_WARM_HTML = """<html lang="en"><head><link rel="stylesheet" href="cosign-static:css/print.css">
</head><body><p>Warm <b>up</b> <i>fonts</i> جمعية النور لحقوق الإنسان ڕێکخراو سازمان</p>
<div class="names cols-2"><div class="e">A<div class="c">B</div></div></div></body></html>"""


def _rss_mb(pid: int | None) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this render process when its parent dies, even by
    ``kill -9`` (a worker killed mid-render leaves no orphan render processes)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _worker_init(memory_limit: int | None, parent: int | None = None) -> None:
    """Pool initializer: dies with its parent, limits, WeasyPrint loaded once, fonts
    warmed, gc frozen."""
    if parent is not None:
        _die_with_parent(parent)
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    import weasyprint  # noqa: F401

    _weasyprint(_WARM_HTML, SafeFetcher())
    gc.collect()
    gc.freeze()
    gc.disable()


def _begin_task() -> None:
    """Collect the previous task's garbage (the frozen start-up heap is skipped) and
    keep the collector off during this one: full collections over a growing box tree
    cost more than the render itself (NOTES.md)."""
    gc.collect()
    gc.disable()


def _sample_layout(job: _Job) -> dict:
    """Column geometry and measuring styles for ``job``'s layout (cached per worker)."""
    key = job.layout_key()
    cached = _WORKER.get(key)
    if cached is None:
        html = _html(job, front=False, end=False, blocks=[], probe=_SAMPLES)
        document = _weasyprint(html, SafeFetcher(job.logo), layout_only=True)
        cached = _WORKER[key] = read_layout(document, job.page["columns"])
        cached["document"] = document  # keeps the styles' font configuration alive
    return cached


def _measured(info: dict, entries: list, headings: list) -> dict:
    measurer = info["measurer"]
    return {"heights": measure(measurer, entries),
            "headings": [measurer.cached_block("g", direction, text)
                         for text, direction in headings]}


def _task_measure(job: _Job, entries: list, headings: list) -> dict:
    """Heights of list items and of group headings ``(text, direction)``."""
    _begin_task()
    return _measured(_sample_layout(job), entries, headings)


def _task_front(job: _Job, entries: list, headings: list) -> dict:
    """Lay out the front matter with ``job.items[:1]`` as the list to find where the
    list starts and what follows it; then measure like :func:`_task_measure`."""
    _begin_task()
    html = _html(job, front=True, end=True, probe=_SAMPLES,
                 blocks=[{"columns": None, "entries": job.items[:1], "next": False}])
    document = _weasyprint(html, SafeFetcher(job.logo), layout_only=True)
    info = read_layout(document, job.page["columns"])
    _WORKER.setdefault(job.layout_key(), dict(info, document=document))
    front_pages, first_top = info["list_start"]
    press_gap, press_height = info.get("press", (0.0, 0.0))
    return dict(_measured(info, entries, headings), front_pages=front_pages,
                first_top=first_top, top=info["top"], bottom=info["bottom"],
                width=info["width"], gap=info["gap"], margin=info["margin"],
                press_gap=press_gap, press_height=press_height)


def _task_render(job: _Job, front: bool, end: bool, blocks: list[dict], counter_start: int,
                 total: int | None, column_width: float | None, column_gap: float | None,
                 attach: bool) -> tuple[bytes, int]:
    """One chunk, or the whole document: ``(pdf, pages)``."""
    started = time.process_time()
    _begin_task()
    html = _html(job, front=front, end=end, blocks=blocks, counter_start=counter_start,
                 total=total, column_width=column_width, column_gap=column_gap)
    pdf, pages = _weasyprint(html, SafeFetcher(job.logo), job.attachment if attach else None,
                             job.created)
    return pdf, pages, time.process_time() - started


def _task_html(html: str, logo: bytes | None) -> tuple[bytes, list[str]]:
    _begin_task()
    fetcher = SafeFetcher(logo)
    pdf, _ = _weasyprint(html, fetcher)
    return pdf, fetcher.requested


def _task_ping() -> int:
    return os.getpid()


# --- the pool -----------------------------------------------------------------------

class RenderPool:
    """Worker processes for rendering, started on first use and reused.

    ``workers`` processes (spawn), each limited to ``memory_limit`` bytes of
    address space; each render limited to ``timeout`` seconds. Thread-safe.
    A failure that may leave a worker in a bad state (time limit, memory,
    crash) replaces the whole pool: renders running at that moment fail too.
    """

    def __init__(self, workers: int = DEFAULT_WORKERS, timeout: float = DEFAULT_TIMEOUT,
                 memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
        self.workers = max(1, int(workers))
        self.timeout = float(timeout)
        self.memory_limit = memory_limit
        self._executor: ProcessPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.timings: dict[str, float] = {}  # of the last render_statement, for benchmarks

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_init, initargs=(self.memory_limit, os.getpid()))
                self._pid = os.getpid()
            return self._executor

    def start(self) -> None:
        """Start and warm every worker now (else the first render does, ≈ 1–2 s)."""
        executor = self.executor()
        futures = [executor.submit(_task_ping) for _ in range(self.workers * 2)]
        self._wait(futures, time.monotonic() + max(self.timeout, 60.0))

    def trim(self, max_rss_mb: float) -> bool:
        """Stop the pool if one of its processes has grown beyond ``max_rss_mb`` (a long
        list leaves tens of MB per thousand names behind in each); the next render
        starts it again. True if it was stopped."""
        with self._lock:
            executor = self._executor
        processes = list((getattr(executor, "_processes", None) or {}).values())
        if not processes or max(_rss_mb(p.pid) for p in processes) <= max_rss_mb:
            return False
        self.shutdown()
        return True

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _replace(self, executor: ProcessPoolExecutor | None) -> None:
        with self._lock:
            if executor is None or self._executor is not executor:
                return
            self._executor = None
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)

    def _wait(self, futures: list, deadline: float, executor=None) -> list:
        executor = executor or self._executor
        results = []
        try:
            for future in futures:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except FutureTimeout:
            self._replace(executor)
            raise RenderError("the PDF render took longer than its time limit and was "
                              "stopped") from None
        except BrokenProcessPool:
            self._replace(executor)
            raise RenderError("the PDF renderer process stopped unexpectedly (out of memory "
                              "or crashed); it has been restarted") from None
        except MemoryError:
            self._replace(executor)
            raise RenderError("the PDF render ran out of memory (limit "
                              f"{(self.memory_limit or 0) // 2**20} MB)") from None
        except RecursionError:
            raise RenderError("the document is nested too deeply to be rendered") from None
        except Exception as exc:
            raise RenderError(f"the PDF render failed: {type(exc).__name__}: {exc}") from exc
        finally:
            for future in futures:
                future.cancel()
        return results

    def run(self, function, *args, deadline: float):
        executor = self.executor()
        return self._wait([executor.submit(function, *args)], deadline, executor)[0]

    def render_html(self, html: str, *, logo: bytes | None = None,
                    timeout: float | None = None) -> tuple[bytes, list[str]]:
        """Raw HTML through the safe fetcher in a worker: ``(pdf, URLs asked for)``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        return self.run(_task_html, html, logo, deadline=deadline)

    def render_naive(self, document: PdfDocument, signatories: Sequence[Signatory],
                     options: RenderOptions = RenderOptions(), *,
                     timeout: float | None = None) -> bytes:
        """The whole document in one WeasyPrint render (the benchmark's baseline)."""
        job = _prepare(document, signatories, options)
        return self._naive(job, time.monotonic() + (timeout or self.timeout))

    def _naive(self, job: _Job, deadline: float) -> bytes:
        blocks = [{"columns": None, "entries": job.items, "next": False}]
        pdf, _, _ = self.run(_task_render, dataclasses.replace(job, items=[]), True, True,
                             blocks, 0, None, None, None, True, deadline=deadline)
        return pdf

    def render_statement(self, document: PdfDocument, signatories: Sequence[Signatory],
                         options: RenderOptions = RenderOptions(), *,
                         timeout: float | None = None) -> bytes:
        """The statement's PDF: one render for short lists, planned chunks for long ones."""
        started = time.monotonic()
        deadline = started + (timeout or self.timeout)
        self.timings = {}
        if len(signatories) < CHUNK_THRESHOLD:
            job = _prepare(document, signatories, options)
            self.timings["prepare"] = time.monotonic() - started
            return self._naive(job, deadline)
        return self._chunked(document, signatories, options, deadline)

    def _chunked(self, document: PdfDocument, signatories: Sequence[Signatory],
                 options: RenderOptions, deadline: float) -> bytes:
        mark = time.monotonic()
        executor = self.executor()
        job = _base_job(document, len(signatories), options)
        language, default = job.language, job.doc["dir"]
        # 1. Measure every distinct entry and group heading in the workers (order does
        #    not matter) while this process sorts the list. The front matter is probed
        #    with a one-line placeholder item; checked below against the real first one.
        unique = list(dict.fromkeys(signatories))
        entries = [("", "", *_entry(s, options.grouping, language, default)) for s in unique]
        keys = sorted({s.country if options.grouping == "country" else s.org_type
                       for s in unique}) if options.grouping != "none" else []
        headings = {key: _heading(key, options.grouping, language, default) for key in keys}
        shares = self.workers
        first = max(0, (len(entries) - PROBE_COST * (shares - 1)) // shares)
        bounds = [0] + [first + round((len(entries) - first) * k / max(1, shares - 1))
                        for k in range(shares)]
        placeholder = ("", "", "A", default, "", "", False)
        futures = [executor.submit(_task_front, dataclasses.replace(job, items=[placeholder]),
                                   entries[:bounds[1]], list(headings.values()))]
        futures += [executor.submit(_task_measure, job, entries[bounds[k]:bounds[k + 1]], [])
                    for k in range(1, shares)]
        index = {signatory: number for number, signatory in enumerate(unique)}
        items, refs, ordered = [], [], []
        for key, members in group_signatories(signatories, options.grouping, options.order,
                                              _locale(language)):
            for position, signatory in enumerate(members):
                heading = headings[key] if key and position == 0 else ("", "")
                items.append((*heading, *entries[index[signatory]][2:]))
                refs.append((index[signatory], key if heading[0] else None))
                ordered.append(signatory)
        job = dataclasses.replace(job, attachment=public_signatory_json(ordered,
                                                                         _locale(language)))
        self.timings["prepare"] = time.monotonic() - mark
        mark = time.monotonic()
        results = self._wait(futures, deadline, executor)
        front = results[0]
        measured = [height for result in results for height in result["heights"]]
        heading_heights = dict(zip(headings, front["headings"]))
        heights = [measured[number] + (heading_heights[key] if key else 0.0)
                   for number, key in refs]
        margin = front["margin"]
        geometry = _geometry(front, options.columns)
        if not first_item_fits(geometry, heights[0], margin):
            # the heading moves to the next page with the first item: probe with it
            again = self._wait([executor.submit(
                _task_front, dataclasses.replace(job, items=items[:1]), [], [])], deadline,
                executor)[0]
            geometry = _geometry(again, options.columns)
        self.timings["measure"] = time.monotonic() - mark
        # 2. Plan the pages and render chunks of them in parallel.
        layout = plan(heights, [margin] * len(items), geometry)
        full = dataclasses.replace(job, items=items)
        if len(layout.pages) < 2:
            return self._naive(full, deadline)
        chunks = split_chunks(layout, self.workers, PAGES_PER_CHUNK)
        total = layout.total_pages
        futures, expected = [], []
        first_page = 1
        for number, (start, end) in enumerate(chunks):
            front_here, last = number == 0, number == len(chunks) - 1
            pages = (end - start) + (layout.front_pages if front_here else 0) + \
                (1 if last and layout.press_on_new_page else 0)
            futures.append(executor.submit(
                _task_render, job, front_here, last, chunk_blocks(layout, items, start, end),
                first_page if number else 0, total, front["width"], front["gap"], front_here))
            expected.append(pages)
            first_page += pages
        mark = time.monotonic()
        rendered = self._wait(futures, deadline, executor)
        self.timings["render"] = time.monotonic() - mark
        self.timings["chunks"] = len(chunks)
        self.timings["render_cpu"] = sum(cpu for _, _, cpu in rendered)
        counts = [count for _, count, _ in rendered]
        if counts != expected:
            LOG.warning("PDF chunk page counts %s differ from the plan %s: rendering the "
                        "statement as one document", counts, expected)
            return self._naive(full, deadline)
        mark = time.monotonic()
        joined = _join([pdf for pdf, _, _ in rendered])
        self.timings["join"] = time.monotonic() - mark
        return joined


def _geometry(front: dict, columns: int) -> Geometry:
    return Geometry(columns=columns, first_top=front["first_top"],
                    front_pages=front["front_pages"], top=front["top"], bottom=front["bottom"],
                    press_gap=front["press_gap"], press_height=front["press_height"])


def _join(pdfs: list[bytes]) -> bytes:
    """Chunks joined into one PDF: the first keeps its metadata, outline and attachment."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdfs[0]))
    for data in pdfs[1:]:
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- module-level API -----------------------------------------------------------------

_POOL: RenderPool | None = None
_POOL_LOCK = threading.Lock()


def configure(workers: int = DEFAULT_WORKERS, timeout: float = DEFAULT_TIMEOUT,
              memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> RenderPool:
    """Replace the default pool's settings (shuts the current pool down)."""
    global _POOL
    with _POOL_LOCK:
        old, _POOL = _POOL, RenderPool(workers, timeout, memory_limit)
        pool = _POOL
    if old is not None:
        old.shutdown()
    return pool


def default_pool() -> RenderPool:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = RenderPool()
        return _POOL


def shutdown() -> None:
    """Stop the default pool's worker processes (a later render starts them again)."""
    with _POOL_LOCK:
        pool = _POOL
    if pool is not None:
        pool.shutdown()


def render_statement(document: PdfDocument, signatories: Sequence[Signatory],
                     options: RenderOptions = RenderOptions(), *,
                     timeout: float | None = None, pool: RenderPool | None = None) -> bytes:
    """The statement's PDF (in the default pool's workers unless ``pool`` is given)."""
    return (pool or default_pool()).render_statement(document, signatories, options,
                                                     timeout=timeout)


def render_naive(document: PdfDocument, signatories: Sequence[Signatory],
                 options: RenderOptions = RenderOptions(), *, timeout: float | None = None,
                 pool: RenderPool | None = None) -> bytes:
    """One WeasyPrint render of the whole document (no chunking): the baseline."""
    return (pool or default_pool()).render_naive(document, signatories, options,
                                                 timeout=timeout)


atexit.register(shutdown)


if __name__ == "__main__":
    # The command line lives in cosign.core.frontmatter (statement files); run it from
    # the module's real name, so that what the worker processes unpickle is
    # cosign.core.pdf and not a second copy of this module in __main__.
    import sys

    from cosign.core.frontmatter import main

    sys.exit(main())
