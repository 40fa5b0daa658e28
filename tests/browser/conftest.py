"""Fixtures for end-to-end tests in a real Chromium (Debian's /usr/bin/chromium).

One Playwright driver and one browser per test process (each xdist worker has
its own); a fresh browser context, so fresh cookies, for every test. The app
runs in a werkzeug server on a free port in a daemon thread.

Every page records console errors (CSP violations are reported there) and
uncaught script errors; the ``page`` and ``new_page`` fixtures fail the test
at teardown if there were any.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from cosign import demo as demo_data
from tests.factories import cheap_hash

CHROMIUM = "/usr/bin/chromium"
# assertions wait up to 15 s for their condition (Playwright: 5 s): CI shares 2 cores
expect.set_options(timeout=15_000)
SHOTS = Path("/tmp/cosign-shots")
DEMO_PASSWORD = "demo-password-123"
DEMO_OWNER = "amira.haddad@example.org"
DEMO_SLUG = "sahel-al-nour-protesters"


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as p:
        yield p


# Browser UI that no test looks at and that Chromium's headless mode still runs: the address
# bar's popup is a WebUI page (chrome://omnibox-popup.top-chrome) in a renderer of its own that
# worked on every navigation, some 40 % of Chromium's CPU in these tests. Without these features
# Chromium uses its native popup, which is never opened here.
BROWSER_UI_OFF = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")


def _default_disabled_features(playwright) -> str:
    """The ``--disable-features=...`` switch Playwright passes, read back from chrome://version
    of a first launch: Chromium keeps only the last such switch, so a second one must carry
    Playwright's list as well as ours."""
    probe = playwright.chromium.launch(executable_path=CHROMIUM)
    try:
        page = probe.new_page()
        page.goto("chrome://version")
        switches = re.findall(r"--disable-features=\S+", page.locator("#command_line").inner_text())
    finally:
        probe.close()
    assert len(switches) == 1, switches
    return switches[0]


@pytest.fixture(scope="session")
def browser(playwright):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    disabled = _default_disabled_features(playwright)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        ignore_default_args=[disabled],
        args=["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
              ",".join([disabled, *BROWSER_UI_OFF])],
    )
    yield browser
    browser.close()


@pytest.fixture
def app_overrides() -> dict:
    """Real CSRF tokens in the browser; no SERVER_NAME, so any host:port is served."""
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None,
            "COSIGN_PDF_RETRY_AFTER": 2}  # the "PDF is being prepared" page asks again soon


@pytest.fixture
def demo(session, monkeypatch):
    """The demo statement (3 revisions, comments), loaded before the server starts."""
    from cosign import accounts, demo

    # the demo accounts' passwords hashed as the test users' are: loading the demo hashed two
    # at full cost and each login checked one, 0.15 s of CPU each
    with monkeypatch.context() as patch:
        patch.setattr(accounts, "hash_password", cheap_hash)
        statement = demo.load(session, DEMO_PASSWORD)
    session.commit()
    return statement


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 at a free port, also its COSIGN_SITE_URL; yields the
    base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["COSIGN_SITE_URL"] = base  # the links in mails and PDFs lead to this server
    yield base
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory: ``new_page(**context_options)`` opens a page in a new browser context.

    At teardown every context is closed and the test fails if any page logged a
    console error or threw an uncaught exception. Chromium logs CSP violations as
    console errors ("... violates the following Content Security Policy directive").
    """
    contexts = []
    problems: list[str] = []

    def on_console(msg):
        # a form answered 4xx on purpose (422 invalid, 429 throttled, 410 closed) is not a bug,
        # nor the 503 "the PDF is being prepared" page on a first download
        url = msg.page.url if msg.page else ""
        pdf_pending = url.endswith(".pdf") and "status of 503" in msg.text
        if (
            msg.type == "error"
            and not pdf_pending
            and not re.match(
                r"Failed to load resource: the server responded with a status of "
                r"4(0[0-9]|1[0-9]|2[29])",
                msg.text,
            )
        ):
            problems.append(f"console error on {msg.page.url if msg.page else '?'}: {msg.text}")

    def on_weberror(error):
        problems.append(f"uncaught script error: {error.error}")

    def make(**options):
        options.setdefault("base_url", live_server)
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        # generous: CI shares 2 cores with other work; a passing test never waits for it
        context.set_default_timeout(15_000)
        context.on("console", on_console)
        context.on("weberror", on_weberror)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page()


def _login(page, email: str = DEMO_OWNER, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/desk/$"))


@pytest.fixture
def login():
    """``login(page)`` logs in through the form (demo owner by default)."""
    return _login


def _screenshot(page, name: str) -> None:
    if os.environ.get("COSIGN_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: a full-page PNG in /tmp/cosign-shots/, only if
    COSIGN_SCREENSHOTS=1 (so CI writes no files)."""
    return _screenshot


@pytest.fixture
def arabic(session, demo):
    """The demo statement, its press list and the Arabic statement with two translations."""
    demo_data.open_with_signatories(session, demo)
    demo_data.add_press_list(session, demo.created_by_id)
    slug = demo_data.load_arabic(session, demo.created_by_id).slug
    session.commit()  # and no transaction left open: the server writes (SQLite)
    return slug
