"""The database itself keeps the data honest: checks, uniques and deliberate delete rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from smptrack.extensions import db
from smptrack.models import (
    AuditEvent,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    Reminder,
    SunExposure,
    TreatmentSession,
    User,
)
from tests.conftest import Personas, make_user

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _refused(obj: object) -> None:
    db.session.add(obj)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def _lot(practitioner: User, number: str = "L-001") -> PigmentLot:
    pigment = Pigment(
        practice_id=practitioner.practice_id, brand="Brand", shade="Dark", base="carbon"
    )
    db.session.add(pigment)
    db.session.flush()
    lot = PigmentLot(pigment_id=pigment.id, lot_number=number, expires_on=date(2028, 1, 1))
    db.session.add(lot)
    db.session.flush()
    return lot


def _session(personas: Personas) -> TreatmentSession:
    treatment = TreatmentSession(
        client_id=personas.record_a.id, performed_on=date(2026, 1, 5), kind="initial"
    )
    db.session.add(treatment)
    db.session.flush()
    return treatment


def test_emails_are_unique_whatever_their_case(app) -> None:
    make_user("client", "same@clients.test")
    db.session.commit()
    _refused(User(email="same@clients.test", password_hash="x", role="client", display_name="X"))
    # A mixed-case spelling cannot slip past the unique constraint: stored emails are lower case.
    _refused(User(email="Same@Clients.test", password_hash="x", role="client", display_name="X"))


def test_a_role_outside_the_three_is_refused(app) -> None:
    _refused(User(email="r@x.test", password_hash="x", role="superuser", display_name="R"))


@pytest.mark.parametrize("fitzpatrick", [0, 7])
def test_fitzpatrick_type_is_one_to_six(personas: Personas, fitzpatrick: int) -> None:
    personas.record_a.fitzpatrick = fitzpatrick
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("density", [-1, 101])
def test_assessed_density_is_zero_to_one_hundred(personas: Personas, density: int) -> None:
    _refused(
        FadeAssessment(
            client_id=personas.record_a.id,
            assessed_on=date(2026, 6, 1),
            zone="crown",
            density_pct=density,
            assessor_kind="client_self",
        )
    )


@pytest.mark.parametrize(("uv_index", "minutes"), [(20.5, 60), (-0.1, 60), (5, 0), (5, 1441)])
def test_sun_exposure_keeps_uv_index_and_minutes_in_range(
    personas: Personas, uv_index: float, minutes: int
) -> None:
    _refused(
        SunExposure(
            client_id=personas.record_a.id,
            exposed_on=date(2026, 7, 1),
            duration_minutes=minutes,
            uv_index=uv_index,
        )
    )


def test_sun_exposure_at_the_edges_of_the_ranges_is_kept(personas: Personas) -> None:
    for uv_index, minutes in ((0, 1), (20, 1440)):
        db.session.add(
            SunExposure(
                client_id=personas.record_a.id,
                exposed_on=date(2026, 7, 1),
                duration_minutes=minutes,
                uv_index=uv_index,
            )
        )
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SunExposure)) == 2


def test_an_unknown_zone_is_refused(personas: Personas) -> None:
    treatment = _session(personas)
    _refused(Placement(session_id=treatment.id, zone="forehead", pigment_free_text="x"))


def test_a_placement_must_name_its_pigment(personas: Personas) -> None:
    treatment = _session(personas)
    _refused(Placement(session_id=treatment.id, zone="crown"))


def test_a_lot_number_is_unique_within_a_pigment(personas: Personas) -> None:
    lot = _lot(personas.practitioner_p)
    _refused(PigmentLot(pigment_id=lot.pigment_id, lot_number="L-001", expires_on=date(2029, 1, 1)))


def test_the_reminder_dedupe_key_is_unique(personas: Personas) -> None:
    def reminder() -> Reminder:
        return Reminder(
            client_id=personas.record_a.id,
            recipient_email="a@clients.test",
            kind="aftercare",
            due_at=NOW,
            dedupe_key="client:1:aftercare:2026-11-26",
        )

    db.session.add(reminder())
    db.session.flush()
    _refused(reminder())


def test_deleting_a_client_takes_their_sessions_and_placements_with_them(
    personas: Personas,
) -> None:
    lot = _lot(personas.practitioner_p)
    treatment = _session(personas)
    db.session.add(Placement(session_id=treatment.id, zone="crown", pigment_lot_id=lot.id))
    db.session.commit()
    db.session.execute(
        sa.delete(type(personas.record_a)).where(type(personas.record_a).id == personas.record_a.id)
    )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentSession)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0
    # The lot stays in the catalogue: it is the practitioner's, not the client's.
    assert db.session.get(PigmentLot, lot.id) is not None


def test_a_lot_that_went_into_a_scalp_cannot_be_deleted(personas: Personas) -> None:
    lot = _lot(personas.practitioner_p)
    treatment = _session(personas)
    db.session.add(Placement(session_id=treatment.id, zone="crown", pigment_lot_id=lot.id))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.delete(PigmentLot).where(PigmentLot.id == lot.id))
        db.session.flush()
    db.session.rollback()


def test_a_practitioner_with_clients_cannot_be_deleted_by_accident(personas: Personas) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(sa.delete(User).where(User.id == personas.practitioner_p.id))
        db.session.flush()
    db.session.rollback()


def test_audit_lines_outlive_the_client_without_pointing_at_them(personas: Personas) -> None:
    record_id = personas.record_a.id
    db.session.add(
        AuditEvent(
            actor_id=personas.practitioner_p.id,
            client_id=record_id,
            action="read",
            object_type="client",
            object_id=record_id,
            occurred_at=NOW,
        )
    )
    db.session.commit()
    db.session.execute(
        sa.delete(type(personas.record_a)).where(type(personas.record_a).id == record_id)
    )
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent))
    assert event is not None and event.client_id is None


def test_times_are_stored_in_utc_and_come_back_aware(personas: Personas) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("America/New_York"))
    reminder = Reminder(
        client_id=personas.record_a.id,
        recipient_email="a@clients.test",
        kind="touch_up",
        due_at=local,
        dedupe_key="k-utc",
    )
    db.session.add(reminder)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Reminder.due_at))
    assert stored.tzinfo is not None
    assert stored == local
    assert stored.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused_rather_than_guessed(personas: Personas) -> None:
    db.session.add(
        Reminder(
            client_id=personas.record_a.id,
            recipient_email="a@clients.test",
            kind="touch_up",
            due_at=datetime(2026, 1, 1, 9, 0),
            dedupe_key="k-naive",
        )
    )
    with pytest.raises(sa.exc.StatementError):
        db.session.flush()
    db.session.rollback()
