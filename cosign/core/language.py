"""Language tags of statements: validation, writing direction and choices.

Tags are a pragmatic subset of BCP 47 — language, optional script, optional
region, optional variants — in canonical casing (``zh-Hant-TW``). The
primary language must be one that babel (CLDR) knows.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError, localedata

__all__ = ["COMMON_LANGUAGES", "language_choices", "normalise_language_tag", "text_direction"]

_TAG = re.compile(
    r"(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)",
    re.IGNORECASE,
)
_MEANINGLESS = frozenset({"und", "zxx"})

RTL_LANGUAGES = frozenset(
    {"ar", "arz", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "sdh", "syr", "ug", "ur", "yi"}
)
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg", "Mand"})

COMMON_LANGUAGES: tuple[str, ...] = (
    "am", "ar", "bn", "ckb", "cs", "da", "de", "el", "en", "es", "fa", "fi",
    "fr", "ha", "he", "hi", "hu", "id", "it", "ja", "ko", "ku", "ms", "nb",
    "nl", "pl", "ps", "pt", "ro", "ru", "so", "sv", "sw", "ti", "tl", "tr",
    "uk", "ur", "vi", "yo", "zh",
)


@lru_cache(maxsize=1)
def _english_language_names() -> frozenset[str]:
    return frozenset(Locale("en").languages)


def _known_language(language: str) -> bool:
    return localedata.exists(language) or language in _english_language_names()


def normalise_language_tag(tag: str) -> str:
    """Check ``tag`` and return it in canonical casing.

    ``"EN-gb"`` → ``"en-GB"``, ``"zh-hant-tw"`` → ``"zh-Hant-TW"``,
    ``"en_GB"`` → ``"en-GB"``. Raises :class:`ValueError` with an English
    message when the tag is malformed or its language is unknown.
    """
    cleaned = tag.strip().replace("_", "-")
    match = _TAG.fullmatch(cleaned)
    if match is None:
        raise ValueError(
            f"{tag!r} is not a language tag; use a code such as 'en', 'ar' or 'pt-BR'."
        )
    language = match["language"].lower()
    if language in _MEANINGLESS or not _known_language(language):
        raise ValueError(f"{language!r} is not a known language code.")
    parts = [language]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts.extend(variant.lower() for variant in match["variants"].split("-") if variant)
    return "-".join(parts)


def text_direction(tag: str) -> str:
    """``"rtl"`` or ``"ltr"`` for a language tag (lenient about its form).

    An explicit script decides (``ku-Arab`` is rtl, ``ku-Latn`` ltr);
    otherwise the language's usual script does.
    """
    parts = tag.strip().replace("_", "-").split("-")
    scripts = [part.title() for part in parts[1:] if len(part) == 4 and part.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in RTL_SCRIPTS else "ltr"
    return "rtl" if parts[0].lower() in RTL_LANGUAGES else "ltr"


def _display_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def language_choices(locale: str = "en") -> list[tuple[str, str]]:
    """``(tag, display name)`` for common languages, sorted by display name.

    Names are in ``locale`` (English if babel does not know it), with the
    first letter upper-cased for use in a menu.
    """
    names = _display_locale(locale).languages
    english = Locale("en").languages
    choices = []
    for code in COMMON_LANGUAGES:
        name = names.get(code) or english.get(code) or code
        choices.append((code, name[:1].upper() + name[1:]))
    return sorted(choices, key=lambda choice: (choice[1].casefold(), choice[0]))
