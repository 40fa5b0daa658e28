"""Importing contacts into the press list from a CSV file: all rows or none.

:func:`read_csv` reads and checks a file without the database, every problem
with its line number; :func:`plan_import` says what importing it would do
(``new``, ``updated`` or ``unchanged`` per row); :func:`import_csv` does it,
or nothing at all if the file has any problem. The consent rule of
:mod:`cosign.press` holds: an address that unsubscribed stops the import.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosign import audit, clock, database
from cosign.errors import N_
from cosign.models import PressContact
from cosign.press import ContactData, PressError, check, date_text

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 1024 * 1024
COLUMNS = ("name", "outlet", "email", "language", "tags")
_ALIASES = {"e-mail": "email", "e_mail": "email", "beats": "tags"}


@dataclass(frozen=True)
class CsvRow:
    """A contact read from a file. ``None``: the column is absent or the cell empty."""

    line: int
    email: str
    name: str | None = None
    outlet: str | None = None
    language: str | None = None
    tags: str | None = None
    action: str = "new"  # new, updated or unchanged (see plan_import)


@dataclass(frozen=True)
class RowProblem:
    """``message`` is English, marked with N_(); ``line`` is the file's line (None: the file)."""

    line: int | None
    message: str
    params: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    rows: list[CsvRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _decode(data: bytes, plan: ImportPlan) -> str | None:
    if len(data) > MAX_IMPORT_BYTES:
        plan.problems.append(RowProblem(None, N_("The file is larger than 1 MB.")))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        plan.problems.append(RowProblem(line, N_("The file is not UTF-8 text. Save it as "
                                                 "“CSV UTF-8”.")))
        return None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        plan.problems.append(RowProblem(line, N_("The file contains NUL characters: it is not "
                                                 "a CSV file.")))
        return None
    if not text.strip():
        plan.problems.append(RowProblem(None, N_("The file is empty.")))
        return None
    return text


def _header(values: list[str], plan: ImportPlan) -> list[str | None] | None:
    columns: list[str | None] = []
    for value in values:
        name = " ".join(value.strip().lower().split()).replace(" ", "_")
        name = _ALIASES.get(name, name)
        if name in COLUMNS:
            if name in columns:
                plan.problems.append(RowProblem(1, N_("The column “%(col)s” appears twice."),
                                                {"col": name}))
            columns.append(name)
        else:
            columns.append(None)  # another column: ignored
    if "email" not in columns:
        plan.problems.append(RowProblem(1, N_("The header row has no “email” column. The first "
                                              "row must name the columns: name, outlet, email, "
                                              "language, tags.")))
    return None if plan.problems else columns


def read_csv(data: bytes) -> ImportPlan:
    """Contacts from a CSV file (no database); every problem with its line number.

    UTF-8 with or without BOM; a header row naming the columns (``email``
    required; ``name``, ``outlet``, ``language``, ``tags`` optional; other
    columns ignored); separated by commas, semicolons or tabs (whichever the
    header uses most); every row has as many fields as the header.
    """
    plan = ImportPlan()
    text = _decode(data, plan)
    if text is None:
        return plan
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        strict=True)
    try:
        columns = _header(next(reader), plan)
    except (StopIteration, csv.Error):
        plan.problems.append(RowProblem(1, N_("This is not a CSV file.")))
        return plan
    if columns is None:
        return plan
    seen: dict[str, int] = {}
    line = reader.line_num
    try:
        for values in reader:
            line, start = reader.line_num, line + 1
            if not any(v.strip() for v in values):
                continue
            if len(plan.rows) + len({p.line for p in plan.problems}) >= MAX_IMPORT_ROWS:
                plan.problems.append(RowProblem(start, N_("Too many rows: at most %(max)d."),
                                                {"max": MAX_IMPORT_ROWS}))
                break
            if len(values) != len(columns):
                plan.problems.append(RowProblem(
                    start, N_("Wrong number of fields: %(found)d instead of %(expected)d as in the "
                           "header row."),
                    {"found": len(values), "expected": len(columns)}))
                continue
            _read_row(start, dict(zip(columns, values, strict=True)), plan, seen)
    except csv.Error:
        plan.problems.append(RowProblem(line + 1, N_("This line is not valid CSV (check the "
                                                     "quotation marks).")))
    if not plan.rows and not plan.problems:
        plan.problems.append(RowProblem(None, N_("The file has a header row but no contacts.")))
    return plan


def _read_row(line: int, record: dict, plan: ImportPlan, seen: dict[str, int]) -> None:
    def given(column: str) -> str | None:
        value = (record.get(column) or "").strip()
        return value or None

    try:
        clean = check(ContactData(email=record.get("email") or "", name=given("name") or "",
                                  outlet=given("outlet") or "",
                                  language=given("language") or "en", tags=given("tags") or ""))
    except PressError as exc:
        plan.problems.append(RowProblem(line, exc.message, exc.params))
        return
    if clean.email in seen:
        plan.problems.append(RowProblem(line, N_("%(email)s appears twice in the file (line "
                                                 "%(first)d)."),
                                        {"email": clean.email, "first": seen[clean.email]}))
        return
    seen[clean.email] = line
    plan.rows.append(CsvRow(
        line=line, email=clean.email,
        name=clean.name if given("name") else None,
        outlet=clean.outlet if given("outlet") else None,
        language=clean.language if given("language") else None,
        tags=str(clean.tags) if given("tags") else None,
    ))


def _existing(session: Session, emails: Sequence[str]) -> dict[str, PressContact]:
    found: dict[str, PressContact] = {}
    for i in range(0, len(emails), 500):
        chunk = emails[i:i + 500]
        found.update((c.email, c) for c in session.scalars(
            select(PressContact).where(PressContact.email.in_(chunk))))
    return found


def _changes(contact: PressContact, row: CsvRow) -> dict[str, str]:
    return {name: getattr(row, name) for name in ("name", "outlet", "language", "tags")
            if getattr(row, name) is not None and getattr(row, name) != getattr(contact, name)}


def plan_import(session: Session, data: bytes) -> ImportPlan:
    """:func:`read_csv`, checked against the press list: what importing would do.

    A new address is added as active. An address on the list as active or
    pending is ``updated``: the file's non-empty cells replace its name,
    outlet, language and tags (empty cells and absent columns leave them as
    they are; its status does not change), or ``unchanged``. An address that
    unsubscribed is a problem: only its owner can subscribe again.
    """
    plan = read_csv(data)
    if plan.problems:
        return plan
    existing = _existing(session, [row.email for row in plan.rows])
    rows = []
    for row in plan.rows:
        contact = existing.get(row.email)
        if contact is None:
            rows.append(row)
        elif contact.status == "unsubscribed":
            plan.problems.append(RowProblem(row.line, N_("%(email)s unsubscribed on %(date)s; "
                                                         "only they can subscribe again."),
                                            {"email": row.email,
                                             "date": date_text(contact.unsubscribed_at)}))
        else:
            action = "updated" if _changes(contact, row) else "unchanged"
            rows.append(replace(row, action=action))
    plan.rows = rows
    return plan


def import_csv(session: Session, data: bytes, *, filename: str, actor_id: int) -> ImportPlan:
    """Import every row or none: the plan of :func:`plan_import`, carried out if ``plan.ok``.

    A file with any problem stores nothing (the returned plan lists the problems).
    """
    database.begin_write(session)
    plan = plan_import(session, data)
    if not plan.ok:
        session.rollback()
        return plan
    existing = _existing(session, [row.email for row in plan.rows])
    now = clock.now()
    for row in plan.rows:
        contact = existing.get(row.email)
        if contact is None:
            contact = PressContact(email=row.email, name=row.name or "", outlet=row.outlet or "",
                                   language=row.language or "en", tags=row.tags or "",
                                   status="active", source="import", created_at=now,
                                   updated_at=now)
            session.add(contact)
            continue
        changes = _changes(contact, row)
        for name, value in changes.items():
            setattr(contact, name, value)
        if changes:
            contact.updated_at = now
    try:
        session.flush()
    except IntegrityError:  # someone added one of the addresses meanwhile
        session.rollback()
        raise PressError(N_("The press list changed while you were importing. Nothing was "
                            "imported; preview the file again.")) from None
    audit.record(session, None, actor_id, "press-imported", file=filename[-200:],
                 added=plan.count("new"), updated=plan.count("updated"))
    session.commit()
    return plan
