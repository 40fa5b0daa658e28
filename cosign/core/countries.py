"""Countries: ISO 3166-1 alpha-2 codes with names from babel (CLDR).

The list is every officially assigned ISO 3166-1 alpha-2 code that babel
names, plus Kosovo (``XK``, user-assigned but in general use). Aggregates
(``EU``, ``EZ``, ``UN``, ``QO``), CLDR pseudo-regions (``XA``, ``XB``,
``ZZ``) and the exceptionally reserved codes of places that belong to an
assigned code (``AC`` Ascension, ``CP``, ``CQ``, ``DG``, ``EA``, ``IC``,
``TA``) are left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import cast

from babel import Locale, UnknownLocaleError

from cosign.core.names import InvalidName, name_key

__all__ = ["country_choices", "country_name", "is_country", "parse_country"]

_NOT_COUNTRIES = frozenset({
    "EU", "EZ", "UN", "QO", "XA", "XB", "ZZ",
    "AC", "CP", "CQ", "DG", "EA", "IC", "TA",
})
# Common English names that differ from CLDR's (matched as parse_country does).
_ALIASES = {
    "UK": "GB", "Great Britain": "GB", "Britain": "GB",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "USA": "US", "United States of America": "US",
    "UAE": "AE", "Turkey": "TR", "Czech Republic": "CZ", "Ivory Coast": "CI",
    "Palestine": "PS", "State of Palestine": "PS", "Burma": "MM",
    "Russian Federation": "RU", "Syrian Arab Republic": "SY",
    "Iran, Islamic Republic of": "IR", "Islamic Republic of Iran": "IR",
    "Republic of Korea": "KR", "Korea, Republic of": "KR",
    "Democratic People's Republic of Korea": "KP", "DPRK": "KP",
    "Democratic Republic of the Congo": "CD", "DR Congo": "CD", "DRC": "CD",
    "Congo": "CG", "Republic of the Congo": "CG",
    "Swaziland": "SZ", "Macedonia": "MK", "Cabo Verde": "CV",
    "Holy See": "VA", "Vatican": "VA", "East Timor": "TL", "Viet Nam": "VN",
    "Lao People's Democratic Republic": "LA", "Brunei Darussalam": "BN",
    "United Republic of Tanzania": "TZ", "Hong Kong": "HK", "Macao": "MO",
    "Macau": "MO", "Republic of Moldova": "MD", "Moldova, Republic of": "MD",
    "Bolivia, Plurinational State of": "BO",
    "Venezuela, Bolivarian Republic of": "VE",
}


def _territories(locale: Locale) -> Mapping[str, str]:
    """CLDR's territory names by code (babel types the mapping's keys and values loosely)."""
    return cast("Mapping[str, str]", locale.territories)


@lru_cache(maxsize=1)
def _codes() -> frozenset[str]:
    return frozenset(
        code
        for code in _territories(Locale("en"))
        if len(code) == 2 and code.isascii() and code.isupper() and code not in _NOT_COUNTRIES
    )


@lru_cache(maxsize=32)
def _names(locale: str) -> dict[str, str]:
    names: Mapping[str, str]
    try:
        names = _territories(Locale.parse(locale.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        names = {}
    english = _territories(Locale("en"))
    return {code: names.get(code) or english.get(code) or code for code in _codes()}


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=32)
def _choices(locale: str) -> tuple[tuple[str, str], ...]:
    names = _names(locale)
    return tuple(sorted(names.items(), key=lambda item: (_sort_key(item[1]), item[0])))


def country_choices(locale: str = "en") -> list[tuple[str, str]]:
    """``(code, name)`` for every country, sorted by name in ``locale``.

    Names come from babel in ``locale`` (English where babel has none, or
    for an unknown locale); the sort ignores case and accents.
    """
    return list(_choices(locale))


def is_country(code: str) -> bool:
    """Whether ``code`` is one of the country codes offered (upper case)."""
    return code in _codes()


def country_name(code: str, locale: str = "en") -> str:
    """The name of country ``code`` in ``locale``; an unknown code is returned as is."""
    return _names(locale).get(code, code)


def _normalise(value: str) -> str:
    key = name_key(value)
    return " ".join("saint" if word == "st" else word for word in key.split(" "))


@lru_cache(maxsize=1)
def _english_lookup() -> dict[str, str]:
    lookup = {_normalise(alias): code for alias, code in _ALIASES.items()}
    lookup.update((_normalise(name), code) for code, name in _names("en").items())
    return lookup


def parse_country(value: str) -> str:
    """The ISO code for a code (``"iq"``, ``"IQ"``) or an English name (``"Iraq"``).

    Names are matched ignoring case, accents, punctuation, ``&``/``and``,
    ``St.``/``Saint`` and a leading "The"; common alternatives (``"UK"``,
    ``"USA"``, ``"Turkey"``, ``"Palestine"``, ``"Ivory Coast"``) are known.
    Raises :class:`ValueError` with an English message otherwise.
    """
    stripped = value.strip()
    if len(stripped) == 2 and stripped.isascii() and stripped.isalpha():
        code = stripped.upper()
        if is_country(code):
            return code
    found: str | None
    try:
        found = _english_lookup().get(_normalise(stripped))
    except InvalidName:
        found = None
    if found is None:
        raise ValueError(
            f"{value!r} is not a country; use a two-letter ISO code such as 'IQ'"
            " or an English name such as 'Iraq'."
        )
    return found
