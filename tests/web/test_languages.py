"""Choosing the interface language: address, switcher cookie, account preference, browser."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cosign import signing
from cosign.models import User
from cosign.web.languages import COOKIE
from tests.factories import login, make_statement, make_user


def html_attrs(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:200]
    return match.group(1), match.group(2)


@pytest.mark.parametrize("header, lang, direction", [
    ("ar", "ar", "rtl"),
    ("ar-IQ,ar;q=0.9,en-US;q=0.8,en;q=0.7", "ar", "rtl"),
    ("fr-CA, en;q=0.5", "fr", "ltr"),  # the first the site speaks, by quality, not by exactness
    ("de-DE, fr;q=0.4, en;q=0.3", "fr", "ltr"),
    ("de", "en", "ltr"),
    ("", "en", "ltr"),
    ("*", "en", "ltr"),
    ("ar;q=0, fr;q=0.5", "fr", "ltr"),
])
def test_the_browser_decides_when_nothing_else_does(client, header, lang, direction):
    response = client.get("/", headers={"Accept-Language": header})
    assert html_attrs(response) == (lang, direction)
    assert "Accept-Language" in response.headers["Vary"] and "Cookie" in response.headers["Vary"]


def test_arabic_and_french_pages_are_in_arabic_and_french(client):
    arabic = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    french = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "دخول المنسِّقين" in arabic
    assert "Coordinator login" not in arabic
    assert "Connexion" in french and "Coordinator login" not in french


def test_the_address_and_the_switcher_cookie_win_over_the_browser(client):
    response = client.get("/?lang=fr", headers={"Accept-Language": "ar"})
    assert html_attrs(response) == ("fr", "ltr")
    assert f"{COOKIE}=fr" in response.headers["Set-Cookie"]
    # the cookie is kept: the next page is French too, whatever the browser says
    assert html_attrs(client.get("/verify", headers={"Accept-Language": "ar"})) == ("fr", "ltr")


def test_the_switcher_link_sets_the_cookie_and_comes_back(client):
    page = client.get("/verify?code=x", headers={"Accept-Language": "en"}).get_data(as_text=True)
    link = re.search(r'<a href="(/language/ar\?next=[^"]+)" lang="ar"', page)
    assert link, "every page has the switcher"
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 303
    assert response.location.endswith("/verify?code=x")
    assert f"{COOKIE}=ar" in response.headers["Set-Cookie"]
    assert html_attrs(client.get("/verify")) == ("ar", "rtl")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "evil", "", "/%0d%0aSet-Cookie:x=1", "javascript:alert(1)"])
def test_the_switcher_goes_back_only_to_this_site(client, target):
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 303
    location = response.location
    assert location in ("/", "http://cosign.test/") or location.startswith("/%0d"), location
    assert "evil" not in location and "\n" not in location


@pytest.mark.parametrize("code", ["xx", "de", "AR-x-1", "../../etc", "e" * 200])
def test_an_unknown_language_sets_nothing(client, code):
    response = client.get(f"/language/{code}", query_string={"next": "/verify"})
    assert response.status_code in (303, 404)
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    if code.split("-")[0].lower() not in ("ar", "fr"):  # ?lang=ar-IQ is Arabic, the switcher exact
        assert html_attrs(client.get("/?lang=" + code[:20])) == ("en", "ltr")


def test_a_coordinators_preference_applies_without_a_cookie(app, client, session):
    user = make_user(session, name="Coordinator")
    login(client, user)
    response = client.post("/account/preferences",
                           data={"prefs-language": "ar", "prefs-timezone": "Asia/Baghdad"})
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(User, user.id)
    assert (stored.language, stored.timezone) == ("ar", "Asia/Baghdad")
    # on another browser (no cookie), logging in brings the preference with it
    other = app.test_client()
    login(other, stored)
    desk = other.get("/desk/", headers={"Accept-Language": "en"})
    assert html_attrs(desk) == ("ar", "rtl")  # the desk is right to left in Arabic too
    assert "بياناتي" in desk.get_data(as_text=True)


def test_times_follow_the_coordinators_time_zone_and_language(client, session):
    user = make_user(session, name="Coordinator")
    user.language, user.timezone = "fr", "Asia/Baghdad"
    session.commit()
    statement = make_statement(session, user)
    login(client, user)
    page = client.get(f"/desk/{statement.slug}/history").get_data(as_text=True)
    assert "(Asia/Baghdad)" in page
    assert re.search(r"\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)", page)


@pytest.mark.parametrize("data, field", [
    ({"prefs-language": "xx", "prefs-timezone": "UTC"}, "language"),
    ({"prefs-language": "ar", "prefs-timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"prefs-language": "ar"}, "timezone"),
    ({"prefs-language": "a" * 5000, "prefs-timezone": "UTC"}, "language"),
])
def test_bad_preferences_are_refused_and_nothing_is_stored(client, session, data, field):
    user = make_user(session, name="Coordinator")
    login(client, user)
    response = client.post("/account/preferences", data=data)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True) or "error" in \
        response.get_data(as_text=True)
    session.expire_all()
    stored = session.get(User, user.id)
    assert (stored.language, stored.timezone) == ("", "UTC")


def test_the_public_pages_of_an_arabic_statement_are_right_to_left_in_any_interface(client,
                                                                                    session):
    user = make_user(session)
    statement = make_statement(session, user, title="بيان مشترك حول حرية الصحافة",
                               body="نحن المنظمات الموقّعة أدناه ندين اعتقال الصحفيين.",
                               language="ar")
    signing.open_for_signature(session, statement, user.id, signing.OpenOptions())
    page = client.get(f"/s/{statement.slug}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert html_attrs(page) == ("en", "ltr")
    assert re.search(r'<article class="public-statement" lang="ar" dir="rtl"', text)


def test_country_names_are_in_the_interface_language(client, session):
    user = make_user(session)
    statement = make_statement(session, user)
    signing.open_for_signature(session, statement, user.id, signing.OpenOptions())
    page = client.get(f"/s/{statement.slug}/sign", headers={"Accept-Language": "ar"})
    text = page.get_data(as_text=True)
    assert "العراق" in text and ">Iraq<" not in text
    french = client.get(f"/s/{statement.slug}/sign", headers={"Accept-Language": "fr"})
    assert "Royaume-Uni" in french.get_data(as_text=True)
    assert session.scalar(select(User).where(User.id == user.id)).language == ""
