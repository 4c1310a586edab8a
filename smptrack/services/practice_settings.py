"""The practice's reminder settings page and API: timing, waking hours, aftercare text and the
touch-up threshold; saving them replans (and on a new threshold re-projects) its clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from smptrack.domain import limits, protocol
from smptrack.domain import text as text_rule
from smptrack.domain.limits import NOTES_MAX
from smptrack.extensions import db
from smptrack.models import Client, PracticeSettings
from smptrack.services import projections
from smptrack.services.access import Actor, practice_id_of, require_owner, require_practitioner
from smptrack.services.errors import ValidationFailed
from smptrack.services.reminder_facts import practice_protocol
from smptrack.services.reminders import plan_reminders


@dataclass(frozen=True)
class PracticeInput:
    waking_hours_start: int
    waking_hours_end: int
    aftercare: list[int]
    healed_check: int
    next_session: int
    next_session_lead: int
    next_session_min: int
    series_sessions: int
    self_check_months: int
    touch_up_lead: int
    aftercare_instructions: str = ""
    # FADE-MODEL §1's D* in percent; None keeps the stored threshold (70 % if none).
    touch_up_threshold_pct: int | None = None
    # Hours before an appointment its reminder goes (24 to 48); None keeps the stored value.
    appointment_reminder_hours: int | None = None


def practice_settings_row(actor: Actor) -> PracticeSettings | None:
    require_practitioner(actor)
    return db.session.scalar(
        sa.select(PracticeSettings).where(PracticeSettings.practice_id == practice_id_of(actor))
    )


def update_practice_settings(
    actor: Actor, data: PracticeInput, *, now: datetime
) -> tuple[PracticeSettings, int]:
    """Store the practice's reminder timing and touch-up threshold, and replan its clients.
    Flushes.

    A changed threshold first re-projects every client of the practice (their materialised
    touch-up dates and due flags), so the replan in the same transaction uses the new windows.
    Returns the settings row and the number of clients replanned. Raises Forbidden for anyone
    but the owner, ValidationFailed (per field) for values outside the documented limits;
    nothing is written then. Only the practice's owner may.
    """
    require_owner(actor)
    fields: dict[str, str] = {}
    threshold = data.touch_up_threshold_pct
    bounds = limits.TOUCH_UP_THRESHOLD_PCT
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not bounds.low <= threshold <= bounds.high
    ):
        fields["touch_up_threshold_pct"] = f"A whole percentage from {bounds.low} to {bounds.high}."
    offsets: dict[str, Any] = {}
    for name in protocol.DEFAULT_OFFSETS:
        try:
            offsets[name] = protocol.check_offset(name, getattr(data, name))
        except ValueError as exc:
            low, high = protocol.OFFSET_LIMITS[name]
            fields[name] = f"{str(exc).capitalize()} ({low} to {high})."
    try:
        hours = protocol.WakingHours(data.waking_hours_start, data.waking_hours_end)
    except (TypeError, ValueError):
        fields["waking_hours_end"] = "Waking hours must end after they start (0 to 24)."
        hours = None
    instructions = text_rule.normalise_newlines(data.aftercare_instructions or "")
    problem = text_rule.problem(instructions, multiline=True)
    if problem is not None:
        fields["aftercare_instructions"] = problem
    elif len(instructions) > NOTES_MAX:
        fields["aftercare_instructions"] = f"At most {NOTES_MAX:,} characters."
    reminder_hours = data.appointment_reminder_hours
    if reminder_hours is not None and (
        isinstance(reminder_hours, bool)
        or not isinstance(reminder_hours, int)
        or reminder_hours not in limits.APPOINTMENT_REMINDER_HOURS
    ):
        span = limits.APPOINTMENT_REMINDER_HOURS
        fields["appointment_reminder_hours"] = f"A whole number of hours {span.words()}."
    if fields:
        raise ValidationFailed("Check the highlighted fields.", fields)
    assert hours is not None
    row = practice_settings_row(actor)
    if row is None:
        row = PracticeSettings(practice_id=practice_id_of(actor))
        db.session.add(row)
    row.waking_hours_start = hours.start
    row.waking_hours_end = hours.end
    row.reminder_offsets = {k: list(v) if isinstance(v, tuple) else v for k, v in offsets.items()}
    row.aftercare_instructions = instructions.strip()
    reproject = threshold is not None and threshold != (row.touch_up_threshold_pct or 70)
    if threshold is not None:
        row.touch_up_threshold_pct = threshold
    if reminder_hours is not None:
        row.appointment_reminder_hours = reminder_hours
    db.session.flush()
    clients = db.session.scalars(
        sa.select(Client)
        .where(
            Client.practice_id == practice_id_of(actor),
            # Records kept after an erasure request are neither projected nor planned (issue 13).
            Client.erasure_requested_at.is_(None),
        )
        .order_by(Client.id)
    ).all()
    count = 0
    for start in range(0, len(clients), _REPLAN_BATCH):
        batch = clients[start : start + _REPLAN_BATCH]
        loaded = projections.load_inputs_many(batch) if reproject else {}
        for client in batch:
            if reproject:
                projections.refresh_client(client, now, loaded[client.id])
            plan_reminders(client, now)
            count += 1
    return row, count


_REPLAN_BATCH = 200  # clients whose inputs are loaded at once when a threshold change re-projects


def practice_input_of(actor: Actor) -> PracticeInput:
    """The practice's current settings (the documented defaults where none are stored)."""
    row = practice_settings_row(actor)
    practice = practice_protocol(practice_id_of(actor))
    offsets = practice.offsets.as_mapping()
    return PracticeInput(
        waking_hours_start=practice.hours.start,
        waking_hours_end=practice.hours.end,
        aftercare=list(offsets["aftercare"]),
        healed_check=offsets["healed_check"],
        next_session=offsets["next_session"],
        next_session_lead=offsets["next_session_lead"],
        next_session_min=offsets["next_session_min"],
        series_sessions=offsets["series_sessions"],
        self_check_months=offsets["self_check_months"],
        touch_up_lead=offsets["touch_up_lead"],
        aftercare_instructions=practice.aftercare_instructions,
        touch_up_threshold_pct=(row.touch_up_threshold_pct if row is not None else None) or 70,
        appointment_reminder_hours=row.appointment_reminder_hours if row is not None else 24,
    )
