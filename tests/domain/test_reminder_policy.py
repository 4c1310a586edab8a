"""FADE-MODEL §7 end to end in the domain: ``fade.project`` gives the window, ``protocol.plan``
alone turns it into reminder dates (the policy lives once, in protocol.py)."""

from __future__ import annotations

from datetime import date, timedelta

from smptrack.domain import fade, protocol, uv
from smptrack.domain.constants import constant

REFERENCE = fade.ClientFactors(
    fitzpatrick=3, latitude_band="45_55", lifestyle="average", habits=uv.Habits(cap_fraction=0.25)
)
SESSIONS = [
    (1, date(2024, 11, 25), "initial"),
    (2, date(2024, 12, 16), "build_up"),
    (3, date(2025, 1, 6), "build_up"),
]
BASELINE = date(2025, 2, 3)  # the last session + 28 days
AS_OF = date(2025, 6, 1)


def projection_of(as_of: date = AS_OF) -> fade.Projection:
    sessions = [
        fade.TreatmentSession(day, kind, (fade.Placement("crown", pigment_base="carbon"),))  # type: ignore[arg-type]
        for _, day, kind in SESSIONS
    ]
    return fade.project(REFERENCE, sessions, [], [], as_of=as_of)


def facts_of(projection: fade.Projection) -> protocol.ProjectionFacts:
    """What services.projections materialises on the client row and reminders read back."""
    zone = projection.zones[projection.next_touch_up_zone or ""]
    return protocol.ProjectionFacts(
        most_likely_on=projection.next_touch_up_on,
        earliest_on=zone.window.earliest,
        due_now=any(z.due_now for z in projection.zones.values()),
    )


def planned(
    projection: fade.Projection,
    as_of: date = AS_OF,
    offsets: protocol.Offsets | None = None,
    preferences: protocol.Preferences | None = None,
) -> dict[str, list[protocol.PlannedReminder]]:
    plan = protocol.plan(
        7,
        [protocol.SessionFact(i, day, kind) for i, day, kind in SESSIONS],
        facts_of(projection),
        as_of=as_of,
        offsets=offsets or protocol.Offsets(),
        preferences=preferences or protocol.Preferences(),
    )
    by_kind: dict[str, list[protocol.PlannedReminder]] = {}
    for item in plan:
        by_kind.setdefault(item.kind, []).append(item)
    return by_kind


def test_the_reminder_defaults_are_the_models_section_7_constants() -> None:
    assert protocol.DEFAULT_OFFSETS["healed_check"] == constant("healed_check_days") == 28
    assert protocol.DEFAULT_OFFSETS["self_check_months"] == constant("self_check_from_months")
    assert protocol.DEFAULT_OFFSETS["touch_up_lead"] == constant("book_touch_up_lead_days") == 60


def test_the_reminder_dates_follow_the_window() -> None:
    projection = projection_of()
    crown = projection.zones["crown"]
    assert not crown.due_now
    reminders = planned(projection)
    assert [r.on for r in reminders["healed_check"]] == [BASELINE]
    assert [r.on for r in reminders["self_check"]] == [date(2026, 2, 3)]  # 12 months on
    assert [r.on for r in reminders["assessment"]] == [crown.window.earliest]
    assert [r.on for r in reminders["touch_up"]] == [crown.window.most_likely - timedelta(days=60)]


def test_a_practice_lead_and_a_clients_own_lead_move_the_touch_up_reminder() -> None:
    # The lead that once lived in fade.py too (fixed at 60) now has one reader: the planner.
    most_likely = projection_of().next_touch_up_on
    assert most_likely is not None
    practice = protocol.Offsets(touch_up_lead=90)
    (book,) = planned(projection_of(), offsets=practice)["touch_up"]
    assert book.on == most_likely - timedelta(days=90)
    (own,) = planned(
        projection_of(), offsets=practice, preferences=protocol.Preferences(touch_up_lead=30)
    )["touch_up"]
    assert own.on == most_likely - timedelta(days=30)


def test_a_zone_due_now_is_booked_at_once() -> None:
    as_of = date(2034, 1, 1)  # past the whole no-log window (7.08 years)
    projection = projection_of(as_of)
    assert projection.zones["crown"].due_now
    reminders = planned(projection, as_of=as_of)
    assert [r.on for r in reminders["touch_up"]] == [as_of]
    assert "assessment" not in reminders
