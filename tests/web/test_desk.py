"""The drafting desk through the test client."""
import re

import pytest
from sqlalchemy import func, select

from cosign import drafting
from cosign.core.document import paragraph_key, paragraphs
from cosign.models import AuditEvent, Comment, Revision, Statement
from tests.factories import BODY, add_editor, login, make_statement, make_user

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "';alert(String.fromCharCode(88,83,83))//",
]


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def owner(session, client):
    user = make_user(session, name="Owner")
    login(client, user)
    return user


def new_form(**overrides):
    data = {"title": "Release the detained students", "body": BODY, "place": "Paris",
            "date": "2026-11-21", "slug": "", "language": "en", "coalition": "Student Coalition",
            "press_name": "", "press_email": "", "press_phone": ""}
    data.update(overrides)
    return data


def test_create_statement_through_the_form(client, session, owner):
    response = client.post("/desk/new", data=new_form())
    assert response.status_code == 302
    statement = session.scalar(select(Statement))
    assert response.location.endswith(f"/desk/{statement.slug}/")
    assert statement.slug == "release-the-detained-students"
    page = client.get(f"/desk/{statement.slug}/")
    assert b"Release the detained students" in page.data
    assert b"At least four reporters were detained" in page.data


BAD_NEW_STATEMENTS = [
    ({"title": ""}, "A title is required."),
    ({"title": "x" * 301}, "at most 300 characters"),
    ({"body": ""}, "The text of the statement is empty."),
    ({"body": "x" * 100_001}, "at most 100000 characters"),
    ({"body": "Hello <script>alert(1)</script>"}, "not allowed"),
    ({"body": "[click me](javascript:alert(1))"}, "Links must start with https:// or mailto:"),
    ({"slug": "Bad Slug!"}, "lower-case letters"),
    ({"language": "not a language"}, "BCP 47"),
    ({"press_email": "not-an-email"}, "Enter a valid e-mail address."),
    ({"date": "31/31/2026"}, "Not a valid date value."),
]


def test_bad_input_on_create_gets_a_message_and_stores_nothing(client, session, owner):
    """Every case one after the other on the same database: each is refused and stores
    nothing (each checks that), so each starts from the state it would have had alone
    (without an app, a database and a login of its own). All failures are reported."""
    failed = {}
    for overrides, message in BAD_NEW_STATEMENTS:
        try:
            response = client.post("/desk/new", data=new_form(**overrides))
            assert response.status_code == 422
            assert message in response.get_data(as_text=True)
            session.rollback()  # read what the requests committed
            assert count(session, Statement) == 0 and count(session, Revision) == 0
        except AssertionError as error:
            failed[repr(overrides)[:120]] = str(error)
    assert failed == {}


def test_duplicate_slug_on_create(client, session, owner):
    make_statement(session, owner, slug="taken-address")
    response = client.post("/desk/new", data=new_form(slug="taken-address"))
    assert response.status_code == 422
    assert "is taken by another statement" in response.get_data(as_text=True)
    assert count(session, Statement) == 1


def test_raw_html_in_body_never_executes(client, session, owner):
    statement = make_statement(
        session, owner, body="Plain <b>bold</b> and <em>x</em> text.\n\n<div>block</div>"
    )
    html = client.get(f"/desk/{statement.slug}/").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "<div>block</div>" not in html


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_title_and_comment_comes_back_escaped(client, session, owner, payload):
    statement = make_statement(session, owner, title="Statement " + payload)
    key = paragraph_key(paragraphs(BODY)[0])
    client.post(f"/desk/{statement.slug}/comments", data={"paragraph": key, "body": payload})
    for url in ["/desk/", f"/desk/{statement.slug}/", f"/desk/{statement.slug}/history",
                f"/desk/{statement.slug}/audit", f"/desk/{statement.slug}/edit"]:
        html = client.get(url).get_data(as_text=True)
        assert payload not in html, url
        assert (
            "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
        )


def test_edit_saves_a_revision_and_shows_the_diff(client, session, owner):
    statement = make_statement(session, owner)
    page = client.get(f"/desk/{statement.slug}/edit")
    assert b'value="1"' in page.data  # base revision
    new_body = BODY.replace("condemn", "strongly condemn").replace("four", "five")
    response = client.post(f"/desk/{statement.slug}/edit", data={
        "title": "Free the journalists", "body": new_body, "place": "London", "date": "2026-11-20",
        "note": "Stronger", "base_revision": "1", "submit": "1"})
    assert response.status_code == 302 and "/diff?a=1&b=2" in response.location
    diff = client.get(response.location).get_data(as_text=True)
    assert re.search(r"<ins>\s*strongly\s*</ins>", diff)
    assert re.search(r"<del>four</del>\s*<ins>five</ins>", diff)
    assert "Stronger" in diff
    assert count(session, Revision) == 2


def test_preview_button_renders_without_saving(client, session, owner):
    statement = make_statement(session, owner)
    response = client.post(f"/desk/{statement.slug}/edit", data={
        "title": "T", "body": "Some **bold** words", "base_revision": "1", "preview": "1"})
    assert response.status_code == 200
    assert "<strong>bold</strong>" in response.get_data(as_text=True)
    assert count(session, Revision) == 1


def test_live_preview_endpoint_sanitises(client, session, owner):
    response = client.post(
        "/desk/preview", data={"body": "*hi* <script>x()</script> [a](javascript:x)"}
    )
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert (
        "<em>hi</em>" in html
        and "<script" not in html
        and "javascript:" not in html.replace("[a](javascript:x)", "")
    )
    assert client.post("/desk/preview", data={"body": "x" * 100_001}).status_code == 400


def test_edit_conflict_keeps_the_typed_text(client, session, owner):
    statement = make_statement(session, owner)
    drafting.save_revision(session, statement, owner.id, drafting.Text("Other", "Other body."))
    response = client.post(f"/desk/{statement.slug}/edit", data={
        "title": "Mine", "body": "My body text.", "base_revision": "1", "submit": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "saved by someone else" in html and "My body text." in html
    assert count(session, Revision) == 2


def test_bad_input_on_edit_stores_nothing(client, session, owner):
    statement = make_statement(session, owner)
    for data in [{"title": "", "body": BODY}, {"title": "T", "body": "<script>x</script>"},
                 {"title": "T", "body": BODY, "base_revision": "abc"}]:
        data.setdefault("base_revision", "1")
        data["submit"] = "1"
        assert client.post(f"/desk/{statement.slug}/edit", data=data).status_code == 422
    assert count(session, Revision) == 1


def test_history_diff_and_restore(client, session, owner):
    statement = make_statement(session, owner)
    drafting.save_revision(
        session, statement, owner.id, drafting.Text("Second title", BODY + "\n\nMore.")
    )
    history = client.get(f"/desk/{statement.slug}/history").get_data(as_text=True)
    assert (
        f"/desk/{statement.slug}/revisions/1" in history
        and f"/desk/{statement.slug}/revisions/2" in history
    )
    diff = client.get(f"/desk/{statement.slug}/diff?a=2&b=1").get_data(as_text=True)
    assert "<del>More.</del>" in diff
    assert client.get(f"/desk/{statement.slug}/diff?a=1&b=9").status_code == 404
    assert client.get(f"/desk/{statement.slug}/diff?a=x").status_code == 404
    old = client.get(f"/desk/{statement.slug}/revisions/1")
    assert b"Restore this revision" in old.data
    response = client.post(f"/desk/{statement.slug}/revisions/1/restore")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Statement, statement.id).current_revision == 3
    assert session.get(Statement, statement.id).title == "Free the journalists"
    assert client.post(f"/desk/{statement.slug}/revisions/9/restore").status_code == 404


def test_comments_show_beside_their_paragraph_and_resolve(client, session, owner):
    statement = make_statement(session, owner)
    key = paragraph_key(paragraphs(BODY)[1])
    response = client.post(
        f"/desk/{statement.slug}/comments", data={"paragraph": key, "body": "Which four?"}
    )
    assert response.status_code == 302 and response.location.endswith(f"#p-{key}")
    html = client.get(f"/desk/{statement.slug}/").get_data(as_text=True)
    block = html.split(f'id="p-{key}"')[1].split('class="paragraph"')[0]
    assert "Which four?" in block
    comment = session.scalar(select(Comment))
    assert client.post(f"/desk/{statement.slug}/comments/{comment.id}/resolve").status_code == 302
    assert b"Resolved by <bdi>Owner</bdi>" in client.get(f"/desk/{statement.slug}/").data
    # an empty comment is refused, nothing stored
    client.post(f"/desk/{statement.slug}/comments", data={"paragraph": key, "body": ""})
    assert count(session, Comment) == 1


def test_comment_on_changed_paragraph_moves_to_earlier_wording(client, session, owner):
    statement = make_statement(session, owner)
    key = paragraph_key(paragraphs(BODY)[1])
    client.post(f"/desk/{statement.slug}/comments", data={"paragraph": key, "body": "Which four?"})
    drafting.save_revision(session, statement, owner.id,
                           drafting.Text("Free the journalists", BODY.replace("four", "five")))
    html = client.get(f"/desk/{statement.slug}/").get_data(as_text=True)
    assert "Comments on earlier wording" in html and "Which four?" in html


def test_settings_and_audit_log(client, session, owner):
    statement = make_statement(session, owner)
    response = client.post(f"/desk/{statement.slug}/settings", data={
        "slug": "renamed-statement", "language": "ar", "coalition": "C", "press_name": "Press",
        "press_email": "press@example.org", "press_phone": "+44 1"})
    assert response.status_code == 302 and "/desk/renamed-statement/settings" in response.location
    bad = client.post("/desk/renamed-statement/settings", data={
        "slug": "", "language": "ar", "coalition": "C"})
    assert bad.status_code == 422
    audit = client.get("/desk/renamed-statement/audit").get_data(as_text=True)
    assert "created the statement" in audit and "changed settings" in audit
    assert session.get(Statement, statement.id).slug == "renamed-statement"


def test_dashboard_shows_status_last_change_and_who(client, session, owner):
    editor = make_user(session, name="Second Drafter")
    statement = make_statement(session, owner)
    add_editor(session, statement, editor)
    drafting.save_revision(session, statement, editor.id, drafting.Text("New title here", BODY))
    html = client.get("/desk/").get_data(as_text=True)
    assert "New title here" in html and "by <bdi>Second Drafter</bdi>" in html and "draft" in html


def test_editor_cannot_invite(client, session):
    owner, editor = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    add_editor(session, statement, editor)
    login(client, editor)
    page = client.get(f"/desk/{statement.slug}/members")
    assert b"Only an owner can invite" in page.data
    response = client.post(
        f"/desk/{statement.slug}/members", data={"email": "x@example.org", "role": "editor"}
    )
    assert response.status_code == 403


def test_invite_form_bad_input(client, session, owner):
    statement = make_statement(session, owner)
    response = client.post(
        f"/desk/{statement.slug}/members", data={"email": "nope", "role": "editor"}
    )
    assert response.status_code == 422 and b"Enter a valid e-mail address." in response.data
    response = client.post(
        f"/desk/{statement.slug}/members", data={"email": "a@example.org", "role": "king"}
    )
    assert response.status_code == 422


DESK_GETS = ["/desk/{slug}/", "/desk/{slug}/edit", "/desk/{slug}/history", "/desk/{slug}/diff",
             "/desk/{slug}/diff?a=1&b=1", "/desk/{slug}/revisions/1", "/desk/{slug}/settings",
             "/desk/{slug}/members", "/desk/{slug}/audit"]
DESK_POSTS = [
    "/desk/{slug}/edit",
    "/desk/{slug}/comments",
    "/desk/{slug}/comments/{comment}/resolve",
    "/desk/{slug}/revisions/1/restore",
    "/desk/{slug}/settings",
    "/desk/{slug}/members",
]


def test_non_member_gets_404_on_every_desk_url(client, session):
    owner, stranger = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    drafting.save_revision(session, statement, owner.id, drafting.Text("Two", BODY))
    comment = drafting.add_comment(
        session, statement, owner.id, paragraph_key(paragraphs(BODY)[0]), "c"
    )
    before = (count(session, Revision), count(session, Comment), count(session, AuditEvent))
    login(client, stranger)
    for url in DESK_GETS:
        assert client.get(url.format(slug=statement.slug)).status_code == 404, url
    for url in DESK_POSTS:
        data = {"title": "Hijack", "body": "Hijacked text", "base_revision": "2", "submit": "1",
                "paragraph": comment.paragraph_key, "slug": "hijacked", "language": "en",
                "email": "attacker@example.org", "role": "owner"}
        response = client.post(url.format(slug=statement.slug, comment=comment.id), data=data)
        assert response.status_code == 404, url
    assert (count(session, Revision), count(session, Comment), count(session, AuditEvent)) == before
    assert session.get(Statement, statement.id).slug == statement.slug
    # the same page for a statement that does not exist: indistinguishable
    missing = client.get("/desk/no-such-statement/")
    assert missing.status_code == 404
    assert missing.data == client.get(f"/desk/{statement.slug}/").data


def test_anonymous_visitor_is_sent_to_login_and_learns_nothing(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    for url in DESK_GETS:
        response = client.get(url.format(slug=statement.slug))
        assert response.status_code == 302 and "/login" in response.location
    assert client.post(f"/desk/{statement.slug}/edit", data={}).status_code == 302


# --- copy as a new draft (issue 16, item 2) -------------------------------------------------

def test_copy_as_new_draft_through_the_desk(client, session, owner):
    source = make_statement(session, owner, press_name="Press Office",
                            press_email="press@example.org")
    page = client.get(f"/desk/{source.slug}/settings").get_data(as_text=True)
    assert f'href="/desk/{source.slug}/copy"' in page
    page = client.get(f"/desk/{source.slug}/copy").get_data(as_text=True)
    assert "Copy as a new draft" in page and "press@example.org" in page
    assert "no signatures" in page.lower() or "takes no signatures" in page
    response = client.post(f"/desk/{source.slug}/copy", data={"press_contact": ""})
    assert response.status_code == 302
    copy = session.scalar(select(Statement).where(Statement.id != source.id))
    assert response.location.endswith(f"/desk/{copy.slug}/")
    assert copy.title == source.title and copy.press_email == ""
    page = client.get(response.location).get_data(as_text=True)
    assert "No signatures were copied." in page
    audit = client.get(f"/desk/{copy.slug}/audit").get_data(as_text=True)
    assert f"made it from revision 1 of {source.slug}" in audit


def test_copy_needs_membership_and_a_valid_form(client, session, owner):
    stranger = make_user(session, name="Stranger", email="stranger@example.org")
    source = make_statement(session, stranger)
    assert client.get(f"/desk/{source.slug}/copy").status_code == 404
    assert client.post(f"/desk/{source.slug}/copy", data={}).status_code == 404
    mine = make_statement(session, owner, title="Mine")
    before = count(session, Statement)
    client.application.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/desk/{mine.slug}/copy", data={"press_contact": "y"})
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and count(session, Statement) == before  # no CSRF token


# --- export for Word (issue 16, item 3) -------------------------------------------------------

def _docx(response):
    import io as _io

    from docx import Document

    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    return [p.text for p in Document(_io.BytesIO(response.data)).paragraphs]


def test_export_the_text_and_its_signatories_as_word(client, session, owner):
    from cosign import moderation, signing, translating

    statement = make_statement(session, owner, title="Free the journalists")
    page = client.get(f"/desk/{statement.slug}/").get_data(as_text=True)
    assert f"/desk/{statement.slug}/export.docx" in page
    response = client.get(f"/desk/{statement.slug}/export.docx")
    assert f'filename={statement.slug}.docx' in response.headers["Content-Disposition"]
    lines = _docx(response)
    assert lines[0] == "Free the journalists" and lines[1] == "London, November 20, 2026"
    assert not any(line.startswith("Signatories") for line in lines)  # a draft: no list yet

    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""),
                   owner.id)
    moderation.add(session, statement, signing.SignOn("Hidden Group", "GB", "", "",
                                                      display="withheld"), owner.id)
    lines = _docx(client.get(f"/desk/{statement.slug}/export.docx"))
    assert lines[-3:] == ["Signatories (2)", "Union of Journalists — Iraq",
                          "An organisation in United Kingdom (name withheld)"]
    assert "Hidden Group" not in " ".join(lines)

    translating.add(session, statement, owner.id, "fr", drafting.Text(
        "Libérez les journalistes", "Nous demandons leur libération.", "Londres", None))
    response = client.get(f"/desk/{statement.slug}/export.docx?language=fr")
    assert f"filename={statement.slug}-fr.docx" in response.headers["Content-Disposition"]
    lines = _docx(response)
    assert lines[0] == "Libérez les journalistes" and lines[-3] == "Signataires (2)"
    assert lines[-2] == "Union of Journalists — Irak"


def test_export_refuses_strangers_and_unknown_translations(client, session, owner):
    stranger = make_user(session, name="Stranger", email="stranger2@example.org")
    theirs = make_statement(session, stranger, title="Theirs")
    assert client.get(f"/desk/{theirs.slug}/export.docx").status_code == 404
    mine = make_statement(session, owner, title="Mine")
    assert client.get(f"/desk/{mine.slug}/export.docx?language=de").status_code == 404
    assert client.get(f"/desk/{mine.slug}/export.docx?language=%3Cscript%3E").status_code == 404
