"""When an appointment may be booked: wall-clock times in the practice's zone, stored in UTC.

A studio books "Tuesday at 10:00" in its own time zone; the database keeps the UTC instant. The
two disagree twice a year: a spring-forward wall time does not exist (02:30 on the last Sunday of
March in London), and a fall-back one happens twice. This module turns a local day and time into
a UTC slot, refuses what cannot be booked (a time that does not exist, the past, an end before
the start, a session longer than a working day), finds clashes in a practitioner's diary, and
moves an appointment to another day keeping its local time across a change of the clocks.

Pure: standard library only, no clock (callers pass ``now``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

# The longest SMP session runs four to five hours; twelve hours is a working day, so anything
# longer is a typo (an end on the wrong day), not a booking.
MAX_LENGTH = timedelta(hours=12)
MIN_LENGTH = timedelta(minutes=5)

Key = TypeVar("Key")


class BookingError(ValueError):
    """A booking that cannot be made, with the form field it concerns and a message to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Slot:
    """A half-open span [starts_at, ends_at) in UTC: back-to-back appointments do not clash."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() != timedelta(0):
                raise ValueError(f"{name} must be an aware UTC datetime, got {value!r}")

    @property
    def length(self) -> timedelta:
        return self.ends_at - self.starts_at

    def overlaps(self, other: Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Clash(Generic[Key]):
    """An existing appointment the new slot overlaps, with the caller's key for it."""

    key: Key
    slot: Slot


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``.

    A time in the spring-forward gap does not exist and is refused (with the change named, so
    the person can pick another). A time that happens twice (the fall-back hour) means the first
    of the two, the one a diary shows: the studio is open before the clocks go back, and
    asking people which "01:30" they meant helps no one.
    """
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=zone, fold=0)
    # zoneinfo maps a non-existent wall time to an instant whose wall time differs: the round
    # trip shows the gap (PEP 495).
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise BookingError(
            "starts_at",
            f"{naive:%H:%M} on {_long_date(day)} does not exist in {zone.key}: the clocks go "
            "forward that night. Choose another time.",
        )
    return first.astimezone(UTC)


def slot_from_local(
    day: date,
    starts: time,
    ends: time,
    zone: ZoneInfo,
    *,
    now: datetime,
) -> Slot:
    """A bookable slot from a day and two wall-clock times in the practice's zone.

    An end at or before the start is refused rather than read as "the next day": a session does
    not run past midnight, and a typo should not book fourteen hours.
    """
    start_at = local_instant(day, starts, zone)
    try:
        end_at = local_instant(day, ends, zone)
    except BookingError as error:
        raise BookingError("ends_at", error.message) from None
    if end_at <= start_at:
        raise BookingError("ends_at", "The appointment must end after it starts.")
    slot = Slot(start_at, end_at)
    check_bookable(slot, now=now)
    return slot


def check_bookable(slot: Slot, *, now: datetime) -> None:
    """Refuse a slot in the past, too short or longer than a working day."""
    if slot.starts_at < now:
        raise BookingError("starts_at", "That time has passed: choose a time from now on.")
    if slot.length < MIN_LENGTH:
        raise BookingError("ends_at", "An appointment lasts at least 5 minutes.")
    if slot.length > MAX_LENGTH:
        raise BookingError("ends_at", "An appointment lasts at most 12 hours: check the end time.")


def clashes(slot: Slot, diary: Iterable[tuple[Key, Slot]]) -> list[Clash[Key]]:
    """The appointments of one practitioner's diary that ``slot`` overlaps, earliest first."""
    found = [Clash(key, other) for key, other in diary if slot.overlaps(other)]
    return sorted(found, key=lambda clash: clash.slot.starts_at)


def moved_to(slot: Slot, day: date, zone: ZoneInfo, *, now: datetime) -> Slot:
    """The same appointment on another day, at the same local time and of the same local length.

    Moving 10:00 on a winter Friday to a summer Friday keeps 10:00 on the studio's clock, so its
    UTC instant shifts by the change of offset.
    """
    start_local = slot.starts_at.astimezone(zone)
    end_local = slot.ends_at.astimezone(zone)
    return slot_from_local(day, start_local.time(), end_local.time(), zone, now=now)


def local_span(slot: Slot, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The slot in the practice's wall-clock time, for showing and for a day's list."""
    return slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)


def day_bounds(day: date, zone: ZoneInfo) -> Slot:
    """The UTC span of one local day: 23 or 25 hours long on the days the clocks change."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Slot(start, end)
