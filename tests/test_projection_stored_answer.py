"""The projection API's stored answer (issue 9): ``GET /api/v1/clients/{id}/projection`` for the
client's today sends the JSON written when the projection was stored. It must be the very answer
the API builds on request (pydantic validating the projection and encoding it), for varied
clients. The bulk recompute after a model change stores no answer; the API then builds it from
the new document, and it is the same answer."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.api import projection as projection_api
from smptrack.extensions import db
from smptrack.models import Client, ClientProjection
from smptrack.services import projections
from tests.conftest import make_client, make_user
from tests.test_api_projection import bearer
from tests.test_fast_rebuild import NOW, seed_varied


def answers(app: Flask, headers: dict[str, str], ids: list[int]) -> dict[int, bytes]:
    browser = app.test_client()
    found = {}
    for client_id in ids:
        response = browser.get(f"/api/v1/clients/{client_id}/projection", headers=headers)
        assert response.status_code == 200, response.get_json()
        found[client_id] = response.get_data()
    return found


@pytest.mark.parametrize("path", ["unit of work", "bulk recompute"])
def test_the_stored_answer_is_the_answer_built_on_request(
    app: Flask, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(projection_api, "utc_now", lambda: NOW)
    practitioner = make_user("practitioner", "stored@practice.test")
    seed_varied(random.Random(20261203), practitioner, 30)
    if path == "unit of work":
        for record in db.session.scalars(sa.select(Client)).all():
            projections.refresh_client(record, NOW)
    else:
        projections.recompute_range(NOW, batch_size=11)
    db.session.commit()
    ids = sorted(db.session.scalars(sa.select(Client.id)))
    headers = bearer(practitioner)
    stored_rows = db.session.scalar(
        sa.select(sa.func.count()).where(ClientProjection.api_document.is_not(None))
    )
    # The bulk recompute leaves the answers to the next write or the daily replan.
    assert len(ids) == 30
    assert stored_rows == (30 if path == "unit of work" else 0)

    sent = answers(app, headers, ids)
    # The same clients with no stored answer: built from the stored document by pydantic...
    db.session.execute(sa.update(ClientProjection).values(api_document=None))
    db.session.commit()
    from_document = answers(app, headers, ids)
    # ...and with nothing stored at all: the projection computed in memory, then pydantic.
    db.session.execute(sa.delete(ClientProjection))
    db.session.commit()
    computed = answers(app, headers, ids)

    assert sent == from_document == computed
    first = projection_api.ProjectionOut.model_validate_json(sent[ids[0]])
    assert first.client_id == ids[0] and first.as_of == projections.client_today(
        db.session.get(Client, ids[0]), NOW
    )
    assert all(zone.curve for zone in first.zones)


def test_a_stored_answer_of_another_day_is_not_sent(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next day (before the daily replan) the answer is computed for that day, not sent."""
    practitioner = make_user("practitioner", "nextday@practice.test")
    seed_varied(random.Random(7), practitioner, 1)
    [record] = db.session.scalars(sa.select(Client)).all()
    projections.refresh_client(record, NOW)
    db.session.commit()
    headers = bearer(practitioner)
    monkeypatch.setattr(projection_api, "utc_now", lambda: NOW)
    today = app.test_client().get(f"/api/v1/clients/{record.id}/projection", headers=headers)
    later = NOW + timedelta(days=1)
    monkeypatch.setattr(projection_api, "utc_now", lambda: later)
    tomorrow = app.test_client().get(f"/api/v1/clients/{record.id}/projection", headers=headers)
    assert today.get_json()["as_of"] != tomorrow.get_json()["as_of"]
    assert tomorrow.get_json()["as_of"] == projections.client_today(record, later).isoformat()


def test_a_client_never_projected_answers_from_memory(app: Flask) -> None:
    practitioner = make_user("practitioner", "never@practice.test")
    record = make_client(practitioner, "Never Stored")
    db.session.commit()
    response = app.test_client().get(
        f"/api/v1/clients/{record.id}/projection", headers=bearer(practitioner)
    )
    assert response.status_code == 200
    assert response.get_json()["zones"] == []
