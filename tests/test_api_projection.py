"""The projection and due routes of the API, checked against FADE-MODEL.md §8."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from smptrack.api import projection as projection_api
from smptrack.extensions import db
from smptrack.models import Client, Placement, TreatmentSession
from smptrack.services import accounts, projections
from tests.conftest import Personas

AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
BASELINE = date(2025, 2, 3)  # last session 2025-01-06 + 28 days


def years_after_baseline(day: str) -> float:
    return (date.fromisoformat(day) - BASELINE).days / 365.25


@pytest.fixture
def reference_client(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> Client:
    """FADE-MODEL §5's reference client R, with no sun log at all (so sigma is 0.35)."""
    monkeypatch.setattr(projection_api, "utc_now", lambda: AS_OF)
    record = personas.record_a
    record.fitzpatrick = 3
    record.hair_length = "shaved"
    record.latitude_band = "45_55"
    record.lifestyle = "average"
    record.usual_hat = "cap"
    record.usual_hat_pct = 25
    record.usual_sunscreen_pct = 0
    for day in (date(2024, 12, 2), date(2024, 12, 16), date(2025, 1, 6)):
        kind = "initial" if day.month == 12 and day.day == 2 else "build_up"
        treatment = TreatmentSession(client_id=record.id, performed_on=day, kind=kind)
        treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon SMP"))
        db.session.add(treatment)
    projections.refresh_stale(AS_OF)
    db.session.commit()
    return record


def bearer(user) -> dict[str, str]:
    issued = accounts.issue_api_token(user, "t", AS_OF, timedelta(days=3650))
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def test_the_reference_client_projects_as_the_check_cases_say(
    app: Flask, personas: Personas, reference_client: Client
) -> None:
    response = app.test_client().get(
        f"/api/v1/clients/{reference_client.id}/projection",
        headers=bearer(personas.practitioner_p),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    [crown] = body["zones"]
    assert crown["zone"] == "crown"
    assert crown["baseline"] == BASELINE.isoformat()
    window = crown["window"]
    # Most likely 4.52 y (2029-08-12, ± 3 days); no sun log: 80 % window 2.89-7.08 y (± 0.05 y).
    assert abs((date.fromisoformat(window["most_likely"]) - date(2029, 8, 12)).days) <= 3
    assert abs(years_after_baseline(window["earliest"]) - 2.89) <= 0.05
    assert abs(years_after_baseline(window["latest"]) - 7.08) <= 0.05
    # D(1 y) = 0.924 and D(3 y) = 0.789 (± 0.002) on the median curve.
    curve = {point["date"]: point["density"] for point in crown["curve"]}
    assert abs(curve[date(2026, 2, 3).isoformat()] - 0.924) <= 0.002
    assert abs(curve[date(2028, 2, 3).isoformat()] - 0.789) <= 0.002
    assert body["next_touch_up_on"] == window["most_likely"]
    assert body["model_version"]
    assert any("not logged" in line or "imputed" in line for line in body["assumptions"])
    assert 0 <= crown["p_due_now"] < 0.01


def test_the_due_route_lists_the_client_once_their_window_opens_before_the_date(
    app: Flask, personas: Personas, reference_client: Client
) -> None:
    headers = bearer(personas.practitioner_p)
    client = app.test_client()
    stored = db.session.get(Client, reference_client.id)
    before_window = (stored.touch_up_earliest_on - timedelta(days=1)).isoformat()
    after_window = (stored.touch_up_earliest_on + timedelta(days=1)).isoformat()
    assert (
        client.get(f"/api/v1/due?before={before_window}", headers=headers).get_json()["items"] == []
    )
    listed = client.get(f"/api/v1/due?before={after_window}", headers=headers).get_json()
    [item] = listed["items"]
    assert item["client_id"] == reference_client.id
    assert item["zone"] == "crown"
    assert item["most_likely"] == stored.next_touch_up_on.isoformat()


def test_another_practitioner_gets_a_404_for_the_projection(
    app: Flask, personas: Personas, reference_client: Client
) -> None:
    response = app.test_client().get(
        f"/api/v1/clients/{reference_client.id}/projection",
        headers=bearer(personas.practitioner_q),
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("before", ["", "tomorrow", "2027-13-01", "0", "1700000000", "2027-1-5"])
def test_a_bad_date_for_the_due_route_is_a_422_with_the_field_named(
    app: Flask, personas: Personas, before: str
) -> None:
    response = app.test_client().get(
        f"/api/v1/due?before={before}", headers=bearer(personas.practitioner_p)
    )
    assert response.status_code == 422
    assert "before" in response.get_json()["error"]["fields"]
