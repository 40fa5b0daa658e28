"""Numbers and slugs from URLs: only values the database can hold, else no match (404).

``<int:...>`` path values are ids and version numbers, stored as ``integer``:
at most 2**31 - 1 on PostgreSQL (SQLite would hold 2**63 - 1, and fails with
OverflowError beyond that). A bigger number, a non-ASCII digit or more than ten
digits matches no route, so the answer is the ordinary 404, never a 500.

A ``<slug>`` is at most :data:`MAX_SLUG` characters (the OpenAPI document says
so): a longer one matches no route, whatever the method.

:func:`query_int` does the same for numbers in the query string (page numbers,
version numbers).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, overload

from flask import abort, request
from werkzeug.routing import BaseConverter, IntegerConverter, Rule
from wtforms import IntegerField

MAX_INT = 2**31 - 1  # PostgreSQL `integer`, the type of every id and number in the URLs
MAX_DIGITS = len(str(MAX_INT))
MAX_SLUG = 100  # slugs are made at most 80 long (core.slug); older ones may be longer


class BoundedIntConverter(IntegerConverter):
    """``int``, bounded by what the database holds; ASCII digits only."""

    regex = rf"[0-9]{{1,{MAX_DIGITS}}}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        if signed:
            raise ValueError("signed numbers are not used in cosign's URLs")
        super().__init__(map, fixed_digits, min, MAX_INT if max is None else max, signed)


class SlugConverter(BaseConverter):
    """A statement's slug: one path segment of at most :data:`MAX_SLUG` characters."""

    regex = rf"[^/]{{1,{MAX_SLUG}}}"


class CosignRule(Rule):
    """A URL rule whose ``<slug>`` variables use :class:`SlugConverter`, so that every
    blueprint gets the bound without spelling it out."""

    def get_converter(self, variable_name: str, converter_name: str, args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> BaseConverter:
        if variable_name == "slug" and converter_name == "default" and not args and not kwargs:
            converter_name = "slug"
        return super().get_converter(variable_name, converter_name, args, kwargs)


def init_app(app) -> None:
    """Register the converters; before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["slug"] = SlugConverter
    app.url_rule_class = CosignRule


@overload
def query_int(name: str, default: int, *, minimum: int = 1, maximum: int = MAX_INT,
              strict: bool = True) -> int: ...
@overload
def query_int(name: str, default: None = None, *, minimum: int = 1, maximum: int = MAX_INT,
              strict: bool = True) -> int | None: ...
def query_int(name: str, default: int | None = None, *, minimum: int = 1,
              maximum: int = MAX_INT, strict: bool = True) -> int | None:
    """The query parameter ``name`` as a number from ``minimum`` to ``maximum``;
    ``default`` when it is absent or empty. Anything else (letters, non-ASCII digits,
    a number out of range) is a 404, or ``default`` if not ``strict``."""
    value = request.args.get(name, "")
    if value == "":
        return default
    number = whole_number(value, minimum=minimum, maximum=maximum)
    if number is None:
        if strict:
            abort(404)
        return default
    return number


def whole_number(value: str, *, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """``value`` (ASCII digits) as a number from ``minimum`` to ``maximum``, else None."""
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def whole_numbers(values: Iterable[str]) -> list[int]:
    """The ids among ``values`` (form fields): those that can be ids at all."""
    return [n for n in (whole_number(v) for v in values) if n is not None]


def id_number(value: object) -> int:
    """A form field's coerce for an id: ValueError (the field's error) unless it can be one."""
    number = whole_number(str(value))
    if number is None:
        raise ValueError("not an id")
    return number


class BoundedIntegerField(IntegerField):
    """WTForms' IntegerField, refusing numbers of more than :data:`MAX_DIGITS` digits as
    not numbers (WTForms' NumberRange fails with OverflowError on huge ones)."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > MAX_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)
