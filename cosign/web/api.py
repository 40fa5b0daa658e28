"""/api/v1: the read-only public API (published statements only), described in openapi.py.

Errors are JSON (``{"error": {"status": 404, "message": "..."}}``); every
response allows any origin to read it (CORS for GET).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cache

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from cosign import catalogue, signing, translating
from cosign.core.markdown import render_markdown
from cosign.extensions import db
from cosign.models import Statement
from cosign.web import openapi
from cosign.web.links import site_url
from cosign.web.messages import error_text
from cosign.web.signatory_list import listings

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ALLOWED_METHODS = "GET, OPTIONS"
CACHE = "public, max-age=60"
# part of the ETags of lists: bump it when the JSON or CSV of a list changes shape
LIST_FORMAT = "2"
_JSON_HTML_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def error_response(error: HTTPException | int, message: str | None = None,
                   parameter: str | None = None) -> Response:
    """The JSON answer for an error (also for /api/ paths that match no route)."""
    status = error if isinstance(error, int) else (error.code or 500)
    if message is None:
        message = {
            404: _("There is no published statement or API resource at this address."),
            405: _("This method is not allowed here. The API answers GET, HEAD and OPTIONS."),
        }.get(status) or _("The request could not be answered.")
    body: dict = {"status": status, "message": message}
    if parameter:
        body["parameter"] = parameter
    response = jsonify(error=body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if isinstance(error, MethodNotAllowed) and status == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return cors(response)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return error_response(error)


@bp.before_request
def _preflight():
    if request.method == "OPTIONS":
        response = cors(Response(status=204))
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Max-Age"] = "86400"
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
        return response
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    return cors(response)


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE
    response.add_etag()
    response.make_conditional(request)  # changes the response itself
    return response


def _time(moment: dt.datetime | None) -> str | None:
    """Stored times are naive UTC: RFC 3339 with a Z."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def _links(slug: str) -> dict[str, str]:
    return {"url": site_url("public.statement", slug=slug),
            "api_url": site_url("api.statement", slug=slug)}


def _page_link(page: int, per_page: int) -> str:
    return site_url("api.statements", page=page, per_page=per_page)


@bp.get("/statements")
def statements():
    try:
        page, per_page = catalogue.page_numbers(request.args.get("page"),
                                                request.args.get("per_page"))
    except catalogue.BadPage as exc:
        return error_response(400, error_text(exc), exc.field)
    result = catalogue.published_page(db.session(), page, per_page)
    last = result.pages
    return _cached(jsonify(
        statements=[
            {"slug": e.statement.slug, "title": e.title, "coalition": e.statement.coalition,
             "language": e.statement.language, "published_at": _time(e.statement.published_at),
             "signatory_count": e.signatory_count, **_links(e.statement.slug)}
            for e in result.entries
        ],
        pagination={
            "page": page, "per_page": per_page, "total": result.total, "pages": last,
            "next": _page_link(page + 1, per_page) if page < last else None,
            "prev": _page_link(min(page - 1, last), per_page) if 1 < page and last else None,
        },
    ))


def _list_etag(kind: str, statement_id: int, version: int, *parts: bytes) -> str:
    """An ETag from the list's version (and the small rest of the answer): a conditional
    request is answered without touching the list."""
    digest = hashlib.sha256(f"{LIST_FORMAT}:{kind}:{statement_id}:{version}".encode())
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:32]


def _head(about: catalogue.About) -> bytes:
    """The statement's answer without its list, as JSON (``< > &`` escaped as the app's
    JSON always is, so the whole answer needs no second pass)."""
    stmt, revision, pdf, correction = about.statement, about.revision, about.pdf, about.correction
    data = current_app.json.dumps({
        "slug": stmt.slug, "title": revision.title, "coalition": stmt.coalition,
        "language": stmt.language, "status": "published", "signing_open": signing.is_open(stmt),
        "opened_at": _time(stmt.opened_at), "closed_at": _time(stmt.closed_at),
        "published_at": _time(stmt.published_at),
        "corrected_at": _time(correction.corrected_at) if correction else None,
        "date": revision.date.isoformat() if revision.date else None, "place": revision.place,
        "version": revision.number, "text_markdown": revision.body,
        "text_html": render_markdown(revision.body), "text_sha256": revision.sha256,
        "pdf": {
            "url": site_url("public.statement_pdf", slug=stmt.slug),
            "verification_code": pdf.code if pdf else None,
            "sha256": pdf.sha256 if pdf else None,
            "issued_at": _time(pdf.created_at) if pdf else None,
            "verify_url": (site_url("verification.by_code", code=pdf.code) if pdf
                           else site_url("verification.verify")),
        },
        **_links(stmt.slug),
        "signatories_csv_url": site_url("api.signatories_csv", slug=stmt.slug),
        "translations": [_translation(stmt, t, r, tpdf) for t, r, tpdf in about.translations],
    }).encode("utf-8")
    for char, escaped in _JSON_HTML_ESCAPES:
        data = data.replace(char, escaped)
    return data


def _translation(stmt, translation, row, pdf) -> dict:
    return {
        "language": translation.language, "title": row.title, "place": row.place,
        "text_markdown": row.body, "text_html": render_markdown(row.body),
        "text_sha256": row.sha256, "translates_version": row.source_revision,
        "translates_sha256": row.source_sha256,
        "outdated": translating.is_outdated(row, stmt.signed_sha256),
        "url": site_url("public.translation", slug=stmt.slug, lang=translation.language),
        "pdf": {
            "url": site_url("public.translation_pdf", slug=stmt.slug, lang=translation.language),
            "verification_code": pdf.code if pdf else None,
            "sha256": pdf.sha256 if pdf else None,
            "issued_at": _time(pdf.created_at) if pdf else None,
            "verify_url": (site_url("verification.by_code", code=pdf.code) if pdf
                           else site_url("verification.verify")),
        },
    }


def _unchanged(etag: str) -> Response | None:
    """The 304 answer when the client has this version already."""
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response = Response(status=200)
        response.set_etag(etag)
        return _cached(response)
    return None


def _published_state(slug: str) -> catalogue.PublishedState:
    state = catalogue.published_state(db.session(), slug)
    if state is None:
        abort(404)  # the same answer for unknown, unpublished and embargoed statements
    return state


@bp.get("/statements/<slug>")
def statement(slug: str):
    """The statement with its signatories. One query reads the statement's state; the
    answer is made once per version of the list and state of the statement (its text,
    dates, PDFs; kept with the list's snapshot, :mod:`cosign.listing`), so a read of an
    unchanged statement costs that query, and a conditional one a 304."""
    state = _published_state(slug)
    key = (state, signing.is_open(state))
    etag = _list_etag("json", state.id, state.listing_version, repr(key).encode())
    unchanged = _unchanged(etag)
    if unchanged is not None:
        return unchanged
    public_list = listings().get(db.session, state)
    if public_list.version != state.listing_version:  # a change committed meanwhile
        etag = _list_etag("json", state.id, public_list.version, repr(key).encode())
    body = public_list.memo(("api.statement", key),
                            lambda: _statement_body(state.id, public_list))
    # passed through as it is: made HTML-safe once (the app's after_request would scan
    # the whole body again on every request)
    response = Response(body, mimetype="application/json", direct_passthrough=True)
    response.set_etag(etag)
    return _cached(response)


def _statement_body(statement_id: int, public_list) -> bytes:
    """The list's JSON (made once per version) joined to the rest of the answer:
    ``signatory_count`` counts the signatories of this text version only; those of an
    earlier version who have not re-confirmed follow them in ``signatories`` (each entry
    says the version it signed) and are counted per version in ``earlier_versions``."""
    head = _head(catalogue.about(db.session(), db.session.get_one(Statement, statement_id)))
    earlier = json.dumps(public_list.api_earlier(), separators=(",", ":")).encode("ascii")
    return b"".join((head[:-1], b',"signatories":', public_list.api_json(),
                     b',"signatory_count":%d,"earlier_versions":' % public_list.total,
                     earlier, b"}"))


@bp.get("/statements/<slug>/signatories.csv")
def signatories_csv(slug: str):
    state = _published_state(slug)
    etag = _list_etag("csv", state.id, state.listing_version, state.slug.encode())
    response = _unchanged(etag)
    if response is None:
        public_list = listings().get(db.session, state)
        response = Response(public_list.api_csv(), content_type="text/csv; charset=utf-8")
        response.set_etag(_list_etag("csv", state.id, public_list.version, state.slug.encode()))
        response = _cached(response)
    response.headers["Content-Disposition"] = f'attachment; filename="{state.slug}-signatories.csv"'
    return response


@cache
def _document_json() -> str:
    return json.dumps(openapi.document(), ensure_ascii=False, indent=2)


@bp.get("/openapi.json")
def openapi_json():
    return _cached(Response(_document_json(), mimetype="application/json"))
