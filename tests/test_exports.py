"""CSV and XLSX lists of signatories, tested on the services (no web client)."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cosign import exports, moderation, signing
from cosign.models import OutboxMessage
from tests.factories import make_statement, make_user

SECRET = "test-secret"
PUBLIC_HEADER = ["name", "country", "country_code", "city", "type", "signed_version"]
FULL_HEADER = PUBLIC_HEADER + [
    "original_name", "display", "status", "contact_name", "contact_role", "email", "website",
    "message", "provenance", "signed_at", "confirmed_at",
]
WITHHELD_IQ = "An organisation in Iraq (name withheld)"


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def sign_on(name, email, **kw):
    data = dict(organisation=name, country="IQ", email=email, contact_name=f"Contact of {name}",
                org_type="ngo")
    data.update(kw)
    return signing.SignOn(**data)


PURPOSES = {"signature-confirm": signing.CONFIRM, "signature-approved": signing.WITHDRAW}


def token(session, kind, recipient):
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())).first()
    link = re.search(rf"https://cosign\.test/{PURPOSES[kind]}/(\S+)", message.body_text)
    assert link is not None, f"no link in the {kind} e-mail to {recipient}"
    return link.group(1)


def signature(session, statement, owner, name, status, *, email, ip=None, honeypot=False, **kw):
    """A signature through the real services, brought to ``status``."""
    sig = signing.sign(session, statement, sign_on(name, email, **kw), secret_key=SECRET,
                       link_for=links, ip=ip, honeypot=honeypot)
    if honeypot or status == "unconfirmed":
        return sig
    signing.confirm(session, token(session, "signature-confirm", email), secret_key=SECRET,
                    link_for=links)
    if status in ("approved", "withdrawn"):
        assert moderation.approve(session, statement, [sig.id], owner.id, secret_key=SECRET,
                                  link_for=links) == 1
    if status == "withdrawn":
        signing.withdraw(session, token(session, "signature-approved", email), secret_key=SECRET)
    if status == "rejected":
        assert moderation.reject(session, statement, [sig.id], owner.id) == 1
    assert sig.status == status
    return sig


def add(session, statement, owner, name, **kw):
    data = dict(email="", contact_name="")
    data.update(kw)
    return moderation.add(session, statement, sign_on(name, **data), owner.id)


def read_csv(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(data):
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Signatories"]
    sheet = book["Signatories"]
    return sheet, [
        ["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)
    ]


def xlsx_text(data):
    """Every string the workbook holds, joined (shared strings included)."""
    _sheet, rows = read_xlsx(data)
    return "\n".join(str(v) for row in rows for v in row)


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner, press_name="Press Officer Noor",
                               press_email="press@coalition.example.org",
                               press_phone="+44 20 7946 0018")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement, owner


SECRETS = {
    "email": "sara.private@ida.example.org",
    "contact_name": "Sara Secretperson",
    "contact_role": "Treasurer-in-hiding",
    "message": "Call me on +964 770 123 4567, do not publish",
}


@pytest.fixture
def populated(session, opened):
    statement, owner = opened
    named = signature(session, statement, owner, "Iraqi Democratic Association", "approved",
                      email=SECRETS["email"], ip="203.0.113.9", city="Baghdad",
                      contact_name=SECRETS["contact_name"], contact_role=SECRETS["contact_role"],
                      message=SECRETS["message"], website="https://ida.example.org")
    withheld = signature(session, statement, owner, "Nasiriyah Secret Teachers Collective",
                         "approved", email="hidden@teachers.example.org", display="withheld",
                         city="Nasiriyah", contact_name="Hidden Contact Person")
    signature(session, statement, owner, "Confirmed Only Org", "confirmed",
              email="confirmed@example.org")
    signature(session, statement, owner, "Unconfirmed Org", "unconfirmed",
              email="unconfirmed@example.org")
    signature(session, statement, owner, "Rejected Org", "rejected", email="rejected@example.org")
    signature(
        session, statement, owner, "Withdrawn Org", "withdrawn", email="withdrawn@example.org"
    )
    signature(
        session,
        statement,
        owner,
        "Spam Bot Org",
        "unconfirmed",
        email="bot@spam.example.org",
        honeypot=True,
        ip="198.51.100.7",
    )
    added = add(session, statement, owner, "Paper Signatory Union", country="GB", org_type="union",
                city="London")
    return statement, owner, named, withheld, added


def test_public_csv_has_only_approved_rows_and_public_columns(session, populated):
    statement, _owner, named, _withheld, _added = populated
    rows = read_csv(exports.to_csv(session, statement, full=False))
    assert rows[0] == PUBLIC_HEADER
    assert sorted(rows[1:]) == sorted([
        ["Iraqi Democratic Association", "Iraq", "IQ", "Baghdad", "ngo", str(named.revision)],
        [WITHHELD_IQ, "Iraq", "IQ", "", "ngo", str(named.revision)],
        ["Paper Signatory Union", "United Kingdom", "GB", "London", "union", str(named.revision)],
    ])


def test_public_xlsx_has_only_approved_rows_and_public_columns(session, populated):
    statement, _owner, named, _withheld, _added = populated
    _sheet, rows = read_xlsx(exports.to_xlsx(session, statement, full=False))
    assert list(rows[0]) == PUBLIC_HEADER
    assert sorted(list(r) for r in rows[1:]) == sorted([
        ["Iraqi Democratic Association", "Iraq", "IQ", "Baghdad", "ngo", str(named.revision)],
        [WITHHELD_IQ, "Iraq", "IQ", "", "ngo", str(named.revision)],
        ["Paper Signatory Union", "United Kingdom", "GB", "London", "union", str(named.revision)],
    ])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_public_export_leaks_no_contact_data_and_no_withheld_name(session, populated, fmt):
    statement, _owner, named, withheld, _added = populated
    if fmt == "csv":
        text = exports.to_csv(session, statement, full=False)
    else:
        text = xlsx_text(exports.to_xlsx(session, statement, full=False))
    session.refresh(named)
    forbidden = list(SECRETS.values()) + [
        named.ip_hash, "203.0.113.9", "+964", "770 123 4567", "@", "example.org",
        "Nasiriyah", "Secret Teachers", "Hidden Contact", "hidden@teachers",
        "Confirmed Only", "Unconfirmed Org", "Rejected Org", "Withdrawn Org", "Spam Bot",
        "Press Officer", "press@coalition", "7946", "https://ida.example.org",
        "withheld,", "approved", "web", "added",
    ]
    assert named.ip_hash  # the IP was fingerprinted, so there is something to leak
    for value in forbidden:
        assert value not in text, value
    assert WITHHELD_IQ in text and "Iraqi Democratic Association" in text


def test_full_export_has_contacts_and_all_statuses_but_never_flagged(session, populated):
    statement, owner, named, withheld, added = populated
    rows = read_csv(exports.to_csv(session, statement, full=True))
    assert rows[0] == FULL_HEADER
    by_name = {row[0]: dict(zip(FULL_HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {
        "Iraqi Democratic Association", "Nasiriyah Secret Teachers Collective",
        "Confirmed Only Org", "Unconfirmed Org", "Rejected Org", "Withdrawn Org",
        "Paper Signatory Union"}
    assert {row["status"] for row in by_name.values()} == {
        "approved", "confirmed", "unconfirmed", "rejected", "withdrawn"}
    ida = by_name["Iraqi Democratic Association"]
    assert (ida["email"], ida["contact_name"], ida["contact_role"], ida["message"]) == (
        SECRETS["email"], SECRETS["contact_name"], SECRETS["contact_role"], SECRETS["message"])
    assert ida["website"] == "https://ida.example.org" and ida["provenance"] == "web"
    assert ida["confirmed_at"] != "" and ida["signed_at"] != ""
    secret = by_name["Nasiriyah Secret Teachers Collective"]
    assert secret["display"] == "withheld" and secret["city"] == "Nasiriyah"
    assert by_name["Unconfirmed Org"]["confirmed_at"] == ""
    assert by_name["Paper Signatory Union"]["provenance"] == f"added: {owner.name}"
    text = exports.to_csv(session, statement, full=True)
    assert "Spam Bot" not in text and "bot@spam.example.org" not in text


def test_full_xlsx_matches_full_csv(session, populated):
    statement = populated[0]
    csv_rows = read_csv(exports.to_csv(session, statement, full=True))
    _sheet, xlsx_rows = read_xlsx(exports.to_xlsx(session, statement, full=True))
    assert [list(r) for r in xlsx_rows] == csv_rows
    assert "Spam Bot" not in xlsx_text(exports.to_xlsx(session, statement, full=True))


def test_empty_statement_exports_only_the_header(session, opened):
    statement, _owner = opened
    assert read_csv(exports.to_csv(session, statement, full=False)) == [PUBLIC_HEADER]
    assert read_csv(exports.to_csv(session, statement, full=True)) == [FULL_HEADER]
    _sheet, rows = read_xlsx(exports.to_xlsx(session, statement, full=False))
    assert [list(r) for r in rows] == [PUBLIC_HEADER]


FORMULAS = ['=HYPERLINK("http://x")', "@SUM(1)", "+1", "-2", "=1+1"]


def test_formula_names_are_neutralised_in_csv_and_xlsx(session, opened):
    statement, owner = opened
    for i, name in enumerate(FORMULAS):
        add(session, statement, owner, name, city="=cmd|' /C calc'!A0" if i == 0 else "Basra")
    expected = {"'" + name for name in FORMULAS}
    for full in (False, True):
        rows = read_csv(exports.to_csv(session, statement, full=full))
        assert {row[0] for row in rows[1:]} == expected
        assert "'=cmd|' /C calc'!A0" in {row[3] for row in rows[1:]}
        sheet, xrows = read_xlsx(exports.to_xlsx(session, statement, full=full))
        assert {row[0] for row in xrows[1:]} == expected
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", cell.value
    full_rows = read_csv(exports.to_csv(session, statement, full=True))
    assert {row[FULL_HEADER.index("original_name")] for row in full_rows[1:]} == expected


def test_csv_starts_with_a_bom_and_round_trips_arabic(session, opened):
    statement, owner = opened
    add(session, statement, owner, "جمعية الأمل العراقية", city="البصرة")
    add(session, statement, owner, "ڕێکخراوی مافی مرۆڤ", city="هەولێر")
    data = exports.to_csv(session, statement, full=False).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == PUBLIC_HEADER
    assert sorted((r[0], r[3]) for r in rows[1:]) == sorted(
        [("جمعية الأمل العراقية", "البصرة"), ("ڕێکخراوی مافی مرۆڤ", "هەولێر")])
    _sheet, xrows = read_xlsx(exports.to_xlsx(session, statement, full=False))
    assert {r[0] for r in xrows[1:]} == {"جمعية الأمل العراقية", "ڕێکخراوی مافی مرۆڤ"}


def test_renamed_signature_is_exported_under_its_public_name(session, opened):
    statement, owner = opened
    sig = add(session, statement, owner, "womens league of iraq")
    moderation.rename(session, statement, sig.id, "Women’s League of Iraq", owner.id)
    public = read_csv(exports.to_csv(session, statement, full=False))
    assert [r[0] for r in public[1:]] == ["Women’s League of Iraq"]
    full = read_csv(exports.to_csv(session, statement, full=True))
    assert full[1][FULL_HEADER.index("original_name")] == "womens league of iraq"


def test_quotes_and_commas_in_names_survive_the_csv(session, opened):
    statement, owner = opened
    add(session, statement, owner, 'Women, Peace "and" Security')
    rows = read_csv(exports.to_csv(session, statement, full=False))
    assert rows[1][0] == 'Women, Peace "and" Security'


def test_withheld_rows_do_not_reveal_their_name_by_position(session, opened):
    statement, owner = opened
    add(session, statement, owner, "Alpha Org")
    add(session, statement, owner, "Mike Org", display="withheld")
    add(session, statement, owner, "Zulu Org")
    rows = read_csv(exports.to_csv(session, statement, full=False))
    assert [r[0] for r in rows[1:]] == ["Alpha Org", "Zulu Org", WITHHELD_IQ]


def test_control_characters_do_not_break_the_xlsx_export(session, opened):
    statement, owner = opened
    signature(session, statement, owner, "Bell Org", "approved", email="bell@example.org",
              city="Basra\x01", message="hello\x07")
    _sheet, rows = read_xlsx(exports.to_xlsx(session, statement, full=False))
    assert rows[1][0] == "Bell Org"
    read_xlsx(exports.to_xlsx(session, statement, full=True))
