"""Hardened HTTP: every response of every route carries the security headers, and no page
loads anything from another host.

The crawl builds a site like the demo (a statement open for signature with
signatories in every state, a published one with its PDF, a press list),
logs in as its coordinator and GETs every rule of the app's URL map with real
values for its path variables; then it provokes each kind of error and
redirect. Only rules that answer POST alone are skipped.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from cosign import (
    accounts,
    cards,
    demo,
    distribution,
    drafting,
    membership,
    moderation,
    pdfs,
    press,
    publishing,
    signing,
    subscription,
    translating,
)
from cosign.app import create_app
from cosign.models import Membership, Signature, User
from cosign.security import make_token
from tests.conftest import app_config
from tests.factories import make_statement

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "a demo password for the crawl"
HOST = "cosign.test"
HSTS = "max-age=31536000; includeSubDomains"
# Pages that show what people typed in (forms) or sent us: never kept by a cache.
NO_STORE_ENDPOINTS = {"public.sign", "press.subscribe", "verification.verify"}


# --- what every response must carry -------------------------------------------------------

def is_token_rule(rule) -> bool:
    return "token" in rule.arguments


def check_headers(response, where: str, *, token_page=False, private=False, dev=False) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "script-src" in directives or "default-src" in directives, (where, csp)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, (where, csp)
    assert not any(s.startswith(("http", "*", "data:")) for s in script_src), (where, csp)
    assert "unsafe-inline" not in csp, (where, csp)
    assert directives.get("object-src") == ["'none'"], (where, csp)
    assert directives.get("base-uri") == ["'none'"], (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    expected_referrer = "no-referrer" if token_page else "same-origin"
    referrer = headers.get("Referrer-Policy")
    assert referrer == expected_referrer, (where, referrer)
    if dev:
        assert "Strict-Transport-Security" not in headers, where
    else:
        assert headers.get("Strict-Transport-Security") == HSTS, where
    if token_page or private:
        assert headers.get("Cache-Control") == "no-store", (where, headers.get("Cache-Control"))


# --- what a page may load -----------------------------------------------------------------

LOADING = {  # tag: attributes whose URL the browser fetches by itself
    "script": ("src",), "link": ("href",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "input": ("src",),
    "image": ("href", "xlink:href"), "use": ("href", "xlink:href"), "form": ("action",),
    "button": ("formaction",),
}
NEVER = {"iframe", "frame", "object", "embed", "applet", "base", "portal"}
CSS_URL = re.compile(r"""url\(\s*['"]?\s*([^'")\s]+)|@import\s+['"]?([^'";\s]+)""", re.I)


def same_origin(url: str) -> bool:
    url = url.strip()
    if url.startswith("data:image/") or url.startswith("#"):
        return True
    parts = urlsplit(url)
    if url.startswith("//") or parts.scheme or parts.netloc:
        return parts.scheme in ("http", "https") and parts.netloc == HOST
    return True  # a relative URL


class Loads(HTMLParser):
    """Everything a rendered page makes the browser fetch, and anything inline that CSP blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in NEVER:
            self.problems.append(f"<{tag}>")
        for name in LOADING.get(tag, ()):
            for url in (attrs.get(name) or "").split(","):
                url = url.strip().split(" ")[0] if name == "srcset" else url.strip()
                if url and not same_origin(url):
                    self.problems.append(f"<{tag} {name}={url!r}>")
        if tag == "script" and not attrs.get("src"):
            self.problems.append("inline <script>")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (inline style)")
            if value and name in ("href", "src", "action", "formaction") and \
                    value.strip().lower().startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        self._in = tag

    def handle_endtag(self, tag):
        self._in = ""

    def handle_data(self, data):
        if self._in == "style":
            self.problems.append("inline <style>")
        if self._in in ("style", "svg"):
            self.problems += [f"css url({u or i})" for u, i in CSS_URL.findall(data)
                              if not same_origin(u or i)]


def page_problems(html: str) -> list[str]:
    parser = Loads()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_page_checker_finds_what_it_must():
    bad = ('<script src="https://cdn.example.com/x.js"></script><link rel=stylesheet '
           'href="//fonts.example.com/css"><img src="http://evil.example/p.png"><iframe src="/x">'
           '</iframe><form action="https://evil.example/"></form><script>alert(1)</script>'
           '<a href="/" onclick="x()" style="color:red">x</a>'
           '<img srcset="/a.png 1x, https://evil.example/b.png 2x">')
    problems = page_problems(bad)
    assert len(problems) == 9, problems
    assert page_problems('<script src="/static/js/forms.js"></script>'
                         '<link href="http://cosign.test/x">'
                         '<a href="https://elsewhere.example/">a link one clicks</a>'
                         '<img src="data:image/png;base64,AAAA">'
                         '<form action="/verify"></form>') == []


# --- the site to crawl --------------------------------------------------------------------

# the sites built in this test process: (the site, its rows by table, its stored files)
_built: dict[tuple, tuple[dict, dict[str, list[dict]], dict[str, bytes]]] = {}


def build_site(app: Flask) -> dict:
    """A coordinator's site with a row of every kind, and a token for every e-mail link.

    Made once per kind of database (and of app settings that could change it) in a test
    process; each later test gets the same rows (same ids) and stored files (PDFs, cards)
    put into its own empty database and storage directory, instead of rendering the same
    PDFs again."""
    import copy

    from cosign.extensions import db

    key = (db.engine.dialect.name, bool(app.config.get("COSIGN_DEV")),
           app.config["SECRET_KEY"], app.config["COSIGN_SITE_URL"])
    storage = Path(app.config["COSIGN_STORAGE_DIR"])
    if key in _built:
        site, rows, files = _built[key]
        restore_rows(db.session, rows)
        for name, data in files.items():
            (storage / name).parent.mkdir(parents=True, exist_ok=True)
            (storage / name).write_bytes(data)
        app.config["COSIGN_SHARE_CARDS"] = True  # as the build leaves it
        return copy.deepcopy(site)
    site = make_site(app)
    rows = {table.name: [dict(row) for row in db.session.execute(
        table.select().order_by(*table.primary_key.columns)).mappings()]
        for table in db.metadata.sorted_tables}
    files = {str(path.relative_to(storage)): path.read_bytes()
             for path in sorted(storage.rglob("*")) if path.is_file()}
    _built[key] = (copy.deepcopy(site), rows, files)
    return site


def restore_rows(session, rows: dict[str, list[dict]]) -> None:
    """``rows`` into the test's empty database, parents first, ids as they were; on
    PostgreSQL the id sequences then go on after the highest id."""
    from cosign.extensions import db

    tables = db.metadata.sorted_tables
    assert all(session.execute(t.select().limit(1)).first() is None for t in tables), \
        "build_site needs an empty database"
    for table in tables:
        if rows[table.name]:
            session.execute(table.insert(), rows[table.name])
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            if "id" in table.c and rows[table.name]:
                session.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                                {"t": f'"{table.name}"',
                                 "n": max(row["id"] for row in rows[table.name])})
    session.commit()


def make_site(app: Flask) -> dict:
    from cosign.extensions import db

    session = db.session
    secret = app.config["SECRET_KEY"]
    links: dict[str, str] = {}
    keep = lambda purpose: lambda *args: links.setdefault(purpose, args[-1])  # noqa: E731

    statement = demo.load(session, PASSWORD)
    demo.open_with_signatories(session, statement)
    owner_id = statement.created_by_id
    demo.add_press_list(session, owner_id)
    waiting = session.query(Signature).filter_by(statement_id=statement.id,
                                                 status="confirmed").all()
    moderation.approve(session, statement, [waiting[0].id], owner_id, secret_key=secret,
                       link_for=lambda purpose, value: value)
    approved = session.get(Signature, waiting[0].id)
    unconfirmed = signing.sign(session, statement, signing.SignOn(
        organisation="Crawler Union", country="IQ", email="crawl@union.example",
        contact_name="Crawl Contact"), secret_key=secret, link_for=keep("confirm"))

    owner = session.get(User, owner_id)
    published = make_statement(session, owner, title="A published letter", slug="published-letter")
    signing.open_for_signature(session, published, owner_id, signing.OpenOptions())
    moderation.add(session, published, signing.SignOn(
        organisation="Press Freedom Watch", country="GB", email="pfw@example.org",
        contact_name="P. Watch"), owner_id)
    publishing.publish(session, published, owner_id, publishing.PublishOptions())
    revision = drafting.current_revision(session, published)
    signing.save_new_version(  # a correction: the public page links to its diff
        session, published, owner_id,
        drafting.Text(revision.title, revision.body + "\n\nCorrected.", revision.place,
                      revision.date),
        note="Correction", base_revision=revision.number, secret_key=secret,
        link_for=lambda purpose, value: value)
    published.press_selection = "all"  # sent to the press list now: one render, then cached
    session.commit()
    distribution.distribute(session, published.id, "final", app.config)
    issued = pdfs.latest(session, published.id)
    app.config["COSIGN_SHARE_CARDS"] = True
    cards.refresh(session, published.id, app.config)  # its share card (the worker's job)
    statement.signature_goal = 50  # the public counter with its goal and progress bar
    session.commit()
    for translated in (statement, published):  # a translation of each: its pages are crawled
        original = drafting.current_revision(session, translated)
        translating.add(session, translated, owner_id, "fr",
                        drafting.Text("Une déclaration", "Le texte.", original.place, original.date))
        pdfs.issue(session, translated, app.config, language="fr")

    own = session.query(Membership).filter_by(statement_id=statement.id, user_id=owner_id).one()
    membership.invite(session, statement, own, "newcomer@example.org", "editor",
                      secret_key=secret, link_for=keep("invitation"))
    subscription.subscribe(session, press.ContactData(email="reporter@news.example", name="Rita"),
                           secret_key=secret, link_for=keep("press-confirm"))
    contact = press.by_email(session, "lena.fischer@example.org")

    def signature_token(purpose, signature):
        return make_token(secret, purpose, {"s": signature.id, "e": signature.email})

    published_signature = session.query(Signature).filter_by(statement_id=published.id).first()
    site = {
        "email": owner.email,
        "slugs": {
            statement.slug: {"signature_id": approved.id, "number": 1, "lang": "fr"},
            published.slug: {"signature_id": published_signature.id, "number": 1, "lang": "fr"},
        },
        "values": {"contact_id": contact.id, "code": issued.code},
        "tokens": {
            "public.confirm": links["confirm"],
            "public.withdraw": signature_token(signing.WITHDRAW, approved),
            "public.reconfirm": signature_token(signing.RECONFIRM, approved),
            "auth.invitation": links["invitation"],
            "auth.reset_password": accounts.reset_token(secret, owner),
            "press.confirm": links["press-confirm"],
            "press.unsubscribe": press.unsubscribe_token(secret, contact),
        },
        "unconfirmed": unconfirmed.id,
    }
    session.commit()
    return site


def variants(rule, site) -> list[dict]:
    """Path values for ``rule``: each statement for <slug> (with its own ids), every file for
    static, every format for exports. An unknown variable fails: a new route needs values."""
    found = [{}]
    for name in sorted(rule.arguments):
        if name == "slug":
            choices = [{"slug": slug, **ids} for slug, ids in site["slugs"].items()]
        elif name == "token":
            assert rule.endpoint in site["tokens"], (
                f"{rule.rule}: a new page with a token; add a real token for it to build_site")
            choices = [{"token": site["tokens"][rule.endpoint]}]
        elif name == "filename":
            choices = [{"filename": str(p.relative_to(ROOT / "static"))}
                       for p in sorted((ROOT / "static").rglob("*")) if p.is_file()]
        elif name == "fmt":
            choices = [{"fmt": "csv"}, {"fmt": "xlsx"}]
        elif name in ("signature_id", "number", "lang"):
            continue  # given with the slug
        elif name in site["values"]:
            choices = [{name: site["values"][name]}]
        else:
            pytest.fail(f"{rule.rule}: the crawl has no value for <{name}>; add one to build_site")
        found = [{**f, **c} for f in found for c in choices]
    return [{k: v for k, v in f.items() if k in rule.arguments} for f in found]


def crawl_urls(app, site) -> tuple[list[tuple[object, str]], list[str]]:
    adapter = app.url_map.bind(HOST)
    urls, skipped = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            skipped.append(rule.rule)
            continue
        for values in variants(rule, site):
            urls.append((rule, adapter.build(rule.endpoint, values)))
    return urls, skipped


@pytest.fixture
def site(app, client):
    with app.app_context():
        built = build_site(app)
    response = client.post("/login", data={"email": built["email"], "password": PASSWORD})
    assert response.status_code == 302
    return built


def test_every_route_carries_the_security_headers_and_loads_nothing_from_elsewhere(app, client,
                                                                                     site):
    urls, skipped = crawl_urls(app, site)
    assert len(urls) > 50 and all("/desk" in s or "/logout" in s or "/undo" in s
                                    or s.startswith("/account/") for s in skipped)
    statuses: dict[str, set[int]] = {}
    for rule, url in urls:
        response = client.get(url)
        where = f"GET {url} -> {response.status_code}"
        statuses.setdefault(rule.endpoint, set()).add(response.status_code)
        pdf_pending = (rule.endpoint == "public.statement_pdf" and response.status_code == 503
                       and response.headers.get("Retry-After"))  # not rendered yet: by design
        assert response.status_code < 500 or pdf_pending, where
        private = url.startswith(("/desk", "/dev/")) or rule.endpoint in NO_STORE_ENDPOINTS
        check_headers(response, where, token_page=is_token_rule(rule), private=private)
        if response.mimetype == "text/html":
            assert page_problems(response.get_data(as_text=True)) == [], where
        if response.mimetype == "text/css":
            css = response.get_data(as_text=True)
            assert [u for pair in CSS_URL.findall(css) for u in pair
                    if u and not same_origin(u)] == [], where
    # the crawl reached the real pages, not just error pages
    failed = {e: s for e, s in statuses.items() if not any(c < 400 for c in s)}
    assert set(failed) <= {"auth.invitation"}, failed  # logged in as someone else: 403
    for endpoint in ["moderation.detail", "moderation.export", "moderation.index", "press.contacts",
                     "press.edit", "publication.distribution_page", "public.statement_pdf",
                     "api.statement", "api.signatories_csv", "verification.by_code",
                     "public.confirm", "public.withdraw", "press.confirm", "press.unsubscribe",
                     "desk.audit_log", "static", "feed.atom", "public.changes"]:
        assert 200 in statuses[endpoint], (endpoint, statuses[endpoint])


def test_logged_out_the_desk_redirects_with_the_same_headers(app, client, site):
    client.post("/logout")
    urls, _skipped = crawl_urls(app, site)
    for rule, url in urls:
        if url.startswith("/desk"):
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.location, url
            check_headers(response, f"GET {url} (logged out)", private=True)


def test_errors_and_redirects_carry_the_headers(app, client, site):
    slug = next(iter(site["slugs"]))
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = {"organisation": "x", "message": "m" * limit}
    cases = [
        ("GET", "/no-such-page", {}, 404, False),
        ("GET", "/api/v1/no-such-thing", {}, 404, False),
        ("GET", "/confirm/not-a-token", {}, 404, True),
        ("GET", "/press/unsubscribe/not-a-token", {}, 404, True),
        ("GET", "/invitation/not-a-token", {}, 404, True),
        ("POST", "/", {}, 405, False),
        ("POST", "/api/v1/statements", {}, 405, False),
        ("PUT", f"/s/{slug}.pdf", {}, 405, False),
        ("POST", f"/s/{slug}/sign", {"data": big}, 413, False),
        ("GET", "/api/v1/statements", {"data": "x" * (limit + 1)}, 413, False),
        ("GET", "/desk", {}, 308, False),
        ("GET", "/login", {}, 302, False),  # logged in: to the desk
        ("OPTIONS", "/api/v1/statements", {}, 204, False),
        ("HEAD", f"/s/{slug}", {}, 200, False),
    ]
    for method, url, kwargs, status, token_page in cases:
        response = client.open(url, method=method, **kwargs)
        where = f"{method} {url} -> {response.status_code}"
        assert response.status_code == status, where
        check_headers(response, where, token_page=token_page, private=url.startswith("/desk"))
        if url.startswith("/api/") and status >= 400:
            assert response.is_json and response.get_json()["error"]["status"] == status, where
    client.post("/logout")
    login_limit = int(app.config["COSIGN_LOGIN_LIMIT"].split()[0])
    for n in range(login_limit + 1):
        response = client.post("/login", data={"email": f"x{n}@example.org", "password": "no"})
    assert response.status_code == 429
    check_headers(response, "POST /login -> 429")


def test_a_server_error_page_carries_the_headers(db_url, tmp_path):
    app = create_app(app_config(db_url, PROPAGATE_EXCEPTIONS=False,
                                COSIGN_STORAGE_DIR=str(tmp_path / "storage")))

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.logger.disabled = True
    response = app.test_client().get("/boom")
    assert response.status_code == 500 and b"Something went wrong" in response.data
    check_headers(response, "GET /boom -> 500")
    assert page_problems(response.get_data(as_text=True)) == []


class TestDevelopment:
    @pytest.fixture
    def app_overrides(self):
        return {"COSIGN_DEV": True}

    def test_no_hsts_in_development_and_the_outbox_is_not_cached(self, app, client, site):
        from cosign.extensions import db
        from cosign.models import OutboxMessage

        with app.app_context():
            message_id = db.session.query(OutboxMessage.id).order_by(OutboxMessage.id).first()[0]
        rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/dev/")]
        assert rules
        for url in ["/", f"/s/{next(iter(site['slugs']))}", "/dev/mail", f"/dev/mail/{message_id}",
                    f"/confirm/{site['tokens']['public.confirm']}"]:
            response = client.get(url)
            assert response.status_code == 200, url
            check_headers(response, url, dev=True, private=url.startswith("/dev/"),
                          token_page=url.startswith("/confirm/"))
            assert page_problems(response.get_data(as_text=True)) == [], url


# --- the sources ----------------------------------------------------------------------------

TEMPLATE_FILES = sorted(p for p in (ROOT / "templates").rglob("*") if p.is_file())
STATIC_TEXT = sorted(p for p in (ROOT / "static").rglob("*")
                     if p.suffix in {".css", ".js", ".svg", ".html", ".json"})
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|xlink:href|action|formaction|poster|srcset|data)\s*=\s*["']?\s*"""
    r"""|url\(\s*["']?\s*|@import\s+(?:url\()?\s*["']?\s*)(?:https?:|//)""", re.I)


@pytest.mark.parametrize("path", TEMPLATE_FILES + STATIC_TEXT,
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_file_points_at_another_host(path):
    """Links in e-mails and pages are built by url_for or from settings ({{ link }}): a
    literal http(s):// or // URL in a template or a static file would load or send
    something to another host."""
    source = path.read_text()
    assert EXTERNAL.findall(source) == [], path.name
    assert "@import" not in source, path.name
    if path.suffix in {".js"}:
        assert not re.search(r"""(fetch|import|XMLHttpRequest|WebSocket|EventSource)"""
                             r"""\s*\(\s*['"`](https?:|//|wss?:)""", source), path.name


def test_the_source_checker_finds_external_references():
    for bad in ['<script src="https://cdn.example/x.js">', "<link href='//fonts.example/css'>",
                "<form action=http://evil.example/>", "a { background: url( 'https://x/y.png') }",
                '@import url("//x/y.css");', '<img srcset="https://x/y.png 2x">']:
        assert EXTERNAL.findall(bad), bad
    for good in ['<a href="{{ url_for(\'public.index\') }}">', '<a href="mailto:{{ email }}">',
                 '<a href="{{ link }}">', "background: url(../img/x.svg)",
                 '<img src="cosign-logo:">']:
        assert not EXTERNAL.findall(good), good
