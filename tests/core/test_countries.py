"""Tests for cosign.core.countries: ISO 3166-1 codes and names from babel."""

import unicodedata

import pytest

from cosign.core.countries import country_choices, country_name, is_country, parse_country


def test_country_choices_codes() -> None:
    codes = [code for code, _ in country_choices()]
    assert len(codes) == len(set(codes)) == 250  # 249 assigned ISO codes + XK
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in codes)
    for code in ("IQ", "GB", "US", "PS", "XK", "SY", "AQ", "TW"):
        assert code in codes
    excluded = ("EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "AC", "CP", "CQ", "DG", "EA", "IC", "TA")
    for code in excluded:
        assert code not in codes


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@pytest.mark.parametrize("locale", ["en", "ar", "fr", "de", "ckb", "pt-BR", "zh_Hant"])
def test_country_choices_sorted_and_localised(locale: str) -> None:
    choices = country_choices(locale)
    assert len(choices) == 250
    names = [name for _, name in choices]
    assert names == sorted(names, key=_fold)
    assert {code for code, _ in choices} == {code for code, _ in country_choices()}


def test_country_choices_english_order() -> None:
    names = [name for _, name in country_choices("en")]
    assert names[:2] == ["Afghanistan", "Åland Islands"]
    assert names[-1] == "Zimbabwe"


def test_country_choices_returns_a_fresh_list() -> None:
    country_choices().clear()
    assert country_choices()


def test_country_choices_unknown_locale_is_english() -> None:
    assert country_choices("xx-YY") == country_choices("en")


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        ("IQ", "en", "Iraq"),
        ("IQ", "ar", "العراق"),
        ("DE", "fr", "Allemagne"),
        ("XK", "en", "Kosovo"),
        ("QQ", "en", "QQ"),
        ("EU", "en", "EU"),
        ("iq", "en", "iq"),
        ("", "en", ""),
        ("IQ", "xx", "Iraq"),
    ],
)
def test_country_name(code: str, locale: str, expected: str) -> None:
    assert country_name(code, locale) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("IQ", True), ("XK", True), ("PS", True), ("iq", False), ("EU", False), ("ZZ", False),
     ("IRQ", False), ("", False)],
)
def test_is_country(code: str, expected: bool) -> None:
    assert is_country(code) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("iq", "IQ"),
        ("IQ", "IQ"),
        (" Iq ", "IQ"),
        ("Iraq", "IQ"),
        ("iraq", "IQ"),
        ("IRAQ ", "IQ"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("United States of America", "US"),
        ("The Netherlands", "NL"),
        ("Côte d’Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Bosnia and Herzegovina", "BA"),
        ("Bosnia & Herzegovina", "BA"),
        ("Saint Lucia", "LC"),
        ("St. Lucia", "LC"),
        ("Sao Tome and Principe", "ST"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Palestine", "PS"),
        ("Palestinian Territories", "PS"),
        ("Kosovo", "XK"),
        ("Syria", "SY"),
        ("Korea, Republic of", "KR"),
    ],
)
def test_parse_country(value: str, expected: str) -> None:
    assert parse_country(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", "EU", "zz", "XA", "AC", "Atlantis", "!!!", "\u202e", "Iraq\x00land", "IRQ"],
)
def test_parse_country_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="is not a country"):
        parse_country(value)
