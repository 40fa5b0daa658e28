"""Import a letter through the test client (issue 16, item 1): read it (pasted or as a
Word file) into a preview that stores nothing, correct it, confirm; the draft and its
signatories "imported from the letter", waiting for review once signing opens."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from cosign import drafting, letters, moderation, signing
from cosign.drafting import Text
from cosign.models import AuditEvent, Revision, Signature, Statement
from tests.examples import example, word_file
from tests.factories import login, make_user

READ, DRAFT = "/desk/import-letter", "/desk/import-letter/draft"


@pytest.fixture
def owner(session, client):
    user = make_user(session, name="Owner Olivia")
    login(client, user)
    return user


def stored(session):
    session.rollback()
    return (session.scalar(select(func.count()).select_from(Statement)),
            session.scalar(select(func.count()).select_from(Signature)))


def textarea(html, name):
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert match, name
    text = match.group(1).replace("\r\n", "\n")
    return text.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')


def value(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else ""


def preview_fields(html):
    """The preview's form as the browser would send it back."""
    return {"title": value(html, "title"), "date": value(html, "date"),
            "place": value(html, "place"), "language": value(html, "language"),
            "body": textarea(html, "body"), "signatories": textarea(html, "signatories")}


def test_the_desk_offers_it_and_the_page_explains_it(client, owner):
    assert 'href="/desk/import-letter"' in client.get("/desk/").get_data(as_text=True)
    html = client.get(READ).get_data(as_text=True)
    assert "Paste the letter" in html and "Word file (.docx)" in html
    assert 'enctype="multipart/form-data"' in html


def test_anonymous_visitors_are_sent_to_log_in(client, session):
    for response in (client.get(READ), client.post(READ, data={"text": "x"}),
                     client.post(DRAFT, data={"title": "x"})):
        assert response.status_code == 302 and "/login" in response.location
    assert stored(session) == (0, 0)


def test_reading_a_joint_letter_stores_nothing_and_shows_what_it_found(client, session, owner):
    response = client.post(READ, data={"text": example("003")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and stored(session) == (0, 0)
    names = textarea(html, "signatories").splitlines()
    assert len(names) == 11 and names[0] == "Iraqi Communist Party Organisation in Britain"
    assert value(html, "date") == "2021-03-01"
    assert textarea(html, "body").startswith("Horrific news is coming out of Iraq")
    # what looks damaged, and what was left out, are shown with the reason
    assert "Kurdistan Communist Party Organisation in B</q>: The list&#39;s last name looks " \
           "cut off" in html
    assert "injured d by</q>: A letter looks doubled by accident." in html
    assert "<q dir=\"auto\">Contact us</q> (after the end of the letter)" in html


def test_a_statement_without_a_list_gets_no_invented_signatories(client, session, owner):
    for letter in ("001", "000"):
        html = client.post(READ, data={"text": example(letter)}).get_data(as_text=True)
        assert textarea(html, "signatories") == ""
        assert "does not end with a list of organisations" in html
    assert stored(session) == (0, 0)


def test_confirming_creates_the_draft_and_its_signatories_to_review(client, session, owner):
    html = client.post(READ, data={"text": example("003")}).get_data(as_text=True)
    fields = preview_fields(html)
    fields["title"] = "Joint statement on the killing of protesters in Iraq"
    # the coordinator mends the cut-off name and gives one organisation another country
    fields["signatories"] = fields["signatories"].replace(
        "Kurdistan Communist Party Organisation in B",
        "Kurdistan Communist Party Organisation in Britain | GB")
    response = client.post(DRAFT, data={**fields, "country": "IQ"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Draft created from the letter, with 11 signatories to review once signing " \
           "opens." in page
    session.rollback()
    statement = session.scalars(select(Statement)).one()
    assert statement.status == "draft" and statement.title == fields["title"]
    revision = session.scalars(select(Revision)).one()
    assert revision.number == 1 and revision.body.startswith("Horrific news")
    assert str(revision.date) == "2021-03-01"
    rows = session.scalars(select(Signature).order_by(Signature.id)).all()
    assert len(rows) == 11
    assert {(s.status, s.revision, s.provenance, s.provenance_detail, s.email) for s in rows} \
        == {("confirmed", 1, "imported", letters.FROM_THE_LETTER, "")}
    assert rows[-1].public_name == "Kurdistan Communist Party Organisation in Britain"
    assert rows[-1].country == "GB" and {s.country for s in rows[:-1]} == {"IQ"}
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["created", "letter-imported"]


def test_once_open_they_wait_in_to_review_marked_imported_from_the_letter(client, session,
                                                                          owner):
    html = client.post(READ, data={"text": example("003")}).get_data(as_text=True)
    fields = {**preview_fields(html), "title": "Joint statement", "country": "IQ"}
    slug = client.post(DRAFT, data=fields).location.strip("/").split("/")[-1]
    statement = session.scalars(select(Statement)).one()
    opening = client.get(f"/desk/{slug}/open").get_data(as_text=True)
    assert "11 organisations imported with the letter will wait in “To review”" in opening
    assert "earlier version" not in opening
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    listing = client.get(f"/desk/{slug}/signatures/?status=confirmed").get_data(as_text=True)
    assert listing.count("imported from the letter") == 11
    assert "signed version" not in listing  # they signed the text that opened
    assert moderation.status_counts(session, statement.id)["confirmed"] == 11


def test_when_the_text_changed_before_opening_they_signed_an_earlier_version(client, session,
                                                                             owner):
    fields = {"title": "Joint statement on detentions", "body": "We condemn the detentions.",
              "language": "en", "signatories": "Hope Association\nPress Freedom Network",
              "country": "IQ"}
    slug = client.post(DRAFT, data=fields).location.strip("/").split("/")[-1]
    statement = session.scalars(select(Statement)).one()
    drafting.save_revision(session, statement, owner.id,
                           Text("Joint statement on detentions", "We firmly condemn them."),
                           base_revision=1)
    opening = client.get(f"/desk/{slug}/open").get_data(as_text=True)
    assert "They agreed to revision 1; the text has changed since, so they are shown as " \
           "signatories of an earlier version." in opening
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    assert statement.signed_revision == 2
    listing = client.get(f"/desk/{slug}/signatures/?status=confirmed").get_data(as_text=True)
    assert listing.count("signed version 1") == 2


def test_a_word_letter_is_read(client, session, owner):
    def build(document):
        document.add_heading("Joint statement on the arrest of five journalists", 1)
        document.add_paragraph("We condemn the arrest of five journalists.")
        document.add_paragraph("Signatories:")
        for name in ["Hope Association", "جمعية الأمل لحقوق الإنسان"]:
            document.add_paragraph(name, style="List Bullet")
    response = client.post(READ, data={"file": (io.BytesIO(word_file(build)), "Letter.DOCX")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert value(html, "title") == "Joint statement on the arrest of five journalists"
    assert textarea(html, "signatories").splitlines() == ["Hope Association",
                                                          "جمعية الأمل لحقوق الإنسان"]
    assert value(html, "language") == "en"
    assert stored(session) == (0, 0)


def test_an_arabic_letter_is_proposed_in_arabic(client, owner):
    text = ("بيان مشترك بشأن اعتقال الصحفيين\n\nندين اعتقال خمسة صحفيين في ساحل النور.\n\n"
            "الموقعون:\n\n- جمعية الأمل لحقوق الإنسان\n- نقابة الصحفيين\n")
    html = client.post(READ, data={"text": text}).get_data(as_text=True)
    assert value(html, "language") == "ar"
    assert value(html, "title") == "بيان مشترك بشأن اعتقال الصحفيين"
    assert textarea(html, "signatories").splitlines() == ["جمعية الأمل لحقوق الإنسان",
                                                          "نقابة الصحفيين"]


@pytest.mark.parametrize("filename, data, message", [
    ("letter.pdf", b"%PDF-1.7 ...", "Only Word files (.docx) can be read."),
    ("letter.doc", b"\xd0\xcf\x11\xe0 old Word", "Only Word files (.docx) can be read."),
    ("signatories.csv", b"name,country\n", "Only Word files (.docx) can be read."),
    ("letter.docx", b"not a zip at all", "This file is not a Word document that can be read."),
    ("letter.docx", b"PK\x05\x06" + b"\0" * 18, "This file is not a Word document"),
])
def test_other_files_are_refused_with_a_clear_message(client, session, owner, filename, data,
                                                      message):
    response = client.post(READ, data={"file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(session) == (0, 0)


def test_a_file_over_10_mb_is_refused(client, session, owner):
    response = client.post(READ, data={"file": (io.BytesIO(b"PK" + b"\0" * (10 * 1024 * 1024)),
                                                "big.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The file is larger than 10 MB." in response.get_data(as_text=True)


def test_nothing_to_read(client, session, owner):
    response = client.post(READ, data={"text": "  \n "})
    assert response.status_code == 422
    assert "Paste the letter, or choose a Word file." in response.get_data(as_text=True)


GOOD = {"title": "Joint statement", "body": "We condemn the detentions.", "language": "en",
        "signatories": "Hope Association\nPress Freedom Network", "country": "IQ"}


@pytest.mark.parametrize("changes, message", [
    ({"country": ""}, "Choose the country of the signatories, or add “| IQ”"),
    ({"signatories": "Hope Association\nPress Freedom Network\nhope  association"},
     "Signatories, line 3: “hope association” is already on line 1."),
    ({"signatories": "Hope Association | ZZ"}, "Signatories, line 1: “ZZ” is not a country code."),
    ({"signatories": "Hope Аssociation"}, "mixes letters of different alphabets"),
    ({"signatories": "x" * 201}, "Signatories, line 1: a name may have at most 200 characters."),
    ({"signatories": "\n".join(f"Org {i}" for i in range(2001))},
     "At most 2000 signatories can be imported with a letter."),
    ({"title": ""}, "A title is required."),
    ({"body": ""}, "The text of the statement is empty."),
    ({"body": "<script>alert(1)</script>"}, "Nothing has been saved yet."),
    ({"language": "english please"}, "Nothing has been saved yet."),
    ({"slug": "a"}, "The address must have 3 to 80 characters."),
])
def test_a_bad_correction_is_refused_and_stores_nothing(client, session, owner, changes, message):
    response = client.post(DRAFT, data={**GOOD, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html.replace("&#34;", '"').replace("&#39;", "'")
    assert stored(session) == (0, 0)
    # the corrections are kept for another try
    assert textarea(html, "body") == changes.get("body", GOOD["body"]).replace(
        "<", "&lt;").replace(">", "&gt;")


def test_a_taken_address_is_refused_and_stores_nothing(client, session, owner):
    assert client.post(DRAFT, data={**GOOD, "slug": "joint-statement"}).status_code == 302
    before = stored(session)
    response = client.post(DRAFT, data={**GOOD, "slug": "joint-statement"})
    assert response.status_code == 422 and "is taken by another statement" in \
        response.get_data(as_text=True)
    assert stored(session) == before


def test_without_signatories_a_plain_draft_is_made(client, session, owner):
    response = client.post(DRAFT, data={**GOOD, "signatories": " \n- \n", "country": ""})
    assert response.status_code == 302
    assert "Draft created from the letter." in client.get(response.location).get_data(
        as_text=True)
    assert stored(session) == (1, 0)


def test_the_forms_need_their_csrf_token(app, client, session, owner):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(DRAFT, data=GOOD).status_code in (400, 422)
    assert client.post(READ, data={"text": example("003")}).status_code in (400, 422)
    assert stored(session) == (0, 0)
