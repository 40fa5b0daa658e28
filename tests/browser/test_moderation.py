"""Moderation in bulk in a real browser, with JavaScript off: every sign-on that matches the
filter, on every page, approved in one action after its count was shown (issue 16, item 4)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_SLUG

WAITING = 53  # more than one page of the list (50)


@pytest.fixture
def many_waiting(session, demo):
    """The demo, open with its signatories, plus 53 Tunisian sign-ons waiting for review."""
    from cosign import clock, signing
    from cosign import demo as demo_data
    from cosign.core.names import name_key
    from cosign.models import Signature

    demo_data.open_with_signatories(session, demo)
    for i in range(WAITING):
        name = f"Tunis Solidarity Committee {i:02d}"
        signature = Signature(statement_id=demo.id, name_key=name_key(name), status="confirmed",
                              revision=demo.signed_revision, provenance="web",
                              created_at=clock.now(), confirmed_at=clock.now())
        signing.fill(signature, signing.SignOn(organisation=name, country="TN",
                                               email=f"c{i}@example.org", contact_name="C",
                                               org_type="association"), name)
        session.add(signature)
    session.commit()
    session.rollback()  # hold no lock while the server works


@pytest.mark.browser
def test_approve_everything_that_matches_the_filter_without_javascript(
        new_page, many_waiting, login, screenshot):
    page = new_page(java_script_enabled=False)
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/signatures/?status=confirmed")
    page.get_by_label("Country", exact=True).select_option("TN")
    page.get_by_label("Type", exact=True).select_option("association")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("nav.pager")).to_contain_text("Page 1 of 2")
    page.get_by_label(f"All {WAITING} signatures that match the filter", exact=False).check()
    screenshot(page, "bulk-scope")
    page.get_by_role("button", name="Approve selected").click()

    expect(page.get_by_role("heading", name=f"Approve {WAITING} signatures?")).to_be_visible()
    expect(page.locator(".bulk-filter")).to_contain_text("Tunisia")
    expect(page.locator(".bulk-sample li")).to_have_count(10)
    screenshot(page, "bulk-confirm")
    page.get_by_role("button", name=f"Approve {WAITING} signatures").click()

    expect(page.locator(".flash-success")).to_have_text(f"{WAITING} approved.")
    expect(page.get_by_text("No signatures here.")).to_be_visible()
    # the filter is kept; the demo's other sign-ons still wait
    expect(page.get_by_label("Country", exact=True)).to_have_value("TN")
    page.get_by_label("Country", exact=True).select_option("")
    page.get_by_label("Type", exact=True).select_option("")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator('input[name="ids"]')).not_to_have_count(0)


@pytest.mark.browser
def test_cancel_changes_nothing(page, many_waiting, login):
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/signatures/?status=confirmed&country=TN")
    page.get_by_label(f"All {WAITING} signatures that match the filter", exact=False).check()
    page.get_by_role("button", name="Reject selected").click()
    expect(page.get_by_role("heading", name=f"Reject {WAITING} signatures?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("nav.pager")).to_contain_text("Page 1 of 2")
    expect(page.get_by_role("navigation", name="Signatures by status")
           .get_by_role("link", name="Rejected")).to_contain_text("0")
