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
