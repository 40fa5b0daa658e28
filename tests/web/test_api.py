"""/api/v1: published statements, public fields only; every response as the OpenAPI document
says."""

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate
from sqlalchemy import select

from cosign import pdfs
from cosign.models import Signature
from cosign.web import openapi
from tests.api_contract import API, Contract, pointer
from tests.publications import (
    CONTACT,
    HIDDEN_CITY,
    HIDDEN_NAME,
    HIDDEN_SITE,
    add_from_the_web,
    add_named,
    add_withheld,
    many_published,
    not_public,
    opened,
    publish,
    published,
)


@pytest.fixture
def contract(client):
    return Contract(client.get(f"{API}/openapi.json").get_json())


@pytest.fixture
def api(client, contract):
    """``api(path, method="get", **kw)``: a request, its response checked against the document."""
    def call(path, method="get", **kw):
        response = client.open(path, method=method.upper(), **kw)
        return contract.check(response, path, method)
    return call


def test_openapi_document_is_valid_openapi_3_1(client):
    served = client.get(f"{API}/openapi.json").get_json()
    validate(served)
    assert served["openapi"].startswith("3.1")
    assert served == openapi.document()


def test_every_documented_response_is_produced_and_matches(session, frozen_clock, api, contract):
    statement, _owner = published(session, names=("Org A",), withheld=True)
    slug = statement.slug
    paths = {template: API + template.replace("{slug}", slug)
             for template in contract.spec["paths"]}
    assert set(paths) == {"/statements", "/statements/{slug}",
                          "/statements/{slug}/signatories.csv", "/openapi.json"}
    for template, path in paths.items():
        first = api(path)
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "public, max-age=60"
        again = api(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert api(path, "head").status_code == 200
        assert api(path, "options").status_code == 204
        for method in ("post", "put", "patch", "delete"):
            assert api(path, method).status_code == 405
        if "{slug}" in template:
            assert api(path.replace(slug, "no-such-statement")).status_code == 404
            # longer than the document's maxLength: no address at all, for every method
            assert api(path.replace(slug, "x" * 101), "options").status_code == 404
    assert api(f"{API}/statements?per_page=101").status_code == 400
    assert contract.seen == contract.documented()


def test_unknown_api_paths_are_json_404s(api):
    for path in (f"{API}/nope", f"{API}/statements/x/y", "/api/v2/statements", f"{API}/"):
        response = api(path)
        assert response.get_json()["error"]["status"] == 404


def test_list_pages_newest_first(session, frozen_clock, api):
    made = many_published(session, frozen_clock, 25)
    newest_first = [s.slug for s in reversed(made)]
    first = api(f"{API}/statements").get_json()
    assert [s["slug"] for s in first["statements"]] == newest_first[:20]
    assert first["pagination"] == {
        "page": 1, "per_page": 20, "total": 25, "pages": 2, "prev": None,
        "next": "http://cosign.test/api/v1/statements?page=2&per_page=20"}
    second = api(first["pagination"]["next"].replace("http://cosign.test", "")).get_json()
    assert [s["slug"] for s in second["statements"]] == newest_first[20:]
    assert second["pagination"]["next"] is None
    assert second["pagination"]["prev"] == "http://cosign.test/api/v1/statements?page=1&per_page=20"
    beyond = api(f"{API}/statements?page=9").get_json()
    assert beyond["statements"] == []
    assert (beyond["pagination"]["total"], beyond["pagination"]["pages"]) == (25, 2)
    assert beyond["pagination"]["next"] is None
    everything = api(f"{API}/statements?per_page=100").get_json()
    assert [s["slug"] for s in everything["statements"]] == newest_first
    item = everything["statements"][0]
    assert item == {
        "slug": made[-1].slug, "title": "Statement number 24",
        "coalition": "Iraqi Solidarity Coalition", "language": "en",
        "published_at": "2026-11-01T12:24:00Z", "signatory_count": 0,
        "url": f"http://cosign.test/s/{made[-1].slug}",
        "api_url": f"http://cosign.test/api/v1/statements/{made[-1].slug}",
    }
    assert [s["signatory_count"] for s in everything["statements"][:3]] == [0, 2, 1]
    small = api(f"{API}/statements?per_page=7&page=4").get_json()
    assert [s["slug"] for s in small["statements"]] == newest_first[21:]
    assert small["pagination"]["pages"] == 4


@pytest.mark.parametrize("query, parameter", [
    ("per_page=101", "per_page"), ("per_page=0", "per_page"), ("per_page=-1", "per_page"),
    ("per_page=abc", "per_page"), ("page=0", "page"), ("page=abc", "page"),
    ("page=1&per_page=1e3", "per_page"),
])
def test_bad_parameters_are_400_naming_the_parameter(api, query, parameter):
    response = api(f"{API}/statements?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["parameter"] == parameter
    assert parameter in error["message"]
    assert response.headers["Cache-Control"] == "no-store"


def test_unpublished_embargoed_and_unknown_statements_look_the_same(session, frozen_clock, api,
                                                                   client):
    hidden = not_public(session, frozen_clock)
    statement, _owner = published(session)
    unknown = api(f"{API}/statements/no-such-statement")
    assert unknown.status_code == 404
    for kind, other in hidden.items():
        for suffix in ("", "/signatories.csv"):
            response = api(f"{API}/statements/{other.slug}{suffix}")
            assert response.status_code == 404, kind
            assert response.data == unknown.data, kind
            assert {k: v for k, v in response.headers.items() if k != "Content-Length"} == \
                {k: v for k, v in unknown.headers.items() if k != "Content-Length"}, kind
    listed = api(f"{API}/statements?per_page=100").get_json()
    assert [s["slug"] for s in listed["statements"]] == [statement.slug]
    assert listed["pagination"]["total"] == 1
    everything = client.get(f"{API}/statements?per_page=100").get_data(as_text=True) \
        + client.get("/feed.atom").get_data(as_text=True)
    for other in hidden.values():
        assert other.slug not in everything and other.title not in everything


def test_statement_detail(session, frozen_clock, api):
    statement, owner = opened(session, body="We *condemn* the arrests.\n\n"
                              "Read [the report](https://report.example/a).")
    add_named(session, statement, owner, "Zeta Org", country="GB", city="London",
              website="https://zeta.example")
    add_withheld(session, statement, owner)
    frozen_clock.advance(hours=1)
    publish(session, statement, owner, keep_open=True)
    data = api(f"{API}/statements/{statement.slug}").get_json()
    assert data["status"] == "published" and data["signing_open"] is True
    assert data["title"] == "Free the journalists"
    assert data["coalition"] == "Iraqi Solidarity Coalition" and data["language"] == "en"
    assert (data["opened_at"], data["published_at"], data["closed_at"], data["corrected_at"]) == \
        ("2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z", None, None)
    assert (data["date"], data["place"], data["version"]) == ("2026-11-20", "London", 1)
    assert data["text_markdown"].startswith("We *condemn* the arrests.")
    assert "<em>condemn</em>" in data["text_html"]
    assert '<a href="https://report.example/a" rel="noopener noreferrer nofollow">' \
        in data["text_html"]
    assert data["text_sha256"] == statement.signed_sha256
    assert data["signatory_count"] == 2
    assert data["signatories"] == [
        {"name": "Zeta Org", "country": "GB", "type": "ngo", "city": "London",
         "website": "https://zeta.example", "signed_version": 1},
        {"withheld": True, "country": "IQ", "type": "union", "signed_version": 1},
    ]
    assert data["pdf"] == {
        "url": f"http://cosign.test/s/{statement.slug}.pdf", "verification_code": None,
        "sha256": None, "issued_at": None, "verify_url": "http://cosign.test/verify"}
    assert data["url"] == f"http://cosign.test/s/{statement.slug}"
    assert data["signatories_csv_url"] == \
        f"http://cosign.test/api/v1/statements/{statement.slug}/signatories.csv"


def test_detail_gives_the_latest_pdf_and_the_correction(session, frozen_clock, api, app):
    from cosign import drafting, signing
    from tests.publications import SECRET, links

    statement, owner = published(session, names=("Org A", "Org B"))
    issued = pdfs.issue(session, statement, app.config, render=lambda *a, **k: b"%PDF-1.7 test")
    data = api(f"{API}/statements/{statement.slug}").get_json()
    assert data["pdf"]["verification_code"] == issued.code
    assert data["pdf"]["sha256"] == issued.sha256
    assert data["pdf"]["verify_url"] == f"http://cosign.test/verify/{issued.code}"
    frozen_clock.advance(days=2)
    body = drafting.current_revision(session, statement).body + "\n\nFive reporters, not four."
    signing.save_new_version(session, statement, owner.id,
                             drafting.Text("Free the journalists", body, "London", None),
                             note="correction", base_revision=1, secret_key=SECRET,
                             link_for=links)
    data = api(f"{API}/statements/{statement.slug}").get_json()
    assert data["version"] == 2 and data["corrected_at"] == "2026-11-03T12:00:00Z"
    assert data["date"] is None and "Five reporters" in data["text_markdown"]
    assert data["signatories"][0]["signed_version"] == 1


def test_signatories_csv(session, api):
    statement, owner = opened(session)
    add_named(session, statement, owner, "@SUM(A1:A2)", city="-Basra")
    add_named(session, statement, owner, "منظمة حقوق الإنسان", city="البصرة")
    add_withheld(session, statement, owner)
    publish(session, statement, owner)
    response = api(f"{API}/statements/{statement.slug}/signatories.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    assert rows[0] == ["name", "country", "country_code", "city", "type", "website",
                       "signed_version"]
    assert rows[1][0] == "'@SUM(A1:A2)" and rows[1][3] == "'-Basra"
    assert rows[2][0] == "منظمة حقوق الإنسان" and rows[2][3] == "البصرة"
    assert rows[3][:5] == ["An organisation in Iraq (name withheld)", "Iraq", "IQ", "", "union"]
    assert len(rows) == 4


def test_no_contact_data_and_no_withheld_name_anywhere(session, frozen_clock, api, client):
    statement, owner = opened(session)
    add_named(session, statement, owner, "Named Org Quince")
    add_withheld(session, statement, owner)
    web = add_from_the_web(session, statement, owner, "Web Signed Org", "web-zq@leak.example")
    add_withheld(session, statement, owner, name="Second Hidden Persimmon",
                 city="Hidden City Two", website="https://persimmon.example")
    publish(session, statement, owner)
    ip_hash = session.scalar(select(Signature.ip_hash).where(Signature.id == web.id))
    name_keys = [k for k in session.scalars(select(Signature.name_key).where(
        Signature.statement_id == statement.id, Signature.display == "withheld"))]
    assert ip_hash and len(name_keys) == 2
    bodies = {
        "list": api(f"{API}/statements").get_data(as_text=True),
        "detail": api(f"{API}/statements/{statement.slug}").get_data(as_text=True),
        "csv": api(f"{API}/statements/{statement.slug}/signatories.csv").get_data(as_text=True),
        "openapi": api(f"{API}/openapi.json").get_data(as_text=True),
        "feed": client.get("/feed.atom").get_data(as_text=True),
    }
    assert "Named Org Quince" in bodies["detail"] and "Web Signed Org" in bodies["csv"]
    secrets = [*CONTACT.values(), "web-zq@leak.example", HIDDEN_NAME, HIDDEN_CITY, HIDDEN_SITE,
               "Second Hidden Persimmon", "Hidden City Two", "persimmon.example", ip_hash,
               *name_keys, "203.0.113.77"]
    for where, body in bodies.items():
        for secret in secrets:
            assert secret.lower() not in body.lower(), (where, secret)
    detail = client.get(f"{API}/statements/{statement.slug}").get_json()
    assert sum(1 for s in detail["signatories"] if s.get("withheld")) == 2


def test_cors_and_preflight(session, client, api):
    statement, _owner = published(session)
    for path in (f"{API}/statements", f"{API}/statements/{statement.slug}",
                 f"{API}/statements/nope", f"{API}/statements?per_page=0", f"{API}/unknown"):
        response = api(path)
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
    assert api(f"{API}/statements", "post").headers["Access-Control-Allow-Origin"] == "*"
    preflight = api(f"{API}/statements/{statement.slug}", "options",
                    headers={"Origin": "https://news.example",
                             "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    not_allowed = api(f"{API}/statements", "delete")
    assert not_allowed.status_code == 405 and "GET" in not_allowed.headers["Allow"]
    assert not_allowed.get_json()["error"]["status"] == 405


def test_html_in_a_title_is_only_json_text(session, api):
    title = "<script>alert(1)</script>"
    statement, _owner = published(session, title=title)
    listed = api(f"{API}/statements")
    assert listed.mimetype == "application/json"
    assert listed.get_json()["statements"][0]["title"] == title
    detail = api(f"{API}/statements/{statement.slug}")
    assert detail.get_json()["title"] == title
    assert detail.headers["X-Content-Type-Options"] == "nosniff"


def test_html_pages_keep_their_own_errors(client):
    assert client.get("/no-such-page").mimetype == "text/html"
    assert client.post("/").status_code == 405


def test_the_contract_catches_what_the_document_does_not_allow(contract):
    from jsonschema import ValidationError

    good: dict[str, Any] = {"statements": [], "pagination": {
        "page": 1, "per_page": 20, "total": 0, "pages": 0, "next": None, "prev": None}}
    schema = pointer("paths", "/statements", "get", "responses", "200", "content",
                     "application/json", "schema")
    contract.validate(good, schema)
    for bad in ({**good, "extra": 1},
                {**good, "statements": [{"slug": "x"}]},
                {**good, "pagination": {**good["pagination"], "per_page": 101}}):
        with pytest.raises(ValidationError):
            contract.validate(bad, schema)
    with pytest.raises(ValidationError):  # a withheld signatory with a name
        contract.validate({"withheld": True, "country": "IQ", "type": "ngo", "name": "X"},
                          "components/schemas/Statement/properties/signatories/items")


def test_answers_follow_the_list_and_a_304_reads_no_list(session, api, client):
    from cosign import moderation
    from tests.publications import add_named

    statement, owner = published(session, names=("Org A",))
    path = f"{API}/statements/{statement.slug}"
    first, first_csv = api(path), api(f"{path}/signatories.csv")
    queries = []

    def record(conn, cursor, sql, parameters, context, executemany):
        queries.append(sql.lower())

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert api(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        assert api(f"{path}/signatories.csv",
                   headers={"If-None-Match": first_csv.headers["ETag"]}).status_code == 304
        assert api(path).get_data() == first.get_data()  # kept: the statement's row only
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert queries and not [q for q in queries if "from signature" in q]
    add_named(session, statement, owner, "Org B")  # commits: a new version of the list
    second = api(path, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert [s["name"] for s in second.get_json()["signatories"]] == ["Org A", "Org B"]
    assert second.get_json()["signatory_count"] == 2
    csv_now = api(f"{path}/signatories.csv", headers={"If-None-Match": first_csv.headers["ETag"]})
    assert csv_now.status_code == 200 and "Org B" in csv_now.get_data(as_text=True)
    moderation.reject(session, statement, [session.scalar(
        select(Signature.id).where(Signature.public_name == "Org A"))], owner.id)
    assert [s["name"] for s in api(path).get_json()["signatories"]] == ["Org B"]


class TestHostHeader:
    @pytest.fixture
    def app_overrides(self):
        return {"SERVER_NAME": None, "TRUSTED_HOSTS": None}  # any Host, as behind a careless proxy

    def test_links_come_from_the_site_url_not_the_host_header(self, session, client):
        statement, _owner = published(session, names=("Org A",))
        for path in (f"{API}/statements/{statement.slug}", f"{API}/statements"):
            response = client.get(path, headers={"Host": "evil.example"})
            assert response.status_code == 200
            text = response.get_data(as_text=True)
            assert "evil.example" not in text and "http://cosign.test/" in text
