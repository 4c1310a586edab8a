"""What reminder planning and sending read about a client and their practice: the practice's
protocol (offsets, waking hours, aftercare text), the client's preferences and whether they
unsubscribed, their time zone, sessions and materialised projection. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from smptrack.domain import protocol
from smptrack.domain.vocabulary import REMINDER_KINDS
from smptrack.extensions import db
from smptrack.models import (
    Appointment,
    Client,
    Practice,
    PracticeSettings,
    ReminderPreference,
    TreatmentSession,
)

# The kind an unsubscribe link names to stop every reminder.
ALL_KINDS = "all"


@dataclass(frozen=True)
class PracticeProtocol:
    """A practice's reminder settings, with the documented defaults for what is not stored."""

    offsets: protocol.Offsets = field(default_factory=protocol.Offsets)
    hours: protocol.WakingHours = field(default_factory=protocol.WakingHours)
    aftercare_instructions: str = ""


def practice_protocol(practice_id: int | None) -> PracticeProtocol:
    """The settings of practice ``practice_id``; the defaults for a client on their own."""
    if practice_id is None:
        return PracticeProtocol()
    row = db.session.scalar(
        sa.select(PracticeSettings).where(PracticeSettings.practice_id == practice_id)
    )
    if row is None:
        return PracticeProtocol()
    try:
        hours = protocol.WakingHours(row.waking_hours_start, row.waking_hours_end)
    except ValueError:  # the table's CHECK constraints make this unreachable; be safe anyway
        hours = protocol.WakingHours()
    return PracticeProtocol(
        offsets=protocol.Offsets.from_mapping(row.reminder_offsets),
        hours=hours,
        aftercare_instructions=row.aftercare_instructions or "",
    )


def preference_row(client: Client) -> ReminderPreference | None:
    return db.session.scalar(
        sa.select(ReminderPreference).where(ReminderPreference.client_id == client.id)
    )


def preferences_of(client: Client) -> protocol.Preferences:
    row = preference_row(client)
    if row is None:
        return protocol.Preferences()
    return protocol.Preferences(
        kinds=frozenset(
            kind
            for kind in REMINDER_KINDS
            if (governing := protocol.preference_kind(kind)) is None or getattr(row, governing)
        ),
        touch_up_lead=row.touch_up_lead_days,
        unsubscribed_all=row.unsubscribed_all_at is not None,
    )


def is_unsubscribed(client: Client, kind: str) -> bool:
    prefs = preferences_of(client)
    if prefs.unsubscribed_all:
        return True
    return kind != ALL_KINDS and kind not in prefs.kinds


def client_zone(client: Client) -> ZoneInfo:
    try:
        return ZoneInfo(client.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def client_today(client: Client, now: datetime) -> date:
    return now.astimezone(client_zone(client)).date()


def session_facts(client_id: int) -> list[protocol.SessionFact]:
    rows = db.session.execute(
        sa.select(TreatmentSession.id, TreatmentSession.performed_on, TreatmentSession.kind)
        .where(TreatmentSession.client_id == client_id)
        .order_by(TreatmentSession.performed_on, TreatmentSession.id)
    )
    return [protocol.SessionFact(id=r.id, day=r.performed_on, kind=r.kind) for r in rows]


def projection_facts(client: Client) -> protocol.ProjectionFacts:
    """The projection as materialised on the client row (see ``services.projections``)."""
    return protocol.ProjectionFacts(
        most_likely_on=client.next_touch_up_on,
        earliest_on=client.touch_up_earliest_on,
        due_now=bool(client.touch_up_due_now),
    )


def booked_appointments(client_id: int, now: datetime) -> list[protocol.AppointmentFact]:
    """The client's appointments still booked and still to come, soonest first."""
    rows = db.session.execute(
        sa.select(Appointment.id, Appointment.starts_at, Appointment.kind)
        .where(
            Appointment.client_id == client_id,
            Appointment.status == "booked",
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [protocol.AppointmentFact(id=r.id, starts_at=r.starts_at, kind=r.kind) for r in rows]


@dataclass(frozen=True)
class Studio:
    """What a client's mail shows of their practice: who it comes from, where replies go, how
    to book, and where the appointment is. A snapshot, so a sweep reads each practice once."""

    id: int
    name: str
    mail_from_name: str
    reply_to: str
    address: str
    phone: str
    booking_url: str

    @property
    def sender_name(self) -> str:
        return self.mail_from_name or self.name


def studio_of(practice_id: int | None) -> Studio | None:
    """The practice ``practice_id`` as its clients' mail shows it; None for a lone client."""
    if practice_id is None:
        return None
    row = db.session.get(Practice, practice_id)
    if row is None:
        return None
    return Studio(
        id=row.id,
        name=row.name,
        mail_from_name=row.mail_from_name or "",
        reply_to=row.reply_to or "",
        address=row.address or "",
        phone=row.phone or "",
        booking_url=row.booking_url or "",
    )
