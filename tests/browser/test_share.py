"""The sharing kit in a real browser: the goal set on the desk, the counter and its progress
bar on the public page, the snippet copied from the desk and pasted into another page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_SLUG


@pytest.fixture
def app_overrides() -> dict:
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, "COSIGN_SHARE_CARDS": True}


@pytest.fixture
def opened_demo(session, demo):
    from cosign import moderation, signing
    from cosign.models import User

    owner = session.query(User).filter_by(email="amira.haddad@example.org").one()
    signing.open_for_signature(session, demo, owner.id, signing.OpenOptions())
    moderation.add(session, demo, signing.SignOn("Press Freedom Union", "IQ", "", ""), owner.id)
    return demo


@pytest.mark.browser
def test_goal_counter_card_and_snippet(page, new_page, opened_demo, login, live_server,
                                       screenshot, render_pdfs):
    assert render_pdfs() == 1  # the worker makes the PDF and the card
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/settings")
    goal = page.get_by_label("Signature goal (optional)")
    goal.fill("ten")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the goal as a whole number")
    expect(goal).to_have_attribute("aria-invalid", "true")
    goal.fill("10")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(goal).to_have_value("10")

    # the card's preview on the desk is the real PNG
    preview = page.locator(".share-card img")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 1200
    # the snippet: read-only, selected with the keyboard alone, absolute addresses
    snippet = page.get_by_label("HTML snippet for other websites")
    expect(snippet).to_have_attribute("readonly", "")
    snippet.focus()
    page.keyboard.press("Control+a")
    text = snippet.input_value()
    assert snippet.evaluate("t => [t.selectionStart, t.selectionEnd]") == [0, len(text)]
    assert f'href="{live_server}/s/{DEMO_SLUG}/sign"' in text
    assert f'src="{live_server}/s/{DEMO_SLUG}/card.png"' in text and "<script" not in text
    # with scripts on, a button copies it (progressive enhancement)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the snippet").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == text
    screenshot(page, "share-settings")

    # the snippet pasted into someone else's page shows the card and leads to the sign page
    other = new_page()
    other.set_content(f"<!doctype html><html><body><p>Our partners' statement:</p>{text}"
                      "</body></html>")
    image = other.locator("img")
    expect(image).to_be_visible()
    other.wait_for_function("document.images[0].complete")
    assert image.evaluate("img => img.naturalWidth") == 1200
    image.click()
    expect(other).to_have_url(f"{live_server}/s/{DEMO_SLUG}/sign")

    # the public page: the counter, its goal and the progress bar
    page.goto(f"/s/{DEMO_SLUG}")
    counter = page.locator(".sign-box .counter")
    expect(counter).to_contain_text("1 of 10 signatories")
    bar = page.get_by_role("progressbar", name="1 of 10 signatories")
    expect(bar).to_have_attribute("max", "10")
    expect(bar).to_have_attribute("value", "1")
    og_image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert og_image.startswith(f"{live_server}/s/{DEMO_SLUG}/card.png?v=")
    response = page.request.get(og_image)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    screenshot(page, "share-public")

    page.goto(f"/s/{DEMO_SLUG}?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "1")
    screenshot(page, "share-public-ar")
    page.goto(f"/desk/{DEMO_SLUG}/settings?lang=ar")
    expect(page.locator(".share-kit textarea")).to_be_visible()
    screenshot(page, "share-settings-ar")


@pytest.mark.browser
def test_without_javascript_the_snippet_is_there_to_select(new_page, opened_demo, login,
                                                           render_pdfs):
    render_pdfs()
    page = new_page(java_script_enabled=False)
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/settings")
    snippet = page.get_by_label("HTML snippet for other websites")
    expect(snippet).to_be_visible()
    assert f"/s/{DEMO_SLUG}/card.png" in snippet.input_value()
    expect(page.get_by_role("button", name="Copy the snippet")).to_have_count(0)
    page.goto(f"/s/{DEMO_SLUG}")
    expect(page.locator(".sign-box .counter")).to_contain_text("1 signatory")
