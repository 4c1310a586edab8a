"""Appointment invitations, cancellations and feeds, read back by two independent parsers:
icalendar's own and recurring-ical-events (which expands a calendar into the events a calendar
app would show between two dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from smptrack.ics import Appointment, Person, Window, feed, invitation

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STUDIO = Person("Ink & Follicle Studio", "bookings@studio.example")
CLIENT = Person("Sam Client", "sam@example.com")


def appointment(**overrides) -> Appointment:
    values = {
        "uid": "appointment-17@studio.example",
        "sequence": 0,
        # 10:00 on the studio's clock, on either side of the spring change of 29 March 2026.
        "starts_at": datetime(2026, 3, 27, 10, 0, tzinfo=LONDON),
        "ends_at": datetime(2026, 3, 27, 13, 0, tzinfo=LONDON),
        "summary": "SMP session 2 of 3",
        "location": "12 High Street, Leeds",
        "organiser": STUDIO,
        "attendee": CLIENT,
    }
    values.update(overrides)
    return Appointment(**values)


def events_between(document: bytes, start: date, end: date) -> list:
    return recurring_ical_events.of(Calendar.from_ical(document)).between(start, end)


def test_an_invitation_is_a_request_with_utc_times() -> None:
    document = invitation(appointment(), stamp=STAMP)
    parsed = Calendar.from_ical(document)

    assert parsed["METHOD"] == "REQUEST"
    [event] = parsed.walk("VEVENT")
    assert event["UID"] == "appointment-17@studio.example"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    # 27 March is still GMT: 10:00 London is 10:00 UTC.
    assert b"DTSTART:20260327T100000Z" in document
    assert b"DTEND:20260327T130000Z" in document
    assert str(event["ORGANIZER"]) == "mailto:bookings@studio.example"
    assert event["ORGANIZER"].params["CN"] == "Ink & Follicle Studio"
    assert str(event["ATTENDEE"]) == "mailto:sam@example.com"


def test_a_time_after_the_clocks_change_goes_out_an_hour_earlier_in_utc() -> None:
    after = appointment(
        starts_at=datetime(2026, 4, 3, 10, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 4, 3, 13, 0, tzinfo=LONDON),
    )

    [event] = events_between(invitation(after, stamp=STAMP), date(2026, 4, 1), date(2026, 4, 5))

    assert event["DTSTART"].dt == datetime(2026, 4, 3, 9, 0, tzinfo=UTC)
    assert event["DTSTART"].dt.astimezone(LONDON).hour == 10


def test_a_cancellation_keeps_the_uid_raises_the_sequence_and_says_cancel() -> None:
    booked = appointment(sequence=2)
    cancelled = appointment(sequence=3, status="CANCELLED")

    sent = Calendar.from_ical(invitation(booked, stamp=STAMP))
    cancel = Calendar.from_ical(invitation(cancelled, stamp=STAMP + timedelta(days=1)))

    [before] = sent.walk("VEVENT")
    [after] = cancel.walk("VEVENT")
    assert cancel["METHOD"] == "CANCEL"
    assert after["STATUS"] == "CANCELLED"
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]


def test_a_feed_holds_appointments_cancelled_ones_marked_and_the_touch_up_window() -> None:
    items = [
        appointment(),
        appointment(
            uid="appointment-18@studio.example",
            sequence=1,
            status="CANCELLED",
            starts_at=datetime(2026, 4, 7, 10, 0, tzinfo=LONDON),
            ends_at=datetime(2026, 4, 7, 12, 0, tzinfo=LONDON),
        ),
        Window(
            uid="touch-up-window-5@studio.example",
            sequence=4,
            first_day=date(2029, 3, 3),
            last_day=date(2031, 9, 25),
            summary="Touch-up window (an estimate)",
        ),
    ]
    document = feed("Sam's SMP appointments", items, stamp=STAMP)
    parsed = Calendar.from_ical(document)

    assert "METHOD" not in parsed  # a subscribed feed publishes; it invites no one
    assert parsed["X-WR-CALNAME"] == "Sam's SMP appointments"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in document
    assert b"X-PUBLISHED-TTL:PT1H" in document
    by_uid = {str(event["UID"]): event for event in parsed.walk("VEVENT")}
    assert by_uid["appointment-18@studio.example"]["STATUS"] == "CANCELLED"

    window = by_uid["touch-up-window-5@studio.example"]
    assert window["DTSTART"].dt == date(2029, 3, 3)
    assert window["DTEND"].dt == date(2031, 9, 26)  # exclusive: the last day is 25 September
    assert window["TRANSP"] == "TRANSPARENT"

    # The expanding parser sees the window on its last day and not the day after.
    on_last_day = events_between(document, date(2031, 9, 25), date(2031, 9, 26))
    after_it = events_between(document, date(2031, 9, 26), date(2031, 9, 27))
    assert [str(event["UID"]) for event in on_last_day] == ["touch-up-window-5@studio.example"]
    assert after_it == []


def test_text_with_commas_semicolons_and_newlines_round_trips() -> None:
    awkward = "Bring: ID; no caffeine, no aspirin\nPark behind the shop"

    document = invitation(appointment(description=awkward), stamp=STAMP)

    [event] = Calendar.from_ical(document).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == awkward
    assert all(len(line) <= 75 for line in document.split(b"\r\n"))  # folded (RFC 5545 3.1)


@pytest.mark.parametrize(
    "overrides",
    [
        {"sequence": -1},
        {"starts_at": datetime(2026, 3, 27, 10, 0)},
        {"ends_at": datetime(2026, 3, 27, 9, 0, tzinfo=LONDON)},
    ],
)
def test_an_impossible_appointment_cannot_be_built(overrides: dict) -> None:
    with pytest.raises(ValueError):
        appointment(**overrides)
