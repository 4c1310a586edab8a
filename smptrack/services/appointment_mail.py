"""What the client is mailed when a booking is made, moved or cancelled (issue 11 item 4).

The booking service (``services/appointments.py``) calls these in the transaction that books,
moves or cancels; they write outbox rows (``Reminder``) and flush, never commit, and never send:
the sender delivers after the commit, as with every reminder.

- **The reminder** (kind ``appointment``): ``appointment_reminder_hours`` before the start (a
  practice setting, 24 to 48 h), or at once when the booking is closer than that; stale at the
  start (a reminder after the appointment began is skipped, not sent). Its dedupe key names the
  appointment and its SEQUENCE, and its mail carries the invitation (.ics METHOD:REQUEST, the
  appointment's stable UID and that SEQUENCE).
- **A change** (SEQUENCE already raised): the pending reminder of the old version is cancelled
  and one for the new version planned. If the client already holds the old invitation (its
  reminder was sent, or is being sent) and what a calendar shows changed (start, end), the new
  one goes at once, as the updated invitation; otherwise it replaces the old at its normal time.
- **A cancellation**: the pending reminder is cancelled with the reason, and one mail (kind
  ``appointment_cancelled``, dedupe key ``appointment-cancel:<id>``, so exactly one however
  often this runs) carries METHOD:CANCEL and STATUS:CANCELLED with the same UID and a SEQUENCE
  above every invitation sent.

Preferences (``protocol.PREFERENCE_OF``): the reminder is governed by the client's
``next_session`` choice (it is the next-session reminder once the session is booked) and by
"stop all"; the cancellation only by "stop all", since withholding it would leave a ghost in the
client's calendar. A client without an email address gets neither. The sender checks again at
sending time.

Each also replans the client's reminders, so that the next-session reminder of an initial series
names the booked appointment (or asks to book once none is left).

The mail itself is composed at sending time from the row's payload, a snapshot of the version it
announces (``sending/compose.py``); what the practice is called and where it is come from the
practice as it is then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from smptrack.domain import limits
from smptrack.extensions import db
from smptrack.models import Appointment, Client, PracticeSettings, Reminder, User
from smptrack.services import reminders as reminder_service
from smptrack.services.reminder_facts import is_unsubscribed

REMINDER_KIND = "appointment"
CANCEL_KIND = "appointment_cancelled"
# What happened to a superseded or withdrawn reminder (shown in the client's reminder history).
MOVED = "Cancelled: the appointment changed; the reminder of its new time replaces this one."
CANCELLED = "Cancelled: the appointment was cancelled."
ENDED = "Cancelled: the appointment is no longer booked."
IN_HAND = ("sending", "sent")  # the client holds (or is about to hold) that invitation
DEFAULT_HOURS = 24  # PracticeSettings.appointment_reminder_hours' default


def reminder_key(appointment: Appointment, sequence: int | None = None) -> str:
    seq = appointment.sequence if sequence is None else sequence
    return f"appointment:{appointment.id}:seq{seq}"


def cancel_key(appointment: Appointment) -> str:
    return f"appointment-cancel:{appointment.id}"


def reminder_hours(practice_id: int | None) -> int:
    """The practice's ``appointment_reminder_hours`` (the default when it has no settings)."""
    hours = None
    if practice_id is not None:
        hours = db.session.scalar(
            sa.select(PracticeSettings.appointment_reminder_hours).where(
                PracticeSettings.practice_id == practice_id
            )
        )
    bounds = limits.APPOINTMENT_REMINDER_HOURS  # the CHECK constraint keeps it inside anyway
    return min(max(hours if hours is not None else DEFAULT_HOURS, bounds.low), bounds.high)


def on_booked(appointment: Appointment, now: datetime) -> None:
    """Plan the appointment's reminder (with its .ics) for a new booking. Flushes."""
    client = _client(appointment)
    if client is not None:
        _plan_reminder(appointment, client, now, at_once=False)
        reminder_service.plan_reminders(client, now)


def on_changed(appointment: Appointment, now: datetime) -> None:
    """The booking changed (``sequence`` already raised): replan its reminder and resend the
    invitation if the client holds an out-of-date one. Flushes.

    An appointment no longer booked (done, no-show) only loses its pending reminder; a
    cancelled one is handled as ``on_cancelled``.
    """
    if appointment.status == "cancelled":
        on_cancelled(appointment, now)
        return
    client = _client(appointment)
    if client is None:
        return
    current = reminder_key(appointment)
    earlier = _reminders_of(appointment, REMINDER_KIND)
    pending = [r.id for r in earlier if r.status == "pending" and r.dedupe_key != current]
    if appointment.status != "booked":
        reminder_service._cancel_pending(pending, ENDED)
    else:
        reminder_service._cancel_pending(pending, MOVED)
        held = [r for r in earlier if r.status in IN_HAND]
        outdated = any(_shown_changed(r.payload, appointment) for r in held)
        # With the invitation in hand still right (only a note changed, say) nothing is resent:
        # its reminder went already. Otherwise the new version's, at once if it updates one.
        if outdated or not held:
            _plan_reminder(appointment, client, now, at_once=outdated)
    reminder_service.plan_reminders(client, now)


def on_cancelled(appointment: Appointment, now: datetime) -> None:
    """Cancel its pending reminder and queue the METHOD:CANCEL mail, once. Flushes."""
    earlier = _reminders_of(appointment, REMINDER_KIND)
    reminder_service._cancel_pending([r.id for r in earlier if r.status == "pending"], CANCELLED)
    client = _client(appointment)
    if client is None:
        return
    if not is_unsubscribed(client, CANCEL_KIND):
        # Above every invitation this appointment's reminders carried, whether or not the
        # booking service raised it for the cancellation (RFC 5546 §2.1.4).
        sent = [_sequence_of(r.payload) for r in earlier]
        sequence = max([appointment.sequence, *(s + 1 for s in sent if s is not None)])
        payload = _payload(appointment, client, sequence, update=False)
        row = _row(client, appointment, CANCEL_KIND, cancel_key(appointment), now, now, payload)
        # No stale moment: even late, a cancellation clears the event from the calendar.
        reminder_service._insert_ignoring_duplicates([row | {"stale_after": None}])
    reminder_service.plan_reminders(client, now)


# --- Steps ------------------------------------------------------------------------------------


def _client(appointment: Appointment) -> Client | None:
    """The client to mail, None when they have no address (nothing to plan then)."""
    client = db.session.get(Client, appointment.client_id)
    if client is None or not client.email:
        return None
    return client


def _plan_reminder(
    appointment: Appointment, client: Client, now: datetime, *, at_once: bool
) -> None:
    """Insert the reminder of the appointment's current version (ignored if it exists)."""
    starts_at = appointment.starts_at.astimezone(UTC)
    if appointment.status != "booked" or starts_at <= now:
        return
    if is_unsubscribed(client, REMINDER_KIND):
        return
    due = starts_at - timedelta(hours=reminder_hours(appointment.practice_id))
    if at_once or due < now:
        due = now  # a booking closer than the lead time, or an updated invitation: at once
    payload = _payload(appointment, client, appointment.sequence, update=at_once)
    row = _row(client, appointment, REMINDER_KIND, reminder_key(appointment), due, now, payload)
    reminder_service._insert_ignoring_duplicates([row | {"stale_after": starts_at}])


def _reminders_of(appointment: Appointment, kind: str) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(Reminder.id, Reminder.status, Reminder.dedupe_key, Reminder.payload).where(
                Reminder.appointment_id == appointment.id, Reminder.kind == kind
            )
        )
    )


def _payload(
    appointment: Appointment, client: Client, sequence: int, *, update: bool
) -> dict[str, Any]:
    """A snapshot of the version the mail announces: compose reads nothing else about it."""
    practitioner = db.session.get(User, appointment.practitioner_id)
    return {
        "time_zone": client.time_zone,
        "appointment": {
            "id": appointment.id,
            "uid": appointment.uid,
            "sequence": sequence,
            "starts_at": appointment.starts_at.astimezone(UTC).isoformat(),
            "ends_at": appointment.ends_at.astimezone(UTC).isoformat(),
            "kind": appointment.kind,
            "practitioner": practitioner.display_name if practitioner else "",
        },
        "details": {"update": update},
    }


def _row(
    client: Client,
    appointment: Appointment,
    kind: str,
    key: str,
    due: datetime,
    now: datetime,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "recipient_email": client.email,
        "kind": kind,
        "due_at": due,
        "dedupe_key": key,
        "status": "pending",
        "attempts": 0,
        "payload": payload,
        "created_at": now,
        "appointment_id": appointment.id,
    }


def _sequence_of(payload: dict | None) -> int | None:
    value = ((payload or {}).get("appointment") or {}).get("sequence")
    return value if isinstance(value, int) else None


def _shown_changed(payload: dict | None, appointment: Appointment) -> bool:
    """Whether a calendar holding the invitation in ``payload`` shows another time."""
    held = (payload or {}).get("appointment") or {}
    return (held.get("starts_at"), held.get("ends_at")) != (
        appointment.starts_at.astimezone(UTC).isoformat(),
        appointment.ends_at.astimezone(UTC).isoformat(),
    )
