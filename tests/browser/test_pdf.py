"""The journalist's side: download the PDF from the public page and verify it at /verify."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_SLUG


@pytest.fixture
def opened_demo(session, demo):
    from cosign import moderation, signing
    from cosign.models import User

    owner = session.query(User).filter_by(email="amira.haddad@example.org").one()
    signing.open_for_signature(session, demo, owner.id, signing.OpenOptions())
    moderation.add(session, demo, signing.SignOn("Press Freedom Union", "IQ", "", ""), owner.id)
    return demo


@pytest.mark.browser
def test_journalist_downloads_and_verifies_the_pdf(page, new_page, opened_demo, tmp_path,
                                                  screenshot, render_pdfs):
    page.goto(f"/s/{DEMO_SLUG}")
    link = page.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible()
    # before the worker has made the first PDF: a page that says so and asks again by itself
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The PDF is being prepared")
    screenshot(page, "pdf-pending")
    assert render_pdfs() == 1  # what `flask cosign worker` does on its next poll
    with page.expect_response(lambda r: r.url.endswith(".pdf") and r.request.method == "GET"
                              and r.status == 200, timeout=30_000):
        pass  # the page's script finds the PDF (HEAD) and opens it
    response = page.request.get(f"/s/{DEMO_SLUG}.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["x-cosign-pdf"] == "current"
    # the tab that opened the PDF may still be busy with it (Chromium's viewer can navigate
    # again): go on in a fresh tab, as a journalist would, instead of racing it
    page = new_page()
    page.goto(f"/s/{DEMO_SLUG}")
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(response.body())

    page.get_by_role("link", name="Verify a copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a statement")
    page.get_by_label("The PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Genuine")
    expect(page.locator("main")).to_contain_text("This is the most recent PDF")
    screenshot(page, "verify-genuine")

    altered = tmp_path / "altered.pdf"
    altered.write_bytes(pdf.read_bytes().replace(b"Press Freedom Union", b"Press Freedom Unioo", 1)
                        + b"\n%changed")
    page.goto("/verify")
    page.get_by_label("The PDF file").set_input_files(str(altered))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not issued by this site, or altered")
    screenshot(page, "verify-altered")
