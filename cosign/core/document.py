"""Statement text: canonical form, SHA-256 fingerprints and paragraph anchors.

A statement is hashed in its canonical form, so the same wording always
yields the same fingerprint whatever the line endings, trailing spaces or
Unicode composition of the copy at hand, while any visible change (one
character) yields a different one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from markdown_it import MarkdownIt

__all__ = [
    "StatementText",
    "canonical_text",
    "paragraph_key",
    "paragraphs",
    "sha256_hex",
    "short_hash",
]

_HORIZONTAL_RUN = re.compile(r"[ \t]+")
_LEADING_INDENT = re.compile(r"^[ \t]*")
_BLOCK_PARSER = MarkdownIt("commonmark", {"html": False})


def _canonical_line(line: str) -> str:
    """Expand tabs in the indentation, collapse inner blanks, strip the end."""
    indent = _LEADING_INDENT.match(line)
    assert indent is not None  # the pattern matches the empty string
    lead = indent.group(0).expandtabs(4)
    rest = _HORIZONTAL_RUN.sub(" ", line[indent.end():]).rstrip(" ")
    return lead + rest if rest else ""


def canonical_text(text: str) -> str:
    """Return the canonical form of ``text``.

    Rules, applied in order: leading byte-order marks are dropped; Unicode
    NFC; ``\\r\\n`` and ``\\r`` become ``\\n``; in each line the indentation
    is kept (tabs expanded to 4-column stops, since Markdown nesting depends
    on it), other runs of spaces and tabs become one space, and trailing
    spaces and tabs are removed; runs of blank lines become one blank line;
    leading and trailing blank lines are removed; a non-empty result ends
    with exactly one ``\\n``. Other whitespace (e.g. NO-BREAK SPACE) is kept.
    The function is idempotent.
    """
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    for raw in text.split("\n"):
        line = _canonical_line(raw)
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _single_line(text: str) -> str:
    """Canonicalise ``text`` and join its lines into one line."""
    return " ".join(part.strip(" ") for part in canonical_text(text).split("\n") if part)


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of the UTF-8 encoding of ``canonical_text(text)``."""
    return hashlib.sha256(canonical_text(text).encode("utf-8")).hexdigest()


def short_hash(hexdigest: str) -> str:
    """The first 12 characters of a hex digest, for display."""
    return hexdigest[:12]


@dataclass(frozen=True)
class StatementText:
    """The wording of a statement: everything its fingerprint covers."""

    title: str
    body: str
    place: str = ""
    date_line: str = ""

    def canonical(self) -> str:
        """The canonical text that is hashed, in this fixed layout::

            Title: <title>
            Place: <place>
            Date: <date_line>

            <body>

        Title, place and date line are each folded onto one line, so the
        first blank line always ends the header and the layout is
        unambiguous. Empty header values leave the label alone
        (``Place:``); an empty body leaves just the three header lines.
        """
        header = "\n".join(
            f"{label}: {value}".rstrip(" ")
            for label, value in (
                ("Title", _single_line(self.title)),
                ("Place", _single_line(self.place)),
                ("Date", _single_line(self.date_line)),
            )
        )
        body = canonical_text(self.body)
        return f"{header}\n\n{body}" if body else f"{header}\n"

    def sha256(self) -> str:
        """Hex SHA-256 of :meth:`canonical`."""
        return sha256_hex(self.canonical())


def _block_ids(lines: list[str]) -> list[int | None]:
    """For each line, the index of the top-level Markdown block holding it."""
    ids: list[int | None] = [None] * len(lines)
    tokens = _BLOCK_PARSER.parse("\n".join(lines) + "\n")
    for number, token in enumerate(tokens):
        if token.level == 0 and token.map and token.nesting >= 0:
            start, end = token.map
            for index in range(start, min(end, len(lines))):
                ids[index] = number
    return ids


def paragraphs(body: str) -> list[str]:
    """Split the canonical ``body`` into Markdown blocks at blank lines.

    A blank line inside one block (a loose list, a fenced code block) does
    not split it. Reference definitions and other text that produces no
    block are kept as blocks of their own, so joining the result with
    ``"\\n\\n"`` gives back the canonical body without its final newline.
    """
    lines = canonical_text(body).split("\n")[:-1]
    if not lines:
        return []
    ids = _block_ids(lines)
    blocks: list[list[str]] = [[]]
    for index, line in enumerate(lines):
        if line:
            blocks[-1].append(line)
            continue
        before = ids[index - 1]
        after = ids[index + 1]  # canonical text has no trailing blank line
        if before is not None and before == after:
            blocks[-1].append(line)
        else:
            blocks.append([])
    return ["\n".join(block) for block in blocks]


def paragraph_key(paragraph: str) -> str:
    """A 16-hex-digit key of the canonical paragraph, to anchor comments."""
    return sha256_hex(paragraph)[:16]
