"""Tests for cosign.core.names: display names, deduplication keys, CSV safety."""

import pytest

from cosign.core.names import (
    KEY_MAX_LENGTH,
    MAX_COMBINING_MARKS,
    InvalidName,
    clean_name,
    csv_safe,
    name_key,
)

IDA = "Iraqi Democratic Association"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Iraqi  Democratic\tAssociation \n", IDA),
        ("\u202eIraqi Democratic Association", IDA),
        ("Iraqi Democratic Association\u200b", IDA),
        ("\ufeffIraqi\u2060 Democratic\u00ad Association\u200e", IDA),
        ("Iraqi\u00a0Democratic\u3000Association", IDA),
        ("Iraqi\u2028Democratic\u2029Association\u0085", IDA),
        ("\u2066Iraqi\u2069 \u061cDemocratic\u202a\u202b\u202c\u202d Association\u200f", IDA),
        ("Iraqi Democratic\u200d Association", IDA),
        ("Iraqi\x00 Democratic\x07 Association\x7f", IDA),
        ("a\x00b", "ab"),
        ("\uff21\uff22\uff23", "ABC"),
        ("cafe\u0301", "caf\u00e9"),
        ("e\u200b\u0301cole", "\u00e9cole"),
        ("\u3164Hangul\u115ffiller\ufe0f", "Hangulfiller"),
        ("Tag\U000e0041\U000e0042s", "Tags"),
        ("\ufdf2", "\u0627\u0644\u0644\u0647"),
        ("جمعية الأمل", "جمعية الأمل"),
        ("O'Brien & Sons – UK", "O'Brien & Sons – UK"),
    ],
)
def test_clean_name(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("می\u200cخواهیم", "می\u200cخواهیم"),  # Persian: ZWNJ between letters kept
        ("می\u200c\u200c\u200cخواهیم", "می\u200cخواهیم"),  # a run of them kept once
        ("می\u200b\u200cخواهیم", "می\u200cخواهیم"),
        ("\u200cمی\u200c", "می"),  # at the edges dropped
        ("a \u200cb", "a b"),  # next to a space dropped
        ("1\u200c2", "12"),  # between digits dropped
        ("क्\u200cष", "क्\u200cष"),  # after a virama (a mark) kept
    ],
)
def test_clean_name_zero_width_non_joiner(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


def test_clean_name_limits_stacked_combining_marks() -> None:
    zalgo = "Z\u0324\u0354\u0367\u0311\u0313" + "\u0300" * 50 + "algo"
    cleaned = clean_name(zalgo)
    assert cleaned.startswith("Z")
    assert cleaned.endswith("algo")
    assert len(cleaned) == 1 + MAX_COMBINING_MARKS + 4
    assert name_key(zalgo) == "zalgo"


def test_clean_name_keeps_usual_marks() -> None:
    assert clean_name("Tiếng Việt") == "Tiếng Việt"
    assert clean_name("مُنَظَّمَة") == "مُنَظَّمَة"
    assert clean_name("नमस्ते संस्था") == "नमस्ते संस्था"


@pytest.mark.parametrize(
    "raw",
    [
        "", "   ", "\u200f\u200e", "\u202e\u202c", "\u200b\u200c\u200d\ufeff", "!!!",
        "- . -", "\x00\x00", "\u3164\u3164", "\u0301\u0301", "\u00ad", "🌍", "\u2800",
        "\U000e0001\U000e0041",
    ],
)
def test_clean_name_rejects_empty(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        clean_name(raw)
    assert info.value.reason == "empty"
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidName):
        name_key(raw)


def test_clean_name_length_limit() -> None:
    assert clean_name("a" * 200) == "a" * 200
    assert clean_name(" " + "a" * 200 + "\u200b" * 10 + " ") == "a" * 200
    for raw in ("a" * 201, "a " * 101, "x" * 100_000):
        with pytest.raises(InvalidName) as info:
            clean_name(raw)
        assert info.value.reason == "too-long"
    assert clean_name("a" * 201, max_length=300) == "a" * 201
    with pytest.raises(InvalidName) as info:
        clean_name("abcdef", max_length=5)
    assert info.value.reason == "too-long"


@pytest.mark.parametrize(
    "raw",
    [
        " Iraqi\u00a0\u00a0Democratic\u200b Association.",
        "\u202eZ\u0324\u0354\u0367\u0311\u0313\u0300\u0300",
        "می\u200c\u200cخواهیم",
        "\uff21\u00ad\uff22",
        "e\u200b\u0301",
    ],
)
def test_clean_name_is_idempotent(raw: str) -> None:
    once = clean_name(raw)
    assert clean_name(once) == once


@pytest.mark.parametrize(
    "variants",
    [
        (
            "Iraqi  Democratic Association",
            "iraqi democratic association",
            "IRAQI DEMOCRATIC ASSOCIATION.",
            "Iraqi Democratic Association\u200b",
            "\u202eIraqi Democratic Association",
            "The Iraqi Democratic Association",
            "the iraqi democratic association",
            "Iraqi-Democratic Association",
            "Iraqi Democratic Association (  )",
        ),
        ("Médecins du Monde", "Medecins du Monde", "MÉDECINS DU MONDE", "Me\u0301decins du Monde"),
        ("Women's League", "Womens League", "Women’s League", "Women`s League", "Womenʼs League"),
        ("Arts & Culture Forum", "Arts and Culture Forum", "Arts&Culture Forum"),
        ("The Iraqi Association", "Iraqi Association"),
        ("جمعية الأمل", "جمعية الامل", "جمعية الإمل", "جمعية الآمل", "جمعية الٱمل"),
        ("جمعـية", "جمعية", "جمعــــية"),
        ("مُنَظَّمَة", "منظمة"),
        ("مستشفى", "مستشفي", "مستشفی"),
        ("کانون", "كانون"),
        ("می\u200cخواهیم", "میخواهیم"),
        ("ＡＢＣ", "ABC", "abc"),
        ("Straße", "STRASSE", "Strasse"),
        ("Ελληνική Ένωση", "ΕΛΛΗΝΙΚΗ ΕΝΩΣΗ"),
        ("U.K. Friends e.V.", "UK Friends eV", "uk friends ev"),
        ("Group ٣", "Group ۳", "Group 3"),
        ("Hope — for All", "Hope - for All", "Hope, for All", "Hope: for All!"),
        ("«Hope» Society", '"Hope" Society', "“Hope” Society"),
    ],
)
def test_name_key_equal(variants: tuple[str, ...]) -> None:
    keys = {name_key(variant) for variant in variants}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Amnesty International – UK", "Amnesty International"),
        ("Amnesty International UK", "Amnesty International"),
        ("Acme Ltd", "Acme"),
        ("Verein e.V.", "Verein"),
        ("Theatre Group", "atre Group"),
        ("جمعية", "جمعيه"),  # TEH MARBUTA is kept
        ("Мой союз", "Мои союз"),  # Cyrillic й is a letter, not an accented и
        ("नमस्ते", "नमसत"),  # Devanagari marks are kept
        ("Союз", "Coюз"),  # Latin C is not Cyrillic С
    ],
)
def test_name_key_different(first: str, second: str) -> None:
    assert name_key(first) != name_key(second)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Iraqi Association", "iraqi association"),
        ("Amnesty International – UK", "amnesty international uk"),
        ("Arts & Culture Forum", "arts and culture forum"),
        ("Women’s League", "womens league"),
        ("The", "the"),
        ("The !", "the"),
        ("Theatre", "theatre"),
        ("جمعـية الأمل", "جمعية الامل"),
        ("한국어 단체", "한국어 단체"),
        ("a\x00b", "ab"),
    ],
)
def test_name_key_value(raw: str, expected: str) -> None:
    assert name_key(raw) == expected


def test_name_key_length() -> None:
    assert len(name_key("a&" * 100)) <= KEY_MAX_LENGTH
    assert name_key("a" * 500) == "a" * KEY_MAX_LENGTH
    assert not name_key("ab " * 150).endswith(" ")


def test_name_key_apostrophe_only_letter_is_empty() -> None:
    with pytest.raises(InvalidName) as info:
        name_key("\u02bc")
    assert info.value.reason == "empty"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"),
        ("\rfoo", "'\rfoo"),
        ("  =HYPERLINK(\"http://x\")", "'  =HYPERLINK(\"http://x\")"),
        ("\u00a0@x", "'\u00a0@x"),
        ("Iraqi Democratic Association", "Iraqi Democratic Association"),
        ("a=b", "a=b"),
        ("Smith-Jones", "Smith-Jones"),
        ("'already", "'already"),
        ("", ""),
        ("   ", "   "),
        ("جمعية", "جمعية"),
    ],
)
def test_csv_safe(value: str, expected: str) -> None:
    assert csv_safe(value) == expected
