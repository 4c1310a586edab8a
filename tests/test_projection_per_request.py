"""Issue 4: changing any input of the fade model updates the client's next touch-up date in
the same request — one test per kind of input, each through the JSON API, each reading the
stored date back through a fresh connection (only what the request committed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, Pigment, PigmentLot
from smptrack.services import accounts
from tests.conftest import Personas

TODAY = datetime.now(UTC).date()


def stored_date(client_id: int) -> date | None:
    with db.engine.connect() as connection:
        return connection.execute(
            sa.select(Client.next_touch_up_on).where(Client.id == client_id)
        ).scalar()


@pytest.fixture
def api(app: Flask, personas: Personas):
    pigment = Pigment(practice_id=personas.practitioner_p.practice_id, brand="B", shade="Dark")
    db.session.add(pigment)
    db.session.flush()
    lot = PigmentLot(pigment_id=pigment.id, lot_number="L1", expires_on=TODAY + timedelta(400))
    db.session.add(lot)
    token = accounts.issue_api_token(
        personas.practitioner_p, "t", datetime.now(UTC), timedelta(days=30)
    ).secret
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    class Api:
        lot_id = lot.id
        record_id = personas.record_a.id

        def post(self, path: str, body: dict) -> dict:
            response = client.post(f"/api/v1{path}", json=body, headers=headers)
            assert response.status_code == 201, response.get_json()
            return response.get_json()

        def patch(self, path: str, body: dict) -> dict:
            response = client.patch(f"/api/v1{path}", json=body, headers=headers)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

        def record_session(self, zones: tuple[str, ...], days_ago: int = 400) -> dict:
            return self.post(
                f"/clients/{self.record_id}/sessions",
                {
                    "performed_on": (TODAY - timedelta(days=days_ago)).isoformat(),
                    "kind": "initial",
                    "placements": [{"zone": z, "pigment_lot_id": lot.id} for z in zones],
                },
            )

    return Api()


def test_recording_a_session_sets_the_date(api) -> None:
    assert stored_date(api.record_id) is None
    api.record_session(("crown",))
    assert stored_date(api.record_id) is not None


def test_changing_a_sessions_placements_moves_the_date(api) -> None:
    treatment = api.record_session(("crown",))
    before = stored_date(api.record_id)
    api.patch(
        f"/sessions/{treatment['id']}",
        {"placements": [{"zone": "crown", "pigment_lot_id": api.lot_id, "depth": "shallow"}]},
    )
    assert stored_date(api.record_id) < before  # shallow pigment fades faster


def test_logging_sun_moves_the_date_earlier(api) -> None:
    api.record_session(("crown",))
    before = stored_date(api.record_id)
    for days_ago in range(1, 21):
        api.post(
            f"/clients/{api.record_id}/sun-exposures",
            {
                "exposed_on": (TODAY - timedelta(days=days_ago)).isoformat(),
                "duration_minutes": 360,
                "uv_index": 9,
                "uv_index_kind": "average",
                "start_time": "10:00",
            },
        )
    assert stored_date(api.record_id) < before


def test_a_low_rating_moves_the_date_earlier(api) -> None:
    api.record_session(("crown",))
    before = stored_date(api.record_id)
    api.post(
        f"/clients/{api.record_id}/assessments",
        {
            "assessed_on": (TODAY - timedelta(days=1)).isoformat(),
            "zone": "crown",
            "density_pct": 80,
            "assessor_kind": "practitioner_in_person",
        },
    )
    assert stored_date(api.record_id) < before


def test_changing_a_client_factor_moves_the_date(api) -> None:
    api.record_session(("crown",))
    before = stored_date(api.record_id)
    api.patch(f"/clients/{api.record_id}", {"lifestyle": "outdoor_worker", "usual_hat": "none"})
    assert stored_date(api.record_id) < before
