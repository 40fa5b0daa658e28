"""The PDF's words and numbers in the document's language: the message catalogues and
the template environment that uses them, dates, counts and digits, and the headings
of organisation types.

Arabic-script documents print Arabic-Indic digits in their labels, dates and counts
("صفحة ١ من ٣"); codes, fingerprints and addresses stay Latin.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cosign.core.pdf.version import TEMPLATES, TRANSLATIONS

# what babel raises for a language it does not know or cannot parse ("zz", "en_", "a b")
_UNKNOWN_LOCALE = (UnknownLocaleError, ValueError)


def _locale(language: str) -> str:
    return (language or "en").replace("-", "_")


@lru_cache(maxsize=16)
def _translations(language: str) -> NullTranslations:
    """The PDF's catalogue in ``language`` (a :class:`Translations`), else English (a
    :class:`NullTranslations`)."""
    translations = Translations.load(str(TRANSLATIONS), [_locale(language)])
    return translations if isinstance(translations, Translations) else NullTranslations()


@lru_cache(maxsize=16)
def _environment(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(enabled_extensions=("html",)),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        _translations(language), newstyle=True)
    return env


# --- digits ------------------------------------------------------------------------------

_NATIVE_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}
_COUNTER_STYLES = {"arab": "arabic-indic", "arabext": "persian"}


@lru_cache(maxsize=32)
def _numbering(language: str) -> str:
    """The numbering system of the document's labels: the language's own (CLDR), and
    Arabic-Indic for Arabic, whose CLDR default is Latin digits in some regions."""
    try:
        system = Locale.parse(_locale(language)).default_numbering_system
    except _UNKNOWN_LOCALE:
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
    try:
        text = format_date(value, format="long", locale=_locale(language))
    except _UNKNOWN_LOCALE:  # unknown to babel: English
        return format_date(value, format="long", locale="en")
    return native_digits(text, language)


def _format_number(value: int, language: str) -> str:
    try:
        return native_digits(format_decimal(value, locale=_locale(language)), language)
    except _UNKNOWN_LOCALE:
        return f"{value:,}"


# --- labels ------------------------------------------------------------------------------

def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is used."""
    return message


TYPE_LABELS = {
    "ngo": N_("Non-governmental organisations"), "party": N_("Political parties"),
    "union": N_("Trade unions"), "association": N_("Associations"), "media": N_("Media"),
    "academic": N_("Academic institutions"), "faith": N_("Faith groups"),
    "individual": N_("Individuals"), "other": N_("Other organisations"),
}
