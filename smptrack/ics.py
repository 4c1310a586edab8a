"""iCalendar documents (RFC 5545): appointment invitations, their cancellations, and feeds.

Built with the ``icalendar`` library, which folds long lines and escapes text as the RFC asks.
Times go out in UTC (``DTSTART:20260320T100000Z``): every calendar shows them in its own zone,
so an appointment is right across a change of the clocks without a VTIMEZONE to keep current.
The touch-up window is an all-day, transparent event: it marks a span, it does not block time.

What keeps a calendar in step with the studio (RFC 5546): the UID of an appointment never
changes, SEQUENCE rises with every change a client should see, and a cancellation is the same
UID with METHOD:CANCEL in mail and STATUS:CANCELLED in a feed, so calendars remove or strike
the event instead of keeping a ghost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

PRODUCT = "-//smptrack//appointments//EN"
# How often a subscribed calendar should fetch the feed again (RFC 7986); clients may ignore it.
REFRESH = timedelta(hours=1)

Status = Literal["CONFIRMED", "CANCELLED"]


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Appointment:
    """One booked appointment as a calendar sees it."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    status: Status = "CONFIRMED"
    description: str = ""
    location: str = ""
    organiser: Person | None = None
    attendee: Person | None = None
    last_modified: datetime | None = None

    def __post_init__(self) -> None:
        if self.sequence < 0:
            raise ValueError("SEQUENCE is a non-negative integer")
        for name in ("starts_at", "ends_at"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.ends_at <= self.starts_at:
            raise ValueError("an appointment ends after it starts")


@dataclass(frozen=True)
class Window:
    """An all-day span from ``first_day`` to ``last_day`` inclusive (the touch-up window)."""

    uid: str
    sequence: int
    first_day: date
    last_day: date
    summary: str
    description: str = ""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a window ends on or after its first day")


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("name", name)  # RFC 7986
        calendar.add("x-wr-calname", name)  # what Google and Apple calendars read
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))  # the same, as Outlook reads it
    return calendar


def _person(person: Person, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.name)
    if role:
        address.params["role"] = vText(role)
    return address


def _appointment(item: Appointment, stamp: datetime, status: Status) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", item.sequence)
    event.add("dtstart", item.starts_at.astimezone(UTC))
    event.add("dtend", item.ends_at.astimezone(UTC))
    event.add("summary", item.summary)
    event.add("status", status)
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.organiser:
        event.add("organizer", _person(item.organiser))
    if item.attendee:
        event.add("attendee", _person(item.attendee, "REQ-PARTICIPANT"))
    if item.last_modified:
        event.add("last-modified", item.last_modified.astimezone(UTC))
    return event


def _window(item: Window, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", item.sequence)
    event.add("dtstart", item.first_day)
    event.add("dtend", item.last_day + timedelta(days=1))  # DTEND of a DATE is exclusive
    event.add("summary", item.summary)
    if item.description:
        event.add("description", item.description)
    event.add("transp", "TRANSPARENT")
    return event


def invitation(item: Appointment, *, stamp: datetime) -> bytes:
    """The .ics of an appointment mail: a REQUEST, or a CANCEL when the appointment is cancelled.

    A cancellation must carry a SEQUENCE above the last request's; the caller raises it when it
    cancels, as with any change.
    """
    cancelled = item.status == "CANCELLED"
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_appointment(item, stamp, item.status))
    return calendar.to_ical()


def feed(name: str, items: Iterable[Appointment | Window], *, stamp: datetime) -> bytes:
    """A subscribable calendar: appointments (cancelled ones kept, marked) and windows."""
    calendar = _calendar(None, name)
    for item in items:
        if isinstance(item, Window):
            calendar.add_component(_window(item, stamp))
        else:
            calendar.add_component(_appointment(item, stamp, item.status))
    return calendar.to_ical()
