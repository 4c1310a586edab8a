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
from smptrack.models import Client, PracticeSettings, ReminderPreference, TreatmentSession

# The kind an unsubscribe link names to stop every reminder.
ALL_KINDS = "all"


@dataclass(frozen=True)
class PracticeProtocol:
    """A practice's reminder settings, with the documented defaults for what is not stored."""

    offsets: protocol.Offsets = field(default_factory=protocol.Offsets)
    hours: protocol.WakingHours = field(default_factory=protocol.WakingHours)
    aftercare_instructions: str = ""


def practice_protocol(practitioner_id: int | None) -> PracticeProtocol:
    """The settings of ``practitioner_id``'s practice; the defaults for a client on their own."""
    if practitioner_id is None:
        return PracticeProtocol()
    row = db.session.scalar(
        sa.select(PracticeSettings).where(PracticeSettings.practitioner_id == practitioner_id)
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
        kinds=frozenset(kind for kind in REMINDER_KINDS if getattr(row, kind)),
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
