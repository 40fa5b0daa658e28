"""The command line: a statement file and a CSV of signatories to a PDF, no app needed.

::

    python -m cosign.core.pdf statement.md signatories.csv -o out.pdf

The statement is Markdown with front matter (:mod:`cosign.core.frontmatter`); the
CSV has the columns name,country,type,display,city (:mod:`cosign.core.importer`).
Nothing here runs in the worker processes: what they run is defined in
:mod:`cosign.core.pdf.pool`, which they import by that name.
"""
from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from cosign.core.document import StatementText
from cosign.core.frontmatter import FrontMatterError, parse_front_matter
from cosign.core.importer import decode, read_csv
from cosign.core.ordering import GROUPINGS, ORDERS
from cosign.core.pdf import DEFAULT_TIMEOUT, PdfDocument, RenderError, RenderOptions, RenderPool
from cosign.core.signatory import Signatory

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
        issued_at=datetime.datetime.now(datetime.UTC).replace(microsecond=0))
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


if __name__ == "__main__":
    sys.exit(main())
