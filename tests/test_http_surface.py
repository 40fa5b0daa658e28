"""No URL answers 500, and the API does what its OpenAPI document says.

* Every rule of the URL map with a number in its path gets numbers no database
  column holds (2**31 and beyond, 2**63, 2**64, a thousand digits, non-ASCII
  digits): no route matches, the answer is 404 (405 for a method the rule does
  not take), never 500 (it was an OverflowError from sqlite3).
* Every GET page gets such numbers in the query parameters the views read.
* Every rule gets the odd methods: OPTIONS, PUT, DELETE, PATCH, TRACE answer
  405 with an Allow header (or the preflight / automatic OPTIONS answer).
* A slug longer than the OpenAPI document's maxLength matches no route, for
  every method.
* Every form of the coordinator's pages is sent with its number fields too big.
* Schemathesis runs the whole OpenAPI document against the app with all its
  checks (``schemathesis run --checks all``), once with the slug of a published
  statement and once with generated slugs; deterministic, a bounded number of
  examples.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from flask import Request
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from cosign import demo, publishing
from cosign.web.converters import MAX_INT, MAX_SLUG, whole_number
from cosign.web.openapi import document
from tests.crawler import HOST, PASSWORD, build_site, variants

BAD_NUMBERS = [str(MAX_INT + 1), str(2**63 - 1), str(2**63), str(2**64), "9" * 1000,
               "\u0663", "\u00b2", "0" * 30 + "1"]
ODD_METHODS = ["OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"]


def test_bounded_numbers():
    assert whole_number(str(MAX_INT)) == MAX_INT
    for value in BAD_NUMBERS + ["", "-1", "0", " 1", "1.0", "1e3", "x"]:
        assert whole_number(value) is None, value
    assert whole_number("0", minimum=0) == 0
    assert document()["components"]["parameters"]["Slug"]["schema"]["maxLength"] == MAX_SLUG


@pytest.fixture
def site(app, client):
    """test_headers' site (the demo statement open with signatories of every kind, a
    published statement with its PDF, a press list), logged in as its coordinator."""
    with app.app_context():
        built = build_site(app)
    assert client.post("/login", data={"email": built["email"],
                                       "password": PASSWORD}).status_code == 302
    return built


def rules_with(app, predicate):
    return [r for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule) if predicate(r)]


FILLER = {"comment_id": 1, "delivery_id": 1, "message_id": 1, "contact_id": 1, "number": 1,
          "signature_id": 1}


def sample(rule, site) -> list[dict]:
    """Real path values for ``rule`` (test_headers' crawl), or plain ones for a rule the
    crawl does not know (POST-only rules, new ones): enough to reach the converters."""
    try:
        return variants(rule, {**site, "values": {**FILLER, **site["values"]}})
    except (AssertionError, pytest.fail.Exception):
        return [{name: FILLER.get(name, "x") for name in rule.arguments}]


class RecordingArgs(ImmutableMultiDict):
    """request.args that remembers which names the view read."""

    read: set[str] = set()

    def get(self, key, *args, **kwargs):
        RecordingArgs.read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        RecordingArgs.read.add(key)
        return super().getlist(key, *args, **kwargs)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)


def int_arguments(rule) -> list[str]:
    return [name for name, conv in rule._converters.items()
            if isinstance(conv, IntegerConverter)]


def path_with(rule, values: dict) -> str:
    """The rule's path with ``values`` put in as they are (no converter checks them)."""
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", str(value), path)
    return path


def test_numbers_no_column_holds_match_no_route(app, client, site):
    rules = rules_with(app, int_arguments)
    assert {r.endpoint for r in rules} >= {"desk.revision", "moderation.detail", "press.edit",
                                           "moderation.duplicate", "desk.resolve_comment"}
    checked = 0
    for rule in rules:
        good = sample(rule, site)[0]
        for name in int_arguments(rule):
            for number in BAD_NUMBERS:
                path = path_with(rule, {**good, name: number})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}) + ["OPTIONS"]:
                    response = client.open(path, method=method)
                    where = f"{method} {path[:80]} -> {response.status_code}"
                    assert response.status_code == 404, where
                    checked += 1
    assert checked > 200


def test_query_numbers_never_give_a_server_error(app, client, site):
    """Each GET page once plainly, noting the query parameters its view reads; then each of
    those with numbers no column holds (and with the biggest one a column holds), once per
    view and parameter (the first page of the view that reads it: the other statement's page
    of a view reads it in the same code)."""

    # the app's own request class (cosign's), reading its query into RecordingArgs
    base: type[Request] = app.request_class
    app.request_class = type("Request", (base,), {"parameter_storage_class": RecordingArgs})
    rules = rules_with(app, lambda r: "GET" in r.methods and r.endpoint != "static")
    read_somewhere = set()
    checked: set[tuple[str, str]] = set()
    for rule in rules:
        for values in sample(rule, site):
            path = path_with(rule, values)
            RecordingArgs.read = set()
            client.get(path)
            names = RecordingArgs.read
            read_somewhere |= names
            for name in sorted(names):
                if (rule.endpoint, name) in checked:
                    continue
                checked.add((rule.endpoint, name))
                for number in (str(2**63), "9" * 1000, "\u00b2", str(MAX_INT)):
                    url = f"{path}?{urlencode({name: number})}"
                    response = client.get(url)
                    where = f"GET {url[:100]} -> {response.status_code}"
                    pdf_pending = rule.endpoint == "public.statement_pdf" and \
                        response.status_code == 503
                    assert response.status_code < 500 or pdf_pending, where
    assert read_somewhere >= {"page", "per_page", "a", "b", "to", "from"}, read_somewhere


def test_odd_methods_answer_405_with_allow(app, client, site):
    for rule in rules_with(app, lambda r: r.endpoint != "static"):
        path = path_with(rule, sample(rule, site)[0])
        for method in ODD_METHODS + ["GET", "POST"]:
            if method in rule.methods and method != "OPTIONS":
                continue
            response = client.open(path, method=method)
            where = f"{method} {path} -> {response.status_code}"
            if method == "OPTIONS":
                expected = 204 if path.startswith("/api/") else 200
                assert response.status_code == expected, where
            elif response.status_code == 308:  # GET /desk/preview: to the rule /desk/<slug>/
                assert response.location.endswith(path + "/"), where
                continue
            else:
                assert response.status_code == 405, where
            allow = {m.strip() for m in response.headers.get("Allow", "").split(",")}
            assert allow >= rule.methods - {"OPTIONS"}, where
            if path.startswith("/api/"):
                assert response.headers["Access-Control-Allow-Origin"] == "*", where
                if method != "OPTIONS":
                    assert response.get_json()["error"]["status"] == 405, where


def test_over_long_slugs_match_no_route_whatever_the_method(app, client, site):
    rules = rules_with(app, lambda r: "slug" in r.arguments)
    assert len(rules) > 20
    for rule in rules:
        values = sample(rule, site)[0]
        for slug, methods in (("a" * (MAX_SLUG + 1), ["GET", "POST", "HEAD"] + ODD_METHODS),
                              ("x" * 5000, ["GET", "OPTIONS"])):
            path = path_with(rule, {**values, "slug": slug})
            for method in methods:
                response = client.open(path, method=method)
                assert response.status_code == 404, f"{method} {path[:60]}… -> " \
                                                     f"{response.status_code}"
    # at the limit, the API's preflight still answers (the document allows 100 characters)
    assert client.options(f"/api/v1/statements/{'a' * MAX_SLUG}").status_code == 204


# --- every form with numbers no column holds ------------------------------------------------

class Forms(HTMLParser):
    """The POST forms of a page: (action, {name: [values]}) with their default values."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self.forms.append((a.get("action") or self.path, {}))
            else:
                self.forms.append(("", {}))  # a GET form: its fields are not sent here
            return
        if not self.forms or not self.forms[-1][0]:
            return
        fields = self.forms[-1][1]
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "file"):
            # a number field counts as one with a number in it
            fields.setdefault(name, []).append(a.get("value") or
                                               ("1" if a.get("type") == "number" else ""))
        elif tag == "textarea" and name:
            fields.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, [])
        elif tag == "option" and self._select:
            fields[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def test_every_form_refuses_numbers_no_column_holds(app, client, site):
    """Each POST form of every page, sent with each number-valued field (a hidden id, an
    option, a checkbox) set to a number no column holds: never a 500."""
    seen: set[tuple[str, str]] = set()
    sent = 0
    for rule in rules_with(app, lambda r: "GET" in r.methods and r.endpoint != "static"):
        for values in sample(rule, site):
            path = path_with(rule, values)
            page = client.get(path)
            if page.mimetype != "text/html":
                continue
            parser = Forms(path)
            parser.feed(page.get_data(as_text=True))
            for action, fields in parser.forms:
                if not action:
                    continue
                numeric = [n for n, vs in fields.items()
                           if n != "csrf_token" and any(v.isdigit() for v in vs)]
                for name in numeric:
                    if (action, name) in seen:
                        continue
                    seen.add((action, name))
                    for number in (str(2**63), str(2**64), "9" * 1000, "\u00b2"):
                        data = {n: (vs[-1] if vs else "") for n, vs in fields.items()
                                if n != name}
                        data[name] = number
                        response = client.post(urlsplit(action).path, data=data)
                        sent += 1
                        assert response.status_code < 500, \
                            f"POST {action} {name}={number[:30]} -> {response.status_code}"
    assert sent > 20
    assert any("/signatures/moderate" in action for action, _name in seen)


# --- the OpenAPI document against the app: schemathesis --checks all ---------------------------

def schemathesis_failures(app, *, slug: str | None,
                          max_examples: int) -> tuple[list[str], set[tuple[str, int]]]:
    """Run every phase of ``schemathesis run --checks all`` against the app (in process,
    WSGI); the failures as readable lines, and the (operation, status) answers seen."""
    raw = {"seed": 13, "base-url": f"http://{HOST}/api/v1", "workers": 1,
           "generation": {"max-examples": max_examples, "deterministic": True,
                          "database": "none"}}
    if slug:
        raw["parameters"] = {"path.slug": slug}
    config = SchemathesisConfig.from_dict(raw)
    config.projects.override.checks.update(included_check_names=["all"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config,
                                            headers={"Host": HOST})
    failures, seen = [], set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            seen |= {(event.recorder.cases[case_id].value.operation.label,
                      interaction.response.status_code)
                     for case_id, interaction in event.recorder.interactions.items()
                     if interaction.response is not None and case_id in event.recorder.cases}
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        case = (event.recorder.cases.get(failure.case_id)
                                if failure.case_id is not None else None)
                        request = (f"{case.value.method} {case.value.formatted_path} "
                                   f"query={case.value.query}" if case else "")
                        failures.append(f"{event.label}: {node.name}: {failure.title}: "
                                        f"{failure.message} [{request}]")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"schemathesis error: {event!r}")
    return sorted(set(failures)), seen


def test_schemathesis_all_checks_pass(app, session):
    statement = demo.load(session, PASSWORD)
    demo.open_with_signatories(session, statement)
    publishing.publish(session, statement, statement.created_by_id, publishing.PublishOptions())
    session.commit()
    slug = statement.slug
    # 12 examples of each operation after schemathesis' systematic coverage phase: with 30
    # the run took twice as long and reached the same (operation, status) answers
    for fixed_slug, examples in ((slug, 12), (None, 12)):
        failures, seen = schemathesis_failures(app, slug=fixed_slug, max_examples=examples)
        assert failures == [], "\n".join(failures)
        # the run reached the answers that matter, not only errors
        assert {("GET /statements", 200), ("GET /statements", 400), ("GET /statements", 405),
                ("OPTIONS /statements/{slug}", 204)} <= seen, sorted(seen)
        if fixed_slug:
            assert {("GET /statements/{slug}", 200),
                    ("GET /statements/{slug}/signatories.csv", 200)} <= seen, sorted(seen)
        else:
            assert ("GET /statements/{slug}", 404) in seen, sorted(seen)
