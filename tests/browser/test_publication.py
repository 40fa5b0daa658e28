"""The coordinator publishes the demo statement to the press list, as in `make run`."""
from __future__ import annotations

import io
import re

import feedparser
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import DEMO_SLUG


@pytest.fixture
def app_overrides() -> dict:
    """As in conftest (real CSRF tokens, any host:port), plus the development outbox."""
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, "COSIGN_DEV": True,
            "COSIGN_PDF_RETRY_AFTER": 2}  # the summary waiting for its PDF reloads soon


@pytest.fixture
def full_demo(session, demo):
    """The demo as `make run` loads it: open for signature, with a press list."""
    from cosign import demo as demo_data

    demo_data.open_with_signatories(session, demo)
    demo_data.add_press_list(session, demo.created_by_id)
    title = demo.title
    session.rollback()  # hold no lock while the server works
    return title


@pytest.mark.browser
def test_coordinator_publishes_the_demo_to_the_press(page, full_demo, login, screenshot,
                                                     run_worker):
    title = full_demo
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/")
    page.get_by_role("link", name="Publication").click()
    page.get_by_role("link", name="Publish").last.click()
    expect(page.get_by_role("heading", name="Publish", exact=True)).to_be_visible()
    page.get_by_label("Publish now").check()
    page.get_by_label("Everyone on the press list").check()
    screenshot(page, "publish-form")
    page.get_by_role("button", name="Continue to the summary").click()

    # the summary: nothing is published or sent yet; the button waits for the PDF
    expect(page.get_by_role("heading", name="Check before publishing")).to_be_visible()
    expect(page.locator(".recipients-total")).to_contain_text(
        "3 recipients each receive one e-mail with the PDF attached.")
    rows = page.locator(".summary-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="human rights")).to_contain_text("2")
    expect(rows.filter(has_text="protests")).to_contain_text("1 in English (original text)")
    expect(page.locator(".printed-count")).to_contain_text("The PDF prints 6 signatories")
    expect(page.get_by_role("button", name="Waiting for the PDF")).to_be_disabled()
    expect(page.locator(".preparing")).to_be_visible()
    screenshot(page, "publish-summary-waiting")
    run_worker()  # the worker makes the PDF and its first page; the page reloads by itself
    image = page.get_by_role("img", name=re.compile(r"^The first page of the PDF: "))
    expect(image).to_be_visible(timeout=15_000)
    assert image.evaluate("img => img.complete && img.naturalWidth") > 300
    screenshot(page, "publish-summary")
    page.get_by_role("button", name="Publish and send to 3 recipients").click()

    expect(page.locator(".flash-success")).to_contain_text("The statement is published.")
    # the request published; the worker makes the PDF and queues the press mail
    expect(page.locator(".preparing")).to_contain_text("Being prepared")
    run_worker()  # what `flask cosign worker` does on its next round
    page.reload()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("main")).to_contain_text("omar.saleh@example.org")
    screenshot(page, "distribution")

    # the mails are in the development outbox, each with the PDF attached
    page.goto("/dev/mail")
    mails = page.locator("tbody tr", has_text=title)
    expect(mails).to_have_count(3)
    expect(mails.first).to_contain_text("PDF attached")
    mails.filter(has_text="desk@example.org").get_by_role("link", name=title).click()
    expect(page.locator("pre.mail-text")).to_contain_text("Signatories: 6")
    expect(page.locator("pre.mail-text")).to_contain_text("/press/unsubscribe/")
    attachment = page.get_by_role("link", name=re.compile(r"\.pdf$"))
    response = page.request.get(attachment.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Diaspora Forum for Democracy" in text and "Signatories (6)" in text
    screenshot(page, "dev-mail-press")

    # the statement is on the home page, in the feed and in the API
    page.goto("/")
    expect(page.get_by_role("heading", name="Published statements")).to_be_visible()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    screenshot(page, "index-published")
    feed = feedparser.parse(page.request.get("/feed.atom").body())
    assert feed.bozo == 0 and [e.title for e in feed.entries] == [title]
    api = page.request.get("/api/v1/statements").json()
    assert [s["slug"] for s in api["statements"]] == [DEMO_SLUG]
    detail = page.request.get(f"/api/v1/statements/{DEMO_SLUG}").json()
    assert detail["signatory_count"] == 6

    # and its public page says when it was published; signing is closed
    page.goto(f"/s/{DEMO_SLUG}")
    expect(page.locator(".published-note")).to_contain_text("Published")
    expect(page.locator(".sign-box")).to_contain_text("Signing is closed.")


@pytest.mark.browser
def test_the_summary_in_arabic_right_to_left(page, login, screenshot, arabic, run_worker):
    """The Arabic statement (English and French translations) to the demo press list
    (German, Arabic and English readers), scheduled from Baghdad with an embargoed copy."""
    from .latin_words import english_left

    slug = arabic
    run_worker()  # its PDF and first page
    login(page)
    page.goto(f"/language/ar?next=/desk/{slug}/publish")
    page.get_by_label("جدولة النشر (حظر النشر حتى موعد محدد)").check()
    page.locator("#at").fill("2030-01-02T09:30")
    page.locator("#timezone").select_option("Asia/Baghdad")
    page.get_by_label("جميع من في قائمة الصحافة").check()
    page.locator("#embargoed_copy").check()
    page.get_by_role("button", name="المتابعة إلى الملخّص").click()
    expect(page.get_by_role("heading", name="المراجعة قبل النشر")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".embargo-local")).to_contain_text("09:30")
    expect(page.locator(".embargo-local")).to_contain_text("Asia/Baghdad")
    expect(page.locator(".embargo-utc")).to_contain_text("06:30")
    total = page.locator(".summary-table tfoot tr")
    expect(total).to_contain_text("واحد بالإنجليزية (ترجمة)")  # the English reader
    expect(total).to_contain_text("اثنان بالعربية (النص الأصلي)")  # German and Arabic readers
    expect(page.get_by_role("img", name=re.compile("^الصفحة الأولى من ملف PDF"))).to_be_visible()
    screenshot(page, "ar-publish-summary")
    left = english_left(page, "ar") - {"Asia", "Baghdad"}  # the zone's IANA name
    assert not left, left
    page.get_by_role("button", name=re.compile("^جدولة النشر وإرسال النسخة")).click()
    expect(page.locator(".flash-success")).to_be_visible()
