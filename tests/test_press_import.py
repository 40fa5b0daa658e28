"""Importing the press list from CSV: reading, line-numbered problems, all rows or none."""
import pytest
from sqlalchemy import select

from cosign import press_import
from cosign.models import AuditEvent
from tests.factories import make_user
from tests.press_factories import contact_by_email, contact_count, make_contact

GOOD = (b"name,outlet,email,language,tags,phone\n"
        b"Ana,The Daily,ana@example.org,en,\"Iraq, human rights\",123\n"
        b"Ben,,BEN@example.org,ar,,\n")


def problems(plan):
    return [(p.line, p.message % p.params if p.params else p.message) for p in plan.problems]


def test_read_a_good_file_with_extra_column_bom_and_semicolons():
    for raw in (
        GOOD,
        b"\xef\xbb\xbf" + GOOD,
        GOOD.replace(b",", b";").replace(b'"Iraq; human', b'"Iraq, human'),
        GOOD.replace(b"\n", b"\r\n"),
    ):
        plan = press_import.read_csv(raw)
        assert plan.ok, problems(plan)
        assert [(r.line, r.email, r.name, r.outlet, r.language, r.tags) for r in plan.rows] == [
            (2, "ana@example.org", "Ana", "The Daily", "en", "human rights,iraq"),
            (3, "ben@example.org", "Ben", None, "ar", None)]


def test_columns_in_any_order_only_email_required():
    plan = press_import.read_csv(b"E-mail,Beats\nx@example.org,Syria\n\ny@example.org,\n")
    assert plan.ok and [(r.line, r.email, r.tags, r.name) for r in plan.rows] == [
        (2, "x@example.org", "syria", None), (4, "y@example.org", None, None)]


@pytest.mark.parametrize(
    "raw, line, text",
    [
        (b"", None, "empty"),
        (b"  \n\n", None, "empty"),
        (b"name,email\n", None, "no contacts"),
        (b"name,outlet\nAna,Daily\n", 1, "no “email” column"),
        (b"email,Email\na@example.org,b@example.org\n", 1, "appears twice"),
        (b"name,email\nAna,ana@example.org\nBen,not-an-address\n", 3, "not a valid e-mail"),
        (b"name,email\nAna,\n", 2, "Enter an e-mail address"),
        (
            b"name,email\nAna,a@example.org\nAnna,A@example.org\n",
            3,
            "appears twice in the file (line 2)",
        ),
        (b"name,email\nAna,a@example.org,extra\n", 2, "3 instead of 2"),
        (b"name,email\nAna\n", 2, "1 instead of 2"),
        (b"name,email\n" + b"N" * 201 + b",a@example.org\n", 2, "at most 200"),
        (b"outlet,email\n" + b"O" * 201 + b",a@example.org\n", 2, "outlet may have at most 200"),
        (b"email,language\na@example.org,??\n", 2, "not a language code"),
        (b"email,tags\na@example.org," + b"t" * 41 + b"\n", 2, "at most 40"),
        (b"name,email\nAna,a@example.org\n\xff\xfeBen,b@example.org\n", 3, "not UTF-8"),
        (b"name,email\nAna,a@example.org\nB\x00en,b@example.org\n", 3, "NUL"),
        (b'name,email\nAna,a@example.org\n"Ben"x,b@example.org\n', 3, "not valid CSV"),
        (b'name,email\n"Ana,a@example.org\n', 2, "not valid CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", 1, "UTF-8"),
        (b"name,email\n" + b"x" * (press_import.MAX_IMPORT_BYTES + 1), None, "larger than 1 MB"),
    ],
)
def test_bad_files_get_line_numbered_problems(raw, line, text):
    plan = press_import.read_csv(raw)
    assert not plan.ok
    assert any(found_line == line and text in message for found_line, message in problems(plan)), \
        problems(plan)


def test_too_many_rows():
    rows = "".join(f"a{i}@example.org\n" for i in range(press_import.MAX_IMPORT_ROWS + 1))
    plan = press_import.read_csv(("email\n" + rows).encode())
    assert problems(plan) == [(press_import.MAX_IMPORT_ROWS + 2, "Too many rows: at most 5000.")]
    rows = "".join(f"a{i}@example.org\n" for i in range(press_import.MAX_IMPORT_ROWS))
    assert press_import.read_csv(("email\n" + rows).encode()).ok


def test_every_bad_row_is_reported():
    plan = press_import.read_csv(b"email\nbad1\nok@example.org\nbad2\n")
    assert [line for line, _message in problems(plan)] == [2, 4]


def test_plan_reports_new_updated_unchanged_and_refuses_unsubscribed(session, frozen_clock):
    user = make_user(session)
    make_contact(session, user, email="ana@example.org", name="Ana", outlet="Old", tags="iraq")
    make_contact(session, user, email="ben@example.org", name="Ben", language="ar", outlet="X")
    plan = press_import.plan_import(session, GOOD + b"Cy,,cy@example.org,,,\n")
    assert plan.ok
    assert [(r.email, r.action) for r in plan.rows] == [
        ("ana@example.org", "updated"), ("ben@example.org", "unchanged"), ("cy@example.org", "new")]
    make_contact(session, user, email="gone@example.org", status="unsubscribed")
    plan = press_import.plan_import(session, GOOD + b"G,,Gone@example.org,,,\n")
    assert problems(plan) == [(4, "gone@example.org unsubscribed on 2026-11-01; only they can "
                                  "subscribe again.")]


def test_import_is_all_or_nothing(session):
    user = make_user(session)
    make_contact(session, user, email="gone@example.org", status="unsubscribed")
    before = contact_count(session)
    for bad in (GOOD + b"G,,gone@example.org,,,\n", GOOD + b"bad row\n",
                GOOD + b",,ana@example.org,,,\n"):
        plan = press_import.import_csv(session, bad, filename="list.csv", actor_id=user.id)
        assert not plan.ok and [p.line for p in plan.problems] == [4]
        assert contact_count(session) == before
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "press-imported")) is None


def test_import_adds_and_updates(session):
    user = make_user(session)
    pending = make_contact(session, user, email="ana@example.org", name="Ana", outlet="Old",
                           status="pending", tags="kurds")
    plan = press_import.import_csv(session, GOOD, filename="list.csv", actor_id=user.id)
    assert (plan.count("new"), plan.count("updated")) == (1, 1)
    ana = contact_by_email(session, "ana@example.org")
    ben = contact_by_email(session, "ben@example.org")
    assert (ana.id, ana.outlet, ana.tags, ana.status) == (
        pending.id, "The Daily", "human rights,iraq", "pending")  # status is not the file's
    assert (ben.name, ben.outlet, ben.language, ben.tags, ben.status, ben.source) == (
        "Ben", "", "ar", "", "active", "import")
    # empty cells and absent columns leave stored values alone
    press_import.import_csv(session, b"email,outlet,name\nana@example.org,,\n", filename="b.csv",
                     actor_id=user.id)
    assert contact_by_email(session, "ana@example.org").outlet == "The Daily"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "press-imported")
                            .order_by(AuditEvent.id)).first()
    assert event.detail == {"file": "list.csv", "added": 1, "updated": 1}


def test_importing_five_thousand_rows_is_quick(session):
    import time

    user = make_user(session)
    rows = "".join(f"Name {i},Outlet,a{i}@example.org,en,iraq\n" for i in range(5000))
    started = time.monotonic()
    plan = press_import.import_csv(session, ("name,outlet,email,language,tags\n" + rows).encode(),
                            filename="big.csv", actor_id=user.id)
    assert plan.count("new") == 5000 and contact_count(session) == 5000
    assert time.monotonic() - started < 20
