"""``as_of`` on the projection API: the past from what was known then, the future with no new
data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from smptrack.api import projection as projection_api
from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment, Placement, TreatmentSession
from smptrack.services import accounts
from tests.conftest import Personas

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def bearer(user) -> dict[str, str]:
    issued = accounts.issue_api_token(user, "t", NOW, timedelta(days=3650))
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def add_session(client: Client, day: date, kind: str, logged_at: datetime) -> None:
    treatment = TreatmentSession(
        client_id=client.id, performed_on=day, kind=kind, logged_at=logged_at
    )
    treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon SMP"))
    db.session.add(treatment)


@pytest.fixture
def course(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> Client:
    """Three crown sessions in spring 2023, each recorded on its day (baseline 2023-05-15)."""
    monkeypatch.setattr(projection_api, "utc_now", lambda: NOW)
    record = personas.record_a
    for day, kind in (
        (date(2023, 3, 6), "initial"),
        (date(2023, 3, 20), "build_up"),
        (date(2023, 4, 17), "build_up"),
    ):
        add_session(record, day, kind, datetime.combine(day, datetime.min.time(), tzinfo=UTC))
    db.session.commit()
    return record


def stored_projection(client: Client) -> tuple:
    db.session.expire_all()
    row = db.session.get(Client, client.id)
    return (row.next_touch_up_on, row.touch_up_due_now, row.touch_up_latest_on)


def get(app: Flask, personas: Personas, client: Client, as_of: str | None = None):
    url = f"/api/v1/clients/{client.id}/projection"
    if as_of is not None:
        url += f"?as_of={as_of}"
    return app.test_client().get(url, headers=bearer(personas.practitioner_p))


def test_without_as_of_it_projects_the_clients_today(
    app: Flask, personas: Personas, course: Client
) -> None:
    body = get(app, personas, course).get_json()
    assert body["as_of"] == "2025-06-01"
    assert body == get(app, personas, course, "2025-06-01").get_json()


def test_a_past_day_ignores_a_session_dated_after_it(
    app: Flask, personas: Personas, course: Client
) -> None:
    before = get(app, personas, course, "2024-01-10").get_json()
    add_session(course, date(2024, 6, 3), "touch_up", datetime(2024, 6, 3, tzinfo=UTC))
    db.session.commit()
    assert get(app, personas, course, "2024-01-10").get_json() == before
    after_touch_up = get(app, personas, course, "2025-06-01").get_json()
    assert after_touch_up["zones"][0]["baseline"] == "2024-07-01"
    assert before["zones"][0]["baseline"] == "2023-05-15"


def test_a_past_day_ignores_a_record_back_dated_later(
    app: Flask, personas: Personas, course: Client
) -> None:
    # A rating dated 2023 but typed in only in 2025 was not known when 2024's reminders went out.
    before = get(app, personas, course, "2024-01-10").get_json()
    db.session.add(
        FadeAssessment(
            client_id=course.id,
            assessed_on=date(2023, 12, 1),
            zone="crown",
            density_pct=60,
            assessor_kind="practitioner_in_person",
            created_at=datetime(2025, 5, 1, tzinfo=UTC),
        )
    )
    db.session.commit()
    assert get(app, personas, course, "2024-01-10").get_json() == before
    # Once recorded, it counts from the day it was recorded: a practitioner's 60 % is due now.
    later = get(app, personas, course, "2025-05-02").get_json()
    assert later["zones"][0]["due_now_override"] is True


def test_a_future_day_moves_now_forward_with_no_new_data(
    app: Flask, personas: Personas, course: Client
) -> None:
    stored_before = stored_projection(course)
    today = get(app, personas, course).get_json()
    [crown] = today["zones"]
    assert crown["due_now"] is False
    after_window = date.fromisoformat(crown["window"]["latest"]) + timedelta(days=365)
    future = get(app, personas, course, after_window.isoformat()).get_json()
    assert future["as_of"] == after_window.isoformat()
    assert future["zones"][0]["due_now"] is True
    assert future["zones"][0]["p_due_now"] > today["zones"][0]["p_due_now"]
    assert future["zones"][0]["baseline"] == crown["baseline"]
    # Nothing stored moved.
    assert stored_projection(course) == stored_before


@pytest.mark.parametrize(
    "as_of",
    ["", "tomorrow", "2025-13-01", "0", "1700000000", "2025-1-5", "1900-01-01", "9999-12-31"],
)
def test_a_bad_as_of_is_a_422_with_the_field_named(
    app: Flask, personas: Personas, course: Client, as_of: str
) -> None:
    response = get(app, personas, course, as_of)
    assert response.status_code == 422
    assert "as_of" in response.get_json()["error"]["fields"]


def test_as_of_is_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/clients/{client_id}/projection"]["get"]
    assert "as_of" in [p["name"] for p in operation["parameters"]]
