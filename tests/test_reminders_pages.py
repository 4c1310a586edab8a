"""The reminder pages: the client's reminders and choices, the practitioner's view of a client's
reminders with the touch-up invitation, the practice's settings, and the unsubscribe pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import AuditEvent, PracticeSettings, Reminder, ReminderPreference
from smptrack.services import unsubscribe
from tests.conftest import Personas, log_in, make_user
from tests.test_reminders_planning import record_session

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _statuses() -> list[tuple[str, str]]:
    db.session.expire_all()
    return sorted(
        tuple(row) for row in db.session.execute(sa.select(Reminder.dedupe_key, Reminder.status))
    )


ALL_ON = {
    "aftercare": "y",
    "next_session": "y",
    "healed_check": "y",
    "self_check": "y",
    "assessment": "y",
    "touch_up": "y",
    "touch_up_lead_days": "60",
}


# --- The client's own page --------------------------------------------------------------------


def test_the_client_sees_their_upcoming_and_sent_reminders_with_status(client, personas: Personas):
    record_session(personas.record_a, date(2026, 3, 2))
    day0 = db.session.scalar(sa.select(Reminder).where(Reminder.dedupe_key.like("%day-0")))
    day0.status, day0.sent_at = "sent", NOW
    db.session.commit()

    page = log_in(client, personas.client_a).get("/me/reminders")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Coming up" in body and "Healed check (day 28)" in body and "scheduled" in body
    assert "Sent and cancelled" in body and ">sent<" in body
    assert "6 Mar 2026, 09:00 GMT" in body  # day 4, shown in the viewer's own time zone
    assert "Reminders go to <strong>a@clients.test</strong>" in body


def test_a_client_login_without_a_record_is_told_how_to_link_one(client, app: Flask):
    solo = make_user("client", "solo@clients.test")
    db.session.commit()
    page = log_in(client, solo).get("/me/reminders")
    assert page.status_code == 200 and "No record linked yet" in page.get_data(as_text=True)


def test_saving_choices_turns_a_kind_off_and_cancels_its_pending_reminders(
    client, personas: Personas
):
    record_session(personas.record_a, date(2026, 3, 2))
    choices = {**ALL_ON, "touch_up_lead_days": "30"}
    del choices["aftercare"]
    response = log_in(client, personas.client_a).post("/me/reminders", data=choices)
    assert response.status_code == 302
    preference = db.session.scalar(sa.select(ReminderPreference))
    assert (preference.aftercare, preference.touch_up, preference.touch_up_lead_days) == (
        False,
        True,
        30,
    )
    aftercare = [s for k, s in _statuses() if ":aftercare:" in k]
    assert aftercare and set(aftercare) == {"cancelled"}
    audit = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.object_type == "reminder_preference")
    )
    assert (audit.action, audit.actor_id) == ("update", personas.client_a.id)


@pytest.mark.parametrize("lead", ["-5", "366", "soon", ""])
def test_a_bad_lead_time_re_renders_with_the_message_and_writes_nothing(
    client, personas: Personas, lead: str
):
    record_session(personas.record_a, date(2026, 3, 2))
    before = (_statuses(), _count(ReminderPreference), _count(AuditEvent))
    response = log_in(client, personas.client_a).post(
        "/me/reminders", data={**ALL_ON, "touch_up_lead_days": lead}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in body and ("0 to 365" in body or "number of days" in body)
    assert (_statuses(), _count(ReminderPreference), _count(AuditEvent)) == before


def test_stopping_all_reminders_and_starting_them_again(client, personas: Personas):
    record_session(personas.record_a, date(2026, 3, 2))
    browser = log_in(client, personas.client_a)
    browser.post("/me/reminders", data={**ALL_ON, "unsubscribe_all": "y"})
    assert {s for _, s in _statuses()} == {"cancelled"}
    browser.post("/me/reminders", data=ALL_ON)
    preference = db.session.scalar(sa.select(ReminderPreference))
    assert preference.unsubscribed_all_at is None


# --- The practitioner's view ------------------------------------------------------------------


def test_the_practitioner_sees_a_clients_reminders_and_the_read_is_audited(
    client, personas: Personas
):
    record_session(personas.record_a, date(2026, 3, 2))
    page = log_in(client, personas.practitioner_p).get(f"/clients/{personas.record_a.id}/reminders")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Reminders for Ada Client" in body and "Next session of the series" in body
    assert "Send a touch-up invitation now" in body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "reminders"))
    assert (event.action, event.client_id, event.actor_id) == (
        "read",
        personas.record_a.id,
        personas.practitioner_p.id,
    )


def test_the_client_sees_their_record_page_without_the_practitioners_button(
    client, personas: Personas
):
    page = log_in(client, personas.client_a).get(f"/clients/{personas.record_a.id}/reminders")
    assert page.status_code == 200
    assert "Send a touch-up invitation now" not in page.get_data(as_text=True)


def test_sending_a_touch_up_invitation_now_queues_one_and_refuses_a_second(
    client, personas: Personas
):
    browser = log_in(client, personas.practitioner_p)
    url = f"/clients/{personas.record_a.id}/reminders/touch-up"
    first = browser.post(url, follow_redirects=True)
    assert first.status_code == 200
    assert _count(Reminder) == 1
    (reminder,) = db.session.scalars(sa.select(Reminder))
    assert (reminder.kind, reminder.status, reminder.payload["manual"]) == (
        "touch_up",
        "pending",
        True,
    )
    second = browser.post(url, follow_redirects=True)
    assert "already waiting" in second.get_data(as_text=True)
    assert _count(Reminder) == 1


def test_the_series_spacing_warning_shows_on_the_practitioners_page(client, personas: Personas):
    record_session(personas.record_a, date(2026, 3, 2))
    record_session(personas.record_a, date(2026, 3, 6), kind="build_up", now=NOW + timedelta(4))
    body = (
        log_in(client, personas.practitioner_p)
        .get(f"/clients/{personas.record_a.id}/reminders")
        .get_data(as_text=True)
    )
    assert "were 4 days apart" in body


# --- Practice settings ------------------------------------------------------------------------


SETTINGS = {
    "waking_hours_start": "8",
    "waking_hours_end": "21",
    "aftercare": "0, 3, 7",
    "healed_check": "28",
    "next_session": "12",
    "next_session_lead": "2",
    "next_session_min": "7",
    "series_sessions": "3",
    "self_check_months": "12",
    "touch_up_lead": "60",
    "aftercare_instructions": "No washing for three days.",
}


def test_the_practice_settings_page_shows_the_defaults_and_saves_new_ones(
    client, personas: Personas
):
    browser = log_in(client, personas.practitioner_p)
    page = browser.get("/practice/reminders").get_data(as_text=True)
    assert 'value="0, 4, 7"' in page and 'value="9"' in page and 'value="20"' in page
    response = browser.post("/practice/reminders", data=SETTINGS)
    assert response.status_code == 302
    row = db.session.scalar(sa.select(PracticeSettings))
    assert (row.waking_hours_start, row.waking_hours_end) == (8, 21)
    assert row.reminder_offsets["aftercare"] == [0, 3, 7]
    assert row.reminder_offsets["next_session"] == 12
    assert row.aftercare_instructions == "No washing for three days."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("aftercare", "0, four", "separated by commas"),
        ("aftercare", "0, 400", "between 0 and 60"),
        ("waking_hours_end", "7", "end after they start"),
        ("healed_check", "5", "from 14 to 90"),
    ],
)
def test_impossible_settings_re_render_with_the_message_and_write_nothing(
    client, personas: Personas, field: str, value: str, message: str
):
    response = log_in(client, personas.practitioner_p).post(
        "/practice/reminders", data={**SETTINGS, field: value}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(PracticeSettings) == 0


# --- Unsubscribe pages ------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_first_and_its_form_can_stop_everything(
    app: Flask, client, personas: Personas
):
    record_session(personas.record_a, date(2026, 3, 2))
    token = unsubscribe.unsubscribe_token(
        app.config["SECRET_KEY"], personas.record_a.id, "touch_up"
    )
    page = client.get(f"/reminders/unsubscribe/{token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nothing changes until you press a button" in body
    assert "Stop “Book your touch-up” emails" in body and "Stop all reminder emails" in body
    assert "Ada" not in body and "a@clients.test" not in body
    assert _count(ReminderPreference) == 0

    done = client.post(f"/reminders/unsubscribe/{token}", data={"scope": "all"})
    assert done.status_code == 200 and "no more reminder emails" in done.get_data(as_text=True)
    preference = db.session.scalar(sa.select(ReminderPreference))
    assert preference.unsubscribed_all_at is not None
    assert {s for _, s in _statuses()} == {"cancelled"}
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.object_type == "reminder_preference")
    )
    assert (event.action, event.actor_id, event.client_id) == (
        "update",
        None,
        personas.record_a.id,
    )
