"""cosign.clock: naive UTC without microseconds, and a source the tests can swap and restore."""
import datetime as dt

from cosign import clock


def test_the_real_clock_is_naive_utc_to_the_second():
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    now = clock.now()
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert now.tzinfo is None and now.microsecond == 0
    assert before <= now <= after


def test_a_source_replaces_the_clock_until_none_restores_it():
    fixed = dt.datetime(2030, 1, 2, 3, 4, 5)
    clock.set_source(lambda: fixed)
    try:
        assert clock.now() == fixed
    finally:
        clock.set_source(None)
    assert clock.now() != fixed and abs(clock.now() - dt.datetime.now(dt.UTC).replace(
        tzinfo=None)) < dt.timedelta(minutes=1)


def test_the_frozen_clock_fixture_moves_only_by_hand(frozen_clock):
    start = clock.now()
    assert start == dt.datetime(2026, 11, 1, 12, 0, 0) and clock.now() == start
    frozen_clock.advance(hours=25)
    assert clock.now() == start + dt.timedelta(hours=25)
