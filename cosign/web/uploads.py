"""Request size limits: small everywhere, larger only where files are uploaded.

Flask applies ``MAX_CONTENT_LENGTH`` and ``MAX_FORM_MEMORY_SIZE`` while it
parses the body, which happens before any view runs (CSRF is checked first),
so the larger limit for CSV imports has to be known by the request itself.
"""
from __future__ import annotations

from flask import Request

from cosign.core import importer

# the CSV itself, plus its base64 copy in the preview's hidden field, plus the form
IMPORT_BODY_LIMIT = importer.MAX_BYTES * 2 + 64 * 1024
VERIFY_BODY_LIMIT = 21 * 1024 * 1024
LIMITS = {"moderation.import_csv": IMPORT_BODY_LIMIT, "verification.verify": VERIFY_BODY_LIMIT}


class CosignRequest(Request):
    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        return LIMITS.get(self.endpoint or "") or super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]

    @property
    def max_form_memory_size(self) -> int | None:  # type: ignore[override]
        return LIMITS.get(self.endpoint or "") or super().max_form_memory_size

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        Request.max_form_memory_size.fset(self, value)  # type: ignore[attr-defined]
