"""What a request may carry: size limits (small everywhere, larger only where files are
uploaded), and no NUL characters.

Flask applies ``MAX_CONTENT_LENGTH`` and ``MAX_FORM_MEMORY_SIZE`` while it
parses the body, which happens before any view runs (CSRF is checked first),
so the larger limit for CSV imports has to be known by the request itself.
A body whose declared length is over the limit is refused before anything
reads it (:func:`refuse_oversized_body`), on every path: the error page, or
JSON under ``/api/``.

Nobody types a NUL character, and PostgreSQL can neither store one in text
nor compare with one (the query fails): a NUL in the path, the query string,
a form field or an uploaded file's name is refused with a 400 before any view
runs (:func:`refuse_nul_characters`), rather than as a server error deep down.
"""
from __future__ import annotations

from flask import Flask, Request, abort, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from cosign.core import importer
from cosign.web import api

# the CSV itself, plus its base64 copy in the preview's hidden field, plus the form
IMPORT_BODY_LIMIT = importer.MAX_BYTES * 2 + 64 * 1024
VERIFY_BODY_LIMIT = 21 * 1024 * 1024
# a letter: a Word file of up to 10 MB (cosign.web.letters), or its pasted text
LETTER_BODY_LIMIT = 10 * 1024 * 1024 + 1024 * 1024
LIMITS = {"moderation.import_csv": IMPORT_BODY_LIMIT, "verification.verify": VERIFY_BODY_LIMIT,
          "letters.read": LETTER_BODY_LIMIT}
# (cosign.web.press adds its own import limit)


class CosignRequest(Request):
    @property
    def max_content_length(self) -> int | None:
        return LIMITS.get(self.endpoint or "") or super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]

    @property
    def max_form_memory_size(self) -> int | None:
        return LIMITS.get(self.endpoint or "") or super().max_form_memory_size

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        Request.max_form_memory_size.fset(self, value)  # type: ignore[attr-defined]


def refuse_oversized_body():
    """``before_request``: 413 for a declared ``Content-Length`` over this endpoint's limit.

    (A body without a declared length is cut off by werkzeug when it is read.)
    """
    limit, length = request.max_content_length, request.content_length
    if limit is None or length is None or length <= limit:
        return None
    if request.path.startswith("/api/"):
        return api.error_response(413, _("The request is larger than this API accepts. "
                                          "The API answers GET requests without a body."))
    abort(413)


def refuse_nul_characters():
    """``before_request``: 400 for a NUL character anywhere a view or a query could see it."""
    if not ("\x00" in request.path or _has_nul(request.args)
            or (request.method not in ("GET", "HEAD", "OPTIONS")
                and (_has_nul(request.form)
                     or any("\x00" in (f.filename or "") for f in request.files.values())))):
        return None
    message = _("The request contains a character that is not allowed (NUL). Nothing was saved.")
    if request.path.startswith("/api/"):
        return api.error_response(400, message)
    return render_template("errors/error.html", status=400, heading=_("Bad request"),
                           message=message), 400


def _has_nul(values: MultiDict) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_body)
    app.before_request(refuse_nul_characters)
