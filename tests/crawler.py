"""The site to crawl: a coordinator's site with a row of every kind and a token for every
e-mail link, the path values of every route, and what a page may load (nothing from
another host)."""
from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

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
from cosign.extensions import db
from cosign.models import Membership, Signature, User
from cosign.security import make_token
from tests.factories import cheap_hash, make_statement

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a demo password for the crawl"
HOST = "cosign.test"


# --- the site to crawl --------------------------------------------------------------------

# the sites built in this test process: (the site, its rows by table, its stored files)
_built: dict[tuple, tuple[dict, dict[str, list[dict]], dict[str, bytes]]] = {}


def build_site(app: Flask) -> dict:
    """A coordinator's site with a row of every kind, and a token for every e-mail link.

    Made once per kind of database (and of app settings that could change it) in a test
    process; each later test gets the same rows (same ids) and stored files (PDFs, cards)
    put into its own empty database and storage directory, instead of rendering the same
    PDFs again."""
    key = (db.engine.dialect.name, bool(app.config.get("COSIGN_DEV")),
           app.config["SECRET_KEY"], app.config["COSIGN_SITE_URL"])
    storage = Path(app.config["COSIGN_STORAGE_DIR"])
    if key in _built:
        site, rows, files = _built[key]
        restore_rows(db.session(), rows)
        for name, data in files.items():
            (storage / name).parent.mkdir(parents=True, exist_ok=True)
            (storage / name).write_bytes(data)
        app.config["COSIGN_SHARE_CARDS"] = True  # as the build leaves it
        return copy.deepcopy(site)
    site = make_site(app)
    rows = snapshot_rows(db.session())
    files = {str(path.relative_to(storage)): path.read_bytes()
             for path in sorted(storage.rglob("*")) if path.is_file()}
    _built[key] = (copy.deepcopy(site), rows, files)
    return site


def snapshot_rows(session) -> dict[str, list[dict]]:
    """Every row of every table, by table, for :func:`restore_rows`."""
    return {table.name: [dict(row) for row in session.execute(
        table.select().order_by(*table.primary_key.columns)).mappings()]
        for table in db.metadata.sorted_tables}


def restore_rows(session, rows: dict[str, list[dict]]) -> None:
    """``rows`` into the test's empty database, parents first, ids as they were; on
    PostgreSQL the id sequences then go on after the highest id."""
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
    """A coordinator's site with a row of every kind, and a token for every e-mail link."""
    session = db.session()
    secret = app.config["SECRET_KEY"]
    links: dict[str, str] = {}
    keep = lambda purpose: lambda *args: links.setdefault(purpose, args[-1])  # noqa: E731

    statement = demo.load(session, PASSWORD)
    demo.open_with_signatories(session, statement)
    owner_id = statement.created_by_id
    assert owner_id is not None
    # the coordinator's password hashed as the test users' are (a crawl logs in many times)
    session.get_one(User, owner_id).password_hash = cheap_hash(PASSWORD)
    demo.add_press_list(session, owner_id)
    waiting = session.query(Signature).filter_by(statement_id=statement.id,
                                                 status="confirmed").all()
    moderation.approve(session, statement, [waiting[0].id], owner_id, secret_key=secret,
                       link_for=lambda purpose, value: value)
    approved = session.get_one(Signature, waiting[0].id)
    unconfirmed = signing.sign(session, statement, signing.SignOn(
        organisation="Crawler Union", country="IQ", email="crawl@union.example",
        contact_name="Crawl Contact"), secret_key=secret, link_for=keep("confirm"))

    owner = session.get_one(User, owner_id)
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
    assert issued is not None
    app.config["COSIGN_SHARE_CARDS"] = True
    cards.refresh(session, published.id, app.config)  # its share card (the worker's job)
    statement.signature_goal = 50  # the public counter with its goal and progress bar
    session.commit()
    for translated in (statement, published):  # a translation of each: its pages are crawled
        original = drafting.current_revision(session, translated)
        translating.add(
            session,
            translated,
            owner_id,
            "fr",
            drafting.Text("Une déclaration", "Le texte.", original.place, original.date),
        )
        pdfs.issue(session, translated, app.config, language="fr")

    own = session.query(Membership).filter_by(statement_id=statement.id, user_id=owner_id).one()
    membership.invite(session, statement, own, "newcomer@example.org", "editor",
                      secret_key=secret, link_for=keep("invitation"))
    subscription.subscribe(session, press.ContactData(email="reporter@news.example", name="Rita"),
                           secret_key=secret, link_for=keep("press-confirm"))
    contact = press.by_email(session, "lena.fischer@example.org")
    assert contact is not None

    def signature_token(purpose, signature):
        return make_token(secret, purpose, {"s": signature.id, "e": signature.email})

    published_signature = session.query(Signature).filter_by(statement_id=published.id).first()
    assert published_signature is not None
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
    found: list[dict] = [{}]
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


def crawl_urls(app, site) -> tuple[list[tuple[Rule, str]], list[str]]:
    adapter = app.url_map.bind(HOST)
    urls, skipped = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            skipped.append(rule.rule)
            continue
        for values in variants(rule, site):
            urls.append((rule, adapter.build(rule.endpoint, values)))
    return urls, skipped


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
