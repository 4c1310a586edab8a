"""Planning reminders into the outbox: in the transaction that changes a client's history, at the
client's local time, replacing pending reminders and keeping sent ones (services/reminders.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from smptrack.domain.vocabulary import REMINDER_KINDS
from smptrack.extensions import db
from smptrack.models import Client, Placement, Reminder, ReminderPreference, TreatmentSession
from smptrack.sending.heartbeat import claim_daily_replan
from smptrack.sending.replan import replan_all
from smptrack.services import practice_settings, projections, reminder_preferences, unsubscribe
from smptrack.services import reminders as service
from smptrack.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.conftest import Personas, make_client

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday; 10:00 in London, 05:00 in New York
TODAY = date(2026, 3, 2)


def record_session(
    client: Client,
    day: date,
    kind: str = "initial",
    zones: tuple[str, ...] = ("crown",),
    now: datetime = NOW,
) -> TreatmentSession:
    """Record a session the way any page or API call does: rows, then one commit."""
    treatment = TreatmentSession(client_id=client.id, performed_on=day, kind=kind)
    for zone in zones:
        treatment.placements.append(Placement(zone=zone, pigment_free_text="carbon SMP pigment"))
    db.session.add(treatment)
    projections.refresh_stale(now)
    db.session.commit()
    return treatment


def reminders_of(client: Client, *statuses: str) -> list[Reminder]:
    db.session.expire_all()
    query = sa.select(Reminder).where(Reminder.client_id == client.id)
    if statuses:
        query = query.where(Reminder.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Reminder.due_at, Reminder.id)))


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def count_reminders() -> int:
    return db.session.scalar(sa.select(sa.func.count(Reminder.id))) or 0


# --- The session creates its reminders --------------------------------------------------------


def test_a_recorded_session_creates_its_aftercare_and_next_session_reminders_at_nine_local(
    personas: Personas,
):
    client = personas.record_a
    client.time_zone = "America/New_York"
    db.session.commit()
    record_session(client, TODAY)

    rows = {(r.kind, r.payload["on"]): r for r in reminders_of(client)}
    expected = [
        ("aftercare", "2026-03-02"),
        ("aftercare", "2026-03-06"),
        ("aftercare", "2026-03-09"),  # the day after New York's clocks went forward
        ("next_session", "2026-03-10"),  # two days before the suggested day 10
        ("healed_check", "2026-03-30"),
    ]
    for key in expected:
        assert key in rows, f"missing {key}"
    for kind, on in expected:
        when = local(rows[(kind, on)].due_at, "America/New_York")
        assert when.date() == date.fromisoformat(on)
        assert when.time() == time(9, 0), f"{kind} {on} at {when}"
    assert all(
        r.status == "pending" and r.recipient_email == "a@clients.test" for r in rows.values()
    )
    assert rows[("next_session", "2026-03-10")].payload["event_on"] == "2026-03-12"


def test_a_session_recorded_in_the_clients_afternoon_sends_its_day_0_aftercare_at_once(
    personas: Personas,
):
    record_session(personas.record_a, TODAY)  # 10:00 in London: inside the waking hours
    day0 = next(r for r in reminders_of(personas.record_a) if r.dedupe_key.endswith("day-0"))
    assert day0.due_at == NOW


def test_a_session_recorded_late_at_night_sends_its_day_0_aftercare_the_next_morning(
    personas: Personas,
):
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    record_session(personas.record_a, TODAY, now=late)
    day0 = next(r for r in reminders_of(personas.record_a) if r.dedupe_key.endswith("day-0"))
    assert day0.due_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_the_projection_adds_a_touch_up_reminder_sixty_days_before_the_most_likely_date(
    personas: Personas,
):
    client = personas.record_a
    record_session(client, TODAY)
    db.session.refresh(client)
    (touch_up,) = [r for r in reminders_of(client) if r.kind == "touch_up"]
    assert client.next_touch_up_on is not None
    assert local(touch_up.due_at, "Europe/London").date() == client.next_touch_up_on - timedelta(60)


def test_a_session_in_the_past_creates_no_stale_aftercare(personas: Personas):
    record_session(personas.record_a, TODAY - timedelta(days=20))
    kinds = [r.kind for r in reminders_of(personas.record_a)]
    assert "aftercare" not in kinds and "next_session" not in kinds
    assert "healed_check" in kinds  # day 28 is still ahead


def test_planning_again_creates_no_second_row(personas: Personas):
    record_session(personas.record_a, TODAY)
    before = count_reminders()
    for _ in range(2):
        service.plan_reminders(personas.record_a, NOW + timedelta(hours=2))
        db.session.commit()
    assert count_reminders() == before


# --- Replanning replaces pending reminders and keeps sent ones --------------------------------


def test_the_next_session_supersedes_the_pending_reminders_of_the_previous_one(personas: Personas):
    client = personas.record_a
    first = record_session(client, TODAY)
    sent = next(r for r in reminders_of(client) if r.dedupe_key.endswith("day-0"))
    sent.status, sent.sent_at = "sent", NOW
    db.session.commit()

    record_session(
        client, TODAY + timedelta(days=10), kind="build_up", now=NOW + timedelta(days=10)
    )

    old = {r.dedupe_key: r for r in reminders_of(client) if f":session:{first.id}:" in r.dedupe_key}
    assert old.pop(sent.dedupe_key).status == "sent"  # history stays
    assert old and {r.status for r in old.values()} == {"cancelled"}
    assert all("no longer planned" in (r.last_error or "") for r in old.values())
    new_next = [r for r in reminders_of(client, "pending") if r.kind == "next_session"]
    assert [r.payload["details"]["number"] for r in new_next] == [3]


def test_deleting_a_session_cancels_its_pending_reminders_and_keeps_the_sent_ones(
    personas: Personas,
):
    client = personas.record_a
    treatment = record_session(client, TODAY)
    sent = next(r for r in reminders_of(client) if r.dedupe_key.endswith("day-0"))
    sent.status, sent.sent_at = "sent", NOW
    db.session.commit()

    db.session.delete(db.session.get(TreatmentSession, treatment.id))
    projections.refresh_stale(NOW + timedelta(hours=1))
    db.session.commit()

    statuses = {r.dedupe_key: r.status for r in reminders_of(client)}
    assert statuses.pop(sent.dedupe_key) == "sent"
    assert statuses and set(statuses.values()) == {"cancelled"}


def test_changing_the_clients_time_zone_moves_their_pending_reminders(personas: Personas):
    client = personas.record_a
    record_session(client, TODAY)
    day4 = next(r for r in reminders_of(client) if r.dedupe_key.endswith("day-4"))
    assert day4.due_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)

    client.time_zone = "Asia/Tokyo"
    projections.refresh_stale(NOW)
    db.session.commit()

    moved = next(r for r in reminders_of(client) if r.dedupe_key.endswith("day-4"))
    assert local(moved.due_at, "Asia/Tokyo") == datetime(
        2026, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")
    )


def test_a_client_without_an_email_address_gets_no_reminders_until_one_is_added(
    personas: Personas,
):
    client = make_client(personas.practitioner_p, "No Email")
    db.session.commit()
    record_session(client, TODAY)
    assert reminders_of(client) == []

    client.email = "now@clients.test"
    db.session.commit()
    replan_all(NOW + timedelta(hours=1))  # the daily replan picks the address up
    assert {r.kind for r in reminders_of(client)} >= {"aftercare", "healed_check"}


def test_replanning_leaves_rows_it_did_not_plan_alone(personas: Personas):
    client = personas.record_a
    db.session.add(
        Reminder(
            client_id=client.id,
            recipient_email="a@clients.test",
            kind="touch_up",
            due_at=NOW,
            dedupe_key="imported:legacy-system:1",
        )
    )
    db.session.commit()
    record_session(client, TODAY)
    (legacy,) = [r for r in reminders_of(client) if r.dedupe_key == "imported:legacy-system:1"]
    assert legacy.status == "pending"


# --- Preferences ------------------------------------------------------------------------------


def test_turning_a_kind_off_cancels_its_pending_reminders(personas: Personas):
    client = personas.record_a
    record_session(client, TODAY)
    kinds = frozenset({"next_session", "healed_check", "self_check", "assessment", "touch_up"})
    reminder_preferences.update_preferences(
        personas.client_a, client, reminder_preferences.PreferencesInput(kinds, 30), now=NOW
    )
    db.session.commit()
    assert {r.kind for r in reminders_of(client, "pending")} == set(kinds)
    assert {r.status for r in reminders_of(client) if r.kind == "aftercare"} == {"cancelled"}


def test_unsubscribing_from_all_cancels_everything_pending(personas: Personas):
    client = personas.record_a
    record_session(client, TODAY)
    reminder_preferences.update_preferences(
        personas.client_a,
        client,
        reminder_preferences.PreferencesInput(frozenset(REMINDER_KINDS), 60, unsubscribe_all=True),
        now=NOW,
    )
    db.session.commit()
    assert reminders_of(client, "pending") == []
    assert reminders_of(client, "cancelled")


@pytest.mark.parametrize("actor", ["practitioner_p", "client_b"])
def test_only_the_client_chooses_their_reminders(personas: Personas, actor: str):
    with pytest.raises(Forbidden):
        reminder_preferences.update_preferences(
            personas.by_name(actor),
            personas.record_a,
            reminder_preferences.PreferencesInput(frozenset(), 60),
            now=NOW,
        )


@pytest.mark.parametrize("lead", [-1, 366])
def test_a_lead_time_outside_a_year_is_refused_and_changes_nothing(personas: Personas, lead: int):
    with pytest.raises(ValidationFailed) as error:
        reminder_preferences.update_preferences(
            personas.client_a,
            personas.record_a,
            reminder_preferences.PreferencesInput(frozenset(), lead),
            now=NOW,
        )
    assert "touch_up_lead_days" in error.value.fields
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ReminderPreference.id))) == 0


# --- Unsubscribe tokens -----------------------------------------------------------------------


def test_an_unsubscribe_token_names_its_client_and_kind_and_a_forged_one_is_refused(
    personas: Personas,
):
    token = unsubscribe.unsubscribe_token("key", personas.record_a.id, "aftercare")
    client, kind = unsubscribe.read_unsubscribe_token("key", token)
    assert (client.id, kind) == (personas.record_a.id, "aftercare")
    for bad in (token[:-2] + "xx", token.replace(".", "x"), "garbage"):
        with pytest.raises(NotFound):
            unsubscribe.read_unsubscribe_token("key", bad)
    with pytest.raises(NotFound):
        unsubscribe.read_unsubscribe_token("another key", token)


# --- The practitioner's touch-up invitation ---------------------------------------------------


def test_the_practitioner_can_send_a_touch_up_invitation_once_at_a_time(personas: Personas):
    client = personas.record_a
    reminder = service.send_touch_up_now(personas.practitioner_p, client, now=NOW)
    db.session.commit()
    assert (reminder.kind, reminder.status, reminder.due_at) == ("touch_up", "pending", NOW)
    with pytest.raises(Conflict):
        service.send_touch_up_now(personas.practitioner_p, client, now=NOW + timedelta(minutes=5))
    db.session.rollback()
    record_session(client, TODAY)  # replanning leaves the manual invitation alone
    assert db.session.get(Reminder, reminder.id).status == "pending"


def test_a_touch_up_invitation_at_night_waits_for_the_clients_morning(personas: Personas):
    night = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    reminder = service.send_touch_up_now(personas.practitioner_p, personas.record_a, now=night)
    assert reminder.due_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_no_touch_up_invitation_for_another_practice_or_an_unsubscribed_client(
    personas: Personas,
):
    with pytest.raises(Forbidden):
        service.send_touch_up_now(personas.practitioner_q, personas.record_a, now=NOW)
    unsubscribe.unsubscribe(personas.record_a, "touch_up", now=NOW)
    with pytest.raises(ValidationFailed):
        service.send_touch_up_now(personas.practitioner_p, personas.record_a, now=NOW)
    db.session.rollback()
    assert count_reminders() == 0


# --- Practice settings ------------------------------------------------------------------------


def _practice_input(**overrides) -> practice_settings.PracticeInput:
    values = dict(
        waking_hours_start=8,
        waking_hours_end=21,
        aftercare=[0, 2],
        healed_check=30,
        next_session=14,
        next_session_lead=2,
        next_session_min=7,
        series_sessions=3,
        self_check_months=12,
        touch_up_lead=45,
        aftercare_instructions="Keep it dry.",
    )
    values.update(overrides)
    return practice_settings.PracticeInput(**values)


def test_new_practice_settings_replan_the_practices_clients(personas: Personas):
    record_session(personas.record_a, TODAY)
    _, count = practice_settings.update_practice_settings(
        personas.practitioner_p, _practice_input(), now=NOW
    )
    db.session.commit()
    assert count == 1
    aftercare = {
        r.dedupe_key.rsplit(":", 1)[1]: r
        for r in reminders_of(personas.record_a)
        if r.kind == "aftercare"
    }
    assert {step: r.status for step, r in aftercare.items()} == {
        "day-0": "pending",
        "day-2": "pending",
        "day-4": "cancelled",
        "day-7": "cancelled",
    }
    assert local(aftercare["day-2"].due_at, "Europe/London") == datetime(
        2026, 3, 4, 8, 0, tzinfo=ZoneInfo("Europe/London")
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"waking_hours_start": 20, "waking_hours_end": 9}, "waking_hours_end"),
        ({"aftercare": [0, 400]}, "aftercare"),
        ({"healed_check": 3}, "healed_check"),
        ({"series_sessions": 0}, "series_sessions"),
    ],
)
def test_impossible_practice_settings_are_refused_per_field(
    personas: Personas, overrides: dict, field: str
):
    with pytest.raises(ValidationFailed) as error:
        practice_settings.update_practice_settings(
            personas.practitioner_p, _practice_input(**overrides), now=NOW
        )
    assert field in error.value.fields


def test_status_counts_list_every_status(personas: Personas):
    record_session(personas.record_a, TODAY)
    counts = service.status_counts()
    assert set(counts) == {"pending", "sending", "sent", "failed", "cancelled", "skipped"}
    assert counts["pending"] == len(reminders_of(personas.record_a)) and counts["sent"] == 0


def test_the_daily_replan_runs_once_however_many_schedulers_ask(app):
    every = timedelta(hours=23)
    assert claim_daily_replan(NOW, "one", every) is True
    assert claim_daily_replan(NOW + timedelta(minutes=1), "two", every) is False
    assert claim_daily_replan(NOW + timedelta(hours=23), "two", every) is True
