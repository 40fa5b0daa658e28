"""The share card: made by the worker with the PDF, a real 1200 × 630 PNG, public data only.

Real database (SQLite and PostgreSQL), real WeasyPrint and poppler; the PNG is read back
with Pillow and the intermediate PDF with pypdf.
"""
from __future__ import annotations

import io
import logging

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngImageFile
from pypdf import PdfReader

from cosign import cards, drafting, moderation, signing
from cosign.core.card import HEIGHT, KEY_CHUNK, WIDTH, Card, card_html, card_key, card_pdf
from cosign.models import Statement
from tests.factories import make_statement, make_user

WITHHELD = "Secret Defenders of Basra"
CONTACT = "hidden.person@defenders.example"


@pytest.fixture
def app_overrides():
    return {"COSIGN_SHARE_CARDS": True, "COSIGN_SITE_NAME": "Coalition Sign"}


def opened(session, **settings):
    owner = make_user(session)
    statement = make_statement(session, owner, coalition="Iraqi Press Freedom Coalition",
                               **settings)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement, owner


def add(session, statement, owner, name, **kw):
    return moderation.add(session, statement,
                          signing.SignOn(name, "IQ", kw.pop("email", ""), "Contact", **kw),
                          owner.id)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def read_png(path) -> PngImageFile:
    image = Image.open(path)
    assert isinstance(image, PngImageFile), image.format
    image.load()
    return image


def recording(made: list[Card], answer: bytes):
    """A card renderer that only notes what it was asked to make."""

    def render(card: Card) -> bytes:
        made.append(card)
        return answer

    return render


def the_worker_makes_a_1200_by_630_png_with_the_pdf(app, session, statement_id):
    """The card the worker made with the PDF of a statement signed by "Basra Lawyers" and
    "Mosul Journalists" (the last render of `test_a_new_card_when_the_count_changes_...`)."""
    path = cards.path_of(app.config, statement_id)
    image = read_png(path)
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT) == (1200, 630)
    assert len(set(image.convert("L").tobytes())) > 10  # antialiased text, not a blank page
    session.rollback()
    card = cards.card_for(session, session.get_one(Statement, statement_id), "Coalition Sign")
    assert card == Card("Free the journalists", "Iraqi Press Freedom Coalition", 2, "en",
                        "Coalition Sign")
    assert image.text[KEY_CHUNK] == card_key(card)
    text = pdf_text(card_pdf(card))
    for shown in ("Free the journalists", "Iraqi Press Freedom Coalition", "2", "signatories",
                  "Coalition Sign"):
        assert shown in text


def test_a_new_card_when_the_count_changes_and_none_when_nothing_did(app, session, render_pdfs):
    """The last card is read for everything a card is (a 1200 × 630 PNG of the public data,
    made by the worker with the PDF): one render for both."""
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    statement_id = statement.id
    render_pdfs()
    path = cards.path_of(app.config, statement_id)
    first, version = path.read_bytes(), cards.version_of(app.config, statement_id)
    made: list[Card] = []
    assert not cards.refresh(session, statement_id, app.config,
                             render=recording(made, b""))
    assert made == []  # unchanged: not made again
    add(session, statement, owner, "Mosul Journalists")
    assert render_pdfs() == 1
    second = path.read_bytes()
    assert second != first and cards.version_of(app.config, statement_id) != version
    session.rollback()
    card = cards.card_for(session, session.get_one(Statement, statement_id), "Coalition Sign")
    assert card.count == 2 and read_png(io.BytesIO(second)).text[KEY_CHUNK] == card_key(card)
    the_worker_makes_a_1200_by_630_png_with_the_pdf(app, session, statement_id)


def test_the_count_is_the_public_one(app, session, render_pdfs):
    """Approved signatories of the signed text only: not the unconfirmed, not the rejected."""
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    signing.sign(session, statement, signing.SignOn("Unconfirmed Union", "IQ",
                                                    "u@union.example", "Sam"),
                 secret_key=app.config["SECRET_KEY"], link_for=lambda purpose, value: value)
    session.rollback()
    card = cards.card_for(session, session.get_one(Statement, statement.id), "x")
    assert card.count == 1


def test_no_card_for_a_draft(app, session):
    owner = make_user(session)
    draft = make_statement(session, owner)
    made: list[Card] = []
    assert not cards.refresh(session, draft.id, app.config,
                             render=recording(made, b"png"))
    assert made == [] and not cards.path_of(app.config, draft.id).exists()
    assert cards.version_of(app.config, draft.id) is None


def test_no_withheld_name_and_no_contact_data_on_the_card(app, session, render_pdfs):
    statement, owner = opened(session)
    add(session, statement, owner, WITHHELD, display="withheld", email=CONTACT,
        city="Basra", website="https://defenders.example")
    drafting.update_settings(session, statement, owner.id, slug=statement.slug, language="en",
                             coalition=statement.coalition, press_name="Press Officer Name",
                             press_email="press@coalition.example", press_phone="+964 770 000")
    statement_id = statement.id
    render_pdfs()
    session.rollback()
    card = cards.card_for(session, session.get_one(Statement, statement_id), "x")
    assert card.count == 1
    html, text = card_html(card), pdf_text(card_pdf(card))
    for secret in (WITHHELD, "Secret", CONTACT, "defenders", "Basra", "Press Officer",
                   "press@coalition", "964", "Contact"):
        assert secret not in html and secret not in text, secret
    assert cards.path_of(app.config, statement_id).exists()


def test_an_arabic_card_is_right_to_left_with_arabic_digits(app, session, render_pdfs):
    statement, owner = opened(session, title="أوقفوا قتل المتظاهرين في الناصرية",
                              language="ar")
    for n in range(3):
        add(session, statement, owner, f"Union {n}")
    statement_id = statement.id
    render_pdfs()
    session.rollback()
    card = cards.card_for(session, session.get_one(Statement, statement_id), "x")
    html = card_html(card)
    assert '<html lang="ar" dir="rtl">' in html and "٣" in html and ">3<" not in html
    text = pdf_text(card_pdf(card))
    assert "الناصرية" in text and "٣" in text
    assert read_png(cards.path_of(app.config, statement_id)).size == (1200, 630)


def test_a_card_that_fails_does_not_hold_up_the_pdf(app, session, render_pdfs, monkeypatch,
                                                     caplog):
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")

    def broken(card):
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(cards, "card_png", broken)
    monkeypatch.setattr(logging.getLogger("cosign.cards"), "disabled", False)  # see test_queue
    assert render_pdfs() == 1
    session.rollback()
    fresh = session.get(Statement, statement.id)
    assert fresh.pdf_wanted_at is None  # the PDF was issued and the wish cleared
    assert not cards.path_of(app.config, statement.id).exists()
    assert "share card" in caplog.text


def test_the_setting_turns_cards_off(app, session, render_pdfs):
    app.config["COSIGN_SHARE_CARDS"] = False
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    assert render_pdfs() == 1
    assert not cards.path_of(app.config, statement.id).exists()


def test_a_very_long_title_is_cut_at_a_word():
    card = Card("Word " * 100, "", 5, "en")
    html = card_html(card)
    assert "Word Word" in html and "Word…" in html and html.count("Word") < 100  # title, h1
    assert 'class="card size-s"' in html
