"""Errors a person can act on, with messages ready for translation.

Services do not know Flask or the reader's language: they raise a
:class:`UserError` carrying an English message marked with :func:`N_` and
its parameters; the web layer translates it (``gettext(message, **params)``).
"""
from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the translation catalogue."""
    return message


class UserError(ValueError):
    """Input that cannot be accepted. ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None, **params: Any):
        self.message = message
        self.field = field
        self.params = params
        super().__init__(message % params if params else message)
