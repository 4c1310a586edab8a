"""The reminder plan and delivery times (smptrack/domain/protocol.py), with no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smptrack.domain import protocol
from smptrack.domain.protocol import (
    Offsets,
    Preferences,
    ProjectionFacts,
    SessionFact,
    WakingHours,
)

DAY = date(2026, 3, 2)
NOT_PROJECTED = ProjectionFacts()
PROJECTED = ProjectionFacts(
    most_likely_on=date(2030, 6, 1), earliest_on=date(2029, 1, 15), due_now=False
)


def _by_kind(planned: list[protocol.PlannedReminder]) -> dict[str, list[protocol.PlannedReminder]]:
    out: dict[str, list[protocol.PlannedReminder]] = {}
    for item in planned:
        out.setdefault(item.kind, []).append(item)
    return out


def test_an_initial_session_plans_aftercare_on_days_0_4_and_7_and_the_healed_check_on_day_28():
    planned = _by_kind(protocol.plan(7, [SessionFact(1, DAY, "initial")], NOT_PROJECTED, as_of=DAY))
    assert [p.on for p in planned["aftercare"]] == [DAY, DAY + timedelta(4), DAY + timedelta(7)]
    assert [p.on for p in planned["healed_check"]] == [DAY + timedelta(28)]


def test_the_second_session_of_the_series_is_suggested_at_day_10_and_announced_two_days_before():
    planned = _by_kind(protocol.plan(7, [SessionFact(1, DAY, "initial")], NOT_PROJECTED, as_of=DAY))
    (nxt,) = planned["next_session"]
    assert nxt.event_on == DAY + timedelta(10)
    assert nxt.on == DAY + timedelta(8)
    assert nxt.details["number"] == 2


def test_the_series_ends_after_its_third_session():
    sessions = [
        SessionFact(1, DAY, "initial"),
        SessionFact(2, DAY + timedelta(10), "build_up"),
        SessionFact(3, DAY + timedelta(20), "build_up"),
    ]
    planned = protocol.plan(7, sessions, NOT_PROJECTED, as_of=DAY + timedelta(20))
    assert "next_session" not in _by_kind(planned)


@pytest.mark.parametrize("kind", ["touch_up", "correction", "scar"])
def test_no_next_session_follows_a_session_outside_an_initial_series(kind: str):
    planned = protocol.plan(7, [SessionFact(1, DAY, kind)], NOT_PROJECTED, as_of=DAY)
    assert "next_session" not in _by_kind(planned)


def test_a_practice_can_change_every_offset():
    offsets = Offsets.from_mapping(
        {"aftercare": [0, 2], "healed_check": 30, "next_session": 14, "next_session_lead": 3}
    )
    planned = _by_kind(
        protocol.plan(
            7, [SessionFact(1, DAY, "initial")], NOT_PROJECTED, as_of=DAY, offsets=offsets
        )
    )
    assert [p.on for p in planned["aftercare"]] == [DAY, DAY + timedelta(2)]
    assert planned["healed_check"][0].on == DAY + timedelta(30)
    assert planned["next_session"][0].on == DAY + timedelta(11)


@pytest.mark.parametrize(
    "stored",
    [{"aftercare": "0,4"}, {"healed_check": -3}, {"next_session": True}, {"aftercare": [0, 500]}],
)
def test_an_unusable_stored_offset_falls_back_to_the_default(stored: dict):
    assert Offsets.from_mapping(stored) == Offsets()


def test_the_projection_adds_self_check_assessment_and_touch_up_reminders():
    planned = _by_kind(protocol.plan(7, [SessionFact(1, DAY, "initial")], PROJECTED, as_of=DAY))
    # FADE-MODEL §7: yearly self-check from 12 months after the healed baseline (day 28).
    assert planned["self_check"][0].on == date(2027, 3, 30)
    assert planned["assessment"][0].on == PROJECTED.earliest_on
    assert planned["touch_up"][0].on == PROJECTED.most_likely_on - timedelta(days=60)
    assert planned["touch_up"][0].event_on == PROJECTED.most_likely_on


def test_a_client_due_now_is_asked_to_book_today_and_not_sent_an_assessment_reminder():
    due = ProjectionFacts(
        most_likely_on=date(2026, 5, 1), earliest_on=date(2025, 1, 1), due_now=True
    )
    today = date(2026, 4, 1)
    planned = _by_kind(
        protocol.plan(7, [SessionFact(1, date(2021, 1, 1), "initial")], due, as_of=today)
    )
    assert planned["touch_up"][0].on == today
    assert "assessment" not in planned


def test_the_clients_own_lead_time_replaces_the_practices():
    prefs = Preferences(touch_up_lead=10)
    planned = _by_kind(
        protocol.plan(7, [SessionFact(1, DAY, "initial")], PROJECTED, as_of=DAY, preferences=prefs)
    )
    assert planned["touch_up"][0].on == PROJECTED.most_likely_on - timedelta(days=10)


def test_a_client_on_their_own_gets_no_practitioner_assessment_reminder():
    planned = protocol.plan(
        7, [SessionFact(1, DAY, "initial")], PROJECTED, as_of=DAY, has_practitioner=False
    )
    assert "assessment" not in _by_kind(planned)


def test_kinds_the_client_turned_off_and_unsubscribing_from_all_are_respected():
    sessions = [SessionFact(1, DAY, "initial")]
    without = protocol.plan(
        7, sessions, PROJECTED, as_of=DAY, preferences=Preferences(kinds=frozenset({"touch_up"}))
    )
    assert {p.kind for p in without} == {"touch_up"}
    assert (
        protocol.plan(
            7, sessions, PROJECTED, as_of=DAY, preferences=Preferences(unsubscribed_all=True)
        )
        == []
    )


def test_planning_twice_gives_the_same_keys_and_another_session_gives_new_ones():
    first = [SessionFact(1, DAY, "initial")]
    again = protocol.plan(7, first, PROJECTED, as_of=DAY)
    assert [p.key for p in protocol.plan(7, first, PROJECTED, as_of=DAY)] == [p.key for p in again]
    later = [*first, SessionFact(2, DAY + timedelta(10), "build_up")]
    keys = {p.key for p in protocol.plan(7, later, PROJECTED, as_of=DAY + timedelta(10))}
    assert keys.isdisjoint({p.key for p in again if p.kind == "aftercare"})
    assert all(protocol.is_planned_key(7, key) for key in keys)
    assert not any(protocol.is_planned_key(8, key) for key in keys)


def test_sessions_dated_after_today_are_not_planned_for_yet():
    planned = protocol.plan(
        7, [SessionFact(1, DAY + timedelta(3), "initial")], PROJECTED, as_of=DAY
    )
    assert planned == []


def test_a_session_logged_late_still_gets_its_day_0_instructions_until_day_3_only():
    sessions = [SessionFact(1, DAY, "initial")]
    day0 = next(
        p for p in protocol.plan(7, sessions, NOT_PROJECTED, as_of=DAY) if p.key.endswith("day-0")
    )
    assert day0.worth_creating(DAY + timedelta(3))
    assert not day0.worth_creating(DAY + timedelta(4))


def test_only_the_next_yearly_self_check_is_planned_ahead():
    sessions = [SessionFact(1, date(2020, 1, 1), "initial")]
    checks = [
        p
        for p in protocol.plan(7, sessions, PROJECTED, as_of=date(2024, 6, 1))
        if p.kind == "self_check"
    ]
    assert [p.on for p in checks][-1] == date(2025, 1, 29)
    assert all(p.on < date(2024, 6, 1) for p in checks[:-1])


def test_series_sessions_closer_than_seven_days_are_flagged():
    sessions = [SessionFact(1, DAY, "initial"), SessionFact(2, DAY + timedelta(5), "build_up")]
    ((earlier, later, gap),) = protocol.series_spacing_warnings(sessions)
    assert (earlier.id, later.id, gap) == (1, 2, 5)
    assert (
        protocol.series_spacing_warnings(
            [sessions[0], SessionFact(2, DAY + timedelta(7), "build_up")]
        )
        == []
    )


# --- Delivery times -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "utc_hour"),
    [
        ("Europe/London", date(2026, 3, 28), 9),  # the day before spring forward: GMT
        ("Europe/London", date(2026, 3, 29), 8),  # spring forward day: BST
        ("Europe/London", date(2026, 10, 25), 9),  # fall back day: GMT again
        ("America/New_York", date(2026, 3, 8), 13),  # spring forward day: EDT
        ("America/New_York", date(2026, 11, 1), 14),  # fall back day: EST
        ("Australia/Sydney", date(2026, 4, 5), 23),  # their fall back: AEST, the day before in UTC
    ],
)
def test_a_reminder_goes_at_nine_local_time_on_both_sides_of_a_clock_change(
    zone: str, day: date, utc_hour: int
):
    moment = protocol.delivery_time(day, ZoneInfo(zone), WakingHours())
    assert moment.astimezone(ZoneInfo(zone)).time() == time(9, 0)
    assert moment.tzinfo == UTC and moment.hour == utc_hour


def test_a_late_reminder_goes_now_when_the_client_is_awake_and_in_the_morning_when_not():
    london = ZoneInfo("Europe/London")
    afternoon = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert protocol.delivery_time(date(2026, 3, 2), london, WakingHours(), afternoon) == afternoon
    night = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert protocol.delivery_time(date(2026, 3, 2), london, WakingHours(), night) == datetime(
        2026, 3, 3, 9, 0, tzinfo=UTC
    )


def test_a_moment_in_the_repeated_hour_of_a_fall_back_night_waits_until_nine():
    new_york = ZoneInfo("America/New_York")
    first_half_past_one = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second_half_past_one = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    for moment in (first_half_past_one, second_half_past_one):
        sent = protocol.next_waking_moment(moment, new_york, WakingHours())
        assert sent == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_waking_hours_reject_an_empty_or_impossible_window():
    for start, end in ((9, 9), (20, 9), (-1, 5), (0, 25)):
        with pytest.raises(ValueError):
            WakingHours(start, end)


ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
    "America/Santiago",
    "Pacific/Chatham",
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    start=st.integers(0, 22),
    length=st.integers(1, 15),
)
def test_the_next_waking_moment_is_inside_the_waking_hours_and_never_before_now(
    zone: str, moment: datetime, start: int, length: int
):
    hours = WakingHours(start, min(24, start + length))
    sent = protocol.next_waking_moment(moment, ZoneInfo(zone), hours)
    assert sent >= moment
    assert hours.contains(sent.astimezone(ZoneInfo(zone)).time())
    assert sent - moment < timedelta(hours=26)
