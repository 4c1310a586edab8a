"""The projection is materialised by an explicit step of each write's unit of work
(``projections.refresh_stale(now)``, through ``web.commit`` for pages and the API), not by ORM
hooks: each write path calls it, a path that forgets it fails the test-mode check, and an error
in it fails the request instead of committing a stale projection."""

from __future__ import annotations

import logging
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.domain import fade
from smptrack.extensions import db
from smptrack.models import Client, SunExposure, TreatmentSession
from smptrack.services import projections
from tests.conftest import Personas
from tests.test_api_resources import Api, session_body
from tests.test_api_tokens import OwnContextClient
from tests.test_history import make_lot, visit
from tests.test_treatments import committed, lot_of, session_form


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def stored_touch_up(client_id: int) -> date | None:
    ((value,),) = committed(sa.select(Client.next_touch_up_on).where(Client.id == client_id))
    return value


def test_a_session_recorded_on_the_page_sets_the_touch_up_date_in_the_same_request(
    app: Flask, personas: Personas
) -> None:
    lot = lot_of(personas.practitioner_p)
    db.session.commit()
    record_id = personas.record_a.id
    assert stored_touch_up(record_id) is None

    response = visit(
        app,
        personas.practitioner_p,
        f"/clients/{record_id}/sessions/new",
        method="POST",
        data=session_form(lot),
    )

    assert response.status_code == 302
    assert stored_touch_up(record_id) is not None


def test_a_session_recorded_through_the_api_sets_the_touch_up_date_in_the_same_request(
    app: Flask, personas: Personas
) -> None:
    lot = make_lot(personas.practitioner_p)
    db.session.commit()
    record_id = personas.record_a.id
    assert stored_touch_up(record_id) is None

    response = Api(app, personas.practitioner_p).post(
        f"/api/v1/clients/{record_id}/sessions", session_body(lot.id)
    )

    assert response.status_code == 201, response.get_json()
    assert stored_touch_up(record_id) is not None


def test_a_sun_entry_logged_through_the_api_moves_the_stored_date(
    app: Flask, personas: Personas
) -> None:
    lot = make_lot(personas.practitioner_p)
    db.session.commit()
    as_p = Api(app, personas.practitioner_p)
    record_id = personas.record_a.id
    as_p.post(f"/api/v1/clients/{record_id}/sessions", session_body(lot.id))
    before = stored_touch_up(record_id)

    for day in range(1, 21):
        response = as_p.post(
            f"/api/v1/clients/{record_id}/sun-exposures",
            {
                "exposed_on": f"2025-04-{day:02d}",
                "duration_minutes": 480,
                "uv_index": 9,
                "uv_index_kind": "daily_max",
                "hat": "none",
                "hair_length": "shaved",
            },
        )
        assert response.status_code == 201, response.get_json()

    assert stored_touch_up(record_id) < before


def test_a_write_that_skips_the_step_fails_the_test_mode_check(
    app: Flask, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    record_id = personas.record_a.id

    @app.post("/test-only/forgetful-write")
    def forgetful_write():
        db.session.add(
            SunExposure(
                client_id=record_id,
                exposed_on=date(2025, 5, 1),
                duration_minutes=60,
                uv_index=5,
                uv_index_kind="daily_max",
            )
        )
        db.session.commit()  # no projections.refresh_stale(now): the check must refuse it
        return "done"

    with app.app_context(), caplog.at_level(logging.ERROR):
        response = app.test_client().post("/test-only/forgetful-write")

    assert response.status_code == 500
    (failure,) = [r for r in caplog.records if r.exc_info]
    assert isinstance(failure.exc_info[1], projections.StaleProjectionError)
    assert str(record_id) in str(failure.exc_info[1])
    assert committed(sa.select(sa.func.count()).select_from(SunExposure)) == [(0,)]


def test_a_failing_projection_fails_the_write_instead_of_committing_a_stale_date(
    app: Flask, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    lot = make_lot(personas.practitioner_p)
    db.session.commit()

    def broken(*args, **kwargs):
        raise ValueError("the model refuses")

    monkeypatch.setattr(fade, "project", broken)
    response = Api(app, personas.practitioner_p).post(
        f"/api/v1/clients/{personas.record_a.id}/sessions", session_body(lot.id)
    )

    assert response.status_code == 500
    assert committed(sa.select(sa.func.count()).select_from(TreatmentSession)) == [(0,)]
    assert stored_touch_up(personas.record_a.id) is None


def test_the_step_refreshes_only_what_the_transaction_changed(personas: Personas) -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 6, 1, 9, tzinfo=UTC)
    assert projections.refresh_stale(now) == []  # personas were committed: nothing pending
    personas.record_b.lifestyle = "outdoor_worker"
    assert projections.refresh_stale(now) == [personas.record_b.id]
    assert projections.pending_stale(db.session()) == set()
    db.session.commit()
