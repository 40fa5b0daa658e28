"""Printed = signed: what is printed and counted under text version N signed version N.

After a correction (a new signed version), the signatories approved for an earlier
version who have not re-confirmed are never counted as signatories of the new one:
the PDF, the statement's page, the API (JSON and CSV) and the press mail count only
those bound to the current version, and list the others apart, in a section per
earlier version headed with that version and its SHA-256 (``earlier_signers =
"section"``), or not at all (``"omit"``). The publish page says how many have not
re-confirmed before anything is sent, and so does the summary that follows it.
"""
from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from cosign import listing, moderation, pdfs, publishing, signing
from cosign.models import AuditEvent, Revision, Signature, Statement
from cosign.security import make_token
from tests.corrections import (
    RECONFIRMED,
    SECRET,
    V1,
    V2,
    corrected,
    link,
    new_version,
    reconfirm,
    sign_on,
)
from tests.factories import login, make_statement, make_user
from tests.publication_flow import open_summary, press_button
from tests.smtp_sink import Sink, mail_config, start


def hashes(session, statement) -> dict[int, str]:
    return dict(session.execute(select(Revision.number, Revision.sha256)
                                .where(Revision.statement_id == statement.id)).all())


CURRENT = sorted(RECONFIRMED + ["Zagros Human Rights"])
EARLIER_V2 = sorted(set(V2) - set(RECONFIRMED))
EARLIER_V1 = sorted(set(V1) - set(RECONFIRMED))


def sorted_names(names: Iterable[str | None]) -> list[str]:
    """The names in order; each must be a printed one (a listing's entry has None if withheld)."""
    printed = []
    for name in names:
        assert name is not None, "a withheld name among names that are printed"
        printed.append(name)
    return sorted(printed)


def flat(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(app, session, statement):
    issued = pdfs.issue(session, statement, app.config)
    data = pdfs.file_path(app.config, issued).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    return issued, "\n".join(page.extract_text() for page in reader.pages)


# --- the services: counts and lists ---------------------------------------------------

@pytest.mark.parametrize("policy", ["section", "omit"])
def test_only_signatories_of_the_current_version_are_counted(session, policy):
    _owner, statement = corrected(session, policy)
    assert statement.signed_revision == 3 and statement.earlier_signers == policy

    counts = publishing.version_counts(session, statement)
    assert (counts.version, counts.current, counts.earlier) == (3, 3, ((2, 5), (1, 4)))
    assert counts.not_reconfirmed == 9  # the setting changes what is shown, not the facts

    public = listing.build(session, statement.id)
    assert public.total == 3 and sorted_names(e.name for e in public.entries) == CURRENT
    assert {e.revision for e in public.entries} == {3}
    snapshot = pdfs.read_snapshot(session, statement.id, {"COSIGN_STORAGE_DIR": "/nonexistent"})
    assert sorted(s.name for s in snapshot.signatories) == CURRENT
    if policy == "omit":
        assert public.earlier == () and public.earlier_total == 0
        assert snapshot.document.earlier == ()
        return
    digests = hashes(session, statement)
    assert [(g.version, g.sha256, sorted_names(e.name for e in g.entries))
            for g in public.earlier] \
        == [(2, digests[2], EARLIER_V2), (1, digests[1], EARLIER_V1)]
    assert public.earlier_total == 9 and public.total == 3
    assert [(g.version, g.text_sha256, sorted(s.name for s in g.signatories))
            for g in snapshot.document.earlier] == [(2, digests[2], EARLIER_V2),
                                                   (1, digests[1], EARLIER_V1)]


def test_a_reconfirmation_moves_a_name_from_the_earlier_section_to_the_list(session, app):
    owner, statement = corrected(session)
    before = listing.build(session, statement.id)
    snapshot = pdfs.read_snapshot(session, statement.id, app.config)
    assert "Hawar Youth" in [e.name for g in before.earlier for e in g.entries]

    reconfirm(session, statement, "Hawar Youth")
    session.expire_all()
    statement = session.get(Statement, statement.id)
    after = listing.build(session, statement.id)
    assert after.version > before.version  # the snapshots' and the PDF's cache keys change
    assert "Hawar Youth" in [e.name for e in after.entries] and after.total == 4
    assert "Hawar Youth" not in [e.name for g in after.earlier for e in g.entries]
    assert [g.total for g in after.earlier] == [4, 4]
    moved = pdfs.read_snapshot(session, statement.id, app.config)
    assert moved.key != snapshot.key and moved.listing_version > snapshot.listing_version
    assert "Hawar Youth" in [s.name for s in moved.signatories]
    assert publishing.version_counts(session, statement).current == 4
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "reconfirmed")) is not None


def test_changing_the_choice_changes_the_list_version_and_is_audited(session, app):
    from cosign.web.labels import audit_label

    owner, statement = corrected(session)
    version = statement.listing_version
    publishing.set_earlier_signers(session, statement, owner.id, "omit")
    session.expire_all()
    statement = session.get(Statement, statement.id)
    assert statement.earlier_signers == "omit" and statement.listing_version == version + 1
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "earlier-signers"))
    assert event.detail == {"choice": "omit"}
    with app.test_request_context():
        assert "leave out signatories of earlier versions" in audit_label(event)
    publishing.set_earlier_signers(session, statement, owner.id, "omit")  # no change: no bump
    session.expire_all()
    assert session.get(Statement, statement.id).listing_version == version + 1
    with pytest.raises(publishing.PublishError) as caught:
        publishing.set_earlier_signers(session, statement, owner.id, "hide")
    assert caught.value.field == "earlier_signers"
    session.rollback()
    assert session.get(Statement, statement.id).earlier_signers == "omit"


def test_publish_stores_the_choice_and_rejects_a_bad_one(session):
    owner, statement = corrected(session)
    with pytest.raises(publishing.PublishError) as caught:
        publishing.publish(session, statement, owner.id,
                           publishing.PublishOptions(earlier_signers="everyone"))
    assert caught.value.field == "earlier_signers"
    session.rollback()
    session.expire_all()
    statement = session.get(Statement, statement.id)
    assert statement.status == "open" and statement.earlier_signers == "section"
    publishing.publish(session, statement, owner.id,
                       publishing.PublishOptions(earlier_signers="omit"))
    session.expire_all()
    statement = session.get(Statement, statement.id)
    assert statement.status == "published" and statement.earlier_signers == "omit"


# --- the PDF ------------------------------------------------------------------------------

def test_the_pdf_counts_this_version_and_heads_each_earlier_section(session, app):
    """... and prints what its snapshot says (the property's snapshots below are what PDFs
    print): one render, read for both."""
    _owner, statement = corrected(session, withheld=True)
    snapshot = pdfs.read_snapshot(session, statement.id, app.config)
    issued, text = pdf_text(app, session, statement)
    issued_pdfs_print_what_their_snapshot_says(snapshot, issued, text)
    assert issued.signatory_count == 3 and issued.revision == 3
    digests = hashes(session, statement)
    one_line = " ".join(text.split())
    assert "Signatories (3)" in one_line
    for version in (2, 1):
        heading = (f"Signed version {version} (SHA-256 {digests[version][:12]}…), not yet "
                   f"re-confirmed for version 3")
        assert heading in one_line
        assert flat(digests[version]) in flat(text)  # the whole hash, in the note
    # the names: each once, in the list or in its version's section, in that order
    positions = {name: one_line.index(name) for name in CURRENT + EARLIER_V1 + EARLIER_V2}
    section_2 = one_line.index("Signed version 2 (")
    section_1 = one_line.index("Signed version 1 (")
    assert section_2 < section_1
    assert all(positions[name] < section_2 for name in CURRENT)
    assert all(section_2 < positions[name] < section_1 for name in EARLIER_V2)
    assert all(section_1 < positions[name] for name in EARLIER_V1)
    withheld = one_line.index("An organisation in Iraq (name withheld)")
    assert section_2 < withheld < section_1  # signed version 2 only
    assert "Hidden Teachers" not in text and "Private Contact" not in text
    meta = PdfReader(io.BytesIO(pdfs.file_path(app.config, issued).read_bytes())).xmp_metadata
    assert meta is not None and meta.dc_description is not None
    assert "text version 3, signed by 3 signatories" in meta.dc_description["x-default"]


def test_the_pdf_leaves_earlier_signatories_out_when_chosen(session, app):
    _owner, statement = corrected(session, "omit")
    issued, text = pdf_text(app, session, statement)
    assert issued.signatory_count == 3
    assert "Signatories (3)" in " ".join(text.split())
    assert "Signed version" not in text and "re-confirmed" not in text
    for name in CURRENT:
        assert name in text
    for name in EARLIER_V1 + EARLIER_V2:
        assert name not in text


# --- the page, the API --------------------------------------------------------------------

def test_the_statement_page_lists_earlier_signatories_apart(session, client):
    owner, statement = corrected(session)
    page = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "3 signatories</h2>" in page
    assert "9 further signatories signed an earlier version" in page
    digests = hashes(session, statement)
    for version in (2, 1):
        assert (f"Signed version {version} (SHA-256 {digests[version][:12]}…), not yet "
                f"re-confirmed for version 3") in page
        assert digests[version] in page
    main, rest = page.split("Signed version 2 (", 1)
    assert all(name in main for name in CURRENT)
    assert not any(name in main for name in EARLIER_V1 + EARLIER_V2)
    assert all(name in rest for name in EARLIER_V1 + EARLIER_V2)
    # a search looks in the list of this version only
    found = client.get(f"/s/{statement.slug}?q=Hawar").get_data(as_text=True)
    assert "Hawar Youth" not in found and "Signed version" not in found

    publishing.set_earlier_signers(session, statement, owner.id, "omit")
    page = client.get(f"/s/{statement.slug}").get_data(as_text=True)
    assert "3 signatories</h2>" in page and "Signed version" not in page
    assert not any(name in page for name in EARLIER_V1 + EARLIER_V2)


def test_the_api_marks_the_version_each_signed_and_counts_apart(session, client):
    from tests.api_contract import Contract

    owner, statement = corrected(session, withheld=True)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    contract = Contract(client.get("/api/v1/openapi.json").get_json())
    response = contract.check(client.get(f"/api/v1/statements/{statement.slug}"),
                              f"/api/v1/statements/{statement.slug}")
    data = response.get_json()
    digests = hashes(session, statement)
    assert data["version"] == 3 and data["signatory_count"] == 3
    assert data["earlier_versions"] == [
        {"version": 2, "text_sha256": digests[2], "signatory_count": 6},
        {"version": 1, "text_sha256": digests[1], "signatory_count": 4}]
    versions = [s["signed_version"] for s in data["signatories"]]
    assert versions == [3] * 3 + [2] * 6 + [1] * 4  # this version first, then each earlier
    assert sorted(s["name"] for s in data["signatories"] if s["signed_version"] == 3) == CURRENT
    assert {"withheld": True, "country": "IQ", "type": "ngo", "signed_version": 2} \
        in data["signatories"]

    path = f"/api/v1/statements/{statement.slug}/signatories.csv"
    rows = list(csv.reader(io.StringIO(contract.check(client.get(path), path)
                                       .get_data(as_text=True))))
    header = rows[0]
    assert "signed_version" in header
    column = header.index("signed_version")
    assert [r[column] for r in rows[1:]] == ["3"] * 3 + ["2"] * 6 + ["1"] * 4
    assert sorted(r[0] for r in rows[1:4]) == CURRENT

    publishing.set_earlier_signers(session, statement, owner.id, "omit")
    data = client.get(f"/api/v1/statements/{statement.slug}").get_json()
    assert data["signatory_count"] == 3 and data["earlier_versions"] == []
    assert [s["signed_version"] for s in data["signatories"]] == [3, 3, 3]
    rows = list(csv.reader(io.StringIO(client.get(path).get_data(as_text=True))))
    assert len(rows) == 4


# --- the publish page ---------------------------------------------------------------------

def test_the_publish_page_says_how_many_have_not_reconfirmed_before_sending(session, client):
    owner, statement = corrected(session)
    login(client, owner)
    page = client.get(f"/desk/{statement.slug}/publish").get_data(as_text=True)
    assert "3 approved signatories signed version 3" in page
    assert "9 approved signatories have not re-confirmed version 3" in page
    assert "5 signed version 2 only" in page and "4 signed version 1 only" in page
    assert re.search(r'<input checked[^>]*name="earlier_signers" type="radio" value="section"',
                     page)
    assert page.index("have not re-confirmed") < page.index("Continue to the summary</button>")

    form = {"csrf_token": "", "when": "now", "timezone": "UTC", "press_selection": "none"}
    bad = client.post(f"/desk/{statement.slug}/publish", data=dict(form, earlier_signers="all"))
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    session.expire_all()
    assert session.get(Statement, statement.id).status == "open"

    summary = open_summary(client, statement.slug, dict(form, earlier_signers="omit"))
    assert "9 approved signatories signed an earlier version" in summary.get_data(as_text=True)
    assert "They are left out" in summary.get_data(as_text=True)
    done = press_button(client, summary.get_data(as_text=True))
    assert done.status_code == 303
    session.expire_all()
    statement = session.get(Statement, statement.id)
    assert statement.status == "published" and statement.earlier_signers == "omit"

    # after publication, the distribution page keeps the counts and the choice
    page = client.get(f"/desk/{statement.slug}/distribution").get_data(as_text=True)
    assert "9 approved signatories have not re-confirmed version 3" in page
    bad = client.post(f"/desk/{statement.slug}/earlier-signers", data={"earlier_signers": "x"})
    assert bad.status_code == 422
    missing = client.post(f"/desk/{statement.slug}/earlier-signers", data={})
    assert missing.status_code == 422
    session.expire_all()
    assert session.get(Statement, statement.id).earlier_signers == "omit"
    saved = client.post(f"/desk/{statement.slug}/earlier-signers",
                        data={"earlier_signers": "section"})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Statement, statement.id).earlier_signers == "section"


def test_all_reconfirmed_says_so(session, client):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, sign_on("Amal Rights Centre"), owner.id)
    login(client, owner)
    page = client.get(f"/desk/{statement.slug}/publish").get_data(as_text=True)
    assert "1 approved signatory signed version 1" in page
    assert "not re-confirmed" not in page


# --- the press mail -----------------------------------------------------------------------

@pytest.fixture
def sink():
    handler = Sink()
    controller = start(handler)
    yield controller, handler
    controller.stop()


@pytest.fixture
def app_overrides(request):
    if "sink" in request.fixturenames:
        return mail_config(request.getfixturevalue("sink")[0])
    return {}


def test_the_press_mail_counts_the_signatories_of_the_printed_version(session, run_worker, sink):
    from cosign import press

    _controller, handler = sink
    owner, statement = corrected(session)
    press.add(session, press.ContactData(email="desk@news.example", name="Journalist"), owner.id)
    publishing.publish(session, statement, owner.id,
                       publishing.PublishOptions(press_selection="all"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
            m["To"] == "desk@news.example" for m in handler.emails()):
        run_worker()
        time.sleep(0.05)
    message = next(m for m in handler.emails() if m["To"] == "desk@news.example")
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "signed by 3 organisations" in text and "Signatories: 3 " in text
    assert ("Not counted: 5 more signatories signed version 2 of the text and have not "
            "re-confirmed this version (3)") in text
    assert "Not counted: 4 more signatories signed version 1" in text
    html = message.get_body(("html",)).get_content()
    assert "Signatories: 3 " in html and "Not counted: 5 more" in html
    assert "signed by 11" not in text and "Signatories: 11" not in text


# --- the property --------------------------------------------------------------------------

@pytest.fixture
def owner(session):
    return make_user(session)


def sha_of(session, statement_id: int, number: int) -> str:
    return session.scalar(select(Revision.sha256).where(Revision.statement_id == statement_id,
                                                        Revision.number == number))


step = st.one_of(
    st.tuples(st.just("sign"), st.integers(0, 30)),  # a sign-on (confirmed, by the web form)
    st.tuples(st.just("approve"), st.integers(0, 30)),
    st.tuples(st.just("add"), st.integers(0, 30)),  # added by a coordinator: approved
    st.tuples(st.just("version"), st.just(0)),
    st.tuples(st.just("reconfirm"), st.integers(0, 30)),
    st.tuples(st.just("issue"), st.just(0)),
)


def check(session, statement_id: int, snapshot, policy: str) -> None:
    """What the snapshot feeding a PDF prints, against the signatures as they are."""
    document = snapshot.document
    assert sha_of(session, statement_id, document.version) == document.text_sha256
    approved = {s.public_name: s for s in session.scalars(select(Signature).where(
        Signature.statement_id == statement_id, Signature.status == "approved"))}
    for printed in snapshot.signatories:  # bound to the printed text's SHA-256
        assert sha_of(session, statement_id, approved[printed.name].revision) \
            == document.text_sha256
    assert len(snapshot.signatories) == len({s.name for s in snapshot.signatories})
    shown = [s.name for s in snapshot.signatories]
    for group in document.earlier:  # labelled with the version each is bound to
        assert policy == "section" and group.version < document.version
        assert sha_of(session, statement_id, group.version) == group.text_sha256
        for printed in group.signatories:
            assert approved[printed.name].revision == group.version
            shown.append(printed.name)
    expected = [s.public_name for s in approved.values()
                if policy == "section" or s.revision == document.version]
    assert sorted(shown) == sorted(expected)  # nobody approved is lost or printed twice


@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=3, max_size=16),
       policy=st.sampled_from(["section", "omit"]))
def test_every_printed_name_signed_the_printed_text(app, session, owner, steps, policy):
    """For any sequence of sign-ons, approvals, new versions and re-confirmations, each
    snapshot that feeds an issued PDF prints under version N only names whose approved
    signature is bound to version N (the Revision with that number has the printed
    SHA-256), and every name in an earlier section under the version it is bound to."""
    statement = make_statement(session, owner, title="Property")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    if policy == "omit":
        publishing.set_earlier_signers(session, statement, owner.id, "omit")
    statement_id, versions = statement.id, 1
    made: list[int] = []
    snapshots = []
    for action, n in steps + [("issue", 0)]:
        statement = session.get(Statement, statement_id)
        if action in ("sign", "add"):
            name = f"Organisation {len(made):03d}"
            form = sign_on(name)
            if action == "add":
                signature = moderation.add(session, statement, form, owner.id)
            else:
                signature = signing.sign(session, statement, form, secret_key=SECRET,
                                         link_for=link)
                signing.confirm(session, make_token(SECRET, signing.CONFIRM, {
                    "s": signature.id, "e": signature.email}), secret_key=SECRET, link_for=link)
            made.append(signature.id)
        elif action == "approve" and made:
            moderation.approve(session, statement, [made[n % len(made)]], owner.id,
                               secret_key=SECRET, link_for=link)
        elif action == "version":
            versions += 1
            new_version(session, statement, owner, f"ask for release number {versions}")
        elif action == "reconfirm" and made:
            signature = session.get(Signature, made[n % len(made)])
            if signature.status in ("confirmed", "approved") \
                    and signature.revision != statement.signed_revision:
                reconfirm(session, statement, signature.public_name)
        elif action == "issue":
            snapshot = pdfs.read_snapshot(session, statement_id, app.config)
            check(session, statement_id, snapshot, policy)
            snapshots.append(snapshot)
        session.expire_all()

    # the last snapshot is now: exact
    last = snapshots[-1]
    statement = session.get(Statement, statement_id)
    approved = session.scalars(select(Signature).where(Signature.statement_id == statement_id,
                                                       Signature.status == "approved")).all()
    current = sorted(s.public_name for s in approved if s.revision == statement.signed_revision)
    assert sorted(s.name for s in last.signatories) == current
    earlier: dict[int, list[str]] = {}
    for s in approved:
        if s.revision != statement.signed_revision:
            earlier.setdefault(s.revision, []).append(s.public_name)
    expected = ([] if policy == "omit" else
                [(v, sha_of(session, statement_id, v), sorted(earlier[v]))
                 for v in sorted(earlier, reverse=True)])
    assert [(g.version, g.text_sha256, sorted(s.name for s in g.signatories))
            for g in last.document.earlier] == expected


def issued_pdfs_print_what_their_snapshot_says(snapshot, issued, text):
    """The property's snapshots are what the PDF prints: one real render of a statement
    with two earlier sections (`test_the_pdf_counts_...`), read back section by section;
    a withheld name is printed as such, not by name."""
    assert issued.cache_key == snapshot.key and issued.signatory_count == len(snapshot.signatories)
    one_line = " ".join(text.split())
    main, *sections = re.split(r"Signed version \d+ \(SHA-256 [0-9a-f]{12}…\)", one_line)
    assert len(sections) == len(snapshot.document.earlier) == 2
    assert [s.name for s in snapshot.signatories] == [n for n in CURRENT if n in main]
    for group, section in zip(snapshot.document.earlier, sections, strict=True):
        assert all(s.name in section for s in group.signatories if not s.withheld)
        assert section.count("(name withheld)") == sum(s.withheld for s in group.signatories)
        assert f"version {group.version}" in section[:400]
