"""Import a letter in a real browser, without JavaScript (issue 16, item 1): paste a joint
letter copied from a web page, see what was left out and what looks damaged, correct, and
create the draft; and a Word file read the same way."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.examples import example, word_file


@pytest.mark.browser
def test_paste_a_letter_correct_it_and_create_the_draft(new_page, demo, login, screenshot):
    page = new_page(java_script_enabled=False)
    login(page)
    page.goto("/desk/")
    page.get_by_role("link", name="Import a letter").click()
    page.get_by_label("Paste the letter").fill(example("003"))
    page.get_by_role("button", name="Read the letter").click()

    expect(page.get_by_role("heading", name="Check the draft")).to_be_visible()
    flags = page.locator(".letter-flags")
    expect(flags).to_contain_text("Kurdistan Communist Party Organisation in B")
    expect(flags).to_contain_text("looks cut off")
    page.locator(".letter-dropped summary").click()
    expect(page.locator(".letter-dropped")).to_contain_text("Contact us")
    screenshot(page, "letter-preview")

    page.get_by_label("Title").fill("Joint statement on the killing of protesters in Iraq")
    names = page.get_by_label("Signatories", exact=True)
    cut = "Kurdistan Communist Party Organisation in B"
    names.fill("\n".join(f"{cut}ritain | GB" if line == cut else line
                         for line in names.input_value().splitlines()))
    page.get_by_role("button", name="Create the draft").click()
    # the country was not chosen: refused, with the corrections kept
    expect(page.locator(".form-problem")).to_contain_text("Choose the country of the signatories")
    expect(page.get_by_label("Title")).to_have_value(
        "Joint statement on the killing of protesters in Iraq")
    page.get_by_label("Country of the signatories").select_option("IQ")
    page.get_by_role("button", name="Create the draft").click()

    expect(page.locator(".flash-success")).to_have_text(
        "Draft created from the letter, with 11 signatories to review once signing opens.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Joint statement on the killing of protesters in Iraq")
    expect(page.locator(".badge")).to_have_text("draft")
    page.get_by_role("navigation", name="Statement").get_by_role(
        "link", name="Open for signature").click()
    expect(page.locator(".flash-info")).to_contain_text(
        "11 organisations imported with the letter will wait in “To review”")


@pytest.mark.browser
def test_a_word_file_is_read(page, demo, login):
    def build(document):
        document.add_heading("Joint statement on the arrest of five journalists", 1)
        document.add_paragraph("We condemn the arrest of five journalists in Sahel al-Nour.")
        document.add_paragraph("Signatories:")
        for name in ("Hope Association", "Press Freedom Network"):
            document.add_paragraph(name, style="List Bullet")
    login(page)
    page.goto("/desk/import-letter")
    page.get_by_label("Or choose a Word file (.docx)").set_input_files(files=[{
        "name": "letter.docx", "buffer": word_file(build),
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    page.get_by_role("button", name="Read the letter").click()
    expect(page.get_by_label("Title")).to_have_value(
        "Joint statement on the arrest of five journalists")
    expect(page.get_by_label("Signatories", exact=True)).to_have_value(
        "Hope Association\nPress Freedom Network")
