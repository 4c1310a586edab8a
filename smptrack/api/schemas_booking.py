"""The API's models of the practice, its members and its appointments (issue 11 item 6).

They follow ``smptrack.api.schemas``: request models refuse unknown fields and are strict, every
bound and every choice comes from ``smptrack.domain`` (so ``tests/test_text_rules.py`` can check
the document against it), and the booking service checks every business rule again (the past,
the practice's time zone, the daylight-saving gap, double-booking).

Local dates and times are the practice's wall clock: ``date`` ``YYYY-MM-DD`` and ``start``
``HH:MM`` in the zone that ``time_zone`` names, never with an offset. Stored and answered moments
(``starts_at``, ``ends_at``) are UTC, ISO 8601 with ``Z``.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from smptrack.api.schemas import (
    MAX_ID,
    DisplayName,
    EmailAddress,
    Id,
    LocalTime,
    LocalTimeOut,
    QueryDate,
    QueryModel,
    QueryNumber,
    RequestModel,
    ResponseModel,
    SessionKind,
    Text,
    Whole,
)
from smptrack.domain import booking, limits
from smptrack.domain.vocabulary import APPOINTMENT_STATUSES, MEMBER_ROLES
from smptrack.services.appointments import MAX_SCHEDULE_DAYS

AppointmentStatus = Literal[APPOINTMENT_STATUSES]
MemberRole = Literal[MEMBER_ROLES]
AppointmentNote = Text(limits.APPOINTMENT_NOTE_MAX)
# The booking rules' own bounds (smptrack.domain.booking, services.appointments), stated here
# so that the document says them; the service checks them again.
APPOINTMENT_MINUTES = limits.Range(
    booking.MIN_LENGTH // timedelta(minutes=1),
    booking.MAX_LENGTH // timedelta(minutes=1),
    "minutes",
)
SCHEDULE_DAYS = limits.Range(1, MAX_SCHEDULE_DAYS, "days")
AppointmentMinutes = Whole(APPOINTMENT_MINUTES.low, APPOINTMENT_MINUTES.high)
ScheduleDays = QueryNumber(SCHEDULE_DAYS.low, SCHEDULE_DAYS.high)
QueryId = QueryNumber(1, MAX_ID)

_DATE_WORDS = "The local date in the practice's time zone, `YYYY-MM-DD`."
_START_WORDS = (
    "The local start time in the practice's time zone, `HH:MM`. A time the clocks skip "
    "(the spring daylight-saving gap) is refused."
)
_MINUTES_WORDS = f"How long, in minutes ({APPOINTMENT_MINUTES.words()})."
_PRACTITIONER_WORDS = "A practitioner (or the owner) of your practice."


# --- appointments --------------------------------------------------------------------------


class AppointmentQuery(QueryModel):
    """Which days of the schedule."""

    first_day: QueryDate = Field(
        None,
        alias="from",
        description="The first local day, `YYYY-MM-DD`; today in the practice's zone by default.",
    )
    days: ScheduleDays = Field(
        7, description=f"How many days from `from` ({SCHEDULE_DAYS.words()}; 1: a day)."
    )
    practitioner_id: QueryId = Field(
        None, description="Only this practitioner's appointments (members of the practice)."
    )


class AppointmentCreate(RequestModel):
    """A booking for a client of your practice with a practitioner of your practice."""

    client_id: Id = Field(description="A client of your practice.")
    practitioner_id: Id = Field(description=_PRACTITIONER_WORDS)
    date: dt.date = Field(description=_DATE_WORDS)
    start: LocalTime = Field(description=_START_WORDS)
    minutes: AppointmentMinutes = Field(description=_MINUTES_WORDS)
    kind: SessionKind = Field("initial", description="The kind of session planned.")
    note: AppointmentNote = Field(
        "", description="The practice's note on the booking (not clinical)."
    )


class AppointmentPatch(RequestModel):
    """A move: only the fields sent change; the local start stays in the practice's zone, so a
    booking moved across a change of the clocks keeps its wall-clock time."""

    date: dt.date = Field(None, description=_DATE_WORDS)
    start: LocalTime = Field(None, description=_START_WORDS)
    minutes: AppointmentMinutes = Field(None, description=_MINUTES_WORDS)
    practitioner_id: Id = Field(None, description=_PRACTITIONER_WORDS)


class AppointmentOut(ResponseModel):
    """One appointment."""

    id: int
    uid: str = Field(description="The calendar UID, stable across every change.")
    client_id: int
    client_name: str
    practitioner_id: int
    practitioner_name: str
    starts_at: dt.datetime = Field(description="UTC.")
    ends_at: dt.datetime = Field(description="UTC.")
    time_zone: str = Field(description="The practice's IANA zone the local times are in.")
    local_date: dt.date = Field(description="The local date of the start.")
    local_start: LocalTimeOut = Field(description="The local start time.")
    local_end: LocalTimeOut = Field(description="The local end time.")
    minutes: int
    kind: SessionKind
    status: AppointmentStatus
    note: str
    sequence: int = Field(description="Rises on every change a calendar must see (RFC 5545).")
    session_id: int | None = Field(description="The session recorded from it, once done.")
    cancelled_at: dt.datetime | None
    url: str

    @classmethod
    def of(
        cls, appointment: Any, *, client_name: str, practitioner_name: str, url: str
    ) -> AppointmentOut:
        zone = ZoneInfo(appointment.time_zone)
        start = appointment.starts_at.astimezone(zone)
        end = appointment.ends_at.astimezone(zone)
        return cls(
            id=appointment.id,
            uid=appointment.uid,
            client_id=appointment.client_id,
            client_name=client_name,
            practitioner_id=appointment.practitioner_id,
            practitioner_name=practitioner_name,
            starts_at=appointment.starts_at.astimezone(dt.UTC),
            ends_at=appointment.ends_at.astimezone(dt.UTC),
            time_zone=appointment.time_zone,
            local_date=start.date(),
            local_start=start.time().replace(tzinfo=None),
            local_end=end.time().replace(tzinfo=None),
            minutes=round((appointment.ends_at - appointment.starts_at).total_seconds() / 60),
            kind=appointment.kind,
            status=appointment.status,
            note=appointment.note or "",
            sequence=appointment.sequence,
            session_id=appointment.session_id,
            cancelled_at=appointment.cancelled_at,
            url=url,
        )


class AppointmentList(ResponseModel):
    """Appointments in order of their start."""

    items: list[AppointmentOut]
    first_day: dt.date | None = Field(
        description="The schedule's first local day (null: every appointment of a client)."
    )
    days: int | None = Field(description="How many local days the schedule covers.")
    time_zone: str | None = Field(description="The IANA zone of the schedule's days.")


# --- the practice and its members ----------------------------------------------------------


class PracticeOut(ResponseModel):
    """Your practice: what its clients see on mail and in their calendar."""

    id: int
    name: str
    address: str
    phone: str
    booking_url: str
    time_zone: str
    mail_from_name: str
    reply_to: str
    your_role: MemberRole = Field(description="Your role in it.")


class MemberOut(ResponseModel):
    """A member of the practice."""

    id: int = Field(description="The member's user id.")
    display_name: str
    email: str
    role: MemberRole
    since: dt.datetime = Field(description="When they joined the practice (UTC).")


class MemberList(ResponseModel):
    """The practice's members, the owner first."""

    items: list[MemberOut]


class InvitationCreate(RequestModel):
    """Invite someone by email to join your practice in a role."""

    email: EmailAddress
    display_name: DisplayName
    role: MemberRole = Field(
        description="`practitioner` or `front_desk`: a practice has one owner, so `owner` is "
        "refused."
    )


class InvitationOut(ResponseModel):
    """An invitation sent."""

    id: int
    email: str
    display_name: str
    role: MemberRole
    expires_at: dt.datetime


class MemberRemoved(ResponseModel):
    """The member removed from the practice."""

    id: int = Field(description="The user id of the member removed.")
    display_name: str
