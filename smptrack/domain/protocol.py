"""The SMP aftercare protocol and the reminder plan: which emails a client should get, and when.

Standard library only. Time is a parameter (``as_of`` is the client's local date, ``now`` an
aware UTC moment); nothing here reads the clock, the database or the request.

The plan (DESIGN.md "Reminders", FADE-MODEL.md §7), each offset a practice setting with the
default in ``DEFAULT_OFFSETS``:

- aftercare on the day of the latest session (the practice's instructions), on day 4 (the scalp
  may be washed) and on day 7 (exercise and sweating again);
- the healed check on day 28: sun and swimming are fine again, and a photo or rating of the
  healed result is wanted;
- while an initial series is running (an ``initial`` session, then ``build_up`` sessions, up to
  ``series_sessions`` of them), the next session is suggested at day 10 after the latest one
  and the client is reminded ``next_session_lead`` days before; sessions closer than
  ``next_session_min`` days are flagged by ``series_spacing_warnings``;
- from the fade projection: a yearly self-check from 12 months after the healed baseline, a
  practitioner assessment at the window's earliest date (clients with a practitioner only), and
  "book your touch-up" ``touch_up_lead`` days before the most likely date, or at once when the
  projection says the client is due now. This module is the only place that turns a projection
  into reminder dates: ``fade.project`` gives the window and the due-now flag, nothing more.

Every reminder belongs to the latest session (its *anchor*): recording, editing or deleting a
session changes the anchor, and the reminders of the old anchor are superseded. A reminder's
dedupe key names the client, the kind, the anchor and the step, so planning twice yields the same
keys and the outbox's unique constraint keeps one row per reminder.

Delivery times: each reminder is sent at the start of the client's waking hours (09:00 by
default) in their own time zone on its date, or, when planned late (its date is today or already
past but still worth sending), at the next moment inside the waking hours. Local times go through
``zoneinfo``, so the hour is right on both sides of a daylight-saving change: a local time that
does not exist (spring forward) moves to the first moment that does, and an ambiguous one (fall
back) takes its first occurrence, so a reminder is planned once.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from smptrack.domain import vocabulary
from smptrack.domain.constants import constant

KINDS = vocabulary.REMINDER_KINDS
SERIES_KINDS = vocabulary.SERIES_KINDS
# Booking mail (services/appointment_mail.py), planned from appointments, not from this plan.
APPOINTMENT_KINDS = ("appointment", "appointment_cancelled")
# The kinds a client chooses among: one column of ReminderPreference and one box each.
CHOSEN_KINDS = tuple(kind for kind in KINDS if kind not in APPOINTMENT_KINDS)
# Which choice governs a kind without one of its own (None: only "stop all" stops it). The
# reminder of a booked appointment is the next-session reminder once the session is booked
# (DESIGN "Appointments"), so the one choice about "my next session" governs both, and the
# unsubscribe link in it stops both. A cancellation withdraws an invitation that may sit in the
# client's calendar: withholding it would leave a ghost there, so only "stop all" stops it.
PREFERENCE_OF: Mapping[str, str | None] = {
    "appointment": "next_session",
    "appointment_cancelled": None,
}


def preference_kind(kind: str) -> str | None:
    """The chosen kind that governs ``kind`` (itself for the planner's kinds)."""
    return PREFERENCE_OF.get(kind, kind)


# Practice settings, in days unless the name says otherwise. PracticeSettings.reminder_offsets
# may override any key; a missing or unusable value falls back to these. The FADE-MODEL §7 ones
# come from the model's constants table; this module is the only place that applies them.
DEFAULT_OFFSETS: Mapping[str, Any] = {
    "aftercare": (0, 4, 7),  # days after the session
    "healed_check": int(constant("healed_check_days")),  # days after the session
    "next_session": 10,  # days between the sessions of an initial series
    "next_session_lead": 2,  # the reminder goes this many days before the suggested date
    "next_session_min": 7,  # sessions closer than this are flagged
    "series_sessions": 3,  # sessions in an initial series
    "self_check_months": int(constant("self_check_from_months")),  # first one, then yearly
    # days before the most likely date (a client may choose their own)
    "touch_up_lead": int(constant("book_touch_up_lead_days")),
}
OFFSET_LIMITS: Mapping[str, tuple[int, int]] = {
    "aftercare": (0, 60),
    "healed_check": (14, 90),
    "next_session": (5, 90),
    "next_session_lead": (0, 14),
    "next_session_min": (1, 60),
    "series_sessions": (1, 6),
    "self_check_months": (3, 36),
    "touch_up_lead": (0, 365),
}
DEFAULT_WAKING_HOURS = (9, 20)

# What each aftercare day tells the client (the day-0 message adds the practice's instructions).
AFTERCARE_ADVICE: Mapping[int, str] = {
    0: "For the first days keep the treated area dry and out of the sun: no washing, sweating, "
    "swimming or touching.",
    4: "From day 4 you may gently wash the scalp; no sweating, sun or swimming yet.",
    7: "From day 7 you may exercise and sweat again; keep out of the sun and the pool until "
    "day 28.",
}
HEALED_ADVICE = "From day 28 the scalp has healed: sun (with protection) and swimming are fine."
GENERIC_AFTERCARE = "Follow your practitioner's aftercare instructions."
# How long a late aftercare message is still worth sending.
LATE_HEALED_CHECK_DAYS = 14
LATE_SELF_CHECK_DAYS = 30
MAX_SELF_CHECK_YEARS = 60


# --- Inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFact:
    """What the plan needs of a treatment session: its id (the anchor), date and kind."""

    id: int
    day: date
    kind: str


@dataclass(frozen=True)
class AppointmentFact:
    """A booked appointment of the client (status ``booked``): its start in UTC and kind."""

    id: int
    starts_at: datetime
    kind: str


@dataclass(frozen=True)
class ProjectionFacts:
    """The client's materialised fade projection (FADE-MODEL §6-§7): None when not projected."""

    most_likely_on: date | None = None
    earliest_on: date | None = None
    due_now: bool = False


@dataclass(frozen=True)
class Offsets:
    """A practice's reminder offsets (see ``DEFAULT_OFFSETS`` for meanings and units)."""

    aftercare: tuple[int, ...] = DEFAULT_OFFSETS["aftercare"]
    healed_check: int = DEFAULT_OFFSETS["healed_check"]
    next_session: int = DEFAULT_OFFSETS["next_session"]
    next_session_lead: int = DEFAULT_OFFSETS["next_session_lead"]
    next_session_min: int = DEFAULT_OFFSETS["next_session_min"]
    series_sessions: int = DEFAULT_OFFSETS["series_sessions"]
    self_check_months: int = DEFAULT_OFFSETS["self_check_months"]
    touch_up_lead: int = DEFAULT_OFFSETS["touch_up_lead"]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Offsets:
        """Offsets from a stored mapping; unknown keys are ignored, bad values use the default."""
        values = values or {}
        chosen: dict[str, Any] = {}
        for name, default in DEFAULT_OFFSETS.items():
            raw = values.get(name, default)
            try:
                chosen[name] = check_offset(name, raw)
            except ValueError:
                chosen[name] = default
        return cls(**chosen)

    def as_mapping(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DEFAULT_OFFSETS}


def check_offset(name: str, raw: Any) -> Any:
    """A valid value for offset ``name`` (a sorted tuple for ``aftercare``); ValueError if not."""
    low, high = OFFSET_LIMITS[name]
    if name == "aftercare":
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise ValueError("aftercare days must be a list of whole days")
        days = sorted({_whole(day, low, high) for day in raw})
        if len(days) > 6:
            raise ValueError("at most six aftercare days")
        return tuple(days)
    return _whole(raw, low, high)


def _whole(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number is needed")
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high}")
    return value


@dataclass(frozen=True)
class WakingHours:
    """Local hours in which a client may receive mail: ``start`` <= hour < ``end`` (0-24)."""

    start: int = DEFAULT_WAKING_HOURS[0]
    end: int = DEFAULT_WAKING_HOURS[1]

    def __post_init__(self) -> None:
        if not (0 <= self.start <= 23 and 1 <= self.end <= 24 and self.start < self.end):
            raise ValueError(f"waking hours must satisfy 0 <= start < end <= 24; got {self}")

    def contains(self, local: time) -> bool:
        return local >= time(self.start) and (self.end == 24 or local < time(self.end))


@dataclass(frozen=True)
class Preferences:
    """The kinds a client wants (all by default) and their own touch-up lead, if they set one."""

    kinds: frozenset[str] = frozenset(KINDS)
    touch_up_lead: int | None = None
    unsubscribed_all: bool = False


# --- Output ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder the client should get.

    ``on`` is the client's local date to send it; ``send_until`` the last date on which it is
    still worth sending when planned late. ``event_on`` is the date of the event it announces,
    for the calendar attachment (None when it announces nothing dated). ``details`` are plain
    JSON-able values the email shows (the step, the session's date).
    """

    kind: str
    key: str
    on: date
    send_until: date
    event_on: date | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def worth_creating(self, as_of: date) -> bool:
        """A reminder not yet in the outbox is created only while it is still worth sending."""
        return as_of <= self.send_until

    def stale_after(self, zone: tzinfo) -> datetime | None:
        """The moment (UTC) after which the reminder no longer makes sense and is skipped, not
        sent: the end of ``send_until`` in the client's ``zone``. None when it never goes stale
        (``send_until`` is ``date.max``: an assessment or touch-up stays worth sending)."""
        if self.send_until >= date.max - timedelta(days=1):
            return None
        return local_moment(self.send_until + timedelta(days=1), 0, zone)


# Why a reminder past its ``stale_after`` was skipped, by kind (shown on the reminders pages).
STALE_REASONS: Mapping[str, str] = {
    "aftercare": "Skipped: that aftercare step was over before it could be sent.",
    "next_session": "Skipped: the suggested date of the next session had passed.",
    "healed_check": "Skipped: too late for the healed check; the yearly self-check follows.",
    "self_check": "Skipped: too late for this self-check; the next one follows.",
    "assessment": "Skipped: its moment had passed.",
    "touch_up": "Skipped: its moment had passed.",
    "appointment": "Skipped: the appointment had begun before its reminder could be sent.",
    "appointment_cancelled": "Skipped: its moment had passed.",
}


# --- The plan -------------------------------------------------------------------------------


def plan(
    client_id: int,
    sessions: Sequence[SessionFact],
    projection: ProjectionFacts,
    *,
    as_of: date,
    offsets: Offsets = Offsets(),
    preferences: Preferences = Preferences(),
    has_practitioner: bool = True,
    booked: Sequence[AppointmentFact] = (),
) -> list[PlannedReminder]:
    """Every reminder the client should have as of their local date ``as_of``, past ones included.

    ``booked`` are the client's booked appointments still to come: the next-session reminder
    names the first of them that follows the latest session, or asks the client to book.

    Past reminders are returned so that a caller can tell "still planned" from "superseded";
    whether a missing one is still worth creating is ``PlannedReminder.worth_creating``. Sessions
    dated after ``as_of`` are ignored. Sorted by date, then kind.
    """
    if preferences.unsubscribed_all:
        return []
    past = sorted((s for s in sessions if s.day <= as_of), key=lambda s: (s.day, s.id))
    if not past:
        return []
    latest = past[-1]
    planned: list[PlannedReminder] = []
    planned += _aftercare(client_id, latest, offsets)
    planned += _healed_check(client_id, latest, offsets)
    planned += _next_session(client_id, past, offsets, booked)
    planned += _self_checks(client_id, latest, offsets, as_of)
    planned += _from_projection(
        client_id, latest, projection, offsets, preferences, has_practitioner, as_of
    )
    wanted = [p for p in planned if p.kind in preferences.kinds]
    return sorted(wanted, key=lambda p: (p.on, KINDS.index(p.kind), p.key))


def dedupe_key(client_id: int, kind: str, anchor: int, step: str) -> str:
    """The outbox's unique key: stable across replanning, distinct for distinct reminders."""
    return f"client:{client_id}:{kind}:session:{anchor}:{step}"


def is_planned_key(client_id: int, key: str) -> bool:
    """Whether ``key`` is one this planner makes for ``client_id`` (replanning manages only
    those; a practitioner's manual invitation, for one, is left alone)."""
    return key.startswith(f"client:{client_id}:") and ":session:" in key


def _aftercare(client_id: int, latest: SessionFact, offsets: Offsets) -> list[PlannedReminder]:
    days = list(offsets.aftercare)
    out = []
    for index, day in enumerate(days):
        on = latest.day + timedelta(days=day)
        # A late message is worth sending until the next one is due.
        following = days[index + 1] if index + 1 < len(days) else day + 1
        out.append(
            PlannedReminder(
                kind="aftercare",
                key=dedupe_key(client_id, "aftercare", latest.id, f"day-{day}"),
                on=on,
                send_until=latest.day + timedelta(days=max(day, following - 1)),
                details={
                    "day": day,
                    "session_on": latest.day.isoformat(),
                    "advice": AFTERCARE_ADVICE.get(day, GENERIC_AFTERCARE),
                },
            )
        )
    return out


def _healed_check(client_id: int, latest: SessionFact, offsets: Offsets) -> list[PlannedReminder]:
    on = latest.day + timedelta(days=offsets.healed_check)
    return [
        PlannedReminder(
            kind="healed_check",
            key=dedupe_key(client_id, "healed_check", latest.id, f"day-{offsets.healed_check}"),
            on=on,
            send_until=on + timedelta(days=LATE_HEALED_CHECK_DAYS),
            details={
                "day": offsets.healed_check,
                "session_on": latest.day.isoformat(),
                "advice": HEALED_ADVICE,
            },
        )
    ]


def series_position(sessions: Sequence[SessionFact]) -> int:
    """How many sessions the running initial series has (0 when none is running).

    The series is the latest ``initial`` session and the ``build_up`` sessions after it, if the
    latest session belongs to it.
    """
    ordered = sorted(sessions, key=lambda s: (s.day, s.id))
    count = 0
    for treatment in reversed(ordered):
        if treatment.kind == "build_up":
            count += 1
        elif treatment.kind == "initial":
            return count + 1
        else:
            return 0
    return 0  # build-ups without an initial session: no series to continue


def _next_session(
    client_id: int,
    past: Sequence[SessionFact],
    offsets: Offsets,
    booked: Sequence[AppointmentFact] = (),
) -> list[PlannedReminder]:
    position = series_position(past)
    if position == 0 or position >= offsets.series_sessions:
        return []
    latest = past[-1]
    suggested = latest.day + timedelta(days=offsets.next_session)
    details: dict[str, Any] = {
        "number": position + 1,
        "of": offsets.series_sessions,
        "session_on": latest.day.isoformat(),
        "suggested_on": suggested.isoformat(),
        "earliest_on": (latest.day + timedelta(days=offsets.next_session_min)).isoformat(),
    }
    # The booked session, if any: the first series appointment after the latest session (its
    # UTC date: a session is dated by day, an appointment by the minute). The mail names it,
    # and carries no suggested-date entry: the appointment's own invitation is the calendar's.
    following = sorted(
        (a for a in booked if a.kind in SERIES_KINDS and a.starts_at.date() > latest.day),
        key=lambda a: (a.starts_at, a.id),
    )
    if following:
        details["appointment_id"] = following[0].id
        details["appointment_starts_at"] = following[0].starts_at.astimezone(UTC).isoformat()
    return [
        PlannedReminder(
            kind="next_session",
            key=dedupe_key(client_id, "next_session", latest.id, f"session-{position + 1}"),
            on=suggested - timedelta(days=offsets.next_session_lead),
            send_until=suggested,
            event_on=None if following else suggested,
            details=details,
        )
    ]


def _self_checks(
    client_id: int, latest: SessionFact, offsets: Offsets, as_of: date
) -> list[PlannedReminder]:
    baseline = latest.day + timedelta(days=offsets.healed_check)
    out = []
    for year in range(1, MAX_SELF_CHECK_YEARS + 1):
        on = add_months(baseline, offsets.self_check_months + 12 * (year - 1))
        out.append(
            PlannedReminder(
                kind="self_check",
                key=dedupe_key(client_id, "self_check", latest.id, f"year-{year}"),
                on=on,
                send_until=on + timedelta(days=LATE_SELF_CHECK_DAYS),
                details={"year": year, "session_on": latest.day.isoformat()},
            )
        )
        if on >= as_of:
            break  # the next one; later years are planned as time passes
    return out


def _from_projection(
    client_id: int,
    latest: SessionFact,
    projection: ProjectionFacts,
    offsets: Offsets,
    preferences: Preferences,
    has_practitioner: bool,
    as_of: date,
) -> list[PlannedReminder]:
    if projection.most_likely_on is None:
        return []
    out = []
    if has_practitioner and projection.earliest_on is not None and not projection.due_now:
        on = max(as_of, projection.earliest_on)
        out.append(
            PlannedReminder(
                kind="assessment",
                key=dedupe_key(client_id, "assessment", latest.id, "window-opens"),
                on=on,
                send_until=date.max,
                event_on=projection.earliest_on if projection.earliest_on >= as_of else None,
                details={"earliest_on": projection.earliest_on.isoformat()},
            )
        )
    lead = preferences.touch_up_lead
    lead = offsets.touch_up_lead if lead is None else lead
    if projection.due_now:
        on = as_of
    else:
        on = max(as_of, projection.most_likely_on - timedelta(days=lead))
    out.append(
        PlannedReminder(
            kind="touch_up",
            key=dedupe_key(client_id, "touch_up", latest.id, "book"),
            on=on,
            send_until=date.max,
            event_on=projection.most_likely_on if projection.most_likely_on > as_of else None,
            details={
                "most_likely_on": projection.most_likely_on.isoformat(),
                "due_now": projection.due_now,
            },
        )
    )
    return out


def series_spacing_warnings(
    sessions: Sequence[SessionFact], offsets: Offsets = Offsets()
) -> list[tuple[SessionFact, SessionFact, int]]:
    """Consecutive sessions of an initial series closer than ``next_session_min`` days.

    Returns (earlier, later, days apart) for each such pair: the skin had not healed enough.
    """
    ordered = sorted(sessions, key=lambda s: (s.day, s.id))
    warnings = []
    for earlier, later in pairwise(ordered):
        gap = (later.day - earlier.day).days
        in_series = later.kind == "build_up" and earlier.kind in SERIES_KINDS
        if in_series and gap < offsets.next_session_min:
            warnings.append((earlier, later, gap))
    return warnings


# --- Delivery times -------------------------------------------------------------------------


def local_moment(day: date, hour: int, zone: tzinfo) -> datetime:
    """``hour``:00 on ``day`` in ``zone``, as an aware UTC datetime.

    A local time skipped by a daylight-saving change resolves to the first moment after the gap
    (zoneinfo reads it with the offset in force before the change); an ambiguous one to its first
    occurrence (fold=0).
    """
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def next_waking_moment(moment: datetime, zone: tzinfo, hours: WakingHours) -> datetime:
    """``moment`` if it falls inside the waking hours in ``zone``, else the next start (UTC)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(zone)
    if hours.contains(local.time()):
        return moment.astimezone(UTC)
    day = local.date()
    if local.time() >= time(hours.start):
        day += timedelta(days=1)
    return local_moment(day, hours.start, zone)


def delivery_time(
    on: date, zone: tzinfo, hours: WakingHours, not_before: datetime | None = None
) -> datetime:
    """When to send a reminder dated ``on``: the start of the waking hours that day, in UTC.

    With ``not_before`` (the planning moment) later than that, the next waking moment from
    ``not_before`` instead, so a late reminder goes as soon as the client is awake.
    """
    moment = local_moment(on, hours.start, zone)
    if not_before is not None and not_before > moment:
        moment = next_waking_moment(not_before, zone, hours)
    return moment


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
