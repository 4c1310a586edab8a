"""Booking rules, with the clock changes of 2026 worked out by hand.

Europe/London: the clocks go forward on Sunday 29 March 2026 at 01:00 GMT (to 02:00 BST) and
back on Sunday 25 October 2026 at 02:00 BST (to 01:00 GMT). America/New_York: forward on Sunday
8 March 2026 at 02:00 EST (to 03:00 EDT), back on Sunday 1 November 2026 at 02:00 EDT (to 01:00
EST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smptrack.domain.booking import (
    BookingError,
    Slot,
    clashes,
    day_bounds,
    local_instant,
    local_span,
    moved_to,
    slot_from_local,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (LONDON, date(2026, 1, 20), time(10, 0), utc(2026, 1, 20, 10, 0)),  # GMT = UTC
        (LONDON, date(2026, 7, 20), time(10, 0), utc(2026, 7, 20, 9, 0)),  # BST = UTC+1
        (NEW_YORK, date(2026, 1, 20), time(10, 0), utc(2026, 1, 20, 15, 0)),  # EST = UTC-5
        (NEW_YORK, date(2026, 7, 20), time(10, 0), utc(2026, 7, 20, 14, 0)),  # EDT = UTC-4
        # The hour that happens twice means its first occurrence, still on summer time.
        (LONDON, date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
    ],
)
def test_a_wall_clock_time_becomes_its_utc_instant(
    zone: ZoneInfo, day: date, at: time, expected: datetime
) -> None:
    assert local_instant(day, at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "at"),
    [
        (LONDON, date(2026, 3, 29), time(1, 30)),
        (LONDON, date(2026, 3, 29), time(1, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30)),
    ],
)
def test_a_time_in_the_spring_forward_gap_is_refused_with_the_reason(
    zone: ZoneInfo, day: date, at: time
) -> None:
    with pytest.raises(BookingError) as refused:
        local_instant(day, at, zone)

    assert refused.value.field == "starts_at"
    assert "does not exist" in refused.value.message
    assert zone.key in refused.value.message
    assert "clocks go forward" in refused.value.message


def test_the_first_minute_after_the_gap_exists() -> None:
    assert local_instant(date(2026, 3, 29), time(2, 0), LONDON) == utc(2026, 3, 29, 1, 0)


def test_an_end_in_the_gap_is_reported_on_the_end_field() -> None:
    with pytest.raises(BookingError) as refused:
        slot_from_local(date(2026, 3, 29), time(0, 30), time(1, 30), LONDON, now=NOW)

    assert refused.value.field == "ends_at"


def test_a_slot_spanning_the_change_of_the_clocks_is_as_long_as_the_clock_says_less_an_hour() -> (
    None
):
    # 00:30 GMT to 03:30 BST on 29 March: three hours on the wall, two in reality.
    slot = slot_from_local(date(2026, 3, 29), time(0, 30), time(3, 30), LONDON, now=NOW)

    assert slot == Slot(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 2, 30))
    assert slot.length == timedelta(hours=2)


@pytest.mark.parametrize(
    ("starts", "ends", "field", "words"),
    [
        (time(11, 0), time(10, 0), "ends_at", "end after it starts"),
        (time(10, 0), time(10, 0), "ends_at", "end after it starts"),
        (time(10, 0), time(10, 3), "ends_at", "at least 5 minutes"),
        (time(6, 0), time(18, 30), "ends_at", "at most 12 hours"),
    ],
)
def test_impossible_lengths_are_refused(starts: time, ends: time, field: str, words: str) -> None:
    with pytest.raises(BookingError) as refused:
        slot_from_local(date(2026, 2, 3), starts, ends, LONDON, now=NOW)

    assert refused.value.field == field
    assert words in refused.value.message


def test_exactly_twelve_hours_is_allowed() -> None:
    slot = slot_from_local(date(2026, 2, 3), time(6, 0), time(18, 0), LONDON, now=NOW)

    assert slot.length == timedelta(hours=12)


def test_the_past_is_refused() -> None:
    with pytest.raises(BookingError) as refused:
        slot_from_local(date(2026, 1, 5), time(8, 0), time(9, 30), LONDON, now=NOW)

    assert refused.value.field == "starts_at"
    assert "passed" in refused.value.message


def test_back_to_back_appointments_do_not_clash_but_an_overlap_does() -> None:
    morning = Slot(utc(2026, 2, 3, 9, 0), utc(2026, 2, 3, 11, 0))
    afternoon = Slot(utc(2026, 2, 3, 13, 0), utc(2026, 2, 3, 15, 0))
    diary = [("afternoon", afternoon), ("morning", morning)]

    after_morning = Slot(utc(2026, 2, 3, 11, 0), utc(2026, 2, 3, 13, 0))
    across_both = Slot(utc(2026, 2, 3, 10, 59), utc(2026, 2, 3, 13, 1))

    assert clashes(after_morning, diary) == []
    assert [clash.key for clash in clashes(across_both, diary)] == ["morning", "afternoon"]


@pytest.mark.parametrize(
    ("zone", "winter", "summer", "winter_utc", "summer_utc"),
    [
        (LONDON, date(2026, 3, 20), date(2026, 4, 3), utc(2026, 3, 20, 10), utc(2026, 4, 3, 9)),
        (NEW_YORK, date(2026, 3, 6), date(2026, 3, 13), utc(2026, 3, 6, 15), utc(2026, 3, 13, 14)),
    ],
)
def test_moving_across_a_clock_change_keeps_the_local_time(
    zone: ZoneInfo, winter: date, summer: date, winter_utc: datetime, summer_utc: datetime
) -> None:
    booked = slot_from_local(winter, time(10, 0), time(12, 30), zone, now=NOW)
    assert booked.starts_at == winter_utc

    moved = moved_to(booked, summer, zone, now=NOW)

    assert moved.starts_at == summer_utc
    assert moved.length == timedelta(hours=2, minutes=30)
    start, end = local_span(moved, zone)
    assert (start.time(), end.time()) == (time(10, 0), time(12, 30))


def test_a_local_day_is_23_or_25_hours_long_when_the_clocks_change() -> None:
    spring = day_bounds(date(2026, 3, 29), LONDON)
    autumn = day_bounds(date(2026, 10, 25), LONDON)
    ordinary = day_bounds(date(2026, 6, 1), LONDON)

    assert spring == Slot(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 23, 0))
    assert autumn == Slot(utc(2026, 10, 24, 23, 0), utc(2026, 10, 26, 0, 0))
    assert (spring.length, autumn.length, ordinary.length) == (
        timedelta(hours=23),
        timedelta(hours=25),
        timedelta(hours=24),
    )


def test_a_slot_must_be_in_utc() -> None:
    with pytest.raises(ValueError):
        Slot(datetime(2026, 2, 3, 9, 0), utc(2026, 2, 3, 10, 0))
    with pytest.raises(ValueError):
        Slot(datetime(2026, 7, 3, 9, 0, tzinfo=LONDON), utc(2026, 7, 3, 10, 0))
