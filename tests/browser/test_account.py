"""Two-step login through a real browser: a coordinator turns it on from the account page (QR
code and key on the page, a code computed here with pyotp as the phone's app would), logs out,
and logs in again with the password and a code."""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from cosign import second_factor
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def coordinator(session):
    """Made before the live server (requested by ``page``) starts."""
    email = make_user(session, email="nadia@example.org", name="Nadia Aziz").email
    session.commit()  # no transaction left open (on SQLite it could hold up the server's writes)
    return email


def app_code(secret: str, steps_ahead: int = 0) -> str:
    """What the authenticator app shows (``steps_ahead``: the next code, still accepted)."""
    return pyotp.TOTP(secret).generate_otp(second_factor.current_step() + steps_ahead)


@pytest.mark.browser
def test_coordinator_turns_on_two_step_login_and_logs_in_with_a_code(coordinator, page, login):
    login(page, coordinator, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.get_by_role("button", name="Set up two-step login").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step login")
    expect(page.locator("figure svg")).to_be_visible()  # the QR code, drawn by the app itself
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code from your app").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-step login").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step login is on")
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Unused recovery codes: 10.")).to_be_visible()

    page.get_by_role("button", name="Log out", exact=True).click()
    page.goto("/login")
    page.get_by_label("E-mail").fill(coordinator)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.goto("/desk/")  # the password alone does not log in
    expect(page).to_have_url(re.compile(r"/login\?next="))

    page.goto("/login/code")
    page.get_by_label("Code").fill(app_code(secret, 1))  # the code used to turn it on is spent
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/$"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Account")
           ).to_be_visible()


@pytest.fixture
def digest_link(session, live_server):
    """A statement with a sign-on waiting, and the daily digest its coordinator was mailed
    (in the outbox: no mail server here); the links in it, which lead to the live server."""
    import datetime as dt

    from sqlalchemy import select

    from cosign import clock, digest, signing
    from cosign.models import OutboxMessage
    from tests.factories import make_statement
    from tests.signatures import confirmed

    owner = make_user(session, email="nadia@example.org", name="Nadia Aziz")
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example")
    later = clock.now() + dt.timedelta(hours=2)
    assert digest.send(session, statement.id, {"COSIGN_SITE_URL": live_server}, now=later) == 1
    text = session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == digest.KIND)).one()
    email, slug = owner.email, statement.slug
    session.commit()  # no transaction left open (on SQLite it would hold up the server's writes)
    links = re.findall(r"^(http\S+)$", text, re.M)
    assert links == [f"{live_server}/desk/{slug}/signatures/?status=confirmed",
                     f"{live_server}/account/#digest"]
    return email, links


@pytest.mark.browser
def test_the_digest_links_lead_to_review_and_to_turning_it_off(digest_link, page, login,
                                                               session, screenshot):
    email, (review, account) = digest_link
    login(page, email, PASSWORD)
    page.goto(review)  # the first link: the sign-ons to review
    expect(page.get_by_text("Iraqi Democratic Association").first).to_be_visible()

    page.goto(account)  # the second: the account page, at the digest's setting
    section = page.locator("#digest")
    expect(section.get_by_role("heading", name="Daily digest")).to_be_visible()
    expect(section.get_by_label("Yes", exact=True)).to_be_checked()
    assert page.evaluate("location.hash") == "#digest"
    screenshot(page, "account-digest-on")
    # the keyboard alone: choose "No", then the button
    section.get_by_label("Yes", exact=True).focus()
    page.keyboard.press("ArrowDown")
    expect(section.get_by_label("No", exact=True)).to_be_checked()
    section.get_by_role("button", name="Save the digest setting").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The daily digest is off. You will get no more of it.")).to_be_visible()
    expect(page.locator("#digest").get_by_label("No", exact=True)).to_be_checked()
    assert opted_out(session, email) is True
    screenshot(page, "account-digest-off")
    # and on again
    page.locator("#digest").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save the digest setting").click()
    expect(page.get_by_text("The daily digest is on")).to_be_visible()
    assert opted_out(session, email) is False


def opted_out(session, email) -> bool:
    """The account's setting as stored; no transaction left open (the server writes)."""
    from sqlalchemy import select

    from cosign.models import User

    session.rollback()
    value = session.scalar(select(User.digest_opt_out).where(User.email == email))
    session.rollback()
    return value
