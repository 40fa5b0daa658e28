"""Moderating signatures through the test client: tabs, bulk decisions, add, import, export."""
import base64
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from cosign import clock, moderation, signatories, signing
from cosign.models import AuditEvent, OutboxMessage, Signature
from tests.factories import login, make_statement, make_user

SECRET = "test-secret-key-not-for-production"
STATUSES = ("unconfirmed", "confirmed", "approved", "rejected", "withdrawn")
XSS = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>"]
XSS_ESCAPED = ["&lt;script&gt;alert(1)&lt;/script&gt;",
               "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"]


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def count(session, *where):
    session.rollback()  # end any open transaction: read what the requests committed
    return session.scalar(select(func.count()).select_from(Signature).where(*where))


def fresh(session, model, id_):
    session.rollback()
    return session.get(model, id_)


def sign_on(name, email="", **kw):
    data = dict(organisation=name, country="IQ", email=email, contact_name=f"Contact {name}",
                org_type="ngo")
    data.update(kw)
    return signing.SignOn(**data)


_emails = iter(range(1, 10_000))


def signature(session, statement, owner, name, status="confirmed", **kw):
    """A signature through the real services, brought to ``status``."""
    email = kw.pop("email", None) or f"sig{next(_emails)}@example.org"
    honeypot = kw.pop("honeypot", False)
    sig = signing.sign(session, statement, sign_on(name, email, **kw), secret_key=SECRET,
                       link_for=links, honeypot=honeypot)
    if honeypot or status == "unconfirmed":
        return sig
    signing.confirm(session, _token(session, "signature-confirm", signing.CONFIRM, email),
                    secret_key=SECRET, link_for=links)
    if status in ("approved", "withdrawn"):
        moderation.approve(session, statement, [sig.id], owner.id, secret_key=SECRET,
                           link_for=links)
    if status == "withdrawn":
        signing.withdraw(session, _token(session, "signature-approved", signing.WITHDRAW, email),
                         secret_key=SECRET)
    if status == "rejected":
        moderation.reject(session, statement, [sig.id], owner.id)
    assert sig.status == status
    return sig


def _token(session, kind, purpose, recipient):
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no {kind} mail to {recipient}"
    found = re.search(rf"https://cosign\.test/{purpose}/(\S+)", message.body_text)
    assert found is not None, f"no {purpose} link in the mail"
    return found.group(1)


def imported(session, statement, owner, names):
    rows = [sign_on(name) for name in names]
    moderation.import_rows(session, statement, rows, "setup.csv", owner.id)


def snapshot(session):
    session.rollback()
    return sorted(session.execute(select(
        Signature.id, Signature.status, Signature.public_name, Signature.duplicate_of_id,
        Signature.statement_id)).all())


def audit_count(session):
    session.rollback()
    return session.scalar(select(func.count()).select_from(AuditEvent))


def tab_counts(html):
    found = {}
    for status in STATUSES:
        match = re.search(rf'status={status}"[^>]*>[^<]*<span class="count">(\d+)</span>', html)
        assert match, status
        found[status] = int(match.group(1))
    return found


def listed_ids(html):
    return [int(i) for i in re.findall(r'name="ids" value="(\d+)"', html)]


def base(statement):
    return f"/desk/{statement.slug}/signatures"


def every_case(cases, check):
    """``check(*case)`` for every case, one after the other on the same database and app:
    each case is a request that is refused and must change nothing (each checks that), so
    each starts from the state it would have started from alone, without an app, a
    database and a login of its own. The failures of every case are reported together."""
    failed = {}
    for case in cases:
        try:
            check(*case)
        except AssertionError as error:
            failed[repr(case)[:120]] = str(error)
    assert failed == {}


@pytest.fixture
def owner(session, client):
    user = make_user(session, name="Owner Olivia")
    login(client, user)
    return user


@pytest.fixture
def statement(session, owner):
    stmt = make_statement(session, owner)
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    return stmt


@pytest.fixture
def other_statement(session, owner):
    """A second statement of the same owner, with its own confirmed signature."""
    stmt = make_statement(session, owner, title="Another letter", slug="another-letter")
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    stmt.sig = signature(session, stmt, owner, "Other Statement Org")
    return stmt


# --- list, tabs, filters, pages -------------------------------------------------------------

def test_tabs_show_counts_per_status(client, session, owner, statement):
    signature(session, statement, owner, "Unconfirmed Org", "unconfirmed")
    signature(session, statement, owner, "Confirmed One", "confirmed")
    signature(session, statement, owner, "Confirmed Two", "confirmed")
    signature(session, statement, owner, "Approved Org", "approved")
    signature(session, statement, owner, "Rejected Org", "rejected")
    signature(session, statement, owner, "Bot Org", honeypot=True)
    response = client.get(f"{base(statement)}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert tab_counts(html) == {"unconfirmed": 1, "confirmed": 2, "approved": 1, "rejected": 1,
                                "withdrawn": 0}
    assert "1 submission caught by the spam trap is hidden." in html
    # the default tab is "to review" (confirmed)
    assert "Confirmed One" in html and "Confirmed Two" in html
    assert "Approved Org" not in html and "Unconfirmed Org" not in html and "Bot Org" not in html
    approved = client.get(f"{base(statement)}/?status=approved").get_data(as_text=True)
    assert "Approved Org" in approved and "Confirmed One" not in approved
    assert client.get(f"{base(statement)}/?status=flagged").status_code == 404


def test_filter_by_text_and_country(client, session, owner, statement):
    basra = signature(session, statement, owner, "Basra Teachers Union", city="Basra",
                      email="office@teachers.example.org")
    london = signature(session, statement, owner, "London Refugee Forum", country="GB",
                       city="London", email="hello@forum.example.org")
    erbil = signature(session, statement, owner, "Erbil Students", city="Erbil")
    url = f"{base(statement)}/?status=confirmed"
    assert sorted(listed_ids(client.get(url).get_data(as_text=True))) == sorted(
        [basra.id, london.id, erbil.id])
    assert listed_ids(client.get(url + "&q=teachers").get_data(as_text=True)) == [basra.id]
    assert listed_ids(client.get(url + "&q=BASRA").get_data(as_text=True)) == [basra.id]
    assert listed_ids(client.get(url + "&q=forum.example").get_data(as_text=True)) == [london.id]
    assert sorted(listed_ids(client.get(url + "&country=IQ").get_data(as_text=True))) == sorted(
        [basra.id, erbil.id])
    assert listed_ids(client.get(url + "&country=gb").get_data(as_text=True)) == [london.id]
    html = client.get(url + "&country=GB&q=basra").get_data(as_text=True)
    assert listed_ids(html) == [] and "No signatures here." in html
    # the search box and the country keep their values
    html = client.get(url + "&q=teachers&country=IQ").get_data(as_text=True)
    assert 'value="teachers"' in html and '<option value="IQ" selected>' in html


def test_pagination(client, session, owner, statement):
    imported(session, statement, owner, [f"Org {i:02d}" for i in range(1, 52)])
    first = client.get(f"{base(statement)}/?status=approved").get_data(as_text=True)
    assert len(listed_ids(first)) == 50
    assert tab_counts(first)["approved"] == 51
    assert "Page 1 of 2" in first and "Org 51" in first and ">Org 01<" not in first
    assert "page=2" in first
    second = client.get(f"{base(statement)}/?status=approved&page=2").get_data(as_text=True)
    assert len(listed_ids(second)) == 1
    assert "Page 2 of 2" in second and ">Org 01<" in second and "Org 51" not in second
    assert set(listed_ids(first)).isdisjoint(listed_ids(second))
    # a page beyond the end or a bad page number is handled
    assert (
        listed_ids(client.get(f"{base(statement)}/?status=approved&page=3").get_data(as_text=True))
        == []
    )
    assert (
        len(
            listed_ids(
                client.get(f"{base(statement)}/?status=approved&page=x").get_data(as_text=True)
            )
        )
        == 50
    )


# --- bulk decisions -------------------------------------------------------------------------

def test_bulk_approve_and_reject(client, session, owner, statement):
    a = signature(session, statement, owner, "Org A")
    b = signature(session, statement, owner, "Org B")
    c = signature(session, statement, owner, "Org C")
    response = client.post(f"{base(statement)}/moderate",
                           data={"ids": [str(a.id), str(b.id)], "action": "approve",
                                 "status": "confirmed"})
    assert response.status_code == 302 and response.location.endswith("status=confirmed")
    assert "2 approved." in client.get(response.location).get_data(as_text=True)
    assert [fresh(session, Signature, i).status for i in (a.id, b.id, c.id)] == [
        "approved", "approved", "confirmed"]
    assert signatories.approved_count(session, statement.id) == 2
    response = client.post(f"{base(statement)}/moderate",
                           data={"ids": [str(c.id), str(a.id)], "action": "reject"})
    assert response.status_code == 302
    assert "2 rejected." in client.get(response.location).get_data(as_text=True)
    assert [fresh(session, Signature, i).status for i in (a.id, b.id, c.id)] == [
        "rejected", "approved", "rejected"]
    # a rejected (confirmed) signature can be approved again
    client.post(f"{base(statement)}/moderate", data={"ids": [str(c.id)], "action": "approve"})
    assert fresh(session, Signature, c.id).status == "approved"
    html = client.get(f"{base(statement)}/").get_data(as_text=True)
    assert tab_counts(html) == {"unconfirmed": 0, "confirmed": 0, "approved": 2, "rejected": 1,
                                "withdrawn": 0}


def test_filter_by_type(client, session, owner, statement):
    ngo = signature(session, statement, owner, "Basra Teachers")
    union = signature(session, statement, owner, "Dock Workers", org_type="union")
    url = f"{base(statement)}/?status=confirmed"
    assert listed_ids(client.get(url + "&type=union").get_data(as_text=True)) == [union.id]
    html = client.get(url + "&type=ngo").get_data(as_text=True)
    assert listed_ids(html) == [ngo.id] and '<option value="ngo" selected>' in html
    # an unknown type is no filter at all
    assert sorted(listed_ids(client.get(url + "&type=<b>").get_data(as_text=True))) == sorted(
        [ngo.id, union.id])


def test_every_row_of_the_page_without_ticking_any(client, session, owner, statement):
    sigs = [signature(session, statement, owner, f"Org {c}") for c in "ABC"]
    other = signature(session, statement, owner, "Org D", country="FR")
    html = client.get(f"{base(statement)}/?status=confirmed&country=IQ").get_data(as_text=True)
    assert "All 3 signatures on this page" in html
    page_ids = re.findall(r'name="page_ids" value="(\d+)"', html)
    assert sorted(map(int, page_ids)) == sorted(s.id for s in sigs)
    response = client.post(f"{base(statement)}/moderate", data={
        "scope": "page", "page_ids": page_ids, "ids": [str(sigs[0].id)], "action": "approve",
        "status": "confirmed", "country": "IQ"})
    # back to the same filtered list
    assert response.status_code == 302 and "country=IQ" in response.location
    assert "3 approved." in client.get(response.location).get_data(as_text=True)
    assert [fresh(session, Signature, s.id).status for s in sigs] == ["approved"] * 3
    assert fresh(session, Signature, other.id).status == "confirmed"


def _bulk_form(html):
    """The hidden fields of the list's bulk form, as the browser would send them."""
    form = html[html.index('action="/desk/'):html.index('</form>', html.index('name="scope"'))]
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form):
        if name != "page_ids":
            fields[name] = value
    return fields


def test_all_that_match_the_filter_shows_the_count_first_then_acts(client, session, owner,
                                                                    statement):
    imported(session, statement, owner, [f"Rights Group {i:02d}" for i in range(1, 56)])
    moderation.import_rows(session, statement, [sign_on(f"Dock Union {i}", org_type="union")
                                                for i in range(3)], "unions.csv", owner.id)
    html = client.get(f"{base(statement)}/?status=approved&type=ngo").get_data(as_text=True)
    assert "All 55 signatures that match the filter" in html  # two pages: the option is offered
    fields = _bulk_form(html)
    assert fields["type"] == "ngo" and fields["status"] == "approved" and fields["shown"] == "55"
    before = snapshot(session)
    response = client.post(f"{base(statement)}/moderate",
                           data={**fields, "scope": "all", "action": "reject"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Reject 55 signatures?" in page
    assert "Rights Group 55" in page and "and 45 more" in page and "Dock Union" not in page
    assert snapshot(session) == before  # nothing changed yet
    # one more arrives after the count was shown: it is not part of the decision
    moderation.import_rows(session, statement, [sign_on("Late Rights Group")], "late.csv",
                           owner.id)
    confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"',
                              page[page.index("<form"):]))
    response = client.post(f"{base(statement)}/moderate", data={**confirm, "confirm": "1"})
    assert response.status_code == 302 and "type=ngo" in response.location
    assert "55 rejected." in client.get(response.location).get_data(as_text=True)
    counts = moderation.status_counts(session, statement.id)
    assert counts["rejected"] == 55 and counts["approved"] == 4


def test_approve_all_that_match_a_country(client, session, owner, statement):
    iq = [signature(session, statement, owner, f"Iraq Org {i}") for i in range(2)]
    fr = signature(session, statement, owner, "Paris Org", country="FR")
    upto = max(s.id for s in [*iq, fr])
    data = {"status": "confirmed", "country": "IQ", "upto": str(upto), "shown": "3",
            "scope": "all", "action": "approve"}
    page = client.post(f"{base(statement)}/moderate", data=data).get_data(as_text=True)
    assert "Approve 2 signatures?" in page
    assert "The list showed 3 when you chose; 2 match now" in page
    client.post(f"{base(statement)}/moderate", data={**data, "confirm": "1"})
    assert [fresh(session, Signature, s.id).status for s in iq] == ["approved"] * 2
    assert fresh(session, Signature, fr.id).status == "confirmed"


def test_all_that_match_when_none_does_any_more(client, session, owner, statement):
    sig = signature(session, statement, owner, "Org A")
    data = {"status": "confirmed", "upto": str(sig.id), "scope": "all", "action": "approve"}
    client.post(f"{base(statement)}/moderate", data={"ids": [str(sig.id)], "action": "reject"})
    page = client.post(f"{base(statement)}/moderate", data=data).get_data(as_text=True)
    assert "No signature matches any more" in page
    response = client.post(f"{base(statement)}/moderate", data={**data, "confirm": "1"})
    assert "Select at least one signature." in client.get(response.location).get_data(as_text=True)
    assert fresh(session, Signature, sig.id).status == "rejected"


BAD_BULK_DECISIONS = [
    ({"scope": "everything", "action": "approve"}, 400),
    ({"scope": "all", "action": "approve"}, 400),  # no upto
    ({"scope": "all", "action": "approve", "upto": "abc"}, 400),
    ({"scope": "all", "action": "approve", "upto": "-5"}, 400),
    ({"scope": "all", "action": "delete", "upto": "9", "confirm": "1"}, 400),
    ({"scope": "all", "action": "approve", "upto": "9", "status": "gone", "confirm": "1"}, 404),
    ({"scope": "page", "action": "approve", "page_ids": ["x", ""]}, 302),
]


def test_bulk_decisions_refuse_bad_input(client, session, owner, statement):
    signature(session, statement, owner, "Org A")
    before = snapshot(session)

    def check(data, status):
        response = client.post(f"{base(statement)}/moderate", data=data)
        assert response.status_code == status
        if status == 302:
            assert "Select at least one signature." in client.get(response.location).get_data(
                as_text=True)
        assert snapshot(session) == before

    every_case(BAD_BULK_DECISIONS, check)


def test_approving_unconfirmed_or_withdrawn_does_nothing(client, session, owner, statement):
    unconfirmed = signature(session, statement, owner, "Not Yet Org", "unconfirmed")
    withdrawn = signature(session, statement, owner, "Gone Org", "withdrawn")
    before = snapshot(session)
    response = client.post(f"{base(statement)}/moderate",
                           data={"ids": [str(unconfirmed.id), str(withdrawn.id)],
                                 "action": "approve"})
    assert response.status_code == 302
    assert "0 approved." in client.get(response.location).get_data(as_text=True)
    assert snapshot(session) == before
    html = client.get(f"{base(statement)}/").get_data(as_text=True)
    assert tab_counts(html)["unconfirmed"] == 1 and tab_counts(html)["approved"] == 0
    assert signatories.approved_count(session, statement.id) == 0
    client.post(
        f"{base(statement)}/moderate", data={"ids": [str(withdrawn.id)], "action": "reject"}
    )
    assert fresh(session, Signature, withdrawn.id).status == "withdrawn"


@pytest.mark.parametrize("data", [
    {"action": "approve"},  # no ids
    {"ids": ["abc", "-1", ""], "action": "approve"},
])
def test_moderate_without_valid_ids(client, session, owner, statement, data):
    signature(session, statement, owner, "Org A")
    before = snapshot(session)
    response = client.post(f"{base(statement)}/moderate", data=data)
    assert response.status_code == 302
    assert "Select at least one signature." in client.get(response.location).get_data(as_text=True)
    assert snapshot(session) == before


def test_unknown_action_is_refused(client, session, owner, statement):
    sig = signature(session, statement, owner, "Org A")
    before = snapshot(session)
    response = client.post(f"{base(statement)}/moderate", data={"ids": [str(sig.id)],
                                                                "action": "delete"})
    assert response.status_code == 400
    assert snapshot(session) == before


def test_ids_of_another_statement_are_ignored(client, session, owner, statement, other_statement):
    mine = signature(session, statement, owner, "My Org")
    theirs = other_statement.sig
    before = snapshot(session)
    audits = audit_count(session)
    for action in ("approve", "reject"):
        response = client.post(f"{base(statement)}/moderate",
                               data={"ids": [str(theirs.id)], "action": action})
        assert response.status_code == 302
    assert snapshot(session) == before and audit_count(session) == audits
    assert fresh(session, Signature, theirs.id).status == "confirmed"
    # mixed with an own id: only the own one changes
    client.post(f"{base(statement)}/moderate",
                data={"ids": [str(theirs.id), str(mine.id)], "action": "approve"})
    assert fresh(session, Signature, mine.id).status == "approved"
    assert fresh(session, Signature, theirs.id).status == "confirmed"
    # the other statement's signature has no page under this statement
    assert client.get(f"{base(statement)}/{theirs.id}").status_code == 404
    assert client.post(f"{base(statement)}/{theirs.id}/rename",
                       data={"public_name": "Hijacked"}).status_code == 404
    assert client.post(f"{base(statement)}/{theirs.id}/duplicate",
                       data={"duplicate_of": str(mine.id)}).status_code == 404
    assert fresh(session, Signature, theirs.id).public_name == "Other Statement Org"
    assert client.get(f"{base(statement)}/999999").status_code == 404


# --- rename ---------------------------------------------------------------------------------

def test_rename_keeps_the_original_and_shows_the_new_name(client, session, owner, statement):
    sig = signature(session, statement, owner, "womens league of iraq", "approved")
    response = client.post(f"{base(statement)}/{sig.id}/rename",
                           data={"public_name": "  Women’s League of Iraq  "})
    assert response.status_code == 302 and response.location.endswith(f"/signatures/{sig.id}")
    renamed = fresh(session, Signature, sig.id)
    assert renamed.public_name == "Women’s League of Iraq"
    assert renamed.name == "womens league of iraq"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "renamed")).one()
    assert event.detail["original"] == "womens league of iraq"
    assert event.detail["new"] == "Women’s League of Iraq"
    detail = client.get(response.location).get_data(as_text=True)
    assert "Name saved." in detail and "womens league of iraq" in detail  # as submitted
    public = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "Women’s League of Iraq" in public and "womens league of iraq" not in public
    audit = client.get(f"/desk/{statement.slug}/audit").get_data(as_text=True)
    assert "renamed “womens league of iraq” to “Women’s League of Iraq”" in audit


def test_rename_to_the_same_name_records_nothing(client, session, owner, statement):
    sig = signature(session, statement, owner, "Same Name Org")
    audits = audit_count(session)
    response = client.post(f"{base(statement)}/{sig.id}/rename",
                           data={"public_name": "Same  Name Org"})
    assert response.status_code == 302
    assert audit_count(session) == audits


BAD_NAMES = [
    ("", "This field is required."),
    ("   ", "This field is required."),
    ("x" * 201, "200 characters"),
    ("\u200b\u200f\u202e", "Enter the name as it should be shown."),
    ("!!! ...", "Enter the name as it should be shown."),
]


def test_rename_refuses_empty_and_long_names(client, session, owner, statement):
    sig = signature(session, statement, owner, "Original Org")
    before, audits = snapshot(session), audit_count(session)

    def check(value, message):
        response = client.post(f"{base(statement)}/{sig.id}/rename", data={"public_name": value})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert snapshot(session) == before and audit_count(session) == audits

    every_case(BAD_NAMES, check)


# --- duplicates -----------------------------------------------------------------------------

def test_mark_duplicate(client, session, owner, statement):
    original = signature(session, statement, owner, "Iraqi Democratic Association", "approved")
    dup = signature(session, statement, owner, "Iraqi Democratic Assoc UK")
    page = client.get(f"{base(statement)}/{dup.id}").get_data(as_text=True)
    assert f'<option value="{original.id}">Iraqi Democratic Association</option>' in page
    response = client.post(f"{base(statement)}/{dup.id}/duplicate",
                           data={"duplicate_of": str(original.id)})
    assert response.status_code == 302
    marked = fresh(session, Signature, dup.id)
    assert marked.status == "rejected" and marked.duplicate_of_id == original.id
    assert fresh(session, Signature, original.id).status == "approved"
    page = client.get(response.location).get_data(as_text=True)
    assert "Marked as duplicate and rejected." in page and f"#{original.id}" in page
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "duplicate")).one()
    assert (event.detail["signature"], event.detail["of"]) == (dup.id, original.id)


def test_duplicate_of_itself_or_of_another_statement_is_refused(client, session, owner, statement,
                                                                 other_statement):
    a = signature(session, statement, owner, "Org A")
    signature(session, statement, owner, "Org B")
    before, audits = snapshot(session), audit_count(session)
    for value, message in [
        (a.id, "A signature cannot duplicate itself."),
        (other_statement.sig.id, "Choose a signature of this statement."),
        (999_999, "Choose a signature of this statement."),
        ("abc", "Invalid Choice: could not coerce."),
        ("", "This field is required."),
    ]:
        response = client.post(f"{base(statement)}/{a.id}/duplicate",
                               data={"duplicate_of": str(value)})
        assert response.status_code == 422, value
        assert message in response.get_data(as_text=True), value
    assert snapshot(session) == before and audit_count(session) == audits


def test_a_withdrawn_signature_cannot_be_brought_back(client, session, owner, statement):
    keep = signature(session, statement, owner, "Kept Org", "approved")
    gone = signature(session, statement, owner, "Withdrawn Org", "withdrawn")
    client.post(f"{base(statement)}/{gone.id}/duplicate", data={"duplicate_of": str(keep.id)})
    client.post(f"{base(statement)}/moderate", data={"ids": [str(gone.id)], "action": "approve"})
    assert fresh(session, Signature, gone.id).status not in ("approved", "confirmed")
    assert "Withdrawn Org" not in client.get(f"/s/{statement.slug}").get_data(as_text=True)


# --- add ------------------------------------------------------------------------------------

def add_form(**overrides):
    data = {"organisation": "Paper Signatory Union", "country": "IQ", "city": "Najaf",
            "org_type": "union", "website": "https://psu.example.org", "contact_name": "Ali Hassan",
            "email": "ali@psu.example.org", "display": "named", "kind": "organisation"}
    data.update(overrides)
    return data


def test_add_signature(client, session, owner, statement):
    assert client.get(f"{base(statement)}/add").status_code == 200
    response = client.post(f"{base(statement)}/add", data=add_form())
    assert response.status_code == 302 and response.location.endswith("status=approved")
    sig = session.scalars(select(Signature)).one()
    assert (sig.public_name, sig.country, sig.city, sig.org_type, sig.status, sig.provenance,
            sig.provenance_detail, sig.email, sig.contact_name, sig.website) == (
        "Paper Signatory Union", "IQ", "Najaf", "union", "approved", "added", "Owner Olivia",
        "ali@psu.example.org", "Ali Hassan", "https://psu.example.org")
    assert sig.decided_by_id == owner.id and sig.revision == statement.signed_revision
    html = client.get(response.location).get_data(as_text=True)
    assert "Signature added." in html and "added by Owner Olivia" in html
    assert "Paper Signatory Union" in client.get(f"/s/{statement.slug}").get_data(as_text=True)


def test_add_without_contact_data(client, session, owner, statement):
    response = client.post(f"{base(statement)}/add",
                           data=add_form(email="", contact_name="", website="", city=""))
    assert response.status_code == 302
    assert session.scalars(select(Signature.email)).one() == ""


BAD_ADDITIONS = [
    ({"organisation": ""}, "Enter the name of the organisation."),
    ({"organisation": "\u200b\u200f"}, "Enter the name of the organisation."),
    ({"country": "XX"}, "Not a valid choice"),
    ({"country": ""}, "Choose a country."),
    ({"organisation": "x" * 201}, "at most 200 characters"),
    ({"website": "javascript:alert(1)"}, "starting with https://"),
    ({"website": "ftp://files.example.org"}, "starting with https://"),
    ({"email": "not-an-email"}, "Enter a valid e-mail address."),
    ({"org_type": "cult"}, "Not a valid choice"),
    ({"display": "shouting"}, "Not a valid choice"),
    ({"kind": "individual"}, "organisations only"),
]


def test_add_refuses_bad_input(client, session, owner, statement):
    audits = audit_count(session)

    def check(overrides, message):
        response = client.post(f"{base(statement)}/add", data=add_form(**overrides))
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html and "Nothing has been saved yet." in html
        assert count(session) == 0 and audit_count(session) == audits

    every_case(BAD_ADDITIONS, check)


def test_add_an_organisation_already_on_the_list(client, session, owner, statement):
    # confirmed: an unconfirmed sign-on only claims the name and holds nothing (test_claims.py)
    signature(session, statement, owner, "Iraqi Democratic Association", "confirmed")
    before, audits = snapshot(session), audit_count(session)
    response = client.post(f"{base(statement)}/add",
                           data=add_form(organisation="The iraqi  democratic association."))
    assert response.status_code == 422
    assert "“The iraqi democratic association.” is already on the list." in response.get_data(
        as_text=True)
    assert snapshot(session) == before and audit_count(session) == audits


def test_add_to_a_draft_is_refused(client, session, owner):
    draft = make_statement(session, owner, title="Still a draft")
    assert client.get(f"{base(draft)}/").status_code == 200
    response = client.post(f"{base(draft)}/add", data=add_form())
    assert response.status_code == 422
    assert "Open the statement for signature" in response.get_data(as_text=True)
    assert count(session) == 0


# --- import ---------------------------------------------------------------------------------

GOOD_CSV = ("name,country,type,display,city,email\n"
            "Basra Teachers Union,IQ,Trade union,named,Basra,office@btu.example.org\n"
            "\n"
            "جمعية الأمل العراقية,Iraq,NGO,withheld,البصرة,\n"
            "Kurdish Rights Watch,GB,ngo,named,London,\n")


def upload(client, statement, content, filename="list.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(f"{base(statement)}/import",
                       data={"file": (io.BytesIO(data), filename), "preview": "1"},
                       content_type="multipart/form-data")


def hidden(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def confirm(client, statement, content_b64, filename="list.csv"):
    return client.post(f"{base(statement)}/import",
                       data={"content": content_b64, "filename": filename, "confirm": "1"},
                       content_type="multipart/form-data")


def test_import_preview_stores_nothing_then_confirm_imports_all(client, session, owner, statement):
    assert client.get(f"{base(statement)}/import").status_code == 200
    audits = audit_count(session)
    response = upload(client, statement, GOOD_CSV)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 rows ready to import from list.csv:" in html
    for name in ("Basra Teachers Union", "جمعية الأمل العراقية", "Kurdish Rights Watch"):
        assert name in html
    assert "<td data-label=\"Row\">4</td>" in html  # the line number, blank line counted
    assert count(session) == 0 and audit_count(session) == audits
    content = hidden(html, "content")
    assert base64.b64decode(content).decode() == GOOD_CSV
    assert hidden(html, "filename") == "list.csv"
    response = confirm(client, statement, content)
    assert response.status_code == 302 and response.location.endswith("status=approved")
    assert "3 signatures imported from list.csv." in client.get(response.location).get_data(
        as_text=True)
    session.rollback()
    rows = {s.public_name: s for s in session.scalars(select(Signature))}
    assert set(rows) == {"Basra Teachers Union", "جمعية الأمل العراقية", "Kurdish Rights Watch"}
    assert all(s.status == "approved" and s.provenance == "imported"
               and s.provenance_detail == "imported from list.csv" for s in rows.values())
    btu = rows["Basra Teachers Union"]
    assert (btu.org_type, btu.city, btu.email) == ("union", "Basra", "office@btu.example.org")
    assert rows["جمعية الأمل العراقية"].display == "withheld"
    assert rows["Kurdish Rights Watch"].country == "GB"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "imported")).one()
    assert event.detail == {"count": 3, "file": "list.csv"}
    public = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "3 signatories" in public and "جمعية الأمل العراقية" not in public


def test_import_a_file_with_one_bad_row_stores_nothing(client, session, owner, statement):
    text = "name,country\nGood Org,IQ\nBad Org,Atlantis\nAnother Good,GB\n"
    response = upload(client, statement, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported." in html
    assert "Row 3: Unknown country “Atlantis”." in html
    assert "Import all rows" not in html
    # even a hand-made confirmation of the bad file stores nothing
    response = confirm(client, statement, base64.b64encode(text.encode()).decode())
    assert response.status_code == 422 and "Row 3:" in response.get_data(as_text=True)
    assert count(session) == 0


BAD_IMPORTS = [
    ("name,city\nA,Basra\n", "The column “country” is missing."),
    ("name,country,phone\nA,IQ,1\n", "Unknown column “phone”."),
    ("name,country\n,IQ\n", "Row 2: The name is empty."),
    ("name,country\n" + "x" * 201 + ",IQ\n", "Row 2: The name is longer than 200 characters."),
    ("name,country,type\nA,IQ,cult\n", "Row 2: Unknown organisation type “cult”."),
    ("name,country,display\nA,IQ,loud\n", "Row 2: Display must be “named” or “withheld”"),
    ("name,country,website\nA,IQ,javascript:alert(1)\n", "Row 2: The website must start with"),
    ("name,country,email\nA,IQ,nobody\n", "Row 2: “nobody” is not an e-mail address."),
    ("", "The file is empty."),
]


def test_import_problems_are_explained(client, session, owner, statement):
    def check(text, message):
        response = upload(client, statement, text)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert count(session) == 0

    every_case(BAD_IMPORTS, check)


def test_import_with_a_name_already_on_the_list_stores_nothing(client, session, owner, statement):
    signature(session, statement, owner, "Kurdish Rights Watch", "approved")
    before, audits = snapshot(session), audit_count(session)
    text = "name,country\nBrand New Org,IQ\nkurdish rights watch,GB\n"
    preview = upload(client, statement, text)
    assert preview.status_code == 200
    response = confirm(client, statement, hidden(preview.get_data(as_text=True), "content"))
    assert response.status_code == 422
    assert "is already on the list." in response.get_data(as_text=True)
    assert snapshot(session) == before and audit_count(session) == audits


def test_import_with_the_same_name_twice_stores_nothing(client, session, owner, statement):
    text = "name,country\nTwice Org,IQ\nthe twice org,GB\n"
    response = confirm(client, statement, base64.b64encode(text.encode()).decode())
    assert response.status_code == 422
    assert "appears twice in the file" in response.get_data(as_text=True)
    assert count(session) == 0


def test_already_on_the_list_names_the_row_of_the_file(client, session, owner, statement):
    signature(session, statement, owner, "Kurdish Rights Watch", "approved")
    text = "name,country\nBrand New Org,IQ\nKurdish Rights Watch,GB\n"
    response = confirm(client, statement, base64.b64encode(text.encode()).decode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "“Kurdish Rights Watch” is already on the list." in html
    assert "Row 3: “Kurdish Rights Watch” is already on the list." in html


def test_import_non_utf8_file(client, session, owner, statement):
    response = upload(client, statement, "name,country\nCafé des Arts,FR\n".encode("latin-1"))
    assert response.status_code == 422
    assert "The file is not UTF-8 text. Save it as “CSV UTF-8”." in response.get_data(as_text=True)
    assert count(session) == 0


def test_import_bom_file_from_excel(client, session, owner, statement):
    data = "\ufeffname;country\r\nجمعية الأمل العراقية;IQ\r\n".encode("utf-8")
    response = upload(client, statement, data)
    assert response.status_code == 200
    assert "1 row ready to import" in response.get_data(as_text=True)


def test_import_larger_than_5_mb(client, session, owner, statement):
    data = b"name,country\n" + b"Some Organisation,IQ\n" * (5 * 1024 * 1024 // 21 + 10)
    assert len(data) > 5 * 1024 * 1024
    response = upload(client, statement, data)
    assert response.status_code in (413, 422)
    html = response.get_data(as_text=True)
    assert "larger than" in html and "Nothing" in html
    assert count(session) == 0


def test_import_of_3_mb_is_accepted(client, session, owner, statement):
    row = "Org {i},IQ,https://example.org/" + "a" * 100_000 + "\n"
    data = "name,country,website\n" + "".join(row.format(i=i) for i in range(30))
    assert 2 * 1024 * 1024 < len(data) < 5 * 1024 * 1024
    response = upload(client, statement, data)
    assert response.status_code == 200
    assert "30 rows ready to import" in response.get_data(as_text=True)


def test_import_of_400_kb_can_be_confirmed(client, session, owner, statement):
    row = "Org {i},IQ,https://example.org/" + "a" * 100_000 + "\n"
    data = "name,country,website\n" + "".join(row.format(i=i) for i in range(4))
    preview = upload(client, statement, data)
    assert preview.status_code == 200
    response = confirm(client, statement, hidden(preview.get_data(as_text=True), "content"))
    assert response.status_code == 302
    assert count(session) == 4


def test_tampered_hidden_content(client, session, owner, statement):
    audits = audit_count(session)

    def check(content):
        response = confirm(client, statement, content)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert ("could not be read back" in html or "This is not a CSV file." in html
                or "Choose a CSV file." in html or "The column “country” is missing." in html)
        assert "Nothing was imported." in html
        assert count(session) == 0 and audit_count(session) == audits

    every_case([("!!!not base64!!!",), ("%%%",), ("   ",), ("bmFtZQ=x",)], check)


def test_hidden_content_that_is_not_utf8(client, session, owner, statement):
    content = base64.b64encode("name,country\nCafé,FR\n".encode("latin-1")).decode()
    response = confirm(client, statement, content)
    assert response.status_code == 422
    assert "not UTF-8 text" in response.get_data(as_text=True)
    assert count(session) == 0


def test_import_without_a_file(client, session, owner, statement):
    response = client.post(f"{base(statement)}/import", data={"preview": "1"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_import_header_only_file_is_explained(client, session, owner, statement):
    response = upload(client, statement, "name,country\n")
    assert response.status_code == 422
    assert "Nothing was imported." in response.get_data(as_text=True)


# --- exports --------------------------------------------------------------------------------

@pytest.fixture
def listed(session, owner, statement):
    signature(session, statement, owner, "Iraqi Democratic Association", "approved",
              email="secret.contact@ida.example.org", contact_name="Secret Contact Sara",
              message="private note", city="Baghdad")
    signature(session, statement, owner, "Hidden Teachers", "approved", display="withheld",
              email="hidden@teachers.example.org", city="Nasiriyah")
    signature(session, statement, owner, "Pending Org", "confirmed", email="pending@example.org")
    return statement


def test_export_csv_over_http(client, listed):
    response = client.get(f"{base(listed)}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{listed.slug}-signatories.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "name,country,country_code,city,type,signed_version"
    assert "Iraqi Democratic Association" in text
    assert "An organisation in Iraq (name withheld)" in text
    for secret in ("secret.contact", "Secret Contact Sara", "private note", "@", "Hidden Teachers",
                   "Nasiriyah", "Pending Org"):
        assert secret not in text, secret


def test_full_export_csv_over_http(client, listed):
    response = client.get(f"{base(listed)}/export.csv?full=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{listed.slug}-signatories-full.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    text = response.data.decode("utf-8-sig")
    for value in ("secret.contact@ida.example.org", "Secret Contact Sara", "private note",
                  "Hidden Teachers", "Nasiriyah", "Pending Org", "confirmed"):
        assert value in text, value


@pytest.mark.parametrize("full", [False, True])
def test_export_xlsx_over_http(client, listed, full):
    response = client.get(f"{base(listed)}/export.xlsx" + ("?full=1" if full else ""))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    suffix = "-full" if full else ""
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{listed.slug}-signatories{suffix}.xlsx"')
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data))["Signatories"]
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v]
    text = "\n".join(map(str, values))
    assert "Iraqi Democratic Association" in text
    if full:
        assert "secret.contact@ida.example.org" in text and "Pending Org" in text
    else:
        assert "@" not in text and "Secret Contact" not in text and "Hidden Teachers" not in text
        assert "Pending Org" not in text


def test_export_csv_content_type_has_one_charset(client, listed):
    response = client.get(f"{base(listed)}/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_unknown_export_format_is_404(client, listed):
    assert client.get(f"{base(listed)}/export.pdf").status_code == 404
    assert client.get(f"{base(listed)}/export.json").status_code == 404


# --- who may see it -------------------------------------------------------------------------

def all_requests(statement, sig_id, other_id):
    b = base(statement)
    gets = [f"{b}/", f"{b}/?status=approved", f"{b}/{sig_id}", f"{b}/add", f"{b}/import",
            f"{b}/export.csv", f"{b}/export.csv?full=1", f"{b}/export.xlsx",
            f"{b}/export.xlsx?full=1"]
    csv_b64 = base64.b64encode(b"name,country\nSneaky Org,IQ\n").decode()
    posts = [
        (f"{b}/moderate", {"ids": [str(sig_id)], "action": "approve"}),
        (f"{b}/moderate", {"ids": [str(sig_id)], "action": "reject"}),
        (f"{b}/{sig_id}/rename", {"public_name": "Hijacked Name"}),
        (f"{b}/{sig_id}/duplicate", {"duplicate_of": str(other_id)}),
        (f"{b}/add", add_form(organisation="Sneaky Added Org")),
        (f"{b}/import", {"content": csv_b64, "filename": "x.csv", "confirm": "1"}),
    ]
    return gets, posts


def test_non_member_gets_404_everywhere_and_changes_nothing(client, session, owner, statement):
    sig = signature(session, statement, owner, "Member Only Org")
    other = signature(session, statement, owner, "Second Org", "approved")
    stranger = make_user(session, name="Stranger")
    client.post("/logout")
    login(client, stranger)
    assert client.get("/desk/").status_code == 200  # logged in, as the stranger
    before, audits = snapshot(session), audit_count(session)
    gets, posts = all_requests(statement, sig.id, other.id)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Member Only Org" not in response.data
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    upload_response = client.post(f"{base(statement)}/import",
                                  data={"file": (io.BytesIO(b"name,country\nX,IQ\n"), "x.csv"),
                                        "preview": "1"}, content_type="multipart/form-data")
    assert upload_response.status_code == 404
    assert snapshot(session) == before and audit_count(session) == audits


def test_anonymous_is_sent_to_login_and_changes_nothing(client, session, owner, statement):
    sig = signature(session, statement, owner, "Member Only Org")
    other = signature(session, statement, owner, "Second Org", "approved")
    assert client.post("/logout").status_code == 302
    before, audits = snapshot(session), audit_count(session)
    gets, posts = all_requests(statement, sig.id, other.id)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.location, url
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 302 and "/login" in response.location, url
    # even for a statement that does not exist: no hint either way
    assert client.get("/desk/no-such-statement/signatures/").status_code == 302
    assert snapshot(session) == before and audit_count(session) == audits


def test_member_of_another_statement_gets_404(client, session, owner, statement):
    """The owner of one statement is a stranger to a statement of someone else."""
    someone = make_user(session, name="Someone Else")
    theirs = make_statement(session, someone, title="Their letter", slug="their-letter")
    signing.open_for_signature(session, theirs, someone.id, signing.OpenOptions())
    sig = signature(session, theirs, someone, "Their Org")
    before = snapshot(session)
    assert client.get(f"{base(theirs)}/").status_code == 404
    assert client.get(f"{base(theirs)}/{sig.id}").status_code == 404
    assert client.post(f"{base(theirs)}/moderate",
                       data={"ids": [str(sig.id)], "action": "reject"}).status_code == 404
    assert snapshot(session) == before


# --- escaping -------------------------------------------------------------------------------

def test_xss_is_escaped_on_the_list_and_detail_pages(client, session, owner, statement):
    a = signature(session, statement, owner, XSS[0], city=XSS[1], contact_name=XSS[0],
                  message=XSS[1], email="a@example.org")
    b = signature(session, statement, owner, XSS[1], city=XSS[0], contact_name=XSS[1],
                  message=XSS[0], email="b@example.org")
    pages = [client.get(f"{base(statement)}/?status=confirmed"),
             client.get(f"{base(statement)}/{a.id}"),
             client.get(f"{base(statement)}/{b.id}"),
             client.get(f"{base(statement)}/?status=confirmed&q=" + "%3Cscript%3E")]
    for response in pages:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        for raw in XSS:
            assert raw not in html
        assert XSS_ESCAPED[0] in html
    list_html = pages[0].get_data(as_text=True)
    assert XSS_ESCAPED[1] in list_html
    detail_a = pages[1].get_data(as_text=True)
    assert XSS_ESCAPED[1] in detail_a  # the city and the message of a
    assert "onerror=alert(1)&gt;</option>" in detail_a  # b offered as "duplicate of"
    client.post(f"{base(statement)}/moderate", data={"ids": [str(a.id)], "action": "approve"})
    client.post(f"{base(statement)}/{b.id}/rename", data={"public_name": XSS[0] + " renamed"})
    for url in (f"/desk/{statement.slug}/audit", f"/s/{statement.slug}"):
        html = client.get(url).get_data(as_text=True)
        for raw in XSS:
            assert raw not in html, url
        assert XSS_ESCAPED[0] in html, url


def test_xss_is_escaped_on_the_import_and_add_pages(client, session, owner, statement):
    text = (
        f'name,country,city\n"{XSS[0]}",IQ,x\n"{XSS[1].replace(chr(34), chr(34) * 2)}",Narnia,y\n'
    )
    response = upload(client, statement, text, filename="<script>alert(1)</script>.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for raw in XSS:
        assert raw not in html
    response = upload(client, statement, f"name,country,{XSS[0]}\nA,IQ,1\n")
    html = response.get_data(as_text=True)
    assert XSS[0] not in html and "Unknown column “&lt;script&gt;alert(1)&lt;/script&gt;”" in html
    good = f'name,country\n"{XSS[0]}",IQ\n'
    preview = upload(client, statement, good, filename=XSS[0] + ".csv")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and XSS[0] not in html and XSS_ESCAPED[0] in html
    response = confirm(client, statement, hidden(html, "content"), filename=XSS[0] + ".csv")
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    assert "1 signature imported from" in html and XSS[0] not in html
    response = client.post(f"{base(statement)}/add", data=add_form(organisation=XSS[0]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "is already on the list" in html and XSS[0] not in html


# --- chart ----------------------------------------------------------------------------------

def test_timeline_chart_absent_without_signatures(client, session, owner, statement):
    response = client.get(f"{base(statement)}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" not in html and "No signatures here." in html


def test_timeline_chart_shown_with_signatures(client, session, owner, statement, frozen_clock):
    signature(session, statement, owner, "Day One Org", "unconfirmed")
    frozen_clock.advance(days=2)
    signature(session, statement, owner, "Day Three Org")
    signature(session, statement, owner, "Bot", honeypot=True)
    html = client.get(f"{base(statement)}/").get_data(as_text=True)
    assert html.count("<svg") == 1 and 'role="img"' in html
    assert "Sign-ons per day" in html and "2 sign-ons in 3 days" in html


def test_lead_signatory_position(client, session, owner, statement):
    lead = signature(session, statement, owner, "Lead Org", "approved")
    assert b"Lead signatory" in client.get(f"{base(statement)}/{lead.id}").data
    assert (
        client.post(f"{base(statement)}/{lead.id}/lead", data={"lead_rank": "1"}).status_code == 302
    )
    assert fresh(session, Signature, lead.id).lead_rank == 1
    bad = client.post(f"{base(statement)}/{lead.id}/lead", data={"lead_rank": "1000"})
    assert bad.status_code == 422 and b"from 1 to 999" in bad.data
    assert fresh(session, Signature, lead.id).lead_rank == 1
    assert (
        client.post(f"{base(statement)}/{lead.id}/lead", data={"lead_rank": ""}).status_code == 302
    )
    assert fresh(session, Signature, lead.id).lead_rank is None
    assert "lead signatory" in client.get(f"/desk/{statement.slug}/audit").get_data(as_text=True)


def test_close_signing_is_offered_only_while_signing_is_open(client, session, owner, statement):
    assert "Close signing now" in client.get(f"{base(statement)}/").get_data(as_text=True)
    statement.deadline = clock.now() - dt.timedelta(minutes=1)  # passed: signing has ended
    session.commit()
    assert "Close signing now" not in client.get(f"{base(statement)}/").get_data(as_text=True)
