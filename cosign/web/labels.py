"""Translated labels for stored codes (status, role, audit action), for templates."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date
from flask import Flask
from flask_babel import get_locale, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from cosign import audit, embargo
from cosign.core.language import text_direction
from cosign.core.moment import moment
from cosign.models import AuditEvent
from cosign.web import languages

STATUS = {
    "draft": _l("draft"),
    "open": _l("open for signature"),
    "closed": _l("closed"),
    "published": _l("published"),
}
ROLE = {"owner": _l("owner"), "editor": _l("editor")}


def status_label(code: str) -> str:
    return str(STATUS.get(code, code))


def role_label(code: str) -> str:
    return str(ROLE.get(code, code))


def _listed(value: Any) -> str:
    return ", ".join(str(item) for item in value or [])


# how each kind of audit detail (cosign.audit.Arg.kind) is shown
SHOWN_AS: dict[str, Callable[[Any], Any]] = {
    "plain": lambda value: value,
    "text": lambda value: "" if value is None else value,
    "role": lambda value: role_label(value or ""),
    "language": lambda value: languages.language_name(value or ""),
    "list": _listed,
    "moment": lambda value: (value or "").replace("T", " "),
}


def audit_label(event: AuditEvent) -> str:
    """An audit event in the reader's language, worded as :data:`cosign.audit.LABELS` says;
    an action no longer recorded shows its code."""
    detail = event.detail
    label = audit.label(event.action, detail)
    if label is None:
        return event.action
    values = {name: SHOWN_AS[arg.kind](detail.get(arg.key)) for name, arg in label.args.items()}
    return gettext(label.text, **values)


def _isolated(text: str, markup: bool = True):
    """A date keeps its own direction inside a sentence of the other direction: in a page, a
    ``<bdi>`` element; in plain text (a flash message), as it is."""
    return Markup("<bdi>%s</bdi>") % text if markup else text


def _moment(value: datetime) -> str:
    """Date and 24-hour time in the page's language (:func:`cosign.core.moment.moment`);
    ``value`` is aware."""
    return moment(value, get_locale() or Locale.parse("en"))


def when(value: datetime | None) -> str:
    """A stored moment (naive UTC) as one consistent, readable label, in the viewer's language
    and time zone: "Nov 22, 2026, 14:05 UTC", or "Nov 22, 2026, 17:05 (Asia/Baghdad)" for a
    coordinator whose account names that zone; isolated (FSI/PDI) so that it reads right
    inside a sentence of the other direction."""
    if value is None:
        return ""
    zone_name = languages.select_timezone()
    if zone_name and zone_name != "UTC":
        try:
            local = embargo.in_zone(value.replace(tzinfo=None) if value.tzinfo else value,
                                    zone_name)
        except embargo.BadTimeZone:
            local = None
        if local is not None:
            return _isolated(_("%(when)s (%(zone)s)", when=_moment(local), zone=zone_name))
    return utc(value)


def utc(value: datetime | None, markup: bool = True) -> str:
    """A stored moment in UTC, whoever looks (public records: the PDF's issue time)."""
    if value is None:
        return ""
    value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return _isolated(_("%(when)s UTC", when=_moment(value)), markup)


def local_time(value: datetime | None, zone_name: str = "UTC", markup: bool = True) -> str:
    """A stored moment (naive UTC) in a coordinator's time zone, with UTC beside it."""
    if value is None:
        return ""
    try:
        local = embargo.in_zone(value, zone_name or "UTC")
    except embargo.BadTimeZone:
        return utc(value, markup)
    if not local.utcoffset():
        return utc(value, markup)
    return _isolated(_("%(local)s %(zone)s (%(utc)s)", local=_moment(local), zone=zone_name,
                       utc=utc(value, False)), markup)


def zoned(value: datetime | None, zone_name: str = "UTC") -> str:
    """A stored moment (naive UTC) in ``zone_name`` alone, the zone named: "3 Nov 2026,
    10:00 (Asia/Baghdad)" (the publication summary shows UTC on a line of its own)."""
    if value is None:
        return ""
    try:
        local = embargo.in_zone(value, zone_name or "UTC")
    except embargo.BadTimeZone:
        return utc(value)
    return _isolated(_("%(when)s (%(zone)s)", when=_moment(local), zone=zone_name))


def text_date(value, language: str | None) -> str:
    """A date printed in a statement's text (its dateline), in the text's own language: an
    English translation says "December 6, 2026" on an Arabic page too."""
    if value is None:
        return ""
    try:
        return format_date(value, "long", locale=(language or "en").replace("-", "_"))
    except (ValueError, LookupError):
        return format_date(value, "long", locale="en")


def bdi(value) -> Markup:
    """User content (a name, an address) isolated from the sentence around it: ``<bdi>``."""
    return Markup("<bdi>%s</bdi>") % value


def text_dir(language: str | None) -> str:
    """``rtl`` or ``ltr`` for a statement's language tag, for ``dir`` attributes."""
    return text_direction(language or "en")


def init_app(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_filter(utc, "utc")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(zoned, "zoned")
    app.add_template_filter(text_dir, "text_dir")
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(text_date, "text_date")

    @app.context_processor
    def _labels():
        locale = str(get_locale() or "en")
        return {"status_label": status_label, "role_label": role_label,
                "audit_label": audit_label, "page_lang": locale.replace("_", "-"),
                "page_dir": text_direction(locale)}
