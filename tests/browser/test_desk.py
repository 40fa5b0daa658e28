"""The drafting desk through a real browser: login, edit with live preview, diff,
history, comments, keyboard use, accessible names and right-to-left text.

Every test starts from the demo data (``cosign.demo.load``): the owner
amira.haddad@example.org, the statement ``sahel-al-nour-protesters`` with
three revisions and comments. Run alone with
``.venv/bin/python -m pytest tests/browser -p no:xdist -q``; set
``COSIGN_SCREENSHOTS=1`` to also write full-page screenshots to /tmp/cosign-shots/.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cosign.demo import TITLE as DEMO_TITLE

from .conftest import DEMO_SLUG

pytestmark = pytest.mark.browser

STATEMENT = f"/desk/{DEMO_SLUG}/"
OLD_WORD, NEW_WORD = "strongly", "firmly"  # in the first paragraph of the demo text


@pytest.fixture(autouse=True)
def _demo_data(demo):
    """Load the demo data before the live server (requested by ``page``) starts."""
    return demo


def _tab(page, name: str):
    return page.get_by_role("navigation", name="Statement").get_by_role("link", name=name,
                                                                         exact=True)


def _changed_body(page) -> str:
    body = page.get_by_label("Text", exact=True)
    text = body.input_value()
    assert f" {OLD_WORD} " in text
    return text.replace(f" {OLD_WORD} ", f" {NEW_WORD} ", 1)


@pytest.mark.browser
def test_newcomer_edits_with_live_preview_and_sees_the_diff(page, login):
    login(page)
    page.get_by_role("link", name=DEMO_TITLE).click()
    expect(page).to_have_url(re.compile(re.escape(STATEMENT) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)

    _tab(page, "Edit").click()
    expect(page).to_have_url(re.compile(re.escape(f"/desk/{DEMO_SLUG}/edit") + "$"))
    preview = page.locator("#preview")
    expect(preview).to_contain_text("undersigned organisations")  # first live render
    expect(preview).not_to_contain_text(NEW_WORD)

    page.get_by_label("Text", exact=True).fill(_changed_body(page))
    expect(preview).to_contain_text(f"{NEW_WORD} condemn")  # updated as you type
    # the title, place and date are shown as printed, as plain text
    original_date = page.get_by_label("Date", exact=True).input_value()
    page.get_by_label("Place", exact=True).fill("<b>Paris</b>")
    expect(preview.locator("#preview-place")).to_have_text("<b>Paris</b>")
    expect(preview.locator("b")).to_have_count(0)
    page.get_by_label("Date", exact=True).fill("2026-12-01")
    expect(preview.locator(".dateline")).to_have_text("<b>Paris</b>, December 1, 2026")
    page.get_by_label("Place", exact=True).fill("London")
    page.get_by_label("Title", exact=True).fill(DEMO_TITLE + " (draft)")
    expect(preview.locator(".statement-heading")).to_have_text(DEMO_TITLE + " (draft)")
    page.get_by_label("Title", exact=True).fill(DEMO_TITLE)
    page.get_by_label("Date", exact=True).fill(original_date)
    page.get_by_label("Change note (optional)").fill("Softer verb")
    page.get_by_role("button", name="Save revision").click()

    expect(page).to_have_url(re.compile(re.escape(f"/desk/{DEMO_SLUG}/diff") + r"\?a=3&b=4$"))
    expect(page.get_by_role("status")).to_have_text("Revision 4 saved.")
    expect(page.locator(".diff del").filter(has_text=OLD_WORD)).to_have_count(1)
    expect(page.locator(".diff ins").filter(has_text=NEW_WORD)).to_have_count(1)
    expect(page.locator(".diff-summary")).to_contain_text("Note: Softer verb")
    expect(page.locator(".diff ins")).to_have_count(1)  # the title, place and date are unchanged
    expect(_tab(page, "History")).to_have_attribute("aria-current", re.compile(r"\S"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My statements")
           ).to_have_attribute("aria-current", re.compile(r"\S"))

    _tab(page, "History").click()
    expect(page.locator("table.history tbody tr")).to_have_count(4)
    expect(page.locator("table.history tbody tr").first).to_contain_text("Softer verb")


@pytest.mark.browser
def test_preview_button_works_without_javascript(new_page, login):
    page = new_page(java_script_enabled=False)
    login(page)
    page.goto(f"/desk/{DEMO_SLUG}/edit")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("updates as you type, or when you press Preview")

    page.get_by_label("Text", exact=True).fill(_changed_body(page))
    page.get_by_label("Place", exact=True).fill("Paris")
    page.get_by_role("button", name="Preview", exact=True).click()

    expect(preview).to_contain_text(f"{NEW_WORD} condemn")
    expect(preview.locator(".statement-heading")).to_have_text(DEMO_TITLE)
    expect(preview.locator(".dateline")).to_have_text(re.compile(r"^Paris, \w+ \d{1,2}, \d{4}$"))
    expect(preview.locator("ul li")).to_have_count(4)  # the Markdown list is rendered
    expect(page.get_by_label("Text", exact=True)).to_have_value(re.compile(f" {NEW_WORD} "))

    history = page.context.new_page()
    history.goto(f"/desk/{DEMO_SLUG}/history")
    expect(history.locator("table.history tbody tr")).to_have_count(3)  # nothing saved
    history.close()

    page.get_by_role("button", name="Save revision").click()
    expect(page).to_have_url(re.compile(r"/diff\?a=3&b=4$"))
    expect(page.locator(".diff ins").filter(has_text=NEW_WORD)).to_have_count(1)


@pytest.mark.browser
def test_login_with_the_keyboard_only(page):
    page.goto("/login")
    email = page.get_by_label("E-mail")
    for _ in range(10):  # skip link, brand, nav link, then the form
        page.keyboard.press("Tab")
        if email.evaluate("el => el === document.activeElement"):
            break
    expect(email).to_be_focused()
    page.keyboard.type("amira.haddad@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("demo-password-123")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Log in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/desk/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My statements")


@pytest.mark.browser
def test_comment_on_a_paragraph_and_resolve_it(page, login):
    login(page)
    page.goto(STATEMENT)
    first = page.locator("li.paragraph").first
    key = first.get_attribute("id")
    expect(first.locator(".comment")).to_have_count(0)

    first.locator("summary", has_text="Comment").click()
    first.get_by_label("Your comment on paragraph 1").fill("Name the square's new name too?")
    first.get_by_role("button", name="Add comment").click()

    expect(page).to_have_url(re.compile(re.escape(STATEMENT) + f"#{key}$"))
    expect(page.get_by_role("status")).to_have_text("Comment added.")
    paragraph = page.locator(f"#{key}")
    comment = paragraph.locator(".comment")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text("Name the square's new name too?")
    expect(comment).to_contain_text("Amira Haddad")

    comment.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_have_text("Comment resolved.")
    comment = page.locator(f"#{key} .comment")
    expect(comment).to_have_class(re.compile(r"\bresolved\b"))
    expect(comment).to_contain_text("Resolved by Amira Haddad")
    expect(comment.get_by_role("button", name="Resolve")).to_have_count(0)


# -- accessibility smoke test (on every page of the walk below) ------------------------

# Returns a list of problems: controls without an accessible name, buttons without
# text, duplicate ids (they break <label for>), headings and <html lang>.
A11Y_CHECK = """
() => {
  const problems = [];
  const describe = (el) => `<${el.tagName.toLowerCase()} name="${el.getAttribute('name') || ''}"`
      + ` id="${el.id}" type="${el.getAttribute('type') || ''}">`;
  const text = (el) => (el ? el.textContent : '').replace(/\\s+/g, ' ').trim();
  const accessibleName = (el) => {
    const labelledby = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
        .map((id) => text(document.getElementById(id))).join(' ').trim();
    return labelledby || (el.getAttribute('aria-label') || '').trim()
        || Array.from(el.labels || []).map(text).join(' ').trim()
        || (el.getAttribute('title') || '').trim();
  };
  for (const el of document.querySelectorAll('input:not([type=hidden]), textarea, select')) {
    if (['submit', 'button', 'reset'].includes(el.type)) {
      if (!(el.value || '').trim() && !accessibleName(el)) {
        problems.push(`button without text: ${describe(el)}`);
      }
    } else if (!accessibleName(el)) {
      problems.push(`form control without a label: ${describe(el)}`);
    }
  }
  for (const el of document.querySelectorAll('button')) {
    if (!text(el) && !accessibleName(el)) {
      problems.push(`button without text: ${describe(el)}`);
    }
  }
  for (const label of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(label.htmlFor)) {
      problems.push(`<label for="${label.htmlFor}"> names no element`);
    }
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) {
    if (n > 1) problems.push(`id "${id}" used ${n} times`);
  }
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} <h1> elements (expected exactly one)`);
  if (!(document.documentElement.getAttribute('lang') || '').trim()) {
    problems.push('<html> has no lang');
  }
  for (const img of document.querySelectorAll('img:not([alt])')) {
    problems.push(`<img> without alt: ${img.src}`);
  }
  return problems;
}
"""


# -- right-to-left ----------------------------------------------------------------

ARABIC_TITLE = "بيان مشترك بشأن قتل المتظاهرين في ساحل النور"
ARABIC_BODY = (
    "نحن المنظمات الموقعة أدناه ندين بشدة قتل المتظاهرين السلميين في ساحة الشهداء.\n\n"
    "ندعو السلطات إلى:\n\n"
    "- وقف استخدام الذخيرة الحية ضد المتظاهرين فوراً؛\n"
    "- الإفراج عن جميع المعتقلين بسبب مشاركتهم في الاحتجاج السلمي."
)


@pytest.mark.browser
def test_arabic_statement_is_shown_right_to_left(page, login, screenshot):
    login(page)
    page.get_by_role("link", name="New statement").click()
    page.get_by_label("Title", exact=True).fill(ARABIC_TITLE)
    page.get_by_label("Place", exact=True).fill("ساحل النور")
    page.get_by_label("Text", exact=True).fill(ARABIC_BODY)
    page.get_by_label("Language", exact=True).fill("ar")
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_role("status")).to_have_text("Draft created.")
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC_TITLE)
    text = page.locator("ol.paragraphs")
    expect(text).to_have_attribute("dir", "rtl")
    expect(text).to_have_attribute("lang", "ar")
    expect(text.locator("li.paragraph")).to_have_count(3)
    expect(text.locator("li.paragraph").first).to_contain_text("نحن المنظمات الموقعة أدناه")
    assert text.evaluate("el => getComputedStyle(el).direction") == "rtl"
    screenshot(page, "rtl")

    _tab(page, "Edit").click()
    expect(page.locator("#preview")).to_have_attribute("dir", "rtl")
    expect(page.locator("#preview")).to_contain_text("نحن المنظمات")
    screenshot(page, "rtl-edit")


# -- every page at two widths, with accessible names; PNGs in /tmp/cosign-shots with
# COSIGN_SCREENSHOTS=1 ------------------------------------------------------------------

# Whether the page is wider than the window, and which elements stick out.
OVERFLOW_CHECK = """
() => {
  const width = window.innerWidth;
  const wide = document.documentElement.scrollWidth;
  if (wide <= width) return null;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      const tag = `<${el.tagName.toLowerCase()} class="${el.className}">`;
      culprits.push(`${tag} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return `scrollWidth ${wide} > innerWidth ${width}: ` + culprits.slice(0, 8).join('; ');
}
"""

PAGES = [
    ("dashboard", "/desk/"),
    ("statement", STATEMENT),
    ("edit", f"/desk/{DEMO_SLUG}/edit"),
    ("diff", f"/desk/{DEMO_SLUG}/diff?a=2&b=3"),
    ("history", f"/desk/{DEMO_SLUG}/history"),
    ("revision", f"/desk/{DEMO_SLUG}/revisions/1"),  # had a second <h1> until 2026-11-22
    ("members", f"/desk/{DEMO_SLUG}/members"),
    ("settings", f"/desk/{DEMO_SLUG}/settings"),
    ("audit", f"/desk/{DEMO_SLUG}/audit"),
    ("new", "/desk/new"),
    ("home", "/"),
]
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


def _both_widths(page, screenshot, name: str, problems: dict[str, list[str]]) -> None:
    """The page as loaded at desktop width: its accessible names (A11Y_CHECK) and a
    screenshot; then at phone width (the same document, laid out again: no script here
    depends on the width), whether it scrolls sideways, and a screenshot."""
    found = [f"accessibility: {problem}" for problem in page.evaluate(A11Y_CHECK)]
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(OVERFLOW_CHECK)
    if overflow:
        found.append(f"scrolls sideways at 390 px: {overflow}")
    screenshot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)
    if found:
        problems[page.url] = found


@pytest.mark.browser
def test_every_page_at_desktop_and_phone_width_with_accessible_names(page, login, screenshot):
    """Every page, logged out (the login page) and logged in (PAGES), each loaded once: at
    1280 px, <html lang> and the accessible names of its controls; at 390 px, no sideways
    scrolling. The problems of every page are reported together."""
    problems: dict[str, list[str]] = {}
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"\S"))
    _both_widths(page, screenshot, "login", problems)
    login(page)
    for name, path in PAGES:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", re.compile(r"\S"))
        if path.endswith("/edit"):
            expect(page.locator("#preview")).to_contain_text("undersigned organisations")
        _both_widths(page, screenshot, name, problems)
    # a paragraph's comment form, opened
    page.goto(STATEMENT)
    page.locator("li.paragraph summary").first.click()
    add_comment = page.get_by_role("button", name="Add comment").first
    expect(add_comment).to_be_visible()
    screenshot(page, "statement-comment-open")
    page.set_viewport_size(PHONE)
    expect(add_comment).to_be_visible()
    assert page.evaluate(OVERFLOW_CHECK) is None
    screenshot(page, "statement-comment-open-390")
    assert problems == {}


# -- focus and target sizes -----------------------------------------------------------

def _outline(locator) -> str:
    return locator.evaluate(
        "el => { const s = getComputedStyle(el); return s.outlineStyle + ' ' + s.outlineColor; }")


@pytest.mark.browser
def test_focus_is_visible_and_targets_are_large_enough(page, login):
    login(page)
    page.goto(STATEMENT)
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="My statements")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    page.keyboard.press("Tab")  # "My statements" in the header
    expect(nav_link).to_be_focused()
    assert _outline(nav_link) == "solid rgb(255, 210, 74)"  # yellow on the teal header
    tab = _tab(page, "Edit")
    tab.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(tab).to_be_focused()
    assert _outline(tab) == "solid rgb(194, 94, 0)"  # orange on the page

    toggles = page.locator("li.paragraph summary")
    expect(toggles.nth(2)).to_have_attribute("aria-label", "Comment on paragraph 3")
    for locator in [toggles.first, page.locator(".comment button").first]:
        box = locator.bounding_box()
        assert box["height"] >= 24 and box["width"] >= 24, box
    page.goto(f"/desk/{DEMO_SLUG}/history")
    box = page.locator(".radio-target").first.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24, box


@pytest.mark.browser
def test_copy_as_a_new_draft_from_the_settings(page, login):
    """Issue 16, item 2: from the settings tab to a new draft with the same text, without
    JavaScript-dependent steps (a link and a form)."""
    login(page)
    page.goto(STATEMENT)
    _tab(page, "Settings").click()
    page.get_by_role("link", name="Copy as a new draft").click()
    expect(page).to_have_url(re.compile(re.escape(f"/desk/{DEMO_SLUG}/copy") + "$"))
    expect(_tab(page, "Settings")).to_have_attribute("aria-current", "true")
    page.get_by_label("Take the press contact too").uncheck()
    page.get_by_role("button", name="Make the new draft").click()
    expect(page.get_by_text("No signatures were copied.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    assert f"/desk/{DEMO_SLUG}/" not in page.url and "/desk/" in page.url
    expect(page.locator(".badge")).to_have_text("draft")
