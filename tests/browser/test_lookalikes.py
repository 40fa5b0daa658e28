"""A coordinator meets near-duplicates in a real browser: the "Possibly the same as" warning on
the list, one click on "Mark as duplicate", one on "Not the same" (issue 13)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_SLUG


@pytest.fixture
def near_duplicates(session, demo):
    """The demo, open with its signatories, plus two sign-ons that resemble earlier ones."""
    from cosign import demo as demo_data
    from cosign import moderation, signing

    demo_data.open_with_signatories(session, demo)
    owner_id = demo.created_by_id
    short = moderation.add(session, demo, signing.SignOn(
        organisation="Riverside Press Freedom Netw.", country="DE", email="",
        contact_name=""), owner_id)
    acronym = moderation.add(session, demo, signing.SignOn(
        organisation="CCS", country="FR", email="", contact_name=""), owner_id)
    assert short.similar_reason == "abbreviation" and acronym.similar_reason == "abbreviation"
    ids = short.id, acronym.id
    session.rollback()  # hold no lock while the server works
    return ids


@pytest.mark.browser
def test_moderator_resolves_possible_duplicates(page, near_duplicates, login, screenshot):
    short_id, acronym_id = near_duplicates
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/signatures/?status=approved")
    warning = page.locator(".similar").filter(has_text="Riverside Press Freedom Network")
    expect(warning).to_contain_text("Possibly the same as")
    expect(warning).to_contain_text("(abbreviation)")
    screenshot(page, "possibly-the-same")

    page.get_by_label("Only “possibly the same”").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator('input[name="ids"]')).to_have_count(2)

    page.get_by_role("button", name="Mark Riverside Press Freedom Netw. as duplicate").click()
    expect(page.get_by_role("status")).to_contain_text("Marked as duplicate and rejected.")
    page.get_by_role("button", name="CCS is not the same").click()
    expect(page.get_by_role("status")).to_contain_text("Marked as a different organisation.")
    expect(page.locator(".similar")).to_have_count(0)

    page.goto(f"/desk/{DEMO_SLUG}/signatures/{short_id}")
    expect(page.locator("dl.meta")).to_contain_text("Duplicate of")
    expect(page.locator("dl.meta")).to_contain_text("Rejected")
    page.goto(f"/desk/{DEMO_SLUG}/signatures/?status=approved")
    expect(page.get_by_role("link", name="CCS", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Riverside Press Freedom Netw.")).to_have_count(0)
    assert acronym_id
