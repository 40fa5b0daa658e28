"""The OpenAPI 3.1 description of the public API, served at /api/v1/openapi.json.

Every response the API gives is described here, errors included; the tests
check each response they get against this document.
"""
from __future__ import annotations

from typing import Any

from cosign.web.converters import MAX_SLUG

VERSION = "1.0.0"
JSON = "application/json"
CSV = "text/csv"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _nullable(schema_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": [schema_type, "null"], **extra}


CORS_HEADERS = {"Access-Control-Allow-Origin": _ref("headers", "AccessControlAllowOrigin")}
CACHED_HEADERS = {**CORS_HEADERS, "Cache-Control": _ref("headers", "CacheControl"),
                  "ETag": _ref("headers", "ETag")}


def _ok(description: str, media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "headers": CACHED_HEADERS,
            "content": {media_type: {"schema": schema}}}


def _preflight(summary: str, *, slug: bool = False) -> dict[str, Any]:
    responses = {"204": _ref("responses", "Preflight")}
    if slug:  # a slug longer than its maxLength is no address at all
        responses["404"] = _ref("responses", "NotFound")
    return {
        "summary": summary,
        "description": "CORS preflight: GET is allowed from any origin.",
        "tags": ["cors"],
        "responses": responses,
    }


NOT_ALLOWED = {"405": _ref("responses", "MethodNotAllowed")}
ERRORS = {"404": _ref("responses", "NotFound"), **NOT_ALLOWED}
SLUG = [_ref("parameters", "Slug")]

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "message": {"type": "string", "minLength": 1,
                                "description": "What went wrong, in the site's language."},
                    "parameter": {"type": "string",
                                  "description": "The query parameter at fault (400 only)."},
                },
            }
        },
    },
    "StatementSummary": {
        "type": "object",
        "required": ["slug", "title", "coalition", "language", "published_at",
                     "signatory_count", "url", "api_url"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "coalition": {"type": "string"},
            "language": {"type": "string", "description": "BCP 47 language tag of the text."},
            "published_at": {"type": "string", "format": "date-time"},
            "signatory_count": {"type": "integer", "minimum": 0},
            "url": {"type": "string", "format": "uri", "description": "The public page."},
            "api_url": {"type": "string", "format": "uri"},
        },
    },
    "Pagination": {
        "type": "object",
        "required": ["page", "per_page", "total", "pages", "next", "prev"],
        "additionalProperties": False,
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0, "description": "Published statements."},
            "pages": {"type": "integer", "minimum": 0},
            "next": _nullable("string", format="uri"),
            "prev": _nullable("string", format="uri"),
        },
    },
    "StatementList": {
        "type": "object",
        "required": ["statements", "pagination"],
        "additionalProperties": False,
        "properties": {
            "statements": {"type": "array", "items": _ref("schemas", "StatementSummary"),
                           "description": "Newest first by publication time."},
            "pagination": _ref("schemas", "Pagination"),
        },
    },
    "NamedSignatory": {
        "type": "object",
        "required": ["name", "country", "type", "city", "website", "signed_version"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$",
                        "description": "ISO 3166-1 alpha-2 code."},
            "type": {"type": "string", "description": "Organisation type code, e.g. ngo."},
            "city": {"type": "string"},
            "website": {"type": "string"},
            "signed_version": {"type": "integer", "minimum": 1,
                               "description": "The version of the text this signatory signed."},
        },
    },
    "WithheldSignatory": {
        "type": "object",
        "description": "An organisation that asked for its name to be withheld.",
        "required": ["withheld", "country", "type", "signed_version"],
        "additionalProperties": False,
        "properties": {
            "withheld": {"const": True},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "type": {"type": "string"},
            "signed_version": {"type": "integer", "minimum": 1,
                               "description": "The version of the text this signatory signed."},
        },
    },
    "EarlierVersion": {
        "type": "object",
        "description": "Approved signatories of an earlier version of the text who have not "
                       "re-confirmed the current one: listed after the current signatories, "
                       "never counted in signatory_count.",
        "required": ["version", "text_sha256", "signatory_count"],
        "additionalProperties": False,
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "text_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "signatory_count": {"type": "integer", "minimum": 1},
        },
    },
    "Pdf": {
        "type": "object",
        "required": ["url", "verification_code", "sha256", "issued_at", "verify_url"],
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "format": "uri",
                    "description": "The PDF with the signatories of this moment."},
            "verification_code": _nullable("string", description="Printed in the footer of "
                                           "the latest PDF; null if none was issued yet."),
            "sha256": _nullable("string", pattern="^[0-9a-f]{64}$"),
            "issued_at": _nullable("string", format="date-time"),
            "verify_url": {"type": "string", "format": "uri"},
        },
    },
    "Translation": {
        "type": "object",
        "description": "The statement in another language. The signatories signed the "
                       "authoritative text (the statement's own language, text and "
                       "text_sha256); a translation names the version of it it translates.",
        "required": ["language", "title", "place", "text_markdown", "text_html", "text_sha256",
                     "translates_version", "translates_sha256", "outdated", "url", "pdf"],
        "additionalProperties": False,
        "properties": {
            "language": {"type": "string", "description": "BCP 47 tag."},
            "title": {"type": "string"},
            "place": {"type": "string"},
            "text_markdown": {"type": "string"},
            "text_html": {"type": "string", "description": "Sanitised HTML."},
            "text_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                            "description": "SHA-256 of the translation's canonical text."},
            "translates_version": {"type": "integer", "minimum": 1},
            "translates_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "outdated": {"type": "boolean",
                         "description": "The authoritative text changed since the "
                                        "translation was made from it."},
            "url": {"type": "string", "format": "uri"},
            "pdf": _ref("schemas", "Pdf"),
        },
    },
    "Statement": {
        "type": "object",
        "required": ["slug", "title", "coalition", "language", "status", "signing_open",
                     "opened_at", "closed_at", "published_at", "corrected_at", "date", "place",
                     "version", "text_markdown", "text_html", "text_sha256",
                     "signatory_count", "earlier_versions", "signatories", "pdf", "url",
                     "api_url", "signatories_csv_url", "translations"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "coalition": {"type": "string"},
            "language": {"type": "string",
                         "description": "The language of the authoritative text (BCP 47)."},
            "translations": {"type": "array", "items": _ref("schemas", "Translation"),
                             "description": "By language; the same list of signatories."},
            "status": {"const": "published"},
            "signing_open": {"type": "boolean",
                             "description": "Whether organisations can still sign on."},
            "opened_at": _nullable("string", format="date-time"),
            "closed_at": _nullable("string", format="date-time"),
            "published_at": {"type": "string", "format": "date-time"},
            "corrected_at": _nullable("string", format="date-time",
                                      description="When a new version corrected the text."),
            "date": _nullable("string", format="date", description="The date in the text."),
            "place": {"type": "string", "description": "The place in the text."},
            "version": {"type": "integer", "minimum": 1},
            "text_markdown": {"type": "string"},
            "text_html": {"type": "string", "description": "Sanitised HTML."},
            "text_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                            "description": "SHA-256 of the canonical signed text."},
            "signatory_count": {"type": "integer", "minimum": 0,
                                "description": "Approved signatories of this version of the "
                                               "text (signed or re-confirmed it)."},
            "earlier_versions": {"type": "array", "items": _ref("schemas", "EarlierVersion"),
                                 "description": "Newest version first; empty when there are "
                                                "none or the coordinators leave them out."},
            "signatories": {
                "type": "array",
                "description": "The approved signatories of this version (named ones by name, "
                               "then withheld ones), then those of each earlier version in "
                               "earlier_versions; signed_version tells them apart.",
                "items": {"oneOf": [_ref("schemas", "NamedSignatory"),
                                    _ref("schemas", "WithheldSignatory")]},
            },
            "pdf": _ref("schemas", "Pdf"),
            "url": {"type": "string", "format": "uri"},
            "api_url": {"type": "string", "format": "uri"},
            "signatories_csv_url": {"type": "string", "format": "uri"},
        },
    },
}

CSV_DESCRIPTION = ("UTF-8, a header row, then one row per approved signatory in public order: "
                   "name, country, country_code, city, type, website, signed_version: first "
                   "the signatories of the current version, then those of earlier versions "
                   "who have not re-confirmed (their signed_version is lower). A "
                   "withheld organisation appears as \"An organisation in <country> (name "
                   "withheld)\" with no city or website. Cells starting with = + - @ get a "
                   "leading apostrophe.")


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh dict: callers may change their copy)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cosign public API",
            "version": VERSION,
            "description": "Published joint statements, their signatories (public fields only) "
                           "and their PDFs. Read-only; CORS is allowed from any origin. Errors "
                           "are JSON objects with a status and a message.",
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": "statements"}, {"name": "meta"}, {"name": "cors"}],
        "paths": {
            "/statements": {
                "get": {
                    "operationId": "listStatements",
                    "summary": "Published statements, newest first",
                    "tags": ["statements"],
                    "parameters": [_ref("parameters", "Page"), _ref("parameters", "PerPage")],
                    "responses": {
                        "200": _ok("A page of published statements (empty beyond the last page).",
                                   JSON, _ref("schemas", "StatementList")),
                        "304": _ref("responses", "NotModified"),
                        "400": _ref("responses", "BadRequest"),
                        **NOT_ALLOWED,
                    },
                },
                "options": _preflight("CORS preflight for the list"),
            },
            "/statements/{slug}": {
                "parameters": SLUG,
                "get": {
                    "operationId": "getStatement",
                    "summary": "One published statement with its signatories",
                    "tags": ["statements"],
                    "responses": {
                        "200": _ok("The statement.", JSON, _ref("schemas", "Statement")),
                        "304": _ref("responses", "NotModified"),
                        **ERRORS,
                    },
                },
                "options": _preflight("CORS preflight for a statement", slug=True),
            },
            "/statements/{slug}/signatories.csv": {
                "parameters": SLUG,
                "get": {
                    "operationId": "getSignatoriesCsv",
                    "summary": "The public list of signatories as CSV",
                    "tags": ["statements"],
                    "responses": {
                        "200": _ok(CSV_DESCRIPTION, CSV, {"type": "string"}),
                        "304": _ref("responses", "NotModified"),
                        **ERRORS,
                    },
                },
                "options": _preflight("CORS preflight for the CSV", slug=True),
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This description",
                    "tags": ["meta"],
                    "responses": {
                        "200": _ok("The OpenAPI 3.1 document.", JSON, {"type": "object"}),
                        "304": _ref("responses", "NotModified"),
                        **NOT_ALLOWED,
                    },
                },
                "options": _preflight("CORS preflight for this description"),
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "parameters": {
                "Slug": {"name": "slug", "in": "path", "required": True,
                         "description": "The statement's address, as in /s/<slug>.",
                         "schema": {"type": "string", "maxLength": MAX_SLUG}},
                "Page": {"name": "page", "in": "query", "required": False,
                         "description": "Page number, from 1.",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100000,
                                    "default": 1}},
                "PerPage": {"name": "per_page", "in": "query", "required": False,
                            "description": "Statements per page.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                       "default": 20}},
            },
            "headers": {
                "AccessControlAllowOrigin": {"description": "CORS: any origin may read.",
                                             "schema": {"const": "*"}},
                "CacheControl": {"description": "Successful responses may be cached briefly.",
                                 "schema": {"type": "string"}},
                "ETag": {"description": "Send it back in If-None-Match to get a 304.",
                         "schema": {"type": "string"}},
            },
            "responses": {
                "NotModified": {"description": "Unchanged since the ETag given in If-None-Match.",
                                "headers": CACHED_HEADERS},
                "BadRequest": {"description": "A query parameter is out of range or not a "
                                              "number; `parameter` names it.",
                               "headers": CORS_HEADERS,
                               "content": {JSON: {"schema": _ref("schemas", "Error")}}},
                "NotFound": {"description": "No published statement here. Unpublished, "
                                            "embargoed and unknown statements get the same "
                                            "answer.",
                             "headers": CORS_HEADERS,
                             "content": {JSON: {"schema": _ref("schemas", "Error")}}},
                "MethodNotAllowed": {"description": "Only GET, HEAD and OPTIONS are allowed "
                                                    "(for any other method, on every path).",
                                     "headers": {**CORS_HEADERS,
                                                 "Allow": {"schema": {"type": "string"}}},
                                     "content": {JSON: {"schema": _ref("schemas", "Error")}}},
                "Preflight": {
                    "description": "GET may be sent from any origin.",
                    "headers": {
                        **CORS_HEADERS,
                        "Access-Control-Allow-Methods": {"schema": {"const": "GET, OPTIONS"}},
                    },
                },
            },
        },
    }
