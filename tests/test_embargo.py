"""cosign.embargo: wall-clock times in the coordinator's zone stored as naive UTC, the label
journalists look for, and which statements are under embargo. No database: the module has none."""
import datetime as dt
from types import SimpleNamespace

import pytest

from cosign import embargo


def test_local_times_become_naive_utc_with_summer_time():
    assert embargo.to_utc(dt.datetime(2026, 12, 1, 10, 0), "Europe/London") == dt.datetime(
        2026, 12, 1, 10, 0)
    assert embargo.to_utc(dt.datetime(2026, 7, 1, 10, 0), "Europe/London") == dt.datetime(
        2026, 7, 1, 9, 0)
    assert embargo.to_utc(dt.datetime(2026, 12, 1, 8, 30), "Asia/Baghdad") == dt.datetime(
        2026, 12, 1, 5, 30)
    aware = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert embargo.to_utc(aware, "Asia/Tokyo") == dt.datetime(2026, 12, 1, 8, 0)  # its own zone


def test_a_stored_moment_is_shown_in_the_zone():
    shown = embargo.in_zone(dt.datetime(2026, 12, 1, 5, 30), "Asia/Baghdad")
    assert (shown.hour, shown.minute, shown.utcoffset()) == (8, 30, dt.timedelta(hours=3))


@pytest.mark.parametrize("moment, zone, label", [
    (dt.datetime(2026, 12, 1, 9, 0), "Europe/Paris",
     "EMBARGOED UNTIL 2026-12-01 10:00 CET (09:00 UTC)"),
    (dt.datetime(2026, 11, 30, 17, 0), "Asia/Tokyo",
     "EMBARGOED UNTIL 2026-12-01 02:00 JST (2026-11-30 17:00 UTC)"),  # another day in UTC
    (dt.datetime(2026, 12, 1, 9, 0), "UTC", "EMBARGOED UNTIL 2026-12-01 09:00 UTC"),
    (dt.datetime(2026, 12, 1, 9, 0), "Europe/London", "EMBARGOED UNTIL 2026-12-01 09:00 GMT"),
])
def test_the_label_names_the_local_time_and_utc_when_they_differ(moment, zone, label):
    assert embargo.embargo_label(moment, zone) == label


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_an_unknown_zone_is_a_user_error_on_the_timezone_field(name):
    with pytest.raises(embargo.BadTimeZone) as caught:
        embargo.to_utc(dt.datetime(2026, 12, 1, 10, 0), name)
    assert caught.value.field == "timezone"


def test_only_a_scheduled_unpublished_statement_is_embargoed():
    later = dt.datetime(2026, 12, 1, 9, 0)
    assert embargo.is_embargoed(SimpleNamespace(status="open", publish_at=later))
    assert embargo.is_embargoed(SimpleNamespace(status="closed", publish_at=later))
    assert not embargo.is_embargoed(SimpleNamespace(status="published", publish_at=later))
    assert not embargo.is_embargoed(SimpleNamespace(status="open", publish_at=None))
