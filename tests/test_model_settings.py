"""Model settings per practice (issue 10 item 3): the threshold D*, the touch-up lead and the
healed-check day, on the settings page and in the API; a change re-projects and replans the
practice's clients in the same request, and a bad value writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, PracticeSettings, Reminder, TreatmentSession
from smptrack.models.treatments import Placement
from smptrack.services import accounts, projections
from smptrack.services.reminders import plan_reminders
from tests.conftest import Personas, log_in
from tests.test_reminders_pages import SETTINGS

NOW = datetime.now(UTC)


def bearer(user) -> dict[str, str]:
    issued = accounts.issue_api_token(user, "t", NOW, timedelta(days=30))
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def treated(personas: Personas) -> Client:
    """A crown course of three sessions that ended about 14 months ago: at 70 % it is years
    from due, at 95 % it is due now."""
    record = personas.record_a
    first = NOW.date() - timedelta(days=470)
    for offset, kind in ((0, "initial"), (14, "build_up"), (42, "build_up")):
        treatment = TreatmentSession(
            client_id=record.id, performed_on=first + timedelta(days=offset), kind=kind
        )
        treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon SMP"))
        db.session.add(treatment)
    db.session.flush()
    projections.refresh_client(record, NOW)
    plan_reminders(record, NOW)
    db.session.commit()
    return record


def stored(client: Client) -> tuple[date | None, bool]:
    db.session.expire_all()
    row = db.session.get(Client, client.id)
    return row.next_touch_up_on, row.touch_up_due_now


def pending_touch_up(client: Client) -> Reminder | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Reminder).where(
            Reminder.client_id == client.id,
            Reminder.kind == "touch_up",
            Reminder.status == "pending",
        )
    )


def settings_row() -> PracticeSettings | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(PracticeSettings))


def test_the_api_shows_the_defaults(app: Flask, personas: Personas) -> None:
    response = app.test_client().get(
        "/api/v1/practice/settings", headers=bearer(personas.practitioner_p)
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "touch_up_threshold_pct": 70,
        "touch_up_lead_days": 60,
        "healed_check_day": 28,
        "clients_replanned": None,
    }


def test_raising_the_threshold_in_the_api_re_projects_and_replans_in_the_same_request(
    app: Flask, personas: Personas, treated: Client
) -> None:
    touch_up_on, due_now = stored(treated)
    assert due_now is False and touch_up_on > NOW.date() + timedelta(days=365)
    reminder_before = pending_touch_up(treated)
    assert reminder_before is not None
    due_before = reminder_before.due_at

    response = app.test_client().patch(
        "/api/v1/practice/settings",
        json={"touch_up_threshold_pct": 95},
        headers=bearer(personas.practitioner_p),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["touch_up_threshold_pct"] == 95 and body["clients_replanned"] == 1
    touch_up_on_after, due_now_after = stored(treated)
    assert due_now_after is True
    assert touch_up_on_after < touch_up_on
    reminder_after = pending_touch_up(treated)
    # "at once when due now": the touch-up invitation moves up from years away to now.
    assert reminder_after is None or reminder_after.due_at < due_before
    if reminder_after is None:
        sent_or_queued = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Reminder)
            .where(Reminder.client_id == treated.id, Reminder.kind == "touch_up")
        )
        assert sent_or_queued
    assert settings_row().touch_up_threshold_pct == 95


def test_a_longer_lead_moves_the_pending_touch_up_reminder_earlier(
    app: Flask, personas: Personas, treated: Client
) -> None:
    before = pending_touch_up(treated).due_at
    response = app.test_client().patch(
        "/api/v1/practice/settings",
        json={"touch_up_lead_days": 120, "healed_check_day": 30},
        headers=bearer(personas.practitioner_p),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["touch_up_lead_days"] == 120
    assert response.get_json()["healed_check_day"] == 30
    after = pending_touch_up(treated).due_at
    assert abs((before - after) - timedelta(days=60)) <= timedelta(days=1)
    assert stored(treated)[0] is not None


@pytest.mark.parametrize(
    "body",
    [
        {"touch_up_threshold_pct": 40},
        {"touch_up_threshold_pct": 96},
        {"touch_up_threshold_pct": 0.7},
        {"touch_up_threshold_pct": "70"},
        {"touch_up_lead_days": -1},
        {"touch_up_lead_days": 366},
        {"healed_check_day": 13},
        {"threshold": 70},
    ],
)
def test_bad_values_are_a_422_and_write_nothing(
    app: Flask, personas: Personas, treated: Client, body: dict
) -> None:
    before = stored(treated), pending_touch_up(treated).due_at
    response = app.test_client().patch(
        "/api/v1/practice/settings", json=body, headers=bearer(personas.practitioner_p)
    )
    assert response.status_code == 422
    assert settings_row() is None
    assert (stored(treated), pending_touch_up(treated).due_at) == before


def test_another_practitioner_changes_only_their_own_practice(
    app: Flask, personas: Personas, treated: Client
) -> None:
    before = stored(treated)
    response = app.test_client().patch(
        "/api/v1/practice/settings",
        json={"touch_up_threshold_pct": 95},
        headers=bearer(personas.practitioner_q),
    )
    assert response.status_code == 200
    assert response.get_json()["clients_replanned"] == 1  # their own record_b
    assert stored(treated) == before
    [row] = db.session.scalars(sa.select(PracticeSettings)).all()
    assert row.practice_id == personas.practitioner_q.practice_id


def test_a_client_cannot_read_or_change_practice_settings(app: Flask, personas: Personas) -> None:
    headers = bearer(personas.client_a)
    http = app.test_client()
    assert http.get("/api/v1/practice/settings", headers=headers).status_code == 403
    response = http.patch(
        "/api/v1/practice/settings", json={"touch_up_threshold_pct": 95}, headers=headers
    )
    assert response.status_code == 403
    assert settings_row() is None


def test_the_settings_page_changes_the_threshold_and_re_projects(
    client, personas: Personas, treated: Client
) -> None:
    browser = log_in(client, personas.practitioner_p)
    page = browser.get("/practice/reminders").get_data(as_text=True)
    assert 'name="touch_up_threshold_pct"' in page and 'value="70"' in page
    response = browser.post(
        "/practice/reminders", data={**SETTINGS, "touch_up_threshold_pct": "95"}
    )
    assert response.status_code == 302
    assert settings_row().touch_up_threshold_pct == 95
    assert stored(treated)[1] is True


@pytest.mark.parametrize("value", ["49", "96", "seventy"])
def test_a_bad_threshold_on_the_page_re_renders_and_writes_nothing(
    client, personas: Personas, treated: Client, value: str
) -> None:
    before = stored(treated)
    response = log_in(client, personas.practitioner_p).post(
        "/practice/reminders", data={**SETTINGS, "touch_up_threshold_pct": value}
    )
    assert response.status_code == 422
    assert "whole percentage" in response.get_data(as_text=True).lower() or "Not a valid" in (
        response.get_data(as_text=True)
    )
    assert settings_row() is None
    assert stored(treated) == before


def test_the_settings_are_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {"get", "patch"} <= set(document["paths"]["/api/v1/practice/settings"])
