"""Service errors in the reader's language."""
from __future__ import annotations

from flask_babel import gettext

from cosign.errors import UserError


def error_text(exc: UserError) -> str:
    return gettext(exc.message, **exc.params)
