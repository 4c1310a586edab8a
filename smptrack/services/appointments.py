"""Booking: book, move, cancel and mark appointments, and list a practice's schedule.

Times come in as a day and a wall-clock time in the practice's zone (``Practice.time_zone``)
and are stored in UTC; ``smptrack.domain.booking`` holds every rule of what may be booked (the
DST gap, the past, the length) and this module only applies it to the database. Who may do what
is asked of ``services.access``.

Every function flushes and never commits: the request (or the CLI) owns the transaction. ``now``
is the caller's clock (aware, UTC). Refusals raise ``ValidationFailed`` (with the field), a
``Conflict`` for a clash in the practitioner's diary, or the access policy's ``NotFound`` /
``Forbidden``; nothing is written when one is raised.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import booking, limits, protocol
from smptrack.domain import text as text_rule
from smptrack.domain.vocabulary import SESSION_KINDS
from smptrack.extensions import db
from smptrack.models import (
    Appointment,
    Client,
    Practice,
    PracticeMember,
    PracticeSettings,
    TreatmentSession,
    User,
)
from smptrack.services import access, appointment_mail, audit
from smptrack.services.access import Actor
from smptrack.services.errors import Conflict, NotFound, ValidationFailed

OBJECT = "appointment"  # the audit trail's name for one
DEFAULT_MINUTES = 180  # a typical SMP session: three hours
# Statuses that hold a practitioner's time: a cancelled or missed slot is free to book again.
HOLDS_TIME = ("booked", "done")
MARKS = ("done", "no_show")
MAX_SCHEDULE_DAYS = 31  # a month at most: the schedule is one bounded query

# The domain names the slot's ends; the forms and the API name what the person typed.
_FIELD_OF = {"starts_at": "start", "ends_at": "minutes"}


# --- the practice's clock ---------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def practice_of(actor: Actor) -> Practice:
    """The practice of a member who may book (``Forbidden`` for anyone else)."""
    access.require_may_book(actor)
    practice = db.session.get(Practice, access.practice_id_of(actor))
    assert practice is not None  # a membership row's foreign key guarantees it
    return practice


def practice_zone(actor: Actor) -> ZoneInfo:
    """The zone the practice books in: every day and time of the schedule is read in it."""
    return _zone(practice_of(actor).time_zone)


def zone_of(appointment: Appointment) -> ZoneInfo:
    """The zone the appointment was booked in (its wall-clock times are kept in it)."""
    return _zone(appointment.time_zone)


def today_in_practice(actor: Actor, now: datetime) -> date:
    return now.astimezone(practice_zone(actor)).date()


def local_span(appointment: Appointment) -> tuple[datetime, datetime]:
    """Start and end on the wall clock of the zone it was booked in."""
    return booking.local_span(_slot(appointment), zone_of(appointment))


def minutes_of(appointment: Appointment) -> int:
    return int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)


def _slot(appointment: Appointment) -> booking.Slot:
    return booking.Slot(appointment.starts_at.astimezone(UTC), appointment.ends_at.astimezone(UTC))


# --- checking input ---------------------------------------------------------------------------


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: message})


def _refusal_of(error: booking.BookingError) -> ValidationFailed:
    return _refuse(_FIELD_OF.get(error.field, error.field), error.message)


def _whole_minutes(minutes: object) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise _refuse("minutes", "Give the length as a whole number of minutes.")
    if minutes <= 0:
        # A length of zero or less is an end at or before the start (the domain's wording).
        raise _refuse("minutes", "The appointment must end after it starts.")
    return minutes


def _slot_of(day: date, start: time, minutes: int, zone: ZoneInfo, now: datetime) -> booking.Slot:
    """The slot of a booking typed as a day, a start time and a length.

    The length is elapsed time: three hours from 10:00 end at 13:00, and a session that runs
    over the night the clocks change still lasts three hours.
    """
    if not isinstance(day, date) or isinstance(day, datetime):
        raise _refuse("day", "Enter the date of the appointment.")
    if not isinstance(start, time):
        raise _refuse("start", "Enter the time the appointment starts.")
    minutes = _whole_minutes(minutes)
    try:
        starts_at = booking.local_instant(day, start, zone)
        slot = booking.Slot(starts_at, starts_at + timedelta(minutes=minutes))
        booking.check_bookable(slot, now=now)
    except booking.BookingError as error:
        raise _refusal_of(error) from None
    except OverflowError:
        raise _refuse("day", "Enter a date between now and the year 9999.") from None
    return slot


def _kind(kind: object) -> str:
    if kind not in SESSION_KINDS:
        raise _refuse("kind", "Choose the kind of session: " + ", ".join(SESSION_KINDS) + ".")
    return str(kind)


def _note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise _refuse("note", "The note must be text.")
    note = text_rule.normalise_newlines(note)
    if len(note) > limits.APPOINTMENT_NOTE_MAX:
        raise _refuse("note", f"Keep the note to {limits.APPOINTMENT_NOTE_MAX} characters.")
    problem = text_rule.problem(note, multiline=True)
    if problem is not None:
        raise _refuse("note", problem)
    return note.strip()


# --- the practitioner's diary -----------------------------------------------------------------


def _lock_diary(practitioner_id: int) -> None:
    """Serialise bookings for one practitioner until this transaction ends.

    Two desks booking the same practitioner at once would each check the diary, find it free and
    both insert. On PostgreSQL the practitioner's membership row is taken FOR UPDATE first, so
    the second waits and then sees the first's booking (READ COMMITTED re-reads after the wait).
    SQLite has one writer at a time: the second transaction's write fails as locked and the
    page's unit of work runs again (``web.retry_form_posts``), this time seeing the booking.
    """
    db.session.execute(
        sa.select(PracticeMember.id)
        .where(PracticeMember.user_id == practitioner_id)
        .with_for_update()
    ).first()


def _refuse_clashes(
    practitioner: User, slot: booking.Slot, *, zone: ZoneInfo, ignore_id: int | None = None
) -> None:
    """``Conflict`` naming the first booking of ``practitioner`` that ``slot`` overlaps."""
    query = (
        sa.select(Appointment, Client.display_name)
        .join(Client, Client.id == Appointment.client_id)
        .where(
            Appointment.practitioner_id == practitioner.id,
            Appointment.status.in_(HOLDS_TIME),
            Appointment.starts_at < slot.ends_at,
            Appointment.ends_at > slot.starts_at,
        )
    )
    if ignore_id is not None:
        query = query.where(Appointment.id != ignore_id)
    rows = db.session.execute(query).all()
    found = booking.clashes(slot, ((name, _slot(row)) for row, name in rows))
    if not found:
        return
    clash = found[0]
    starts, ends = booking.local_span(clash.slot, zone)
    on_day = (
        "" if starts.date() == slot.starts_at.astimezone(zone).date() else f" on {starts:%d %B}"
    )
    message = (
        f"{practitioner.display_name} is already booked {starts:%H:%M}–{ends:%H:%M}{on_day} "
        f"with {clash.key}. Choose another time or practitioner."
    )
    raise Conflict(message, {"start": message})


def _is_row_id(value: object) -> bool:
    """An id a key column can hold (PostgreSQL refuses the query itself beyond 32 bits)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= access.MAX_ROW_ID
    )


def _directory_client(actor: Actor, client_id: object) -> Client:
    """The practice's client ``client_id``; the ``NotFound`` names the field, so a form can
    show "No such client" beside it (the API still answers 404)."""
    try:
        if not _is_row_id(client_id):
            raise NotFound("No such client.")
        return access.get_directory_client(actor, client_id)
    except NotFound as error:
        raise NotFound(error.message, {"client_id": error.message}) from None


def _practitioner(actor: Actor, practitioner_id: object) -> User:
    try:
        if not _is_row_id(practitioner_id):
            raise NotFound("No such practitioner in your practice.")
        return access.get_practitioner_of_practice(actor, practitioner_id)
    except NotFound as error:
        raise NotFound(error.message, {"practitioner_id": error.message}) from None


def _audit(actor: Actor, action: str, appointment: Appointment, now: datetime) -> None:
    audit.record_event(
        actor,
        action,
        client_id=appointment.client_id,
        object_type=OBJECT,
        object_id=appointment.id,
        now=now,
    )


# --- the use cases ----------------------------------------------------------------------------


def book(
    actor: Actor,
    *,
    client_id: int,
    practitioner_id: int,
    day: date,
    start: time,
    minutes: int,
    kind: str,
    note: str,
    now: datetime,
) -> Appointment:
    """Book ``client_id`` with ``practitioner_id`` on ``day`` at ``start`` (the practice's wall
    clock) for ``minutes``.

    Raises ``Forbidden`` for anyone but a member of the practice; ``NotFound`` for a client or
    practitioner who is not the practice's; ``ValidationFailed`` for a time in the past, that
    does not exist (the spring-forward gap), a length under 5 minutes or over 12 hours, a bad
    kind or note; ``Conflict`` when the practitioner is already booked then. Flushes; never
    commits.
    """
    practice = practice_of(actor)
    zone = _zone(practice.time_zone)
    client = _directory_client(actor, client_id)
    practitioner = _practitioner(actor, practitioner_id)
    slot = _slot_of(day, start, minutes, zone, now)
    kind = _kind(kind)
    note = _note(note)
    _lock_diary(practitioner.id)
    _refuse_clashes(practitioner, slot, zone=zone)
    appointment = Appointment(
        uid=uuid.uuid4().hex,
        practice_id=practice.id,
        client_id=client.id,
        practitioner_id=practitioner.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        time_zone=zone.key,
        kind=kind,
        status="booked",
        note=note,
        sequence=0,
        booked_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.flush()
    _audit(actor, "create", appointment, now)
    appointment_mail.on_booked(appointment, now)
    return appointment


def _changeable(actor: Actor, appointment_id: int) -> Appointment:
    """The appointment, locked against a concurrent change (a cancel racing a move)."""
    appointment = access.get_bookable_appointment(actor, appointment_id)
    db.session.refresh(appointment, with_for_update=True)
    return appointment


def _require_booked(appointment: Appointment, doing: str) -> None:
    if appointment.status != "booked":
        shown = appointment.status.replace("_", "-")
        raise _refuse("status", f"This appointment is {shown}: it cannot be {doing}.")


def move(
    actor: Actor,
    appointment_id: int,
    *,
    day: date | None,
    start: time | None,
    minutes: int | None,
    practitioner_id: int | None,
    now: datetime,
) -> Appointment:
    """Move a booked appointment to another day, time, length or practitioner.

    A change of day alone keeps the local start and end (10:00 in winter stays 10:00 in
    summer, ``booking.moved_to``); ``None`` keeps that part as it is. The new slot must be
    bookable and free (the appointment itself aside). Raises ``sequence`` by one so calendars
    replace it, then tells ``appointment_mail.on_changed``. Same refusals as ``book``.
    """
    appointment = _changeable(actor, appointment_id)
    _require_booked(appointment, "moved")
    zone = zone_of(appointment)
    current = _slot(appointment)
    practitioner = (
        _practitioner(actor, practitioner_id)
        if practitioner_id is not None
        else db.session.get(User, appointment.practitioner_id)
    )
    assert practitioner is not None
    if start is None and minutes is None:
        target_day = day if day is not None else current.starts_at.astimezone(zone).date()
        try:
            slot = booking.moved_to(current, target_day, zone, now=now)
        except booking.BookingError as error:
            raise _refusal_of(error) from None
    else:
        local_start, _ = booking.local_span(current, zone)
        slot = _slot_of(
            day if day is not None else local_start.date(),
            start if start is not None else local_start.time(),
            minutes if minutes is not None else minutes_of(appointment),
            zone,
            now,
        )
    if slot == current and practitioner.id == appointment.practitioner_id:
        raise _refuse("day", "That is when it is booked already: choose another day or time.")
    _lock_diary(practitioner.id)
    _refuse_clashes(practitioner, slot, zone=zone, ignore_id=appointment.id)
    appointment.starts_at = slot.starts_at
    appointment.ends_at = slot.ends_at
    appointment.practitioner_id = practitioner.id
    appointment.sequence += 1
    appointment.updated_at = now
    db.session.flush()
    _audit(actor, "update", appointment, now)
    appointment_mail.on_changed(appointment, now)
    return appointment


def cancel(actor: Actor, appointment_id: int, *, now: datetime) -> Appointment:
    """Cancel a booked appointment: its slot is free again and calendars show it cancelled
    (``sequence`` raised). Refuses (``ValidationFailed``) one already cancelled, done or
    missed, so a second click sends no second cancellation."""
    appointment = _changeable(actor, appointment_id)
    _require_booked(appointment, "cancelled")
    appointment.status = "cancelled"
    appointment.cancelled_at = now
    appointment.sequence += 1
    appointment.updated_at = now
    db.session.flush()
    _audit(actor, "update", appointment, now)
    appointment_mail.on_cancelled(appointment, now)
    return appointment


def mark(
    actor: Actor,
    appointment_id: int,
    status: str,
    *,
    now: datetime,
    session_id: int | None = None,
) -> Appointment:
    """Mark a booked appointment ``done`` or ``no_show``.

    A no-show only once the appointment has started; done from its day on (the session is
    dated that day), optionally linked to the treatment session recorded from it, which must
    be the same client's. The calendar is not told: the event keeps its time.
    """
    if status not in MARKS:
        raise _refuse("status", "Mark it done or no-show.")
    appointment = _changeable(actor, appointment_id)
    _require_booked(appointment, "marked")
    zone = zone_of(appointment)
    if status == "no_show" and appointment.starts_at > now:
        raise _refuse("status", "It has not started yet: mark a no-show once its time has come.")
    if (
        status == "done"
        and appointment.starts_at.astimezone(zone).date() > now.astimezone(zone).date()
    ):
        raise _refuse("status", "It is on a later day: mark it done on the day of the session.")
    if session_id is not None:
        if status != "done":
            raise _refuse("session_id", "Only a done appointment links to its session.")
        linked = db.session.get(TreatmentSession, session_id) if _is_row_id(session_id) else None
        if linked is None or linked.client_id != appointment.client_id:
            raise _refuse("session_id", "That session is not this client's.")
        appointment.session_id = linked.id
    appointment.status = status
    appointment.updated_at = now
    db.session.flush()
    _audit(actor, "update", appointment, now)
    return appointment


# --- reading the schedule ---------------------------------------------------------------------


def schedule(
    actor: Actor, *, first_day: date, days: int, practitioner_id: int | None
) -> list[Appointment]:
    """The appointments starting on ``days`` local days from ``first_day`` (1: a day, 7: a
    week), of one practitioner or the whole practice, earliest first.

    The span is measured in the practice's zone, so a list of the day the clocks go forward
    covers 23 hours and the day they go back 25. One statement: each appointment comes with
    its client and practitioner (``Appointment.client`` / ``.practitioner``) joined in.
    """
    zone = practice_zone(actor)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_SCHEDULE_DAYS:
        raise _refuse("days", f"Show between 1 and {MAX_SCHEDULE_DAYS} days.")
    try:
        last_day = first_day + timedelta(days=days - 1)
        first = booking.day_bounds(first_day, zone)
        last = booking.day_bounds(last_day, zone)
    except OverflowError:
        raise _refuse("day", "Choose a date before the year 9999.") from None
    query = (
        access.visible_appointments(actor)
        .where(Appointment.starts_at >= first.starts_at, Appointment.starts_at < last.ends_at)
        .options(so.joinedload(Appointment.client), so.joinedload(Appointment.practitioner))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if practitioner_id is not None:
        practitioner = _practitioner(actor, practitioner_id)
        query = query.where(Appointment.practitioner_id == practitioner.id)
    return list(db.session.scalars(query).unique())


def practitioners(actor: Actor) -> list[User]:
    """Who can be booked: the practice's practitioners and owner, by name."""
    return list(
        db.session.scalars(
            access.practice_members(actor)
            .where(User.role == "practitioner")
            .order_by(User.display_name, User.id)
        )
    )


def bookable_clients(actor: Actor) -> list[Client]:
    """The practice's clients to choose from when booking, by name."""
    return list(
        db.session.scalars(access.directory_clients(actor).order_by(Client.display_name, Client.id))
    )


def suggested_kind(actor: Actor, client: Client) -> str:
    """The kind a new booking for ``client`` most likely is: ``initial`` for a new client, a
    ``build_up`` while their initial series runs (its sessions and booked appointments count),
    else a ``touch_up``. A default for the form; whoever books can change it."""
    access.require_may_book(actor)
    facts = [
        protocol.SessionFact(row.id, row.performed_on, row.kind)
        for row in db.session.execute(
            sa.select(
                TreatmentSession.id, TreatmentSession.performed_on, TreatmentSession.kind
            ).where(TreatmentSession.client_id == client.id)
        )
    ]
    booked = db.session.execute(
        sa.select(Appointment.id, Appointment.starts_at, Appointment.kind).where(
            Appointment.client_id == client.id,
            Appointment.status == "booked",
            Appointment.session_id.is_(None),
        )
    )
    # Negative ids keep the booked ones apart from the sessions' own ids.
    facts += [protocol.SessionFact(-row.id, row.starts_at.date(), row.kind) for row in booked]
    if not facts:
        return "initial"
    settings = db.session.scalar(
        sa.select(PracticeSettings).where(PracticeSettings.practice_id == client.practice_id)
    )
    series = protocol.Offsets.from_mapping(settings.reminder_offsets if settings else None)
    position = protocol.series_position(facts)
    if 0 < position < series.series_sessions:
        return "build_up"
    return "touch_up"


@dataclass(frozen=True)
class SessionPrefill:
    """What the new-session form starts from when a session is recorded from an appointment."""

    appointment_id: int
    client_id: int
    practitioner_id: int
    performed_on: date
    kind: str
    duration_minutes: int


def prefill_for_session(actor: Actor, appointment: Appointment) -> dict:
    """The new-session form's starting values for ``appointment``: its client, its day in the
    zone it was booked in (the practice's), its kind, practitioner and length.

    Raises ``Forbidden`` unless ``actor`` records sessions (a practitioner), ``ValidationFailed``
    unless the appointment is still booked (a done one has its session already).
    """
    access.require_practitioner(actor)
    _require_booked(appointment, "recorded again")
    start, _ = local_span(appointment)
    prefill = SessionPrefill(
        appointment_id=appointment.id,
        client_id=appointment.client_id,
        practitioner_id=appointment.practitioner_id,
        performed_on=start.date(),
        kind=appointment.kind,
        duration_minutes=minutes_of(appointment),
    )
    return asdict(prefill)


def get_for_session(actor: Actor, appointment_id: int, client: Client) -> Appointment:
    """The booked appointment of ``client`` a session is being recorded from (``NotFound`` if
    it is not theirs or not the practice's; ``ValidationFailed`` once done or cancelled)."""
    access.require_practitioner(actor)
    appointment = access.get_bookable_appointment(actor, appointment_id)
    if appointment.client_id != client.id:
        raise NotFound("No such appointment of this client.")
    _require_booked(appointment, "recorded again")
    return appointment
