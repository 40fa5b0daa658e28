"""Front matter of a statement file: ``key: value`` lines fenced by ``---``.

::

    ---
    title: Joint statement on the killing of protesters
    coalition: Coalition for Civic Freedom
    date: 2026-11-16
    place: London
    language: en
    ---
    We, the undersigned organisations, ...

Keys are :data:`KEYS`; ``title`` is required. Values may be quoted with
``"`` or ``'``. Blank lines and ``#`` comments are allowed inside the fences.
Unknown or repeated keys, a date that is not ISO 8601 (``YYYY-MM-DD``), an
unknown language tag or a missing title raise :class:`FrontMatterError`
with a message naming the line.

The command line that renders such a file and a CSV of signatories to a PDF is
``python -m cosign.core.pdf statement.md people.csv -o out.pdf``
(:mod:`cosign.core.pdf.__main__`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cosign.core.language import normalise_language_tag

__all__ = ["KEYS", "FrontMatter", "FrontMatterError", "parse_front_matter"]

KEYS = ("title", "coalition", "date", "place", "language")
FENCE = "---"


class FrontMatterError(ValueError):
    """The front matter is missing or malformed; the message says where and why."""


@dataclass(frozen=True)
class FrontMatter:
    title: str
    coalition: str = ""
    date: dt.date | None = None
    place: str = ""
    language: str = "en"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_front_matter(text: str) -> tuple[FrontMatter, str]:
    """``(front matter, Markdown body)`` of a statement file's text."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise FrontMatterError(
            "line 1: the file must begin with front matter: a '---' line, 'key: value' lines "
            f"(at least 'title'; allowed keys: {', '.join(KEYS)}) and a closing '---' line")
    values: dict[str, str] = {}
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if line == FENCE:
            body = "\n".join(lines[number:])
            break
        if not line or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or not key:
            raise FrontMatterError(f"line {number}: expected 'key: value', got {raw.strip()!r}")
        if key not in KEYS:
            raise FrontMatterError(
                f"line {number}: unknown key {key!r}; allowed keys: {', '.join(KEYS)}")
        if key in values:
            raise FrontMatterError(f"line {number}: {key!r} is given twice")
        values[key] = _unquote(value.strip()).strip()
    else:
        raise FrontMatterError("the front matter is not closed: add a '---' line after it")

    title = " ".join(values.get("title", "").split())
    if not title:
        raise FrontMatterError("the front matter has no 'title' (it is required)")
    date = None
    if values.get("date"):
        try:
            if len(values["date"]) != 10:
                raise ValueError
            date = dt.date.fromisoformat(values["date"])
        except ValueError:
            raise FrontMatterError(
                f"'date' must be an ISO 8601 date such as 2026-11-16, not {values['date']!r}"
            ) from None
    language = "en"
    if values.get("language"):
        try:
            language = normalise_language_tag(values["language"])
        except ValueError as exc:
            raise FrontMatterError(f"'language': {exc}") from None
    return FrontMatter(title=title, coalition=values.get("coalition", ""), date=date,
                       place=values.get("place", ""), language=language), body
