"""Signing on through a real browser: an organisation with an Arabic name signs the
demo statement, confirms through the development outbox (/dev/mail), a
coordinator approves it, and the name appears right-to-left on the public page.
Also: the sign form's errors and honeypot, and filling it with the keyboard only.

Every test starts from the demo data (``cosign.demo.load``). Run alone with
``.venv/bin/python -m pytest -q -p no:xdist tests/browser/test_signing.py``; set
``COSIGN_SCREENSHOTS=1`` to also write full-page screenshots, at 1280 and 390 px
wide, to /tmp/cosign-shots/.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .conftest import DEMO_OWNER, DEMO_SLUG

pytestmark = pytest.mark.browser

PUBLIC = f"/s/{DEMO_SLUG}"
SIGN = f"{PUBLIC}/sign"
ORG_NAME = "جمعية الأمل لحقوق الإنسان"
CONTACT = "Layla Mansouri-Testcontact"
EMAIL = "layla.mansouri@amal-rights.example"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}


@pytest.fixture
def app_overrides() -> dict:
    """As in conftest (real CSRF tokens, any host:port), plus the development outbox."""
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, "COSIGN_DEV": True}


@pytest.fixture(autouse=True)
def _demo_data(demo):
    """Load the demo data (a draft statement) before the live server starts."""
    return demo


@pytest.fixture
def opened(session, demo):
    """The demo statement opened for signature with the default options, in the database."""
    from cosign import signing
    from cosign.models import User

    owner = session.scalar(sa.select(User).where(User.email == DEMO_OWNER))
    signing.open_for_signature(session, demo, owner.id, signing.OpenOptions())
    session.commit()
    return demo


@pytest.fixture
def form_page(browser, live_server):
    """Like conftest's ``page`` (fresh context; fails on console or script errors), except
    that it expects the form's 422 answer: Chromium logs every 4xx document as a console
    error ("Failed to load resource: ... 422"), which conftest's check would count."""
    problems: list[str] = []

    def on_console(msg):
        if msg.type == "error" and "status of 422" not in msg.text:
            problems.append(f"console error on {msg.page.url if msg.page else '?'}: {msg.text}")

    context = browser.new_context(base_url=live_server, viewport=WIDE)
    context.set_default_timeout(15_000)  # as in conftest: a busy machine
    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"uncaught script error: {error.error}"))
    yield context.new_page()
    context.close()
    assert not problems, "\n".join(problems)


def _signature_count(session, statement_id: int) -> int:
    from cosign.models import Signature

    session.rollback()  # a fresh transaction: see what the server committed
    return session.scalar(sa.select(sa.func.count(Signature.id))
                          .where(Signature.statement_id == statement_id))


def _no_horizontal_scroll(page) -> None:
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
    assert sizes[0] <= sizes[1], f"horizontal scrolling at 390 px on {page.url}: {sizes} {wide}"


def _both_widths(page, screenshot, name: str) -> None:
    """Screenshot at 1280 px, then at 390 px (asserting no horizontal scroll), then back."""
    screenshot(page, f"signing-{name}-1280")
    page.set_viewport_size(NARROW)
    _no_horizontal_scroll(page)
    screenshot(page, f"signing-{name}-390")
    page.set_viewport_size(WIDE)


def _focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


# --- the whole journey ------------------------------------------------------------

def test_arabic_organisation_signs_confirms_is_approved_and_listed(new_page, login, screenshot):
    # The coordinator opens the draft for signature through the desk.
    desk = new_page()
    login(desk)
    desk.goto(f"/desk/{DEMO_SLUG}/")
    tabs = desk.get_by_role("navigation", name="Statement")
    expect(tabs.get_by_role("link", name="Signatures", exact=True)).to_have_count(0)
    tabs.get_by_role("link", name="Open for signature", exact=True).click()
    expect(desk).to_have_url(re.compile(re.escape(f"/desk/{DEMO_SLUG}/open") + "$"))
    expect(desk.get_by_role("heading", name="Open for signature")).to_be_visible()
    desk.get_by_role("button", name="Open for signature").click()
    expect(desk).to_have_url(re.compile(re.escape(f"/desk/{DEMO_SLUG}/signatures/")))
    expect(desk.get_by_role("status")).to_contain_text("open for signature")
    expect(tabs.get_by_role("link", name="Signatures", exact=True)).to_be_visible()
    expect(tabs.get_by_role("link", name="Open for signature", exact=True)).to_have_count(0)

    # An anonymous visitor, in a browser context of their own, signs.
    visitor = new_page()
    visitor.goto(PUBLIC)
    expect(visitor.get_by_role("heading", level=2, name="0 signatories")).to_be_visible()
    _both_widths(visitor, screenshot, "public-before")
    visitor.get_by_role("link", name="Sign this statement").click()
    expect(visitor).to_have_url(re.compile(re.escape(SIGN) + "$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Sign this statement")
    _both_widths(visitor, screenshot, "form-empty")

    visitor.get_by_label("Name of the organisation").fill(ORG_NAME)
    visitor.get_by_label("Country", exact=True).select_option(label="Iraq")
    visitor.get_by_label("Type of organisation").select_option(label="Association")
    visitor.get_by_label("Contact person").fill(CONTACT)
    visitor.get_by_label("Your role in the organisation").fill("Director")
    visitor.get_by_label("E-mail").fill(EMAIL)
    visitor.get_by_label("I am authorised to sign on behalf of this organisation").check()
    visitor.get_by_role("button", name="Sign the statement").click()
    expect(visitor).to_have_url(re.compile(re.escape(f"{SIGN}/sent") + "$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    _both_widths(visitor, screenshot, "check-your-email")

    # The confirmation e-mail waits in the development outbox.
    visitor.goto("/dev/mail")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Outbox (development)")
    _both_widths(visitor, screenshot, "dev-mail")
    newest = visitor.locator("table tbody tr").first
    expect(newest).to_contain_text(EMAIL)
    link = newest.get_by_role("link", name=re.compile(r"^Please confirm"))
    expect(link).to_contain_text(ORG_NAME)
    link.click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Please confirm")
    _both_widths(visitor, screenshot, "dev-mail-message")
    visitor.locator(".mail-text a[href*='/confirm/']").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Confirm the signature")
    visitor.get_by_role("button", name="Confirm the signature").click()  # the link only shows
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your signature is confirmed")
    expect(visitor.locator(".notice-page")).to_contain_text(ORG_NAME)
    _both_widths(visitor, screenshot, "confirmed")

    # Not listed until a coordinator approves.
    visitor.goto(PUBLIC)
    expect(visitor.get_by_role("heading", level=2, name="0 signatories")).to_be_visible()

    # The coordinator approves it from the "To review" tab.
    status_tabs = desk.get_by_role("navigation", name="Signatures by status")
    desk.get_by_role("navigation", name="Statement").get_by_role(
        "link", name="Signatures", exact=True).click()
    review = status_tabs.get_by_role("link", name=re.compile(r"^To review"))
    expect(review).to_have_attribute("aria-current", "page")
    expect(review.locator(".count")).to_have_text("1")
    expect(status_tabs.get_by_role("link", name=re.compile(r"^Approved")).locator(".count")
           ).to_have_text("0")
    row = desk.locator("table.signatures tbody tr").filter(has_text=ORG_NAME)
    expect(row).to_have_count(1)
    _both_widths(desk, screenshot, "moderation-to-review")
    desk.get_by_role("checkbox", name=f"Select {ORG_NAME}").check()
    desk.get_by_role("button", name="Approve selected").click()
    expect(desk.get_by_role("status")).to_have_text("1 approved.")
    expect(status_tabs.get_by_role("link", name=re.compile(r"^Approved")).locator(".count")
           ).to_have_text("1")
    expect(review.locator(".count")).to_have_text("0")
    _both_widths(desk, screenshot, "moderation-approved")

    # The visitor reloads the public page: the name, right-to-left; no contact data.
    visitor.goto(PUBLIC)
    expect(visitor.get_by_role("heading", level=2)).to_have_text("1 signatory")
    name = visitor.locator(".signatory-list li .sig-name")
    expect(name).to_have_count(1)
    expect(name).to_have_text(ORG_NAME)
    expect(name).to_have_attribute("dir", "auto")
    assert name.evaluate("el => getComputedStyle(el).direction") == "rtl"
    expect(visitor.locator(".signatory-list li .sig-meta")).to_contain_text("Iraq")
    html = visitor.content()
    for private in (CONTACT, EMAIL, "amal-rights.example"):
        assert private not in html, f"{private!r} is on the public page"
    _both_widths(visitor, screenshot, "public-after")


# --- errors and the honeypot ---------------------------------------------------------

REQUIRED = {  # field id -> error
    "organisation": "Enter the name of the organisation.",
    "country": "Choose a country.",
    "contact_name": "Enter the name of a contact person.",
    "email": "Enter an e-mail address.",
}


def test_empty_sign_form_shows_errors_at_the_fields_and_stores_nothing(opened, form_page,
                                                                        session, screenshot):
    page = form_page
    page.goto(SIGN)
    honeypot = page.locator("#fax")
    for viewport in (NARROW, WIDE):
        page.set_viewport_size(viewport)
        assert not honeypot.is_visible() or _off_screen(page, honeypot), "the honeypot shows"
    expect(page.locator(".hp")).to_have_attribute("aria-hidden", "true")
    expect(honeypot).to_have_attribute("tabindex", "-1")

    page.get_by_role("button", name="Sign the statement").click()
    expect(page).to_have_url(re.compile(re.escape(SIGN) + "$"))
    expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields")
    assert _signature_count(session, opened.id) == 0

    for field_id, message in REQUIRED.items():
        control = page.locator(f"#{field_id}")
        error = page.locator(f"#{field_id}-error")
        expect(error).to_have_text(message)
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{field_id}-error\b"))
        # next to its field: in the same .field, just below the control
        field_box, control_box, error_box = (
            page.locator(f".field:has(> #{field_id})").bounding_box(),
            control.bounding_box(), error.bounding_box())
        assert field_box["y"] <= error_box["y"] <= field_box["y"] + field_box["height"]
        assert 0 <= error_box["y"] - (control_box["y"] + control_box["height"]) < 40
    authorised = page.locator(".field.checkbox.has-error")
    expect(authorised).to_contain_text("Please confirm that you may sign for the organisation.")
    _both_widths(page, screenshot, "form-errors")

    # Tabbing to the first invalid field shows the focus ring; the honeypot is never reached.
    page.locator("h1").click()  # start the keyboard from the top of the form
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(_focused_id(page))
        if reached[-1] == "organisation":
            break
    assert reached[-1] == "organisation", reached
    outline = page.locator("#organisation").evaluate(
        "el => [getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineWidth)]")
    assert outline[0] != "none" and outline[1] >= 2, f"no visible focus ring: {outline}"
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(_focused_id(page))
        if page.evaluate("() => document.activeElement.type") == "submit":
            break
    assert "fax" not in reached, reached
    assert page.evaluate("() => document.activeElement.type") == "submit", reached
    assert _signature_count(session, opened.id) == 0


def _off_screen(page, locator) -> bool:
    box = locator.bounding_box()
    if box is None:
        return True
    width = page.evaluate("() => window.innerWidth")
    return box["x"] + box["width"] <= 0 or box["x"] >= width


# --- keyboard only ---------------------------------------------------------------------

def test_sign_form_with_the_keyboard_only(opened, page, session):
    page.goto(PUBLIC)
    # From the top of the page to the sign link, with Tab only.
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent.trim()")
        if focused == "Sign this statement":
            break
    else:
        pytest.fail("Tab never reached the 'Sign this statement' link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(SIGN) + "$"))

    for _ in range(20):
        page.keyboard.press("Tab")
        if _focused_id(page) == "organisation":
            break
    else:
        pytest.fail("Tab never reached the organisation's name")

    def step(expected_id: str):
        page.keyboard.press("Tab")
        assert _focused_id(page) == expected_id

    page.keyboard.type(ORG_NAME)
    step("country")
    page.keyboard.type("Iraq")
    step("city")
    page.keyboard.type("البصرة")
    step("org_type")
    page.keyboard.type("Trade")
    step("website")
    page.keyboard.type("https://amal-rights.example/")
    page.keyboard.press("Tab")  # the "How the signature is shown" radio group: one stop
    assert page.evaluate("() => document.activeElement.name") == "display"
    step("contact_name")
    page.keyboard.type(CONTACT)
    step("contact_role")
    page.keyboard.type("Director")
    step("email")
    page.keyboard.type(EMAIL)
    step("message")
    page.keyboard.type("نوقّع باسم الجمعية.")
    step("authorised")
    page.keyboard.press("Space")
    expect(page.locator("#authorised")).to_be_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"

    expect(page.locator("#country")).to_have_value("IQ")
    expect(page.locator("#org_type")).to_have_value("union")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    from cosign.models import Signature

    assert _signature_count(session, opened.id) == 1
    signature = session.scalar(sa.select(Signature).where(Signature.statement_id == opened.id))
    assert (signature.public_name, signature.country, signature.city, signature.org_type,
            signature.contact_name, signature.email) == (
        ORG_NAME, "IQ", "البصرة", "union", CONTACT, EMAIL)
    assert signature.status == "unconfirmed" and not signature.flagged
