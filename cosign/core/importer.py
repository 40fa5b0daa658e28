"""Reading lists of signatories from CSV files (plain text, no database).

Columns (header row, any order, case-insensitive): ``name`` and ``country``
are required; ``type``, ``display`` (named/withheld), ``city``, ``website``,
``contact_name`` and ``email`` are optional. ``country`` is an ISO 3166 code
or an English country name. Every problem is reported with its row number;
callers import all rows or none.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from cosign.core.countries import parse_country
from cosign.core.names import InvalidName, clean_name
from cosign.core.signatory import parse_org_type

REQUIRED = ("name", "country")
OPTIONAL = ("type", "display", "city", "website", "contact_name", "email")
COLUMNS = REQUIRED + OPTIONAL
MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ImportedRow:
    line: int
    name: str
    country: str
    org_type: str = "other"
    display: str = "named"
    city: str = ""
    website: str = ""
    contact_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class RowProblem:
    """``code`` is one of: missing-column, unknown-column, empty-name, long-name, country,
    type, display, website, email, too-many-rows, encoding, not-csv, empty-file, no-rows."""

    line: int
    code: str
    value: str = ""


@dataclass
class ImportResult:
    rows: list[ImportedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); UnicodeDecodeError otherwise."""
    return data.decode("utf-8-sig")


def read_csv(text: str) -> ImportResult:
    result = ImportResult()
    if not text.strip():
        result.problems.append(RowProblem(1, "empty-file"))
        return result
    # The delimiter is whichever of , ; TAB the header line uses most. Quotes are
    # always double quotes: guessing them makes "'Adalah'" swallow the next row.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except (StopIteration, csv.Error):
        result.problems.append(RowProblem(1, "not-csv"))
        return result
    for column in REQUIRED:
        if column not in header:
            result.problems.append(RowProblem(1, "missing-column", column))
    for column in header:
        if column and column not in COLUMNS:
            result.problems.append(RowProblem(1, "unknown-column", column))
    if result.problems:
        return result
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(result.rows) + len({p.line for p in result.problems}) >= MAX_ROWS:
                result.problems.append(RowProblem(line, "too-many-rows", str(MAX_ROWS)))
                break
            record = {column: (values[i].strip() if i < len(values) else "")
                      for i, column in enumerate(header) if column}
            _read_row(line, record, result)
    except csv.Error:
        result.problems.append(RowProblem(reader.line_num, "not-csv"))
    if not result.rows and not result.problems:
        result.problems.append(RowProblem(reader.line_num, "no-rows"))
    return result


def _read_row(line: int, record: dict[str, str], result: ImportResult) -> None:
    problems = []
    try:
        name = clean_name(record.get("name", ""))
    except InvalidName as exc:
        problems.append(RowProblem(line, "long-name" if exc.reason == "too-long" else "empty-name",
                                   record.get("name", "")[:80]))
        name = ""
    try:
        country = parse_country(record.get("country", ""))
    except ValueError:
        problems.append(RowProblem(line, "country", record.get("country", "")))
        country = ""
    try:
        org_type = parse_org_type(record.get("type", ""))
    except ValueError:
        problems.append(RowProblem(line, "type", record.get("type", "")))
        org_type = "other"
    display = (record.get("display") or "named").lower()
    if display not in ("named", "withheld"):
        problems.append(RowProblem(line, "display", record.get("display", "")))
    website = record.get("website", "")
    if website and not website.lower().startswith(("https://", "http://")):
        problems.append(RowProblem(line, "website", website[:80]))
    email = record.get("email", "")
    if email and ("@" not in email or " " in email or len(email) > 254):
        problems.append(RowProblem(line, "email", email[:80]))
    if problems:
        result.problems.extend(problems)
        return
    result.rows.append(ImportedRow(
        line=line, name=name, country=country, org_type=org_type, display=display,
        city=" ".join(record.get("city", "").split())[:100], website=website[:300],
        contact_name=" ".join(record.get("contact_name", "").split())[:200], email=email.lower(),
    ))
