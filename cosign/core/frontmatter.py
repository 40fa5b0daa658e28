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

:func:`main` is the command line that renders such a file and a CSV of
signatories to a PDF: ``python -m cosign.core.pdf statement.md people.csv -o out.pdf``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cosign.core.language import normalise_language_tag

__all__ = ["KEYS", "FrontMatter", "FrontMatterError", "main", "parse_front_matter"]

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


# --- the command line ------------------------------------------------------------------

_ROW_PROBLEMS = {
    "missing-column": "missing column", "unknown-column": "unknown column",
    "empty-name": "empty name", "long-name": "name too long", "country": "unknown country",
    "type": "unknown organisation type", "display": "display must be named or withheld",
    "website": "website must begin with https://", "email": "not an e-mail address",
    "too-many-rows": "too many rows; the limit is", "encoding": "not UTF-8",
    "not-csv": "not a CSV file", "empty-file": "the file is empty", "no-rows": "no signatories",
}


def main(argv: list[str] | None = None) -> int:
    """``python -m cosign.core.pdf statement.md signatories.csv -o out.pdf``."""
    import argparse
    import datetime
    import sys
    from pathlib import Path

    from cosign.core.document import StatementText
    from cosign.core.importer import decode, read_csv
    from cosign.core.ordering import GROUPINGS, ORDERS
    from cosign.core.pdf import (DEFAULT_TIMEOUT, PdfDocument, RenderError, RenderOptions,
                                 RenderPool)
    from cosign.core.signatory import Signatory

    parser = argparse.ArgumentParser(
        prog="python -m cosign.core.pdf",
        description="Render a statement (Markdown with front matter) and a CSV of signatories "
                    "(columns name,country,type,display,city) to a PDF.")
    parser.add_argument("statement", type=Path)
    parser.add_argument("signatories", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--letter", action="store_true", help="US Letter instead of A4")
    parser.add_argument("--columns", type=int, choices=(2, 3), default=2)
    parser.add_argument("--group", choices=GROUPINGS, default="none")
    parser.add_argument("--order", choices=ORDERS, default="alphabetical")
    parser.add_argument("--verification-url", default="")
    parser.add_argument("--verification-code", default="")
    parser.add_argument("--watermark", default="")
    parser.add_argument("--logo", type=Path, help="PNG or SVG file")
    parser.add_argument("--naive", action="store_true", help="one render, no chunking")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 2

    try:
        text = args.statement.read_text(encoding="utf-8-sig")
        meta, body = parse_front_matter(text)
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"{args.statement}: {exc}")
    except FrontMatterError as exc:
        return fail(f"{args.statement}: {exc}")
    try:
        result = read_csv(decode(args.signatories.read_bytes()))
    except OSError as exc:
        return fail(f"{args.signatories}: {exc}")
    except UnicodeDecodeError:
        return fail(f"{args.signatories}: not UTF-8 text")
    if result.problems:
        for problem in result.problems:
            detail = "" if not problem.value else f" {problem.value}" \
                if problem.code == "too-many-rows" else f" {problem.value!r}"
            print(f"{args.signatories}: row {problem.line}: "
                  f"{_ROW_PROBLEMS.get(problem.code, problem.code)}{detail}", file=sys.stderr)
        return 2
    logo = None
    if args.logo:
        try:
            logo = args.logo.read_bytes()
        except OSError as exc:
            return fail(f"{args.logo}: {exc}")
    signatories = [Signatory(row.name, row.country, row.org_type, row.display, row.city)
                   for row in result.rows]
    date_line = meta.date.isoformat() if meta.date else ""
    document = PdfDocument(
        title=meta.title, body=body, coalition=meta.coalition, place=meta.place,
        date=meta.date, language=meta.language, logo=logo,
        text_sha256=StatementText(meta.title, body, meta.place, date_line).sha256())
    options = RenderOptions(
        page_size="Letter" if args.letter else "A4", columns=args.columns,
        grouping=args.group, order=args.order, verification_url=args.verification_url,
        verification_code=args.verification_code, watermark=args.watermark,
        issued_at=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))
    pool = RenderPool(timeout=args.timeout)
    try:
        render = pool.render_naive if args.naive else pool.render_statement
        pdf = render(document, signatories, options)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        pool.shutdown()
    args.output.write_bytes(pdf)
    print(f"{args.output}: {len(signatories)} signatories, {len(pdf):,} bytes", file=sys.stderr)
    return 0
