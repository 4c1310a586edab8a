"""Appointments: the practice's schedule, booking, moving, cancelling, marking done or no-show.

Every member of the practice (owner, practitioners, front desk) sees the schedule and books;
a client reads their own appointments and changes none (403). Another practice's appointment,
client or practitioner answers 404, as one that does not exist. The rules themselves (the past,
the daylight-saving gap, the length, double-booking) are the booking service's
(``smptrack.services.appointments``); this module translates requests and answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for

from smptrack.api.registry import operation
from smptrack.api.schemas_booking import (
    AppointmentCreate,
    AppointmentList,
    AppointmentOut,
    AppointmentPatch,
    AppointmentQuery,
)
from smptrack.domain import booking as booking_rules
from smptrack.extensions import db
from smptrack.models import Appointment, Client, User
from smptrack.services import access, practices
from smptrack.services import appointments as booking
from smptrack.services.errors import ValidationFailed
from smptrack.web import utc_now

STAFF = ("practitioner", "front_desk")


def _names(model: type, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(model.id, model.display_name).where(model.id.in_(wanted)))
    return {row_id: name for row_id, name in rows}


def appointments_out(appointments: list[Appointment]) -> list[AppointmentOut]:
    """The answers of appointments the actor may already see, their names in two queries."""
    clients = _names(Client, (a.client_id for a in appointments))
    practitioners = _names(User, (a.practitioner_id for a in appointments))
    return [
        AppointmentOut.of(
            a,
            client_name=clients.get(a.client_id, ""),
            practitioner_name=practitioners.get(a.practitioner_id, ""),
            url=url_for("api.get_appointment", appointment_id=a.id),
        )
        for a in appointments
    ]


@contextmanager
def _fields_named_as_sent() -> Iterator[None]:
    """The booking service names the local date ``day`` (its argument); the body calls it
    ``date``, and a field error names what was sent."""
    try:
        yield
    except ValidationFailed as exc:
        exc.fields = {("date" if key == "day" else key): text for key, text in exc.fields.items()}
        raise


def _zone_of(actor: User) -> str:
    """The IANA zone the actor's schedule is in: their practice's (a client's: the practice of
    their record), else their own."""
    practice = practices.practice_of(actor)
    if practice is None:
        record = access.own_client_record(actor)
        if record is not None and record.practice_id is not None:
            practice = practices.get_practice(record.practice_id)
    return practice.time_zone if practice is not None else actor.time_zone


def appointment_out(appointment: Appointment) -> AppointmentOut:
    return appointments_out([appointment])[0]


@operation(
    "GET",
    "/appointments",
    summary="The schedule: appointments day by day",
    tag="appointments",
    query=AppointmentQuery,
    response=AppointmentList,
    errors=(404,),
)
def list_appointments(actor: User, query: AppointmentQuery) -> AppointmentList:
    """A member sees the practice's appointments (one practitioner's with `practitioner_id`),
    a client their own, on the local days from `from` (today by default) for `days` days, in
    the practice's time zone. Cancelled and missed appointments are listed too, with their
    status. A `practitioner_id` not of the practice is a 404."""
    now = utc_now()
    zone = _zone_of(actor)
    first_day = query.first_day or now.astimezone(ZoneInfo(zone)).date()
    if access.may_book(actor):
        found = booking.schedule(
            actor, first_day=first_day, days=query.days, practitioner_id=query.practitioner_id
        )
    else:
        found = _own_schedule(actor, first_day, query.days, query.practitioner_id, zone)
    return AppointmentList(
        items=appointments_out(found), first_day=first_day, days=query.days, time_zone=zone
    )


def _own_schedule(
    actor: User, first_day: date, days: int, practitioner_id: int | None, zone: str
) -> list[Appointment]:
    """A client's own appointments starting on those local days (the booking service lists
    the practice's schedule for its members only)."""
    try:
        first = booking_rules.day_bounds(first_day, ZoneInfo(zone))
        last = booking_rules.day_bounds(first_day + timedelta(days=days - 1), ZoneInfo(zone))
    except OverflowError:
        raise ValidationFailed(
            "Choose a date before the year 9999.", {"from": "Choose a date before the year 9999."}
        ) from None
    query = access.visible_appointments(actor).where(
        Appointment.starts_at >= first.starts_at, Appointment.starts_at < last.ends_at
    )
    if practitioner_id is not None:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    return list(db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))


@operation(
    "POST",
    "/appointments",
    summary="Book an appointment",
    tag="appointments",
    body=AppointmentCreate,
    response=AppointmentOut,
    status=201,
    errors=(404, 409),
    roles=STAFF,
)
def book_appointment(actor: User, body: AppointmentCreate) -> AppointmentOut:
    """For a client and a practitioner of your practice, at a local date and time in the
    practice's time zone. Refused with 422 (naming the field): a start in the past, a local
    time the clocks skip, a length outside the limits, a client or practitioner not of your
    practice. Refused with 409, naming the clash: the practitioner is already booked then."""
    with _fields_named_as_sent():
        appointment = booking.book(
            actor,
            client_id=body.client_id,
            practitioner_id=body.practitioner_id,
            day=body.date,
            start=body.start,
            minutes=body.minutes,
            kind=body.kind,
            note=body.note,
            now=utc_now(),
        )
    return appointment_out(appointment)


@operation(
    "GET",
    "/appointments/<int:appointment_id>",
    summary="One appointment",
    tag="appointments",
    response=AppointmentOut,
)
def get_appointment(actor: User, appointment_id: int) -> AppointmentOut:
    return appointment_out(access.get_appointment(actor, appointment_id))


@operation(
    "PATCH",
    "/appointments/<int:appointment_id>",
    summary="Move an appointment",
    tag="appointments",
    body=AppointmentPatch,
    response=AppointmentOut,
    errors=(409,),
    roles=STAFF,
)
def move_appointment(actor: User, appointment_id: int, body: AppointmentPatch) -> AppointmentOut:
    """To another local date or time, another length or another practitioner of the practice;
    only the fields sent change. The same refusals as a booking; the calendar `sequence`
    rises and the client is told."""
    with _fields_named_as_sent():
        appointment = booking.move(
            actor,
            appointment_id,
            day=body.date,
            start=body.start,
            minutes=body.minutes,
            practitioner_id=body.practitioner_id,
            now=utc_now(),
        )
    return appointment_out(appointment)


@operation(
    "POST",
    "/appointments/<int:appointment_id>/cancel",
    summary="Cancel an appointment",
    tag="appointments",
    response=AppointmentOut,
    errors=(422,),
    roles=STAFF,
)
def cancel_appointment(actor: User, appointment_id: int) -> AppointmentOut:
    """It stays listed with status `cancelled` (calendars show it cancelled); the client is
    told. An appointment already done, missed or cancelled cannot be cancelled."""
    return appointment_out(booking.cancel(actor, appointment_id, now=utc_now()))


@operation(
    "POST",
    "/appointments/<int:appointment_id>/done",
    summary="Mark an appointment done",
    tag="appointments",
    response=AppointmentOut,
    errors=(422,),
    roles=STAFF,
)
def mark_appointment_done(actor: User, appointment_id: int) -> AppointmentOut:
    """The client came. (Recording the session from it, on the session pages, also marks it
    done and links the session.)"""
    return appointment_out(booking.mark(actor, appointment_id, "done", now=utc_now()))


@operation(
    "POST",
    "/appointments/<int:appointment_id>/no-show",
    summary="Mark an appointment missed",
    tag="appointments",
    response=AppointmentOut,
    errors=(422,),
    roles=STAFF,
)
def mark_appointment_no_show(actor: User, appointment_id: int) -> AppointmentOut:
    """The client did not come: status `no_show`."""
    return appointment_out(booking.mark(actor, appointment_id, "no_show", now=utc_now()))


@operation(
    "GET",
    "/clients/<int:client_id>/appointments",
    summary="A client's appointments",
    tag="appointments",
    response=AppointmentList,
)
def list_client_appointments(actor: User, client_id: int) -> AppointmentList:
    """Every appointment of the client, past and future, in order of their start: for the
    members of the client's practice and for the client themself."""
    if access.is_member(actor):  # the front desk too: the schedule is not clinical
        client = access.get_directory_client(actor, client_id)
    else:
        client = access.get_client(actor, client_id)
    found = db.session.scalars(
        access.visible_appointments(actor)
        .where(Appointment.client_id == client.id)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return AppointmentList(
        items=appointments_out(list(found)), first_day=None, days=None, time_zone=None
    )
