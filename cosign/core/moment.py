"""A moment as people read it: date and 24-hour time in a language, as CLDR joins them.

Shared by the pages (:mod:`cosign.web.labels`) and the e-mail (:mod:`cosign.mail`). No
Flask, no database.
"""
from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_skeleton


def moment(value: dt.datetime, locale: Locale | str = "en") -> str:
    """"7 Dec 2026, 14:53", "7 ديسمبر 2026، 14:53", "7 déc. 2026, 14:53"; ``value`` is aware
    (it is shown in its own time zone)."""
    locale = Locale.parse(locale) if isinstance(locale, str) else locale
    date = format_skeleton("yMMMd", value, tzinfo=value.tzinfo, locale=locale)
    time = format_skeleton("Hm", value, tzinfo=value.tzinfo, locale=locale)
    pattern = locale.datetime_formats.get("medium")
    pattern = getattr(pattern, "pattern", pattern) or "{1}, {0}"
    return str(pattern).replace("{1}", date).replace("{0}", time)
