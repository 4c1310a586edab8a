"""Changing any input of the fade model updates the client's next touch-up date in the same
transaction (FADE-MODEL.md; issue 4: a test for each kind of input)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from smptrack.domain import fade
from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment, Placement, SunExposure, TreatmentSession
from smptrack.services import projections
from tests.conftest import Personas

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def reference_client(personas: Personas) -> Client:
    """FADE-MODEL §5's reference client R, treated on the crown in three sessions."""
    record = personas.record_a
    record.fitzpatrick = 3
    record.hair_length = "shaved"
    record.latitude_band = "45_55"
    record.lifestyle = "average"
    record.usual_hat = "cap"
    record.usual_hat_pct = 25
    record.usual_sunscreen_pct = 0
    for day, kind in (
        (date(2024, 12, 2), "initial"),
        (date(2024, 12, 16), "build_up"),
        (date(2025, 1, 6), "build_up"),
    ):
        treatment = TreatmentSession(client_id=record.id, performed_on=day, kind=kind)
        treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon"))
        db.session.add(treatment)
    projections.refresh_stale(NOW)
    db.session.commit()
    return record


def _stored(record: Client) -> date | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Client.next_touch_up_on).where(Client.id == record.id))


def test_recording_sessions_materialises_the_reference_clients_most_likely_date(
    reference_client: Client,
) -> None:
    # FADE-MODEL §8: no sun log at all, so sigma 0.35; the median is 4.52 y after 2025-02-03.
    stored = _stored(reference_client)
    assert stored is not None
    assert abs((stored - date(2029, 8, 12)).days) <= 3
    assert reference_client.projection_model_version == fade.MODEL_VERSION


def test_a_sunny_log_entry_moves_the_date_earlier_in_the_same_commit(
    reference_client: Client,
) -> None:
    before = _stored(reference_client)
    for day in range(1, 29):
        db.session.add(
            SunExposure(
                client_id=reference_client.id,
                exposed_on=date(2025, 5, day),
                start_time=time(11, 0),
                duration_minutes=240,
                uv_index=8,
                uv_index_kind="average",
                hat="none",
            )
        )
    projections.refresh_stale(NOW)
    db.session.commit()
    assert _stored(reference_client) < before


def test_a_low_practitioner_rating_moves_the_date_earlier(reference_client: Client) -> None:
    before = _stored(reference_client)
    db.session.add(
        FadeAssessment(
            client_id=reference_client.id,
            assessed_on=date(2025, 5, 20),
            zone="crown",
            density_pct=80,
            assessor_kind="practitioner_in_person",
        )
    )
    projections.refresh_stale(NOW)
    db.session.commit()
    assert _stored(reference_client) < before


def test_changing_a_client_factor_moves_the_date(reference_client: Client) -> None:
    before = _stored(reference_client)
    reference_client.lifestyle = "outdoor_worker"
    projections.refresh_stale(NOW)
    db.session.commit()
    assert _stored(reference_client) < before


def test_a_placement_added_to_an_existing_session_is_projected(reference_client: Client) -> None:
    treatment = db.session.scalars(sa.select(TreatmentSession)).first()
    db.session.add(
        Placement(session_id=treatment.id, zone="frontal_hairline", pigment_free_text="carbon")
    )
    projections.refresh_stale(NOW)
    db.session.commit()
    projection = projections.project_client(reference_client, date(2025, 6, 1))
    assert "frontal_hairline" in projection.zones


def test_deleting_every_session_clears_the_date(reference_client: Client) -> None:
    for treatment in db.session.scalars(sa.select(TreatmentSession)).all():
        db.session.delete(treatment)
    projections.refresh_stale(NOW)
    db.session.commit()
    assert _stored(reference_client) is None


def test_a_rolled_back_change_leaves_the_stored_date_alone(reference_client: Client) -> None:
    before = _stored(reference_client)
    reference_client.lifestyle = "outdoor_worker"
    db.session.flush()
    db.session.rollback()
    assert _stored(reference_client) == before


def test_the_rebuild_command_reprojects_every_client(
    app,
    reference_client: Client,
) -> None:
    # Simulate a stale materialisation (as after a model upgrade) with a bulk UPDATE, which
    # bypasses the hooks, then rebuild.
    db.session.execute(
        sa.update(Client).values(next_touch_up_on=None, projection_model_version="old")
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["projections", "rebuild", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "Projected 2 clients" in result.output
    assert _stored(reference_client) is not None
    versions = set(db.session.scalars(sa.select(Client.projection_model_version)))
    assert "old" not in versions
