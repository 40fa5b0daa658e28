"""Hostile input at every public form and API endpoint.

Each payload (OWASP XSS filter evasion, SQL-ish strings, template injection,
a 1 MB string, NUL characters, bidi overrides, invalid UTF-8) goes into each
field. The answer is a 4xx or a 200/303 with a clean validation message,
never a server error; no payload comes back unescaped; a refused submission
stores nothing (signatures, press contacts, outbox, audit log), an accepted
one stores exactly one complete row. The accepted ones are then published and
every public output is checked for unescaped markup and bidi controls.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from typing import cast
from urllib.parse import quote

import pytest
from sqlalchemy import Table, func, select
from werkzeug.security import generate_password_hash

from cosign import moderation, publishing, security, signing
from cosign.models import AuditEvent, IssuedPdf, OutboxMessage, PressContact, Signature, Statement
from cosign.security import make_token
from tests.crawler import page_problems
from tests.factories import make_statement, make_user
from tests.web.forms import form

# OWASP XSS Filter Evasion Cheat Sheet, varied
XSS = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "<svg/onload=alert('XSS')>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<a href=\"&#1;javascript:alert(1)\">x</a>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">",
    "<iframe src=\"javascript:alert('XSS');\"></iframe>",
    "<BODY ONLOAD=alert('XSS')>",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "'';!--\"<XSS>=&{()}",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "javascript:/*--></title></style></textarea></script></xmp>"
    "<svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
]
SQL = ["' OR 1=1 --", "\"; DROP TABLE signature; --", "1; SELECT pg_sleep(5); --",
       "' UNION SELECT email, contact_name FROM signature --"]
TEMPLATE = ["{{ config.SECRET_KEY }}", "{% for x in range(9999999) %}{% endfor %}${7*7}"]
BIDI = ["\u202eevil\u202c Union", "Union \u2066\u2067of\u2069 Workers",
        "\u200f\u061c\u202dLeft\u202c Alliance", "\u2067\u202eReversed\u2069 Society"]
NUL = ["Org\x00anisation", "\x00"]
HUGE = "A" * 1_000_000  # 1 MB
PAYLOADS = XSS + SQL + TEMPLATE + BIDI + NUL + [HUGE]
IDS = {p: f"{i}:{p[:20]!r}" for i, p in enumerate(PAYLOADS)}
# raw urlencoded bodies that are not UTF-8
INVALID_UTF8 = [b"%FF%FE", b"%C0%AF%ED%A0%80%E2%80", b"\xff\xfe"]

TAG = re.compile(r"<[A-Za-z!][^<>]*>?")  # opening tags; "</script>" is on every page
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
TABLES = (Signature, PressContact, OutboxMessage, AuditEvent, IssuedPdf)


@pytest.fixture
def app_overrides():
    # the battery comes from one address: rate limits are tested elsewhere
    return {"COSIGN_SIGN_LIMIT_IP": "100000 per hour",
            "COSIGN_SIGN_LIMIT_DOMAIN": "100000 per hour",
            "COSIGN_LOGIN_LIMIT": "100000 per minute",
            "COSIGN_PRESS_SUBSCRIBE_LIMIT": "100000 per hour"}


@pytest.fixture
def statement(session):
    owner = make_user(session)
    stmt = make_statement(session, owner, coalition="Coalition for Civic Freedom")
    signing.open_for_signature(session, stmt, owner.id, signing.OpenOptions())
    stmt.owner = owner
    return stmt


def counts(session) -> dict[str, int]:
    session.rollback()  # a fresh look at what the requests committed
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def dangerous(payload: str) -> bool:
    return "<" in payload or ">" in payload  # template syntax is text: checked by the secret


def check_answer(response, payload: str, where: str, secret: str) -> None:
    """A 4xx or a clean 200/303 (or a redirect to a normalised URL); nothing unescaped."""
    status = response.status_code
    assert status < 500, where
    assert status in (200, 302, 303) or 400 <= status < 500, where
    body = response.get_data(as_text=True)
    assert secret not in body, where
    if response.mimetype == "text/html":
        assert page_problems(body) == [], where
    if response.is_json:
        response.get_json()  # well-formed
    if dangerous(payload) and len(payload) > 3:
        assert payload not in body, f"{where}: the payload comes back unescaped"
        for tag in TAG.findall(payload):  # each piece of markup in the payload, as it was sent
            assert tag not in body, f"{where}: {tag!r} comes back unescaped"


def check_stored(session, before: dict, response, where: str, *, accepted_adds: dict) -> bool:
    """Nothing stored for a refusal; exactly ``accepted_adds`` more rows for an acceptance."""
    after = counts(session)
    if response.status_code in (302, 303):
        expected = {k: before[k] + accepted_adds.get(k, 0) for k in before}
        assert after == expected, (where, before, after)
        return True
    assert after == before, (where, before, after)
    return False


# --- sign-on -----------------------------------------------------------------------------------

TEXT_FIELDS = ["organisation", "city", "contact_name", "contact_role", "message"]
# checked against a pattern or a list: a few payloads do
CHECKED_FIELDS = ["website", "email", "country", "org_type", "display"]
FEW = [XSS[0], XSS[1], XSS[14], SQL[0], SQL[1], TEMPLATE[0], BIDI[0], NUL[0]]


def test_sign_form(client, session, app, statement):
    secret = app.config["SECRET_KEY"]
    url = f"/s/{statement.slug}/sign"
    accepted, n = [], 0
    for payload in PAYLOADS:
        if payload is HUGE:
            fields = ["organisation", "message", "email"]
        else:
            fields = TEXT_FIELDS + (CHECKED_FIELDS if payload in FEW else [])
        for field in fields:
            n += 1
            data = form(organisation=f"Organisation number {n}", email=f"c{n}@org{n}.example")
            data[field] = payload
            where = f"POST {url} {field}={IDS[payload]}"
            before = counts(session)
            response = client.post(url, data=data)
            check_answer(response, payload, where, secret)
            if check_stored(session, before, response, where,
                            accepted_adds={"Signature": 1, "OutboxMessage": 1, "AuditEvent": 1}):
                accepted.append((field, payload, n))
                check_complete_signature(session, where)
            elif response.status_code == 422:  # the form again, the message at the field
                assert f'id="{field}-error"' in response.get_data(as_text=True), where
    accepted_fields = {(field, payload) for field, payload, _n in accepted}
    for name in BIDI:  # accepted, with the controls stripped (see check_complete_signature)
        assert ("organisation", name) in accepted_fields
    for payload in XSS:  # stored as text, shown escaped (checked below)
        assert ("organisation", payload) in accepted_fields or len(payload) > 200
    assert not any(p in (HUGE, *NUL) for _f, p in accepted_fields)
    for field, payload in [("email", XSS[0]), ("website", XSS[1]), ("country", SQL[0])]:
        assert (field, payload) not in accepted_fields
    publish_and_check_public_outputs(client, session, app, statement)


def check_complete_signature(session, where: str) -> None:
    signature = session.scalars(select(Signature).order_by(Signature.id.desc())).first()
    assert signature.status == "unconfirmed" and not signature.flagged, where
    assert signature.name and signature.public_name == signature.name and signature.pending_key, (
        where
    )
    assert signature.name_key is None, where  # unconfirmed: claims the name, holds nothing
    assert not BIDI_CONTROLS.search(signature.public_name), where
    assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in signature.public_name), where
    assert len(signature.public_name) <= 200 and len(signature.city) <= 100, where
    assert "\x00" not in signature.message + signature.city + signature.contact_name, where
    assert re.fullmatch(r"[^@\s]+@[^@\s]+", signature.email), where
    assert signature.country.isalpha() and len(signature.country) == 2, where
    assert signature.display in ("named", "withheld") and signature.revision == 1, where
    mail = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert mail.recipient == signature.email and mail.kind == "signature-confirm", where


def publish_and_check_public_outputs(client, session, app, statement) -> None:
    """Every accepted sign-on on the list: the public page, API, CSV and feed stay clean."""
    secret = app.config["SECRET_KEY"]
    session.rollback()
    stmt = session.get(Statement, statement.id)
    unconfirmed = session.scalars(select(Signature).where(Signature.status == "unconfirmed")).all()
    for signature in unconfirmed:
        token = make_token(secret, signing.CONFIRM, {"s": signature.id, "e": signature.email})
        signing.confirm(session, token, secret_key=secret, link_for=lambda p, v: v)
    ids = session.scalars(select(Signature.id).where(Signature.status == "confirmed")).all()
    assert moderation.approve(session, stmt, ids, stmt.owner.id, secret_key=secret,
                              link_for=lambda p, v: v) == len(unconfirmed) > 20
    everyone = session.scalars(select(Signature)).all()
    shown = {v for s in everyone for v in (s.public_name, s.city, s.website)}
    contacts = {v for s in everyone for v in (s.email, s.contact_name, s.contact_role, s.message)
                if len(v) > 8 and not any(v in public for public in shown)}
    assert len(contacts) > 20
    publishing.publish(session, stmt, stmt.owner.id, publishing.PublishOptions())
    outputs = [client.get(f"/s/{stmt.slug}"), client.get(f"/api/v1/statements/{stmt.slug}"),
               client.get(f"/api/v1/statements/{stmt.slug}/signatories.csv"),
               client.get("/api/v1/statements"), client.get("/feed.atom"), client.get("/")]
    for response in outputs:
        assert response.status_code == 200, response.request.path
        body = response.get_data(as_text=True)
        where = f"GET {response.request.path}"
        if response.mimetype == "text/html":
            assert page_problems(body) == [], where
        if response.mimetype != "text/csv":  # a download: the names as they are, formulas defused
            for payload in XSS:
                assert payload not in body, (where, payload)
        if response.mimetype == "text/html":
            assert not BIDI_CONTROLS.search(body), where
        assert "\x00" not in body and secret not in body, where
        for contact in contacts:  # contact data is never public, even when it is "hostile"
            assert contact not in body, (where, contact)
    names = [s["name"] for s in outputs[1].get_json()["signatories"] if "name" in s]
    assert len(names) == len(unconfirmed) - sum(1 for s in unconfirmed if s.display == "withheld")
    assert "<script>alert(1)</script>" in " ".join(names)  # JSON keeps the text as text
    csv_names = [row[0] for row in csv.reader(io.StringIO(outputs[2].get_data(as_text=True)))]
    for name in names + csv_names:
        assert not BIDI_CONTROLS.search(name) and "\x00" not in name, name


def test_bidi_controls_never_reach_the_public_city_or_website(client, session, app, statement):
    response = client.post(f"/s/{statement.slug}/sign",
                           data=form(city="\u202eLIBRE\u202c", website="https://x.example/\u202e"))
    assert response.status_code == 303
    signature = session.scalar(select(Signature))
    assert not BIDI_CONTROLS.search(signature.city + signature.website)


# --- press subscription ------------------------------------------------------------------------

def test_press_subscribe_form(client, session, app):
    secret = app.config["SECRET_KEY"]
    accepted = []
    for n, payload in enumerate(PAYLOADS):
        for field in ["email", "name", "outlet", "language", "tags"]:
            data = {"email": f"journalist{n}.{field}@news.example", "name": "Rita Reporter",
                    "outlet": "The Daily", "language": "en", "tags": "iraq", field: payload}
            where = f"POST /press/subscribe {field}={IDS[payload]}"
            before = counts(session)
            response = client.post("/press/subscribe", data=data)
            check_answer(response, payload, where, secret)
            if check_stored(session, before, response, where,
                            accepted_adds={"PressContact": 1, "OutboxMessage": 1,
                                           "AuditEvent": counts_audit_delta(session, before)}):
                accepted.append((field, payload))
                contact = session.scalars(
                    select(PressContact).order_by(PressContact.id.desc())).first()
                assert contact.status == "pending" and "@" in contact.email, where
                text = contact.name + contact.outlet + contact.tags
                assert not BIDI_CONTROLS.search(text) and "\x00" not in text, where
            elif response.status_code == 422:  # the form again, the message at the field
                assert f'id="{field}-error"' in response.get_data(as_text=True), where
    assert ("name", XSS[0]) in accepted and ("email", XSS[0]) not in accepted
    assert not any(p in (HUGE, *NUL) for _f, p in accepted)


def counts_audit_delta(session, before: dict) -> int:
    """Subscribing may or may not write an audit event; whichever it does, it does it once."""
    return min(1, counts(session)["AuditEvent"] - before["AuditEvent"])


# --- verification ------------------------------------------------------------------------------

def test_verify_form_code_and_upload(client, session, app):
    secret = app.config["SECRET_KEY"]
    before = counts(session)
    for payload in PAYLOADS:
        where = f"POST /verify code={IDS[payload]}"
        response = client.post("/verify", data={"code": payload})
        check_answer(response, payload, where, secret)
        if response.status_code == 302:  # ten letters and digits: looked up, not found
            assert re.fullmatch(r"/verify/[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}",
                                response.location), where
            check_answer(client.get(response.location), payload, where, secret)
        name = payload[:200] + ".pdf"
        upload = (io.BytesIO(b"%PDF-1.7\n" + payload.encode()[:10_000]), name)
        response = client.post("/verify", data={"file": upload},
                               content_type="multipart/form-data")
        check_answer(response, payload, f"POST /verify file={IDS[payload]}", secret)
        upload = (io.BytesIO(payload.encode()[:10_000]), "statement.pdf")
        response = client.post("/verify", data={"file": upload},
                               content_type="multipart/form-data")
        check_answer(response, payload, f"POST /verify file={IDS[payload]}", secret)
    assert counts(session) == before  # an upload is never stored


# --- login -------------------------------------------------------------------------------------

def test_login_form(client, session, app, monkeypatch):
    """(Password hashes of one iteration: the battery tests the request's path, not scrypt.)"""
    secret = app.config["SECRET_KEY"]
    cheap = "pbkdf2:sha256:1"
    monkeypatch.setattr(security, "_DUMMY_HASH", generate_password_hash("dummy", method=cheap))
    user = make_user(session)
    user.password_hash = generate_password_hash("the right password", method=cheap)
    session.commit()
    before = counts(session)
    refused = 0
    for payload in PAYLOADS:
        for data in [{"email": payload, "password": "whatever"},
                     {"email": user.email, "password": payload}]:
            where = f"POST /login {IDS[payload]}"
            response = client.post("/login", data=data)
            check_answer(response, payload, where, secret)
            assert response.status_code in (400, 401, 413, 422), where
            assert client.get("/desk/").status_code == 302, where  # not logged in
            refused += response.status_code == 401
    # nothing stored but one audit row per refused password, which keeps no payload
    after = counts(session)
    assert after == {**before, "AuditEvent": before["AuditEvent"] + refused}
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(refused))
    for row in rows:
        assert row.action == "login-failed" and row.statement_id is None
        assert set(json.loads(row.detail_json)) <= {"known"}


# --- the API and the public pages' parameters ---------------------------------------------------

def test_api_and_public_urls(client, session, app, statement):
    secret = app.config["SECRET_KEY"]
    publishing.publish(session, statement, statement.owner.id,
                       publishing.PublishOptions(confirm_empty=True))
    slug = statement.slug
    before = counts(session)
    for payload in PAYLOADS + ["-1", "0", "99999999999999999999", "1e3", "1.5", " 1", "١٢"]:
        q = quote(payload, safe="")
        for url in [f"/api/v1/statements?page={q}", f"/api/v1/statements?per_page={q}",
                    f"/api/v1/statements?page={q}&per_page={q}", f"/api/v1/statements/{q}",
                    f"/api/v1/statements/{q}/signatories.csv", f"/s/{q}", f"/s/{q}.pdf",
                    f"/s/{slug}?page={q}", f"/s/{slug}/changes?from={q}&to={q}",
                    f"/verify/{q}", f"/feed.atom?{q}={q}"]:
            response = client.get(url)
            where = f"GET {url[:80]} ({IDS.get(payload, payload)})"
            check_answer(response, payload, where, secret)
            if url.startswith("/api/") and response.status_code >= 400:
                error = response.get_json()["error"]
                assert error["status"] == response.status_code and error["message"], where
    assert counts(session) == before


# --- invalid UTF-8 -----------------------------------------------------------------------------

def test_invalid_utf8_bodies_and_urls(client, session, app, statement):
    secret = app.config["SECRET_KEY"]
    good = "&".join(f"{k}={quote(v)}" for k, v in form().items()).encode()
    forms = {f"/s/{statement.slug}/sign": good,
             "/press/subscribe": b"email=j-N%40news.example&name=Rita&language=en",
             "/login": b"email=a%40b.example&password=secret", "/verify": b"code=ABCD"}
    n = 0
    for raw in INVALID_UTF8:
        for url, body in forms.items():
            for field in re.findall(rb"(?:^|&)([a-z_]+)=", body):
                n += 1
                data = re.sub(rb"(^|&)" + field + rb"=[^&]*", rb"\1" + field + b"=" + raw, body)
                data = data.replace(b"j-N%40", b"j-%d%%40" % n)
                data = data.replace(b"organisation=Kurdistan", b"organisation=Utf" + raw[:3])
                before = counts(session)
                response = client.post(url, data=data,
                                       content_type="application/x-www-form-urlencoded")
                where = f"POST {url} {field.decode()}={raw!r}"
                check_answer(response, "", where, secret)
                if field == b"fax":  # the honeypot: kept for review, flagged, never mailed
                    adds = {"Signature": 1} if "/sign" in url else {}
                elif "/sign" in url:
                    adds = {"Signature": 1, "OutboxMessage": 1, "AuditEvent": 1}
                elif url == "/login":  # a refused password is audited (no payload kept)
                    assert response.status_code in (400, 401, 422), where
                    audited = counts(session)["AuditEvent"] - before["AuditEvent"]
                    assert audited == (response.status_code == 401), where
                    before["AuditEvent"] += audited
                    adds = {}
                else:
                    adds = {"PressContact": 1, "OutboxMessage": 1,
                            "AuditEvent": counts_audit_delta(session, before)}
                if check_stored(session, before, response, where, accepted_adds=adds):
                    if "/sign" in url and field != b"fax":
                        check_complete_signature(session, where)
                        # the next one is new
                        session.execute(cast(Table, Signature.__table__).delete())
                        session.commit()
        text = raw.decode("latin-1")  # the test client sends these bytes as they are
        for url in [f"/api/v1/statements/{text}", f"/api/v1/statements?page={text}",
                    f"/s/{statement.slug}?page={text}", f"/verify/{text}"]:
            response = client.get(url)
            check_answer(response, "", f"GET {url!r}", secret)


# --- request size --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/s/{slug}/sign", "/login", "/press/subscribe"])
def test_a_body_just_over_the_limit_gets_the_413_page(client, session, app, statement, url):
    url = url.format(slug=statement.slug)
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = form(email="x@limit.example", password="p", message="")

    def body(padding: int) -> bytes:
        return "&".join(f"{k}={quote(v, safe='')}" for k, v in
                        {**data, "message": "m" * padding}.items()).encode()

    padding = limit - len(body(0))
    assert len(body(padding + 1)) == limit + 1  # one byte over the limit
    before = counts(session)
    response = client.post(url, data=body(padding + 1),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413, url
    html = response.get_data(as_text=True)
    assert "Too much data" in html and "Nothing was saved" in html
    assert page_problems(html) == []
    assert counts(session) == before
    # exactly at the limit: read, and answered by the form (a message that is too long)
    response = client.post(url, data=body(padding),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code not in (413, 500) and response.status_code < 500, url


def test_the_api_answers_413_in_json(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    for url in ["/api/v1/statements", "/api/v1/statements/anything", "/api/v1/nothing-here"]:
        response = client.get(url, data=b"x" * (limit + 1),
                              content_type="application/octet-stream")
        assert response.status_code == 413 and response.is_json, url
        assert response.get_json()["error"]["status"] == 413
        assert "larger than" in response.get_json()["error"]["message"]


def test_a_nul_character_gets_a_clear_400(client, session, app, statement):
    before = counts(session)
    response = client.get("/s/x%00y")
    assert response.status_code == 400 and b"not allowed (NUL)" in response.data
    response = client.get("/api/v1/statements/x%00y")
    assert response.status_code == 400 and response.get_json()["error"]["status"] == 400
    response = client.post("/login", data={"email": "a\x00@b.example", "password": "x"})
    assert response.status_code == 400
    response = client.post(f"/s/{statement.slug}/sign", data=form(city="Erbil\x00"))
    assert response.status_code == 400
    assert counts(session) == before
