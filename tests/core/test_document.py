"""Tests for cosign.core.document: canonical text, hashes and paragraphs."""

import hashlib

import pytest

from cosign.core.document import (
    StatementText,
    canonical_text,
    paragraph_key,
    paragraphs,
    sha256_hex,
    short_hash,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("\n\n  \t\n", ""),
        ("hello", "hello\n"),
        ("a\r\nb\rc\n", "a\nb\nc\n"),
        ("one   two\t\tthree  ", "one two three\n"),
        ("a\n\n\n\nb", "a\n\nb\n"),
        ("\n\n  \nbody\n\n\n", "body\n"),
        ("line  \n   \nnext", "line\n\nnext\n"),
        ("- item\n    - nested  item", "- item\n    - nested item\n"),
        ("\tcode", "    code\n"),
        ("no\u00a0break\u00a0\u00a0space", "no\u00a0break\u00a0\u00a0space\n"),
        ("\ufeffbom", "bom\n"),
        ("cafe\u0301", "caf\u00e9\n"),
    ],
)
def test_canonical_text(raw: str, expected: str) -> None:
    assert canonical_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "a\r\n\r\n\r\nb \t c\t\n",
        "  \tx  y\n\n\n z ",
        "\u00a0\n\u00a0",
        "\ufeff\ufeffx",
        "\r\r\ra",
    ],
)
def test_canonical_text_is_idempotent(raw: str) -> None:
    once = canonical_text(raw)
    assert canonical_text(once) == once


def test_sha256_hex_hashes_canonical_utf8() -> None:
    expected = hashlib.sha256("Grüße\n".encode()).hexdigest()
    assert sha256_hex("Grüße") == expected
    assert sha256_hex("Grüße \r\n\r\n") == expected
    assert len(expected) == 64


def test_short_hash() -> None:
    assert short_hash("0123456789abcdef" * 4) == "0123456789ab"


STATEMENT = StatementText(
    title="We stand together",
    body="First paragraph.\n\nSecond paragraph.",
    place="Erbil",
    date_line="1 May 2025",
)


def test_statement_canonical_layout() -> None:
    assert STATEMENT.canonical() == (
        "Title: We stand together\nPlace: Erbil\nDate: 1 May 2025\n\n"
        "First paragraph.\n\nSecond paragraph.\n"
    )


def test_statement_canonical_empty_fields() -> None:
    text = StatementText(title="  A\n title ", body="")
    assert text.canonical() == "Title: A title\nPlace:\nDate:\n"
    assert canonical_text(text.canonical()) == text.canonical()


def test_statement_canonical_is_canonical_text() -> None:
    assert canonical_text(STATEMENT.canonical()) == STATEMENT.canonical()


def test_statement_hash_is_stable_across_line_endings_and_spaces() -> None:
    messy = StatementText(
        title="We  stand together ",
        body="First paragraph.  \r\n\r\n\r\nSecond paragraph.\r\n",
        place=" Erbil",
        date_line="1 May 2025\t",
    )
    assert messy.sha256() == STATEMENT.sha256()
    assert STATEMENT.sha256() == hashlib.sha256(STATEMENT.canonical().encode()).hexdigest()


@pytest.mark.parametrize(
    "changed",
    [
        StatementText(
            "We stand together", "First paragraph!\n\nSecond paragraph.", "Erbil", "1 May 2025"
        ),
        StatementText(
            "We stand Together", "First paragraph.\n\nSecond paragraph.", "Erbil", "1 May 2025"
        ),
        StatementText(
            "We stand together", "First paragraph.\n\nSecond paragraph.", "Erbil", "2 May 2025"
        ),
        StatementText(
            "We stand together", "First paragraph.\n\nSecond paragraph.", "Erbi", "1 May 2025"
        ),
        StatementText(
            "We stand together", "First paragraph.\nSecond paragraph.", "Erbil", "1 May 2025"
        ),
    ],
)
def test_statement_hash_changes_with_one_character(changed: StatementText) -> None:
    assert changed.sha256() != STATEMENT.sha256()


def test_statement_fields_cannot_be_confused_with_body() -> None:
    with_place = StatementText("T", "Body", place="Paris", date_line="1 May")
    in_body = StatementText("T", "Paris, 1 May\n\nBody")
    assert with_place.sha256() != in_body.sha256()
    moved = StatementText("T", "Body", place="1 May", date_line="Paris")
    assert moved.sha256() != with_place.sha256()


def test_statement_is_frozen() -> None:
    with pytest.raises(AttributeError):
        STATEMENT.title = "Other"  # type: ignore[misc]


def test_paragraphs_split_at_blank_lines() -> None:
    body = "# Heading\n\nOne\nstill one.\r\n\r\n\r\n- a\n- b\n\n> quote"
    assert paragraphs(body) == ["# Heading", "One\nstill one.", "- a\n- b", "> quote"]


def test_paragraphs_keep_loose_lists_and_fences_whole() -> None:
    body = "Intro\n\n- a\n\n- b\n\n```\ncode\n\nmore\n```\n\nEnd\n\n[r]: https://example.org"
    assert paragraphs(body) == [
        "Intro",
        "- a\n\n- b",
        "```\ncode\n\nmore\n```",
        "End",
        "[r]: https://example.org",
    ]


def test_paragraphs_join_back_to_canonical_body() -> None:
    body = "A  b\n\n\n- x\n\n- y\n\nC  \n"
    assert "\n\n".join(paragraphs(body)) + "\n" == canonical_text(body)


def test_paragraphs_of_empty_body() -> None:
    assert paragraphs("") == []
    assert paragraphs(" \n\n") == []


def test_paragraph_key() -> None:
    key = paragraph_key("We stand together.")
    assert key == sha256_hex("We stand together.")[:16]
    assert len(key) == 16
    assert paragraph_key("We stand together.  \r\n") == key
    assert paragraph_key("We stand together!") != key
