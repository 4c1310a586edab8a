"""Reminders: applying the plan to the outbox, the practitioner's "send now", and the pages'
queries. What planning reads is in ``reminder_facts``; the client's choices in
``reminder_preferences`` and ``unsubscribe``; the practice's in ``practice_settings``.

``plan_reminders`` runs in the same transaction as the change that causes it: the unit of
work's step (``services.projections.refresh_stale``) calls it for every client whose history
changed, whatever page, API call or command changed it, and the preference and practice pages
call it directly. Replanning inserts the reminders that are missing, moves pending ones whose date
changed, cancels pending ones that are no longer planned, and never touches a reminder that is
being sent or was sent, failed or cancelled: those are history.

The statements are conditional (``WHERE status = 'pending'``; ``INSERT ... ON CONFLICT DO
NOTHING`` on the dedupe key), so a replan racing the sender or another replan cannot cancel a
reminder in flight or create a second row. Every function here flushes and never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from smptrack.domain import protocol
from smptrack.domain.vocabulary import REMINDER_STATUSES
from smptrack.extensions import db
from smptrack.models import Client, Reminder
from smptrack.services import audit
from smptrack.services.access import Actor, require_practice_of
from smptrack.services.errors import Conflict, ValidationFailed
from smptrack.services.pagination import Page, clamp_page
from smptrack.services.reminder_facts import (
    PracticeProtocol,
    booked_appointments,
    client_today,
    client_zone,
    is_unsubscribed,
    practice_protocol,
    preferences_of,
    projection_facts,
    session_facts,
)

log = logging.getLogger(__name__)

KIND_LABELS = {
    "aftercare": "Aftercare",
    "next_session": "Next session of the series",
    "healed_check": "Healed check (day 28)",
    "self_check": "Yearly self-check",
    "assessment": "Assessment with the practitioner",
    "touch_up": "Book your touch-up",
    "appointment": "Appointment reminder",
    "appointment_cancelled": "Appointment cancelled",
}
KIND_HINTS = {
    "aftercare": "On the day of a session and on days 4 and 7: what you may do again.",
    "next_session": "A few days before the next session of your initial series is due.",
    "healed_check": "When the scalp has healed: a photo or rating of the result.",
    "self_check": "Once a year: a photo or rating, so the projection stays close to you.",
    "assessment": "When your touch-up window opens: a check with your practitioner.",
    "touch_up": "Before your projected touch-up date, or at once when you are due.",
}
STATUS_LABELS = {
    "pending": "scheduled",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed",
    "cancelled": "cancelled",
    "skipped": "skipped (too late)",
}
UPCOMING = ("pending", "sending")
HISTORY = ("sent", "failed", "cancelled", "skipped")
SUPERSEDED = "Cancelled: no longer planned (the history, settings or preferences changed)."


# --- Planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanResult:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def planned_for(client: Client, now: datetime) -> list[protocol.PlannedReminder]:
    """What the protocol plans for ``client`` today (nothing without an email address, nor for
    a record whose client asked for erasure: issue 13, nothing is sent to them afterwards)."""
    if not client.email or client.erasure_requested_at is not None:
        return []
    practice = practice_protocol(client.practice_id)
    return protocol.plan(
        client.id,
        session_facts(client.id),
        projection_facts(client),
        as_of=client_today(client, now),
        offsets=practice.offsets,
        preferences=preferences_of(client),
        has_practitioner=client.practitioner_id is not None,
        booked=booked_appointments(client.id, now),
    )


def plan_reminders(client: Client, now: datetime, *, catch_up_days: int = 0) -> PlanResult:
    """Bring ``client``'s pending reminders in line with the plan as of ``now`` (flushes).

    Missing reminders are created while still worth sending (``catch_up_days`` widens that into
    the past: the demo uses it so that a newcomer sees mail at once). Only the planner's own
    reminders are managed: a practitioner's manual invitation is left alone.
    """
    db.session.flush()
    practice = practice_protocol(client.practice_id)
    zone = client_zone(client)
    as_of = client_today(client, now)
    planned = planned_for(client, now)
    existing = {
        row.dedupe_key: row
        for row in db.session.execute(
            sa.select(
                Reminder.id,
                Reminder.dedupe_key,
                Reminder.status,
                Reminder.payload,
                Reminder.stale_after,
            ).where(Reminder.client_id == client.id)
        )
    }
    created = moved = cancelled = 0
    new_rows: list[dict[str, Any]] = []
    for item in planned:
        payload = _payload(item, client, practice)
        stale_after = item.stale_after(zone)
        row = existing.get(item.key)
        if row is None:
            late = item.on < as_of and item.event_on is not None and item.event_on < as_of
            if catch_up_days and late:
                continue  # catching up never announces an event that is already over
            if item.worth_creating(as_of - timedelta(days=catch_up_days)):
                due = protocol.delivery_time(item.on, zone, practice.hours, not_before=now)
                row_values = _new_row(client, item.kind, item.key, due, payload, now)
                if catch_up_days and stale_after is not None:
                    # A caught-up reminder is worth sending for as long as catching up reaches
                    # back; with its plain moment it would be skipped by the first sweep.
                    stale_after += timedelta(days=catch_up_days)
                new_rows.append(row_values | {"stale_after": stale_after})
        elif row.status == "pending" and _timing(row.payload) != _timing(payload):
            due = protocol.delivery_time(item.on, zone, practice.hours, not_before=now)
            moved += _update_pending(
                row.id, due_at=due, next_attempt_at=None, payload=payload, stale_after=stale_after
            )
        elif row.status == "pending" and (
            (row.payload or {}) != payload or row.stale_after != stale_after
        ):
            _update_pending(row.id, payload=payload, stale_after=stale_after)
    created = _insert_ignoring_duplicates(new_rows)
    keys = {item.key for item in planned}
    stale = [
        row.id
        for key, row in existing.items()
        if row.status == "pending" and key not in keys and protocol.is_planned_key(client.id, key)
    ]
    if stale:
        cancelled = _cancel_pending(stale, SUPERSEDED)
    return PlanResult(created=created, moved=moved, cancelled=cancelled)


def _payload(
    item: protocol.PlannedReminder, client: Client, practice: PracticeProtocol
) -> dict[str, Any]:
    return {
        "on": item.on.isoformat(),
        "time_zone": client.time_zone,
        "hours": [practice.hours.start, practice.hours.end],
        "event_on": item.event_on.isoformat() if item.event_on else None,
        "details": dict(item.details),
    }


def _timing(payload: dict | None) -> tuple:
    payload = payload or {}
    return (payload.get("on"), payload.get("time_zone"), tuple(payload.get("hours") or ()))


def _new_row(
    client: Client, kind: str, key: str, due: datetime, payload: dict, now: datetime
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
    }


def _insert_ignoring_duplicates(rows: list[dict[str, Any]]) -> int:
    """INSERT the rows; a dedupe key that exists already (a concurrent replan) is skipped."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(Reminder)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Reminder.id)
    )
    return len(db.session.execute(statement, rows).all())


def _update_pending(reminder_id: int, **values: Any) -> int:
    result = db.session.execute(
        sa.update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _cancel_pending(ids: Iterable[int], reason: str) -> int:
    ids = list(ids)
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(Reminder)
        .where(Reminder.id.in_(ids), Reminder.status == "pending")
        .values(status="cancelled", last_error=reason, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def cancel_pending_of(client: Client, kind: str | None, reason: str) -> int:
    """Cancel ``client``'s pending reminders of ``kind`` (every kind when None)."""
    query = sa.select(Reminder.id).where(
        Reminder.client_id == client.id, Reminder.status == "pending"
    )
    if kind is not None:
        query = query.where(Reminder.kind == kind)
    return _cancel_pending(db.session.scalars(query).all(), reason)


# --- The practitioner's "send a touch-up invitation now" --------------------------------------


def send_touch_up_now(actor: Actor, client: Client, *, now: datetime) -> Reminder:
    """Queue a touch-up invitation for ``client`` at the next moment they are awake. Flushes.

    Only the client's practitioner may; Conflict when one is already waiting, ValidationFailed
    when the client has no email address or does not want touch-up reminders.
    """
    require_practice_of(actor, client)
    if not client.email:
        raise ValidationFailed(
            "Add the client's email address first.", {"email": "No email address."}
        )
    if is_unsubscribed(client, "touch_up"):
        raise ValidationFailed(
            f"{client.display_name} has chosen not to get touch-up reminders.",
            {"touch_up": "The client unsubscribed."},
        )
    waiting = db.session.scalar(
        sa.select(sa.func.count(Reminder.id)).where(
            Reminder.client_id == client.id,
            Reminder.kind == "touch_up",
            Reminder.status.in_(UPCOMING),
            Reminder.due_at <= now + timedelta(days=1),
        )
    )
    if waiting:
        raise Conflict("A touch-up reminder for this client is already waiting to be sent.")
    practice = practice_protocol(client.practice_id)
    zone = client_zone(client)
    due = protocol.next_waking_moment(now, zone, practice.hours)
    most_likely = client.next_touch_up_on
    today = client_today(client, now)
    key = f"client:{client.id}:touch_up:manual:{now.strftime('%Y%m%dT%H%M%S')}"
    payload = {
        "on": due.astimezone(zone).date().isoformat(),
        "time_zone": client.time_zone,
        "hours": [practice.hours.start, practice.hours.end],
        "event_on": most_likely.isoformat() if most_likely and most_likely > today else None,
        "manual": True,
        "details": {
            "most_likely_on": most_likely.isoformat() if most_likely else None,
            "due_now": bool(client.touch_up_due_now),
            "invited_by": actor.id,
        },
    }
    _insert_ignoring_duplicates([_new_row(client, "touch_up", key, due, payload, now)])
    reminder = db.session.scalar(sa.select(Reminder).where(Reminder.dedupe_key == key))
    if reminder is None:  # pragma: no cover - the insert above cannot be skipped but by a race
        raise Conflict("A touch-up reminder for this client is already waiting to be sent.")
    audit.record_event(
        actor, "create", client_id=client.id, object_type="reminder", object_id=reminder.id, now=now
    )
    return reminder


# --- Queries for the pages and the command line -----------------------------------------------


def upcoming_of(client: Client, limit: int = 50) -> list[Reminder]:
    """Pending and in-flight reminders, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.client_id == client.id, Reminder.status.in_(UPCOMING))
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )


def history_of(
    client: Client,
    *,
    page: int = 1,
    per_page: int = 25,
    statuses: tuple[str, ...] = HISTORY,
    clamp: bool = False,
) -> Page:
    """Sent, failed, cancelled and skipped reminders, newest first, one page at a time."""
    query = sa.select(Reminder).where(
        Reminder.client_id == client.id, Reminder.status.in_(statuses)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    # ``clamp``: a page a person reads shows the last page for one past the end (pagination).
    page = clamp_page(page, total, per_page) if clamp else max(1, page)
    items = list(
        db.session.scalars(
            query.order_by(
                sa.func.coalesce(Reminder.sent_at, Reminder.due_at).desc(), Reminder.id.desc()
            )
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


def failed_count(client: Client) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Reminder.id)).where(
                Reminder.client_id == client.id, Reminder.status == "failed"
            )
        )
        or 0
    )


def status_counts() -> dict[str, int]:
    """Reminders by status, every status present (zero when none)."""
    counts = dict.fromkeys(REMINDER_STATUSES, 0)
    for status, count in db.session.execute(
        sa.select(Reminder.status, sa.func.count(Reminder.id)).group_by(Reminder.status)
    ):
        counts[status] = count
    return counts


def series_warnings(client: Client) -> list[str]:
    """Sentences about sessions of an initial series closer than the practice's minimum."""
    practice = practice_protocol(client.practice_id)
    return [
        f"The sessions of {earlier.day.isoformat()} and {later.day.isoformat()} were {gap} "
        f"day{'s' if gap != 1 else ''} apart; the practice's minimum is "
        f"{practice.offsets.next_session_min}."
        for earlier, later, gap in protocol.series_spacing_warnings(
            session_facts(client.id), practice.offsets
        )
    ]


def record_read(actor: Actor | None, client: Client, *, now: datetime) -> None:
    """The audit line of reading ``client``'s reminders (upcoming and past)."""
    audit.record_event(
        actor, "read", client_id=client.id, object_type="reminders", object_id=client.id, now=now
    )
