"""UV from the sky (issue 10 item 7, FADE-MODEL §11): an exposure logged with the sky and no UV
index gets an estimated index from the sun at the client's location, marked as an estimate."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.domain import sky
from smptrack.extensions import db
from smptrack.models import SunExposure
from smptrack.services import accounts, exposure
from smptrack.services.profile import client_today
from tests.conftest import Personas, log_in

# Hand check, London (the tz database's 51°30'30" N, 0°07'31" W for Europe/London) on
# 2025-06-21, outdoors 13:00-15:00 BST = 12:00-14:00 UTC, partly cloudy (0.8). Declination
# 23.44°, solar noon about 12:02 UTC. cos Z = sin φ sin δ + cos φ cos δ cos h:
#   h = 0°: cos Z = 0.8824, clear UVI = 12.5 x 0.8824^2.42 = 9.24
#   h = 15° (13:00 UTC): cos Z = 0.8630, UVI 8.75;  h = 30° (14:00 UTC): cos Z = 0.8059, UVI 7.42
# Simpson over the two hours: (9.24 + 4 x 8.75 + 7.42) / 6 = 8.61 clear, x 0.8 = 6.89.
HAND_CHECKED_UVI = 6.89
WINDOW = {
    "exposed_on": "2025-06-21",
    "start_time": "13:00",
    "duration_minutes": 120,
    "sky": "partly_cloudy",
}


def bearer(user) -> dict[str, str]:
    issued = accounts.issue_api_token(user, "t", datetime.now(UTC), timedelta(days=30))
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def rows() -> list[SunExposure]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SunExposure)))


def test_the_api_estimates_the_uv_index_from_the_sky_and_marks_it(
    app: Flask, personas: Personas
) -> None:
    http = app.test_client()
    headers = bearer(personas.client_a)
    path = f"/api/v1/clients/{personas.record_a.id}/sun-exposures"
    response = http.post(path, json=WINDOW, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["uv_index_estimated"] is True and body["sky"] == "partly_cloudy"
    assert body["uv_index_kind"] == "average"
    assert abs(body["uv_index"] - HAND_CHECKED_UVI) <= 0.1
    [listed] = http.get(path, headers=headers).get_json()["items"]
    assert listed["uv_index_estimated"] is True
    # The dose is 0.9 x the average x hours, as for any logged average.
    [entry] = rows()
    assert abs(exposure.ambient_dose(entry) - 0.9 * HAND_CHECKED_UVI * 2) <= 0.2


def test_a_given_uv_index_is_not_an_estimate(app: Flask, personas: Personas) -> None:
    response = app.test_client().post(
        f"/api/v1/clients/{personas.record_a.id}/sun-exposures",
        json={"exposed_on": "2025-06-21", "duration_minutes": 30, "uv_index": 5},
        headers=bearer(personas.client_a),
    )
    assert response.status_code == 201
    assert response.get_json()["uv_index_estimated"] is False
    assert response.get_json()["sky"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sky": None}, "sky"),
        ({"start_time": None}, "start_time"),
        ({"uv_index": 5}, "sky"),
        ({"sky": "foggy"}, "sky"),
    ],
)
def test_an_estimate_needs_the_sky_and_the_start_and_not_a_uv_index_too(
    app: Flask, personas: Personas, change: dict, field: str
) -> None:
    body = {k: v for k, v in {**WINDOW, **change}.items() if v is not None}
    response = app.test_client().post(
        f"/api/v1/clients/{personas.record_a.id}/sun-exposures",
        json=body,
        headers=bearer(personas.client_a),
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert rows() == []


def test_at_night_the_sky_gives_no_uv(app: Flask, personas: Personas) -> None:
    response = app.test_client().post(
        f"/api/v1/clients/{personas.record_a.id}/sun-exposures",
        json={**WINDOW, "start_time": "23:00", "duration_minutes": 60},
        headers=bearer(personas.client_a),
    )
    assert response.status_code == 201
    assert response.get_json()["uv_index"] == 0


def test_the_clients_own_location_wins_over_their_time_zone(app: Flask, personas: Personas) -> None:
    http = app.test_client()
    headers = bearer(personas.client_a)
    # Sydney: 12:00-14:00 UTC is 22:00-midnight there, so the same window is dark.
    patched = http.patch(
        f"/api/v1/clients/{personas.record_a.id}",
        json={"latitude": -33.87, "longitude": 151.21},
        headers=headers,
    )
    assert patched.status_code == 200, patched.get_json()
    response = http.post(
        f"/api/v1/clients/{personas.record_a.id}/sun-exposures", json=WINDOW, headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["uv_index"] == 0


def test_half_a_location_is_refused(app: Flask, personas: Personas) -> None:
    response = app.test_client().patch(
        f"/api/v1/clients/{personas.record_a.id}",
        json={"latitude": 10.0},
        headers=bearer(personas.client_a),
    )
    assert response.status_code == 422
    assert "longitude" in response.get_json()["error"]["fields"]


def test_an_estimate_above_the_uv_index_limit_is_capped(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under thin ozone the formula can pass 20, which uv.Exposure refuses.
    monkeypatch.setattr(sky, "uv_index_average_from_sky", lambda *args, **kwargs: 23.4)
    response = app.test_client().post(
        f"/api/v1/clients/{personas.record_a.id}/sun-exposures",
        json=WINDOW,
        headers=bearer(personas.client_a),
    )
    assert response.status_code == 201
    assert response.get_json()["uv_index"] == 20


def test_the_quick_entry_asks_for_the_sky_and_marks_the_estimate_on_the_page(
    client: FlaskClient, personas: Personas
) -> None:
    browser = log_in(client, personas.client_a)
    page = browser.get(f"/clients/{personas.record_a.id}/sun").get_data(as_text=True)
    assert 'name="sky"' in page and 'name="start_time"' in page
    answer = browser.post(
        f"/clients/{personas.record_a.id}/sun/quick",
        data={"duration_minutes": "60", "start_time": "11:30", "sky": "overcast", "hat": "none"},
    )
    assert answer.status_code == 302
    [entry] = rows()
    assert entry.uv_index_estimated is True and entry.sky == "overcast"
    record = personas.record_a
    start = datetime.combine(
        client_today(record, datetime.now(UTC)), time(11, 30), tzinfo=ZoneInfo(record.time_zone)
    )
    expected = sky.uv_index_average_from_sky(
        start, start + timedelta(hours=1), sky.default_location(record.time_zone), "overcast"
    )
    assert abs(entry.uv_index - expected) <= 0.01
    shown = browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert "estimated from the sky" in shown


def test_a_quick_entry_without_uv_index_or_sky_is_refused(
    client: FlaskClient, personas: Personas
) -> None:
    answer = log_in(client, personas.client_a).post(
        f"/clients/{personas.record_a.id}/sun/quick",
        data={"duration_minutes": "60", "hat": "none"},
    )
    assert answer.status_code == 422
    assert "say what the sky was like" in answer.get_data(as_text=True)
    assert rows() == []
