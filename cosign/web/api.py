"""/api/v1: the read-only public API (published statements only), described in openapi.py.

Errors are JSON (``{"error": {"status": 404, "message": "..."}}``); every
response allows any origin to read it (CORS for GET).
"""
from __future__ import annotations

import datetime as dt
import json
from functools import cache

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from cosign import catalogue, signing
from cosign.core.markdown import render_markdown
from cosign.extensions import db
from cosign.web import openapi
from cosign.web.messages import error_text

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ALLOWED_METHODS = "GET, OPTIONS"
CACHE = "public, max-age=60"


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
    if isinstance(error, HTTPException) and status == 405 and error.valid_methods:
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
    return response.make_conditional(request)


def _time(moment: dt.datetime | None) -> str | None:
    """Stored times are naive UTC: RFC 3339 with a Z."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def _links(slug: str) -> dict[str, str]:
    return {"url": url_for("public.statement", slug=slug, _external=True),
            "api_url": url_for(".statement", slug=slug, _external=True)}


def _page_link(page: int, per_page: int) -> str:
    return url_for(".statements", page=page, per_page=per_page, _external=True)


@bp.get("/statements")
def statements():
    try:
        page, per_page = catalogue.page_numbers(request.args.get("page"),
                                                request.args.get("per_page"))
    except catalogue.BadPage as exc:
        return error_response(400, error_text(exc), exc.field)
    result = catalogue.published_page(db.session, page, per_page)
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


def _published(slug: str):
    statement = catalogue.published(db.session, slug)
    if statement is None:
        abort(404)  # the same answer for unknown, unpublished and embargoed statements
    return statement


def _signatory(s: catalogue.PublicSignatory) -> dict:
    if s.withheld:
        return {"withheld": True, "country": s.country, "type": s.org_type}
    return {"name": s.name, "country": s.country, "type": s.org_type, "city": s.city,
            "website": s.website, "signed_version": s.revision}


@bp.get("/statements/<slug>")
def statement(slug: str):
    found = catalogue.detail(db.session, _published(slug))
    stmt, revision, pdf = found.statement, found.revision, found.pdf
    return _cached(jsonify({
        "slug": stmt.slug, "title": revision.title, "coalition": stmt.coalition,
        "language": stmt.language, "status": "published", "signing_open": signing.is_open(stmt),
        "opened_at": _time(stmt.opened_at), "closed_at": _time(stmt.closed_at),
        "published_at": _time(stmt.published_at),
        "corrected_at": _time(found.correction.corrected_at) if found.correction else None,
        "date": revision.date.isoformat() if revision.date else None, "place": revision.place,
        "version": revision.number, "text_markdown": revision.body,
        "text_html": render_markdown(revision.body), "text_sha256": revision.sha256,
        "signatory_count": found.signatory_count,
        "signatories": [_signatory(s) for s in found.signatories],
        "pdf": {
            "url": url_for("public.statement_pdf", slug=stmt.slug, _external=True),
            "verification_code": pdf.code if pdf else None,
            "sha256": pdf.sha256 if pdf else None,
            "issued_at": _time(pdf.created_at) if pdf else None,
            "verify_url": (url_for("verification.by_code", code=pdf.code, _external=True) if pdf
                           else url_for("verification.verify", _external=True)),
        },
        **_links(stmt.slug),
        "signatories_csv_url": url_for(".signatories_csv", slug=stmt.slug, _external=True),
    }))


@bp.get("/statements/<slug>/signatories.csv")
def signatories_csv(slug: str):
    stmt = _published(slug)
    response = Response(catalogue.signatories_csv(db.session, stmt),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{stmt.slug}-signatories.csv"'
    return _cached(response)


@cache
def _document_json() -> str:
    return json.dumps(openapi.document(), ensure_ascii=False, indent=2)


@bp.get("/openapi.json")
def openapi_json():
    return _cached(Response(_document_json(), mimetype="application/json"))
