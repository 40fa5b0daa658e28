"""The time, in one place, so tests can move it.

Times are stored as naive UTC datetimes on every database.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_source: Callable[[], dt.datetime] | None = None


def now() -> dt.datetime:
    """The current time in UTC, without tzinfo (as stored in the database)."""
    if _source is not None:
        return _source()
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def set_source(source: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the real one."""
    global _source
    _source = source
