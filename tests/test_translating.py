"""One statement, several languages: translations, their staleness, their pages, PDFs and mail."""
from __future__ import annotations

import datetime as dt
import email
import re
import time
from typing import cast

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlalchemy import func, select

from cosign import distribution, drafting, moderation, pdfs, publishing, signing, translating
from cosign.drafting import Text
from cosign.models import (
    AuditEvent,
    Comment,
    IssuedPdf,
    OutboxMessage,
    Signature,
    Translation,
    TranslationRevision,
)
from tests.factories import login, make_statement, make_user
from tests.press_factories import make_contact
from tests.smtp_sink import mail_config

AR_TITLE = "بيان مشترك بشأن حرية الصحافة"
AR_BODY = ("نحن المنظمات الموقّعة أدناه ندين اعتقال الصحفيين في البصرة.\n\n"
           "ونطالب بالإفراج الفوري وغير المشروط عنهم.")
EN = Text("Joint statement on press freedom", "We, the undersigned organisations, condemn the "
          "arrest of journalists in Basra.\n\nWe call for their immediate release.", "Basra",
          dt.date(2026, 12, 7))
FR = Text("Déclaration commune sur la liberté de la presse", "Nous, organisations soussignées, "
          "condamnons l’arrestation de journalistes à Bassora.\n\nNous demandons leur "
          "libération immédiate.", "Bassora", dt.date(2026, 12, 7))


@pytest.fixture
def app_overrides(request):
    if "smtp" in request.fixturenames:
        return mail_config(request.getfixturevalue("smtp")[0])
    return {}


@pytest.fixture
def owner(session):
    return make_user(session, name="Coordinator")


@pytest.fixture
def statement(session, owner):
    return make_statement(session, owner, title=AR_TITLE, body=AR_BODY, language="ar",
                          place="البصرة", slug="press-freedom-basra")


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


# --- the service ------------------------------------------------------------------

def test_a_translation_records_the_authoritative_revision_and_hash_it_translates(
        session, owner, statement):
    translation = translating.add(session, statement, owner.id, "en", EN)
    row = translating.current_revision(session, translation)
    original = drafting.current_revision(session, statement)
    assert (row.number, row.source_revision, row.source_sha256) == (1, 1, original.sha256)
    assert row.sha256 == EN.document().sha256() != original.sha256
    assert not translating.is_outdated(row, original.sha256)
    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == \
        "translation-added"


def test_a_change_of_the_authoritative_text_outdates_every_translation_until_updated(
        session, owner, statement):
    english = translating.add(session, statement, owner.id, "en", EN)
    french = translating.add(session, statement, owner.id, "fr", FR)
    drafting.save_revision(session, statement, owner.id,
                           Text(AR_TITLE, AR_BODY + "\n\nفقرة جديدة.", "البصرة"))
    original = drafting.current_revision(session, statement)
    assert original.number == 2
    for translation in (english, french):
        assert translating.is_outdated(translating.current_revision(session, translation),
                                       original.sha256)
    # the drafter updates the English text against version 2: no longer outdated
    updated = Text(EN.title, EN.body + "\n\nA new paragraph.", EN.place, EN.date)
    row = translating.save(session, statement, english, owner.id, updated, source_revision=2,
                           base_revision=1)
    assert (row.number, row.source_revision) == (2, 2)
    assert not translating.is_outdated(row, original.sha256)
    assert translating.is_outdated(translating.current_revision(session, french),
                                   original.sha256)
    # the same text checked against the new original is a revision too; twice is nothing
    same = translating.save(session, statement, french, owner.id, FR, source_revision=2)
    assert same.sha256 == FR.document().sha256() and same.source_revision == 2
    with pytest.raises(drafting.NothingChanged):
        translating.save(session, statement, french, owner.id, FR, source_revision=2)


def test_a_translation_saved_against_an_older_original_stays_outdated(session, owner, statement):
    french = translating.add(session, statement, owner.id, "fr", FR)
    drafting.save_revision(session, statement, owner.id, Text(AR_TITLE, AR_BODY + "\n\nجديد.", ""))
    # the drafter's form still said version 1: recorded against 1, so still outdated
    row = translating.save(session, statement, french, owner.id,
                           Text(FR.title, FR.body + " Corrigé.", FR.place, FR.date),
                           source_revision=1, base_revision=1)
    assert row.source_revision == 1
    assert translating.is_outdated(row, drafting.current_revision(session, statement).sha256)


@pytest.mark.parametrize("language, text, field, message", [
    ("ar", EN, "language", "authoritative"),
    ("xx-notalanguage", EN, "language", "BCP 47"),
    ("", EN, "language", "BCP 47"),
    ("fr", Text("", "Texte."), "title", "title is required"),
    ("fr", Text("Titre", "   "), "body", "empty"),
    ("fr", Text("Titre", "<script>alert(1)</script>"), "body", "not allowed"),
    ("fr", Text("Titre", "[x](javascript:alert(1))"), "body", "Links must start"),
    ("fr", Text("T" * 301, "Texte."), "title", "at most"),
])
def test_bad_translations_are_refused_and_nothing_is_stored(session, owner, statement, language,
                                                           text, field, message):
    with pytest.raises(drafting.DraftingError) as raised:
        translating.add(session, statement, owner.id, language, text)
    assert raised.value.field == field and message in str(raised.value)
    session.rollback()
    assert count(session, Translation) == 0 and count(session, TranslationRevision) == 0


def test_one_translation_per_language(session, owner, statement):
    translating.add(session, statement, owner.id, "fr", FR)
    with pytest.raises(translating.TranslationExists):
        translating.add(session, statement, owner.id, "fr", FR)
    assert count(session, Translation) == 1


def test_an_edit_from_a_stale_form_is_a_conflict(session, owner, statement):
    french = translating.add(session, statement, owner.id, "fr", FR)
    translating.save(session, statement, french, owner.id,
                     Text(FR.title, FR.body + " Un.", FR.place, FR.date), base_revision=1)
    with pytest.raises(drafting.EditConflict):
        translating.save(session, statement, french, owner.id,
                         Text(FR.title, FR.body + " Deux.", FR.place, FR.date), base_revision=1)
    assert translating.current_revision(session, french).number == 2


# --- the desk ---------------------------------------------------------------------

def test_drafting_a_translation_on_the_desk(client, session, owner, statement):
    login(client, owner)
    new = client.get(f"/desk/{statement.slug}/translations/new?language=fr")
    page = new.get_data(as_text=True)
    assert new.status_code == 200 and AR_BODY.split("\n")[0] in page  # starts from the original
    assert 'name="source_revision" type="hidden" value="1"' in page
    response = client.post(f"/desk/{statement.slug}/translations/new", data={
        "language": "fr", "title": FR.title, "body": FR.body, "place": FR.place,
        "date": "2026-12-07", "note": "", "source_revision": "1", "submit": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert response.location.endswith(f"/desk/{statement.slug}/translations/fr/")
    shown = client.get(f"/desk/{statement.slug}/translations/fr/").get_data(as_text=True)
    assert 'lang="fr" dir="ltr"' in shown and "Bassora" in shown and "outdated" not in shown
    # the authoritative text changes: the translation says so on the desk, with the changes
    drafting.save_revision(session, statement, owner.id, Text(AR_TITLE, AR_BODY + "\n\nجديد.", ""))
    listing = client.get(f"/desk/{statement.slug}/translations/").get_data(as_text=True)
    assert "outdated" in listing
    shown = client.get(f"/desk/{statement.slug}/translations/fr/").get_data(as_text=True)
    assert "Outdated: the authoritative text is now at version 2" in shown
    edit = client.get(f"/desk/{statement.slug}/translations/fr/edit").get_data(as_text=True)
    assert "Changes in the authoritative text since this translation was made" in edit
    assert "جديد" in edit  # the inserted words of the original
    # comments, history and diff work as for the main text
    row = translating.current_revision(session, translating.get(session, statement.id, "fr"))
    from cosign.core.document import paragraph_key, paragraphs
    key = paragraph_key(paragraphs(row.body)[0])
    assert client.post(f"/desk/{statement.slug}/translations/fr/comments",
                       data={"paragraph": key, "body": "« soussignées » ?"}).status_code == 302
    assert session.scalar(select(Comment.translation_id)) == row.translation_id
    assert drafting.comments(session, statement.id) == []  # not among the original's comments
    client.post(f"/desk/{statement.slug}/translations/fr/edit", data={
        "title": FR.title, "body": FR.body + "\n\nNouveau.", "place": FR.place,
        "date": "2026-12-07", "note": "à jour", "base_revision": "1", "source_revision": "2",
        "submit": "1"})
    history = client.get(f"/desk/{statement.slug}/translations/fr/history").get_data(as_text=True)
    assert "Revision 2" in history and "à jour" in history
    diff = client.get(f"/desk/{statement.slug}/translations/fr/diff?a=1&b=2").get_data(as_text=True)
    assert "<ins>" in diff and "Nouveau" in diff
    assert "Outdated" not in client.get(
        f"/desk/{statement.slug}/translations/fr/").get_data(as_text=True)


@pytest.mark.parametrize("data, status", [
    ({"language": "ar"}, 422), ({"language": "zz-top-secret"}, 422), ({"language": ""}, 422),
    ({"title": ""}, 422), ({"body": ""}, 422), ({"source_revision": "99"}, 422),
    ({"source_revision": "x"}, 422), ({"body": "<script>alert(1)</script>"}, 422),
])
def test_bad_input_on_the_desk_gets_a_message_and_stores_nothing(client, session, owner,
                                                                 statement, data, status):
    login(client, owner)
    form = {"language": "fr", "title": FR.title, "body": FR.body, "place": "", "date": "",
            "note": "", "source_revision": "1", "submit": "1", **data}
    response = client.post(f"/desk/{statement.slug}/translations/new", data=form)
    assert response.status_code == status
    assert 'class="form-problem"' in response.get_data(as_text=True) or \
        "error" in response.get_data(as_text=True)
    session.rollback()
    assert count(session, Translation) == 0


def test_outsiders_see_no_translation_pages(client, session, owner, statement):
    translating.add(session, statement, owner.id, "fr", FR)
    login(client, make_user(session, name="Outsider"))
    for path in ("/", "/new", "/fr/", "/fr/edit", "/fr/history", "/fr/diff", "/fr/revisions/1"):
        assert client.get(f"/desk/{statement.slug}/translations{path}").status_code == 404, path
    assert client.post(f"/desk/{statement.slug}/translations/fr/edit",
                       data={"title": "x", "body": "y"}).status_code == 404
    assert translating.current_revision(session, translating.get(session, statement.id, "fr")
                                        ).number == 1


# --- public pages, signing, PDFs --------------------------------------------------

@pytest.fixture
def opened(session, owner, statement):
    translating.add(session, statement, owner.id, "en", EN)
    translating.add(session, statement, owner.id, "fr", FR)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, signing.SignOn(
        organisation="منظمة NGO للحقوق", country="IQ", email="a@ngo.example",
        contact_name="A"), owner.id)
    moderation.add(session, statement, signing.SignOn(
        organisation="Press Freedom Watch", country="GB", email="b@pfw.example",
        contact_name="B"), owner.id)
    return statement


def test_the_public_page_has_a_switcher_hreflang_and_a_notice_per_translation(client, session,
                                                                               owner, opened):
    page = client.get(f"/s/{opened.slug}").get_data(as_text=True)
    for lang in ("ar", "en", "fr"):
        href = f"http://cosign.test/s/{opened.slug}" + ("" if lang == "ar" else f"/{lang}")
        assert f'<link rel="alternate" hreflang="{lang}" href="{href}">' in page
    assert 'hreflang="x-default"' in page
    assert '<article class="public-statement" lang="ar" dir="rtl">' in page
    french = client.get(f"/s/{opened.slug}/fr", headers={"Accept-Language": "fr"})
    text = french.get_data(as_text=True)
    assert '<article class="public-statement" lang="fr" dir="ltr">' in text
    assert "Ceci est une traduction en français" in text and "arabe" in text
    assert f'<link rel="canonical" href="http://cosign.test/s/{opened.slug}/fr">' in text
    assert "Traduction périmée" not in text
    assert client.get(f"/s/{opened.slug}/de").status_code == 404
    assert client.get(f"/s/{opened.slug}/ar").status_code == 301
    # a new version of the authoritative text: the translation page says it is outdated
    original = drafting.current_revision(session, opened)
    signing.save_new_version(session, opened, owner.id,
                             Text(AR_TITLE, AR_BODY + "\n\nتصحيح.", original.place),
                             note="", base_revision=original.number, secret_key="k",
                             link_for=lambda *a: "x")
    session.commit()
    text = client.get(f"/s/{opened.slug}/fr", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert "Traduction périmée" in text and "d’après la version 1" in text


def test_the_sign_page_says_what_is_signed_and_the_translation_read_is_stored(client, session,
                                                                             opened):
    page = client.get(f"/s/{opened.slug}/sign?text=fr", headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert "Vous signez le texte faisant foi de cette déclaration, en arabe" in text
    assert "traduction en français" in text
    response = client.post(
        f"/s/{opened.slug}/sign?text=fr",
        headers={"Accept-Language": "fr"},
        data={
            "kind": "organisation",
            "organisation": "Reporters Solidaires",
            "country": "FR",
            "email": "rs@example.fr",
            "contact_name": "Claire",
            "contact_role": "Présidente",
            "org_type": "ngo",
            "display": "named",
            "authorised": "y",
            "consent": "y",
            "fax": "",
        },
    )
    assert response.status_code == 303, re.findall(
        r"<li>[^<]*</li>", response.get_data(as_text=True)
    )
    signature = session.scalar(select(Signature).where(Signature.email == "rs@example.fr"))
    assert (signature.language, signature.read_language) == ("fr", "fr")
    assert signature.revision == opened.signed_revision  # the authoritative version is signed
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "rs@example.fr"))
    assert "Confirm" not in mail.subject and re.search(r"[éèà]|Confirmez|confirmer", mail.body_text)
    # an unknown ?text= is the authoritative text
    client.post(
        f"/s/{opened.slug}/sign?text=xx",
        headers={"Accept-Language": "ar"},
        data={
            "kind": "organisation",
            "organisation": "اتحاد الصحفيين",
            "country": "IQ",
            "email": "u@union.example",
            "contact_name": "U",
            "contact_role": "رئيس",
            "org_type": "union",
            "display": "named",
            "authorised": "y",
            "consent": "y",
            "fax": "",
        },
    )
    other = session.scalar(select(Signature).where(Signature.email == "u@union.example"))
    assert (other.language, other.read_language) == ("ar", "ar")
    arabic_mail = session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "u@union.example"))
    assert re.search(r"[\u0600-\u06FF]", arabic_mail.subject)
    assert 'lang="ar" dir="rtl"' in arabic_mail.body_html


def test_each_language_has_its_own_pdf_and_code_with_the_same_list(app, client, session, opened):
    for language in (None, "en", "fr"):
        pdfs.issue(session, opened, app.config, language=language)
    issued = session.scalars(select(IssuedPdf).order_by(IssuedPdf.id)).all()
    assert [(p.language, p.authoritative) for p in issued] == [("ar", True), ("en", False),
                                                                ("fr", False)]
    assert len({p.code for p in issued}) == 3
    assert {p.text_sha256 for p in issued} == {opened.signed_sha256}
    files = {p.language: (app.config["COSIGN_STORAGE_DIR"] + "/pdfs/" + p.file_name)
             for p in issued}
    for language, path in files.items():
        reader = PdfReader(path)
        root = cast(DictionaryObject, reader.trailer["/Root"])  # pypdf types it PdfObject
        assert root["/Lang"] == language
    with pdfplumber.open(files["fr"]) as document:
        first = document.pages[0].extract_text()
    assert "Traduction du texte faisant foi, rédigé en arabe, version 1" in first
    assert opened.signed_sha256[:20] in first.replace("\n", "")
    assert "Signataires (2)" in first and "Press Freedom Watch" in first
    english = " ".join(PdfReader(files["en"]).pages[0].extract_text().split())
    assert "Translation of the authoritative text in Arabic, version 1" in english
    assert "Signatories (2)" in english
    arabic = PdfReader(files["ar"]).pages[0].extract_text()
    assert "الموقِّعة" in arabic or "الموقعة" in arabic
    assert "Press Freedom Watch" in arabic and "Signatories" not in arabic
    # downloads and /verify name the language
    response = client.get(f"/s/{opened.slug}/fr.pdf")
    assert response.status_code == 200 and response.headers["X-Verification-Code"] == issued[2].code
    assert client.get(f"/s/{opened.slug}.pdf").headers["X-Verification-Code"] == issued[0].code
    assert client.get(f"/s/{opened.slug}/de.pdf").status_code == 404
    verdict = client.get(f"/verify/{issued[2].code}", headers={"Accept-Language": "en"})
    text = verdict.get_data(as_text=True)
    assert "French" in text and "a translation; the signatories signed the authoritative text" \
        in text and "(in Arabic)" in text
    authoritative = client.get(f"/verify/{issued[0].code}", headers={"Accept-Language": "en"})
    assert "the authoritative text, which the signatories signed" in authoritative.get_data(
        as_text=True)


def test_a_render_makes_every_language_and_an_edited_translation_wants_a_new_one(
        app, session, owner, opened, render_pdfs):
    assert render_pdfs() == 1
    languages = sorted(session.scalars(select(IssuedPdf.language)))
    assert languages == ["ar", "en", "fr"]
    french = translating.get(session, opened.id, "fr")
    translating.save(session, opened, french, owner.id,
                     Text(FR.title, FR.body + "\n\nPrécision.", FR.place, FR.date))
    session.refresh(opened)
    assert opened.pdf_wanted_at is not None
    assert render_pdfs() == 1
    session.rollback()
    assert session.scalar(select(func.count()).select_from(IssuedPdf).where(
        IssuedPdf.language == "fr")) == 2  # the new French text; the others were unchanged
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 4


def test_the_api_and_the_feed_expose_the_translations(app, client, session, owner, opened):
    publishing.publish(session, opened, owner.id, publishing.PublishOptions())
    for language in (None, "en", "fr"):
        pdfs.issue(session, opened, app.config, language=language)
    data = client.get(f"/api/v1/statements/{opened.slug}").get_json()
    assert data["language"] == "ar"
    assert [t["language"] for t in data["translations"]] == ["en", "fr"]
    french = data["translations"][1]
    assert french["title"] == FR.title and french["translates_version"] == 1
    assert french["translates_sha256"] == data["text_sha256"] and french["outdated"] is False
    assert french["url"] == f"http://cosign.test/s/{opened.slug}/fr"
    assert french["pdf"]["url"].endswith(f"/s/{opened.slug}/fr.pdf")
    assert french["pdf"]["verification_code"]
    feed = client.get("/feed.atom").get_data(as_text=True)
    assert f'href="http://cosign.test/s/{opened.slug}/fr" rel="alternate" type="text/html" ' \
           f'hreflang="fr"' in feed or ('hreflang="fr"' in feed and f"/s/{opened.slug}/fr" in feed)


def test_press_mail_in_the_journalists_language_carries_both_pdfs(smtp, app, session, owner,
                                                                   opened):
    _controller, sink = smtp
    make_contact(session, owner, email="lea@journal.fr", language="fr", name="Léa")
    make_contact(session, owner, email="sam@paper.example", language="de", name="Sam")
    make_contact(session, owner, email="huda@news.iq", language="ar", name="هدى")
    publishing.publish(session, opened, owner.id,
                       publishing.PublishOptions(press_selection="all"))
    assert distribution.distribute(session, opened.id, "final", app.config) == 3
    deadline = time.monotonic() + 30
    while len(sink.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    received = {m.rcpt_tos[0]: email.message_from_bytes(m.content) for m in sink.messages}
    assert set(received) == {"lea@journal.fr", "sam@paper.example", "huda@news.iq"}

    def parts(message):
        names = [p.get_filename() for p in message.walk() if p.get_filename()]
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        return names, text.get_payload(decode=True).decode()

    names, text = parts(received["lea@journal.fr"])
    assert len(names) == 2 and names[0].endswith("-fr.pdf") and not names[1].endswith("-fr.pdf")
    assert "Bonjour Léa" in text or "Léa" in text
    assert FR.body.split(".")[0] in text and "Ceci est une traduction" in text
    names, text = parts(received["sam@paper.example"])  # no German: the authoritative text
    assert len(names) == 1 and AR_BODY.split("\n")[0] in text
    names, text = parts(received["huda@news.iq"])
    assert len(names) == 1 and re.search(r"[\u0600-\u06FF]{3}", text.split("\n")[0] + text)
    assert "Dear" not in text and "Hello" not in text
