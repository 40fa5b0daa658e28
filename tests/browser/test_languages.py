"""The site in Arabic and French in a real browser: direction, language, no English left.

The Arabic demo statement (``cosign.demo.load_arabic``: Arabic authoritative text, English
and French translations) and the demo coordinator. A coordinator switches to Arabic with
the switcher (no JavaScript needed: a link) and walks through the pages; on each, ``<html>``
says ``lang="ar" dir="rtl"`` and no English word is left outside user content (elements
with their own ``lang``, ``dir="auto"`` or ``<bdi>``: titles, names, texts in other
languages) but for a short list of names that stay Latin (cosign, PDF, CSV...).
Set ``COSIGN_SCREENSHOTS=1`` to keep full-page screenshots in /tmp/cosign-shots/.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.latin_words import LATIN_WORDS, english_left

from .conftest import DEMO_SLUG

pytestmark = pytest.mark.browser



def test_the_coordinator_works_in_arabic_right_to_left(page, login, screenshot, arabic):
    login(page)
    page.goto("/")
    page.get_by_role("navigation", name="Languages of this site").get_by_role(
        "link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    pages = {
        "home": "/", "statement": f"/s/{arabic}", "translation": f"/s/{arabic}/fr",
        "sign": f"/s/{arabic}/sign?text=en", "desk": "/desk/", "text": f"/desk/{arabic}/",
        "editor": f"/desk/{arabic}/edit", "moderation": f"/desk/{arabic}/signatures/",
        "translations": f"/desk/{arabic}/translations/",
        "translation-editor": f"/desk/{arabic}/translations/en/edit",
        "history": f"/desk/{arabic}/history", "settings": f"/desk/{arabic}/settings",
        "account": "/account/", "press": "/desk/press/",
    }
    for name, path in pages.items():
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        left = english_left(page, "ar")
        assert not left, f"{name} ({path}): English left on an Arabic page: {sorted(left)}"
        screenshot(page, f"ar-{name}")
    # the desk is laid out right to left: the tabs start at the right edge
    page.goto(f"/desk/{arabic}/")
    tabs = page.get_by_role("navigation", name="البيان").get_by_role("link")
    first, last = tabs.first.bounding_box(), tabs.last.bounding_box()
    assert first["x"] > last["x"], "the first tab is not on the right"
    # the statement's own language switcher and its texts
    page.goto(f"/s/{arabic}")
    texts = page.locator("nav.text-languages a")
    expect(texts).to_have_count(3)
    expect(page.locator("article.public-statement")).to_have_attribute("dir", "rtl")
    texts.nth(1).click()  # English
    expect(page.locator("article.public-statement")).to_have_attribute("lang", "en")
    expect(page.locator("article.public-statement")).to_have_attribute("dir", "ltr")
    expect(page.locator(".translation-notice")).to_contain_text("الإنجليزية")


def test_french_pages_have_noenglish_left(new_page, login, screenshot, arabic):
    page = new_page(viewport={"width": 390, "height": 800}, locale="fr-FR")
    page.goto("/")  # the browser's language decides, with no cookie
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    login_link = page.get_by_role("link", name="Connexion coordination")
    expect(login_link).to_be_visible()
    page.goto("/login")
    page.get_by_label("E-mail").fill("amira.haddad@example.org")
    page.get_by_label("Mot de passe").fill("demo-password-123")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/desk/$"))
    for name, path in {"home": "/", "statement": f"/s/{arabic}", "sign": f"/s/{arabic}/sign",
                       "desk": "/desk/", "editor": f"/desk/{arabic}/edit",
                       "moderation": f"/desk/{DEMO_SLUG}/signatures/"}.items():
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        words = page.evaluate(LATIN_WORDS % "fr")
        english = {w for w in words if w.lower() in {  # English words French does not use
            "the", "and", "with", "your", "this", "sign", "statement", "statements",
            "signatories", "approve", "reject", "save", "edit", "history", "settings", "log",
            "out", "download", "verify", "search", "country", "revision", "comments", "drafters"}}
        assert not english, f"{name}: English words on a French page: {sorted(english)}"
        screenshot(page, f"fr-390-{name}")
