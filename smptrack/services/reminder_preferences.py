"""The client's own choice of reminders: which kinds, how long before a touch-up. Flushes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smptrack.domain import protocol
from smptrack.extensions import db
from smptrack.models import Client, ReminderPreference
from smptrack.services import access, audit
from smptrack.services.access import Actor
from smptrack.services.errors import ValidationFailed
from smptrack.services.reminder_facts import preference_row
from smptrack.services.reminders import plan_reminders


@dataclass(frozen=True)
class PreferencesInput:
    kinds: frozenset[str]
    touch_up_lead_days: int
    unsubscribe_all: bool = False


def update_preferences(
    actor: Actor, client: Client, data: PreferencesInput, *, now: datetime
) -> ReminderPreference:
    """The client's own choice of reminders (only the client may make it). Replans; flushes.

    Raises Forbidden for anyone but the client themself, ValidationFailed for a lead time
    outside 0-365 days or an unknown kind.
    """
    access.require_own_record(actor, client, "Only the client can choose which reminders they get.")
    fields = {}
    unknown = set(data.kinds) - set(protocol.KINDS)
    if unknown:
        fields["kinds"] = "Choose from the kinds listed."
    lead = data.touch_up_lead_days
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= 365:
        fields["touch_up_lead_days"] = "Enter a number of days from 0 to 365."
    if fields:
        raise ValidationFailed("Check the highlighted fields.", fields)
    row = preference_row_for_update(client)
    for kind in protocol.CHOSEN_KINDS:
        setattr(row, kind, kind in data.kinds)
    row.touch_up_lead_days = lead
    if data.unsubscribe_all:
        row.unsubscribed_all_at = row.unsubscribed_all_at or now
    else:
        row.unsubscribed_all_at = None
    db.session.flush()
    plan_reminders(client, now)
    audit.record_event(
        actor,
        "update",
        client_id=client.id,
        object_type="reminder_preference",
        object_id=row.id,
        now=now,
    )
    return row


def preference_row_for_update(client: Client) -> ReminderPreference:
    row = preference_row(client)
    if row is None:
        row = ReminderPreference(client_id=client.id)
        for kind in protocol.CHOSEN_KINDS:
            setattr(row, kind, True)
        row.touch_up_lead_days = protocol.DEFAULT_OFFSETS["touch_up_lead"]
        db.session.add(row)
    return row
