"""Service errors in the reader's language."""
from __future__ import annotations

from flask import flash
from flask_babel import gettext

from cosign.errors import UserError


def error_text(exc: UserError) -> str:
    return gettext(exc.message, **exc.params)


def show_error(form, exc: UserError, default=None) -> None:
    """Put a service error on the form field it names (or on ``default``), else flash it."""
    field = getattr(form, exc.field, None) if exc.field else None
    field = field if field is not None else default
    if field is not None:
        field.errors = list(field.errors) + [error_text(exc)]
    else:
        flash(error_text(exc), "error")
