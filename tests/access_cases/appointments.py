"""Booking routes: every member of P's practice (owner, colleague, front desk) sees and changes
P's schedule; Q, of another practice, is told the appointment does not exist (404) and sees an
empty week of their own; a client sees their own appointment read only and may not use the
booking pages (403); the admin has none (403).

Placeholders: {appt_a} is a booked appointment of client A with P, some days ahead;
{appt_started_a} one that started an hour ago (to be marked); {appt_day} the day of {appt_a}.
Each write denied here is checked to have written nothing by tests/test_appointments_access.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from smptrack.extensions import db
from smptrack.models import Appointment
from tests.access_cases import ANY_REDIRECT, LOGIN, Case, everyone
from tests.conftest import Personas

NOTE = "Matrix front-desk note"
MEMBERS = ("practitioner_p", "colleague_p", "front_desk_p")
# Far enough ahead of the appointments below (and of the real clock) to clash with nothing.
BOOK_ON = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
# Not BOOK_ON: api_appointments books P three hours at this time of day 30 days ahead, so a
# move to 15:00 that day clashed whenever the suite ran between 12:00 and 16:00.
MOVE_ON = (datetime.now(UTC) + timedelta(days=45)).date().isoformat()


def _appointment(personas: Personas, starts_at: datetime) -> Appointment:
    row = Appointment(
        uid=uuid.uuid4().hex,
        practice_id=personas.practitioner_p.practice_id,
        client_id=personas.record_a.id,
        practitioner_id=personas.practitioner_p.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        time_zone="Europe/London",
        kind="initial",
        status="booked",
        note=NOTE,
        booked_by_id=personas.front_desk_p.id,
    )
    db.session.add(row)
    return row


def objects(personas: Personas) -> dict[str, int | str]:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ahead = _appointment(personas, now + timedelta(days=3))
    started = _appointment(personas, now - timedelta(hours=1))
    db.session.flush()
    return {
        "appt_a": ahead.id,
        "appt_started_a": started.id,
        "appt_day": ahead.starts_at.date().isoformat(),
    }


def members(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    """P's members get ``status``; Q gets 404 (another practice's row); clients and the admin
    may not book at all (403); anonymous is sent to log in."""
    table = everyone(403, anonymous=LOGIN, practitioner_q=404)
    table.update(dict.fromkeys(MEMBERS, status))
    table.update(overrides)
    return table


# The matrix posts bodies as they are (no placeholders): a booking form without its fields is
# refused (422) by everyone who may reach it, and the move keeps its practitioner when the
# form names none. tests/test_appointments_access.py posts complete bookings.
MOVE = {"day": MOVE_ON, "start": "15:00", "minutes": "60"}

CASES = [
    Case(
        "GET",
        "/appointments",
        "/appointments?day={appt_day}",
        members(200, practitioner_q=200),
        shows={name: ("Ada Client", "Europe/London") for name in MEMBERS},
        hides={"practitioner_q": ("Ada Client", NOTE)},
    ),
    Case(
        "GET",
        "/appointments/new",
        "/appointments/new",
        members(200, practitioner_q=200),
        shows={name: ("Ada Client", "Pat Practitioner") for name in MEMBERS},
        hides={"practitioner_q": ("Ada Client", "Pat Practitioner")},
    ),
    Case("POST", "/appointments/new", "/appointments/new", members(422, practitioner_q=422)),
    Case(
        "GET",
        "/appointments/<int:appointment_id>",
        "/appointments/{appt_a}",
        members(200, client_a=200, client_b=404),
        shows={
            **{name: ("Ada Client", NOTE) for name in MEMBERS},
            "client_a": ("Ada Client", "Pat Practitioner"),
        },
        # The front desk's note is the practice's, not the client's; the front desk gets no
        # way into the clinical record.
        hides={"client_a": (NOTE, "Record this session"), "front_desk_p": ("Record this session",)},
    ),
    Case(
        "GET",
        "/appointments/<int:appointment_id>/move",
        "/appointments/{appt_a}/move",
        members(200),
        shows={name: ("Ada Client",) for name in MEMBERS},
    ),
    Case(
        "POST",
        "/appointments/<int:appointment_id>/move",
        "/appointments/{appt_a}/move",
        members(ANY_REDIRECT),
        body=MOVE,
    ),
    Case(
        "GET",
        "/appointments/<int:appointment_id>/cancel",
        "/appointments/{appt_a}/cancel",
        members(200),
        shows={name: ("Cancel Ada Client",) for name in MEMBERS},
    ),
    Case(
        "POST",
        "/appointments/<int:appointment_id>/cancel",
        "/appointments/{appt_a}/cancel",
        members(ANY_REDIRECT),
    ),
    Case(
        "POST",
        "/appointments/<int:appointment_id>/mark",
        "/appointments/{appt_started_a}/mark",
        members(ANY_REDIRECT),
        body={"status": "no_show"},
    ),
]
