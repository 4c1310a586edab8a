"""Reminders: applying the plan to the outbox, preferences, unsubscribing, and the pages' queries.

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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from smptrack.domain import limits, protocol
from smptrack.domain import text as text_rule
from smptrack.domain.limits import NOTES_MAX
from smptrack.domain.vocabulary import REMINDER_KINDS, REMINDER_STATUSES
from smptrack.extensions import db
from smptrack.models import (
    Client,
    PracticeSettings,
    Reminder,
    ReminderPreference,
    SchedulerHeartbeat,
    TreatmentSession,
)
from smptrack.services import projections
from smptrack.services.access import Actor, require_practice_of, require_practitioner
from smptrack.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smptrack.services.pagination import Page

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "smptrack.reminders.unsubscribe"
ALL_KINDS = "all"

KIND_LABELS = {
    "aftercare": "Aftercare",
    "next_session": "Next session of the series",
    "healed_check": "Healed check (day 28)",
    "self_check": "Yearly self-check",
    "assessment": "Assessment with the practitioner",
    "touch_up": "Book your touch-up",
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


# --- The practice's protocol and the client's preferences --------------------------------------


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


# --- Planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanResult:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def planned_for(client: Client, now: datetime) -> list[protocol.PlannedReminder]:
    """What the protocol plans for ``client`` today (nothing without an email address)."""
    if not client.email:
        return []
    practice = practice_protocol(client.practitioner_id)
    return protocol.plan(
        client.id,
        session_facts(client.id),
        projection_facts(client),
        as_of=client_today(client, now),
        offsets=practice.offsets,
        preferences=preferences_of(client),
        has_practitioner=client.practitioner_id is not None,
    )


def plan_reminders(client: Client, now: datetime, *, catch_up_days: int = 0) -> PlanResult:
    """Bring ``client``'s pending reminders in line with the plan as of ``now`` (flushes).

    Missing reminders are created while still worth sending (``catch_up_days`` widens that into
    the past: the demo uses it so that a newcomer sees mail at once). Only the planner's own
    reminders are managed: a practitioner's manual invitation is left alone.
    """
    db.session.flush()
    practice = practice_protocol(client.practitioner_id)
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


# --- Preferences ------------------------------------------------------------------------------


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
    if actor.role != "client" or client.user_id != actor.id:
        raise Forbidden("Only the client can choose which reminders they get.")
    fields = {}
    unknown = set(data.kinds) - set(REMINDER_KINDS)
    if unknown:
        fields["kinds"] = "Choose from the kinds listed."
    lead = data.touch_up_lead_days
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= 365:
        fields["touch_up_lead_days"] = "Enter a number of days from 0 to 365."
    if fields:
        raise ValidationFailed("Check the highlighted fields.", fields)
    row = _preference_row_for_update(client)
    for kind in REMINDER_KINDS:
        setattr(row, kind, kind in data.kinds)
    row.touch_up_lead_days = lead
    if data.unsubscribe_all:
        row.unsubscribed_all_at = row.unsubscribed_all_at or now
    else:
        row.unsubscribed_all_at = None
    db.session.flush()
    plan_reminders(client, now)
    return row


def _preference_row_for_update(client: Client) -> ReminderPreference:
    row = preference_row(client)
    if row is None:
        row = ReminderPreference(client_id=client.id)
        for kind in REMINDER_KINDS:
            setattr(row, kind, True)
        row.touch_up_lead_days = protocol.DEFAULT_OFFSETS["touch_up_lead"]
        db.session.add(row)
    return row


# --- One-click unsubscribe (RFC 8058) ---------------------------------------------------------


def unsubscribe_token(secret_key: str, client_id: int, kind: str) -> str:
    """A signed token naming the client and the kind (or ``all``). It does not expire: an
    unsubscribe link in an old email must still work."""
    if kind not in (*REMINDER_KINDS, ALL_KINDS):
        raise ValueError(f"unknown reminder kind {kind!r}")
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps([client_id, kind])


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[Client, str]:
    """The client and kind a token names; NotFound for a forged token or an erased client."""
    try:
        client_id, kind = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, TypeError, ValueError) as exc:
        raise NotFound("This unsubscribe link is not valid.") from exc
    if not isinstance(client_id, int) or kind not in (*REMINDER_KINDS, ALL_KINDS):
        raise NotFound("This unsubscribe link is not valid.")
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("This unsubscribe link is not valid.")
    return client, kind


def is_unsubscribed(client: Client, kind: str) -> bool:
    prefs = preferences_of(client)
    if prefs.unsubscribed_all:
        return True
    return kind != ALL_KINDS and kind not in prefs.kinds


def unsubscribe(client: Client, kind: str, *, now: datetime) -> int:
    """Stop ``kind`` reminders (or all) for ``client`` and cancel the pending ones. Flushes.

    Returns the number of pending reminders cancelled. Idempotent.
    """
    row = _preference_row_for_update(client)
    if kind == ALL_KINDS:
        row.unsubscribed_all_at = row.unsubscribed_all_at or now
    else:
        setattr(row, kind, False)
    db.session.flush()
    reason = "Cancelled: the client unsubscribed."
    return cancel_pending_of(client, None if kind == ALL_KINDS else kind, reason)


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
    practice = practice_protocol(client.practitioner_id)
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
    return reminder


# --- Practice settings ------------------------------------------------------------------------


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


def practice_settings_row(actor: Actor) -> PracticeSettings | None:
    require_practitioner(actor)
    return db.session.scalar(
        sa.select(PracticeSettings).where(PracticeSettings.practitioner_id == actor.id)
    )


def update_practice_settings(
    actor: Actor, data: PracticeInput, *, now: datetime
) -> tuple[PracticeSettings, int]:
    """Store the practice's reminder timing and touch-up threshold, and replan its clients.
    Flushes.

    A changed threshold first re-projects every client of the practice (their materialised
    touch-up dates and due flags), so the replan in the same transaction uses the new windows.
    Returns the settings row and the number of clients replanned. Raises Forbidden for anyone
    but a practitioner, ValidationFailed (per field) for values outside the documented limits;
    nothing is written then.
    """
    require_practitioner(actor)
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
    if fields:
        raise ValidationFailed("Check the highlighted fields.", fields)
    assert hours is not None
    row = practice_settings_row(actor)
    if row is None:
        row = PracticeSettings(practitioner_id=actor.id)
        db.session.add(row)
    row.waking_hours_start = hours.start
    row.waking_hours_end = hours.end
    row.reminder_offsets = {k: list(v) if isinstance(v, tuple) else v for k, v in offsets.items()}
    row.aftercare_instructions = instructions.strip()
    reproject = threshold is not None and threshold != (row.touch_up_threshold_pct or 70)
    if threshold is not None:
        row.touch_up_threshold_pct = threshold
    db.session.flush()
    clients = db.session.scalars(
        sa.select(Client).where(Client.practitioner_id == actor.id).order_by(Client.id)
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
    practice = practice_protocol(actor.id)
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
    )


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
    client: Client, *, page: int = 1, per_page: int = 25, statuses: tuple[str, ...] = HISTORY
) -> Page:
    """Sent, failed, cancelled and skipped reminders, newest first, one page at a time."""
    query = sa.select(Reminder).where(
        Reminder.client_id == client.id, Reminder.status.in_(statuses)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
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


# The scheduler's sweeps, by heartbeat name (written by smptrack/worker.py, read by /healthz).
HEARTBEAT_SEND = "send_due"
HEARTBEAT_REAP = "reap_leases"
HEARTBEAT_REPLAN = "daily_replan"
HEARTBEATS = (HEARTBEAT_SEND, HEARTBEAT_REAP, HEARTBEAT_REPLAN)
DEFAULT_QUIET_SECONDS = 300  # HEALTHZ_SCHEDULER_QUIET_SECONDS


def heartbeats() -> dict[str, SchedulerHeartbeat]:
    return {row.name: row for row in db.session.scalars(sa.select(SchedulerHeartbeat))}


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
    practice = practice_protocol(client.practitioner_id)
    return [
        f"The sessions of {earlier.day.isoformat()} and {later.day.isoformat()} were {gap} "
        f"day{'s' if gap != 1 else ''} apart; the practice's minimum is "
        f"{practice.offsets.next_session_min}."
        for earlier, later, gap in protocol.series_spacing_warnings(
            session_facts(client.id), practice.offsets
        )
    ]


# --- The demo ---------------------------------------------------------------------------------

DEMO_CATCH_UP_DAYS = 60
DEMO_INSTRUCTIONS = (
    "Keep the area dry for 4 days: no washing, sweating, swimming or sun. Sleep on a clean "
    "pillowcase. No shaving for 5 days. Call us if anything worries you."
)


def ensure_demo_reminders(now: datetime) -> int:
    """Let ``serve --demo`` show what clients receive, within a minute. Flushes.

    The demo practice sends at any hour (its waking hours are 00:00-24:00, visible on its
    settings page), and its clients' reminders of the last ``DEMO_CATCH_UP_DAYS`` days are
    planned as if they were still worth sending, so the scheduler's first sweep writes them
    into the mail folder. Returns the number of reminders created.
    """
    from smptrack.models import User
    from smptrack.services import demo

    practitioner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    if practitioner is None:
        return 0
    if practice_settings_row(practitioner) is None:
        db.session.add(
            PracticeSettings(
                practitioner_id=practitioner.id,
                waking_hours_start=0,
                waking_hours_end=24,
                reminder_offsets={},
                aftercare_instructions=DEMO_INSTRUCTIONS,
            )
        )
        db.session.flush()
    clients = db.session.scalars(
        sa.select(Client).where(Client.practitioner_id == practitioner.id).order_by(Client.id)
    ).all()
    return sum(
        plan_reminders(client, now, catch_up_days=DEMO_CATCH_UP_DAYS).created for client in clients
    )
