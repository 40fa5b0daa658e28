"""Embargoes: times in the coordinator's zone, stored in UTC, and the embargo label.

A publication scheduled for later is stored as naive UTC with the
coordinator's IANA time zone; until then the statement is under embargo
(listed nowhere). No database and no Flask here.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cosign.errors import N_, UserError


class BadTimeZone(UserError):
    """A time zone that is not in the IANA database."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadTimeZone(N_("Choose a time zone from the list."), "timezone") from exc


def to_utc(local: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall-clock time in ``zone_name`` as naive UTC (how times are stored)."""
    aware = local.replace(tzinfo=zone(zone_name)) if local.tzinfo is None else local
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def in_zone(moment: dt.datetime, zone_name: str) -> dt.datetime:
    """A stored (naive UTC) moment as an aware time in ``zone_name``."""
    return moment.replace(tzinfo=dt.UTC).astimezone(zone(zone_name))


def embargo_label(moment: dt.datetime, zone_name: str) -> str:
    """``EMBARGOED UNTIL 2026-12-01 10:00 CET (09:00 UTC)`` for subjects and the PDF."""
    local = in_zone(moment, zone_name)
    text = f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone_name}"
    if local.utcoffset():
        text += f" ({moment:%Y-%m-%d %H:%M} UTC)" if local.date() != moment.date() \
            else f" ({moment:%H:%M} UTC)"
    # Kept in English on purpose: the wire-service convention journalists look for.
    return N_("EMBARGOED UNTIL %(when)s") % {"when": text}


def is_embargoed(statement: Any) -> bool:
    """Scheduled for publication and not yet published: listed nowhere."""
    return statement.status != "published" and statement.publish_at is not None
