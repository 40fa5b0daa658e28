"""Tests for cosign.core.language."""

import pytest

from cosign.core.language import language_choices, normalise_language_tag, text_direction


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("EN-gb", "en-GB"),
        ("en_GB", "en-GB"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("ckb", "ckb"),
        ("ku-arab-iq", "ku-Arab-IQ"),
        ("es-419", "es-419"),
        ("de-DE-1996", "de-DE-1996"),
        (" fr ", "fr"),
        ("sl-ROZAJ-biske", "sl-rozaj-biske"),
    ],
)
def test_normalise_language_tag(tag: str, expected: str) -> None:
    assert normalise_language_tag(tag) == expected


@pytest.mark.parametrize(
    "tag",
    ["english", "e", "", "en-", "en--GB", "en-GB-x-private", "en GB", "12", "en-Latn-Latn"],
)
def test_malformed_tags(tag: str) -> None:
    with pytest.raises(ValueError, match="not a language tag"):
        normalise_language_tag(tag)


@pytest.mark.parametrize("tag", ["xx", "qaa", "und", "zxx-GB"])
def test_unknown_languages(tag: str) -> None:
    with pytest.raises(ValueError, match="not a known language code"):
        normalise_language_tag(tag)


@pytest.mark.parametrize(
    ("tag", "direction"),
    [
        ("ar", "rtl"),
        ("ar-IQ", "rtl"),
        ("fa", "rtl"),
        ("ckb", "rtl"),
        ("he", "rtl"),
        ("ur", "rtl"),
        ("ps", "rtl"),
        ("sd", "rtl"),
        ("ug", "rtl"),
        ("yi", "rtl"),
        ("dv", "rtl"),
        ("ku-Arab", "rtl"),
        ("ku_arab_IQ", "rtl"),
        ("ku", "ltr"),
        ("ku-Latn", "ltr"),
        ("az-Arab", "rtl"),
        ("en", "ltr"),
        ("tr", "ltr"),
        ("zh-Hant-TW", "ltr"),
        ("ar-Latn", "ltr"),
    ],
)
def test_text_direction(tag: str, direction: str) -> None:
    assert text_direction(tag) == direction


def test_language_choices_in_english() -> None:
    choices = language_choices()
    tags = [tag for tag, _ in choices]
    names = dict(choices)
    assert 35 <= len(choices) <= 50
    assert len(set(tags)) == len(tags)
    for tag in ["en", "fr", "ar", "ckb", "ku", "fa", "tr", "nb", "sw", "ti", "so", "am"]:
        assert tag in names
    assert names["ckb"] == "Central Kurdish"
    assert names["de"] == "German"
    display = [name.casefold() for _, name in choices]
    assert display == sorted(display)
    assert all(normalise_language_tag(tag) == tag for tag in tags)


def test_language_choices_in_other_locales() -> None:
    assert dict(language_choices("fr"))["de"] == "Allemand"
    assert dict(language_choices("de-DE"))["fr"] == "Französisch"
    assert dict(language_choices("ar"))["en"] == "الإنجليزية"
    assert dict(language_choices("not a locale"))["de"] == "German"
