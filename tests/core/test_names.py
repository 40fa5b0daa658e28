"""Tests for cosign.core.names: display names, deduplication keys, CSV safety."""

import pytest

from cosign.core.names import (
    KEY_MAX_LENGTH,
    MAX_COMBINING_MARKS,
    InvalidName,
    check_scripts,
    clean_name,
    clean_text,
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
    ],
)
def test_name_key_different(first: str, second: str) -> None:
    assert name_key(first) != name_key(second)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Iraqi Association", "iraqi association"),
        # TR39 prototypes: m → rn, 1 → l, 0 → O, Arabic alef → l, yeh → alef maksura
        ("Amnesty International – UK", "arnnesty international uk"),
        ("Arts & Culture Forum", "arts and culture forurn"),
        ("Women’s League", "wornens league"),
        ("Group 10", "group lo"),
        ("The", "the"),
        ("The !", "the"),
        ("Theatre", "theatre"),
        ("جمعـية الأمل", "جمعىة lلlمل"),
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


# --- look-alikes (issue 13): TR39 skeletons, mixed scripts, invisible spaces ---------------

AMNESTY = "Amnesty International"


@pytest.mark.parametrize(
    "variant",
    [
        "Amnesty Intern\u0430tional",  # Cyrillic а (U+0430) inside a Latin word
        "\u0410mnesty International",  # Cyrillic А (U+0410) first
        "Amnesty\u200bInternational",  # a zero-width space as the only space
        "Amnesty\u2060International",
        "Amnesty\ufeffInternational",
        "Amnesty\u200cInternational",  # ZWNJ between Latin letters hides a space
        "\u202eAmnesty International\u202c",
        "\u0410mn\u0435sty Int\u0435rn\u0430ti\u043enal",  # several Cyrillic look-alikes
        "Amnesty Internatiοnal",  # Greek omicron
        "𝐀𝐦𝐧𝐞𝐬𝐭𝐲 International",  # mathematical bold (NFKC)
    ],
)
def test_look_alikes_share_the_key(variant: str) -> None:
    assert name_key(variant) == name_key(AMNESTY)


def test_whole_word_look_alikes_share_the_key() -> None:
    assert name_key("Союз") == name_key("Coюз")  # Latin C looks like Cyrillic С
    assert name_key("\u0420\u0410\u0425") == name_key("PAX")  # a word of Cyrillic letters only
    assert name_key("\u0440\u0430\u0445") == name_key("pax")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Amnesty International", "Amnesty Intl"),
        ("Human Rights Watch", "HRW"),
        ("Мой союз", "Мои союз"),
        ("Group 12", "Group 13"),
        ("منظمة العفو الدولية", "Amnesty International"),
    ],
)
def test_different_names_keep_different_keys(first: str, second: str) -> None:
    assert name_key(first) != name_key(second)


@pytest.mark.parametrize(
    "raw",
    ["Amnesty Intern\u0430tional", "\u0410mnesty International", "Аmnesty Internаtional",
     "Amnesty Internatiοnal", "Союз Coюз", "Al-Ηaq"],
)
def test_mixed_script_words_are_refused(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        check_scripts(clean_name(raw))
    assert info.value.reason == "mixed-scripts"
    assert "different alphabets" in str(info.value)
    assert info.value.word in raw


@pytest.mark.parametrize(
    "raw",
    ["Amnesty International", "منظمة NGO للحقوق", "Союз журналистов", "Ελληνική Ένωση",
     "東京タワー Tokyo", "日本の会 NPO", "한국어 단체", "Al-Haq", "Médecins du Monde",
     "می\u200cخواهیم", "नमस्ते संस्था", "Group 12", "Amnesty International – UK"],
)
def test_single_script_words_pass(raw: str) -> None:
    name = clean_name(raw)
    assert check_scripts(name) == name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Amnesty\u200bInternational", AMNESTY),
        ("Amnesty\u200b\u200b\u200bInternational", AMNESTY),
        ("Amnesty\u200cInternational", AMNESTY),
        ("Amnesty \u200bInternational", AMNESTY),
        ("\u200bAmnesty International\u200b", AMNESTY),
        ("12\u200b34", "1234"),
    ],
)
def test_zero_width_space_between_letters_is_a_space(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Joint \u202estatement\u202c on Nasiriya", "Joint statement on Nasiriya"),
        ("Joint\u200bstatement", "Joint statement"),
        ("  Joint\tstatement \u200e", "Joint statement"),
        ("Iraq\u2066 \u2069today\ufeff", "Iraq today"),
        ("Plain title", "Plain title"),
        ("ＦＵＬＬ", "FULL"),
        ("بيان\u200c مشترك", "بيان مشترك"),
        ("", ""),
    ],
)
def test_clean_text_one_line(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_multiline_keeps_lines() -> None:
    raw = "First\u202e line  here\r\nSecond\u200bline\r\n\r\nfourth \u200f"
    assert clean_text(raw, multiline=True) == "First line here\nSecond line\n\nfourth"
    assert clean_text(None, multiline=True) == ""


@pytest.mark.parametrize(
    "raw",
    ["Amnesty International", "Аmnesty Internаtional", "Iraqi Democratic Association",
     "جمعية الأمل", "Группа 1", "Straße 10", "Médecins"],
)
def test_name_key_is_stable_under_itself(raw: str) -> None:
    key = name_key(raw)
    assert name_key(key) == key
