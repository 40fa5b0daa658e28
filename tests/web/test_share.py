"""The sharing kit through the app: the card's address, link-preview tags, the counter with
its goal, the goal in the settings and the snippet on the desk."""
from __future__ import annotations

import html as htmllib
import io
import re
from typing import Any

import pytest
from PIL import Image

from cosign import cards, moderation, signing
from cosign.models import AuditEvent, Statement
from tests.factories import login, make_statement, make_user


@pytest.fixture
def app_overrides():
    return {"COSIGN_SHARE_CARDS": True}


def opened(session, **options):
    owner = make_user(session)
    statement = make_statement(session, owner, coalition="Iraqi Press Freedom Coalition")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions(**options))
    return statement, owner


def add(session, statement, owner, name, **kw):
    moderation.add(session, statement, signing.SignOn(name, "IQ", "", "Contact", **kw), owner.id)


def meta(page: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    return htmllib.unescape(found.group(1)) if found else None


def sign_box(page: str) -> str:
    return page.split('class="sign-box"', 1)[1].split("</aside>", 1)[0]


# --- the card's address --------------------------------------------------------------------

def test_the_card_is_served_from_the_file_the_worker_made(client, session, render_pdfs):
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    slug, statement_id = statement.slug, statement.id
    response = client.get(f"/s/{slug}/card.png")
    assert response.status_code == 404  # not made yet: never rendered in the request
    session.rollback()
    assert render_pdfs() == 1
    response = client.get(f"/s/{slug}/card.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (1200, 630)
    assert "max-age=300" in response.headers["Cache-Control"]
    again = client.get(f"/s/{slug}/card.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert cards.path_of(client.application.config, statement_id).read_bytes() == response.data


def test_a_missing_card_is_asked_of_the_worker(client, session, render_pdfs):
    statement, owner = opened(session)
    slug, statement_id = statement.slug, statement.id
    render_pdfs()
    cards.path_of(client.application.config, statement_id).unlink()  # e.g. storage restored
    session.rollback()
    assert session.get(Statement, statement_id).pdf_wanted_at is None
    assert client.get(f"/s/{slug}/card.png").status_code == 404
    session.rollback()
    assert session.get(Statement, statement_id).pdf_wanted_at is not None
    assert render_pdfs() == 1
    assert client.get(f"/s/{slug}/card.png").status_code == 200


def test_no_card_for_a_draft_or_an_unknown_statement(client, session):
    owner = make_user(session)
    draft = make_statement(session, owner)
    assert client.get(f"/s/{draft.slug}/card.png").status_code == 404
    assert client.get("/s/no-such-statement/card.png").status_code == 404
    session.rollback()
    assert session.get(Statement, draft.id).pdf_wanted_at is None


def test_an_unlisted_statements_card_is_not_indexed(client, session, render_pdfs):
    statement, owner = opened(session, visibility="unlisted")
    slug = statement.slug
    render_pdfs()
    response = client.get(f"/s/{slug}/card.png")
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex"


# --- link previews ----------------------------------------------------------------------------

class TestLinkPreviews:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_SHARE_CARDS": True, "SERVER_NAME": None, "TRUSTED_HOSTS": None}

    def test_tags_carry_absolute_addresses_from_the_setting(self, client, session, render_pdfs):
        statement, owner = opened(session)
        slug = statement.slug
        render_pdfs()
        page = client.get(f"/s/{slug}", headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in page
        image = meta(page, "og:image")
        assert image is not None
        assert re.fullmatch(rf"http://cosign\.test/s/{slug}/card\.png\?v=[0-9a-f]+", image)
        assert meta(page, "og:image:width") == "1200" and meta(page, "og:image:height") == "630"
        assert meta(page, "og:image:alt") == "Free the journalists"
        assert meta(page, "og:url") == f"http://cosign.test/s/{slug}"
        assert meta(page, "og:title") == "Free the journalists"
        description = meta(page, "og:description")
        assert description is not None
        assert description.startswith("We, the undersigned organisations")
        assert meta(page, "twitter:card") == "summary_large_image"
        assert meta(page, "twitter:image") == image
        assert client.get(image.removeprefix("http://cosign.test")).status_code == 200

    def test_a_new_card_gets_a_new_image_address(self, client, session, render_pdfs):
        statement, owner = opened(session)
        slug = statement.slug
        render_pdfs()
        first = meta(client.get(f"/s/{slug}").get_data(as_text=True), "og:image")
        add(session, statement, owner, "Basra Lawyers")
        render_pdfs()
        assert meta(client.get(f"/s/{slug}").get_data(as_text=True), "og:image") != first

    def test_before_the_first_card_no_image_is_announced(self, client, session):
        statement, owner = opened(session)
        page = client.get(f"/s/{statement.slug}").get_data(as_text=True)
        assert meta(page, "og:image") is None and meta(page, "twitter:card") == "summary"
        assert meta(page, "og:url") == f"http://cosign.test/s/{statement.slug}"


# --- the counter ----------------------------------------------------------------------------

def test_the_counter_without_a_goal(client, session):
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    add(session, statement, owner, "Mosul Journalists")
    box = sign_box(client.get(f"/s/{statement.slug}").get_data(as_text=True))
    assert '<p class="counter-count">2 signatories</p>' in box
    assert "<progress" not in box


def test_the_counter_with_a_goal(client, session):
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    add(session, statement, owner, "Mosul Journalists")
    statement.signature_goal = 8
    session.commit()
    box = sign_box(client.get(f"/s/{statement.slug}").get_data(as_text=True))
    assert '<p class="counter-count" id="counter-label">2 of 8 signatories</p>' in box
    assert ('<progress class="counter-bar" max="8" value="2" aria-labelledby="counter-label">'
            '25 %</progress>') in box
    assert "The goal is reached." not in box


def test_a_goal_reached_and_passed(client, session):
    statement, owner = opened(session)
    for name in ("Basra Lawyers", "Mosul Journalists", "Erbil Teachers"):
        add(session, statement, owner, name)
    statement.signature_goal = 2
    session.commit()
    box = sign_box(client.get(f"/s/{statement.slug}").get_data(as_text=True))
    assert "3 of 2 signatories" in box
    assert 'max="2" value="2"' in box and "The goal is reached." in box


def test_the_counter_in_arabic(client, session):
    statement, owner = opened(session)
    add(session, statement, owner, "Basra Lawyers")
    statement.signature_goal = 100
    session.commit()
    box = sign_box(client.get(f"/s/{statement.slug}?lang=ar").get_data(as_text=True))
    assert "signator" not in box and 'max="100" value="1"' in box


# --- the goal in the settings --------------------------------------------------------------

def settings_form(statement, **changes) -> dict:
    data = {"slug": statement.slug, "language": statement.language,
            "coalition": statement.coalition, "press_name": "", "press_email": "",
            "press_phone": "", "signature_goal": ""}
    data.update(changes)
    return data


@pytest.mark.parametrize("typed, stored", [("250", 250), (" 1,000 ", 1000), ("١٠٠", 100),
                                           ("1000000", 1_000_000), ("", None)])
def test_the_goal_is_set_in_the_settings(client, session, typed, stored):
    statement, owner = opened(session)
    statement.signature_goal = 7
    session.commit()
    login(client, owner)
    response = client.post(f"/desk/{statement.slug}/settings",
                           data=settings_form(statement, signature_goal=typed))
    assert response.status_code == 302
    session.rollback()
    assert session.get(Statement, statement.id).signature_goal == stored
    assert session.query(AuditEvent).filter_by(action="signature-goal").count() == 1


@pytest.mark.parametrize("typed", ["abc", "-5", "0", "1000001", "2.5", "1e3",
                                   "99999999999999999999999999", "١٠x", "x" * 100])
def test_a_bad_goal_is_refused_with_a_message_and_nothing_is_saved(client, session, typed):
    statement, owner = opened(session)
    login(client, owner)
    response = client.post(f"/desk/{statement.slug}/settings",
                           data=settings_form(statement, signature_goal=typed,
                                              coalition="A Changed Coalition"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("Enter the goal as a whole number from 1 to 1,000,000, or leave it empty for no "
            "goal.") in page
    assert 'aria-invalid="true"' in page
    session.rollback()
    fresh = session.get(Statement, statement.id)
    assert fresh.signature_goal is None and fresh.coalition == "Iraqi Press Freedom Coalition"


def test_the_service_refuses_a_goal_out_of_range(session):
    from cosign import drafting

    statement, owner = opened(session)
    wrong: tuple[Any, ...] = (0, -1, 1_000_001, True, "12")  # wrong types too: refused alike
    for goal in wrong:
        with pytest.raises(drafting.DraftingError):
            drafting.set_signature_goal(session, statement, owner.id, goal)
    session.rollback()
    assert session.get(Statement, statement.id).signature_goal is None


# --- the snippet on the desk -------------------------------------------------------------------

def snippet_of(page: str) -> str:
    found = re.search(r'<textarea id="share-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None, "no share snippet on the page"
    return htmllib.unescape(found.group(1))


class TestSnippet:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_SHARE_CARDS": True, "SERVER_NAME": None, "TRUSTED_HOSTS": None}

    def test_the_snippet_links_the_card_to_the_sign_page(self, client, session, render_pdfs):
        statement, owner = opened(session)
        slug = statement.slug
        render_pdfs()
        login(client, owner)
        page = client.get(f"/desk/{slug}/settings",
                          headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in page
        snippet = snippet_of(page)
        assert snippet == (f'<a href="http://cosign.test/s/{slug}/sign"><img '
                           f'src="http://cosign.test/s/{slug}/card.png" width="600" height="315" '
                           f'alt="Free the journalists" lang="en"></a>')
        assert "<script" not in snippet.lower()
        assert re.search(rf'<img src="/s/{slug}/card\.png\?v=[0-9a-f]+" width="600"', page)
        assert 'readonly' in page.split('id="share-snippet"', 1)[1].split(">", 1)[0]

    def test_a_title_with_markup_stays_text(self, client, session, render_pdfs):
        owner = make_user(session)
        statement = make_statement(session, owner, title='Free "them" <now> & here')
        signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
        login(client, owner)
        snippet = snippet_of(client.get(f"/desk/{statement.slug}/settings").get_data(as_text=True))
        assert 'alt="Free &#34;them&#34; &lt;now&gt; &amp; here"' in snippet

    def test_once_signing_is_closed_the_snippet_links_to_the_page(self, client, session):
        statement, owner = opened(session)
        signing.close(session, statement, owner.id)
        login(client, owner)
        snippet = snippet_of(client.get(f"/desk/{statement.slug}/settings").get_data(as_text=True))
        assert snippet.startswith(f'<a href="http://cosign.test/s/{statement.slug}"><img ')

    def test_a_draft_has_no_snippet_yet(self, client, session):
        owner = make_user(session)
        draft = make_statement(session, owner)
        login(client, owner)
        page = client.get(f"/desk/{draft.slug}/settings").get_data(as_text=True)
        assert 'id="share-snippet"' not in page
        assert "Once the statement is open for signature, its share card" in page
