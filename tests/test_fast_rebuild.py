"""The fast recompute (issue 9 item 8) stores exactly what the reference path stores: the same
client-row columns and the same projection document as ``refresh_client`` (``fade.project`` on
``load_inputs``), on varied clients: with ratings and without, touch-ups, sun logs with hats and
sunscreen, sky-estimated UV indexes, complete logs, and a practice with adopted constants."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import (
    Client,
    ClientProjection,
    FadeAssessment,
    PracticeModelVersion,
    SunExposure,
    TreatmentSession,
)
from smptrack.models.treatments import Placement
from smptrack.services import model_versions, projections
from tests.conftest import make_client, make_user

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ZONES = ("frontal_hairline", "left_temple", "right_temple", "mid_scalp", "crown", "occipital")
KINDS = ("initial", "build_up", "touch_up", "correction")


def seed_varied(rng: random.Random, practitioner, count: int) -> None:
    today = NOW.date()
    for index in range(count):
        record = make_client(
            practitioner,
            f"Varied {index}",
            fitzpatrick=rng.randint(1, 6),
            latitude_band=rng.choice(("55_plus", "45_55", "35_45", "25_35", "under_25")),
            lifestyle=rng.choice(("indoor", "average", "outdoor_leisure", "outdoor_worker")),
            usual_hat=rng.choice(("none", "cap", "wide_brim")),
            usual_hat_pct=rng.choice((0, 25, 80)),
            sun_log_complete=rng.random() < 0.3,
            sebum=rng.choice(("normal", "oily", "dry")),
            time_zone=rng.choice(("Europe/London", "Australia/Sydney", "America/Denver")),
        )
        zones = rng.sample(ZONES, rng.randint(1, 6))
        day = today - timedelta(days=rng.randint(40, 7 * 365))
        for number in range(rng.randint(1, 4)):
            kind = "initial" if number == 0 else rng.choice(KINDS)
            treatment = TreatmentSession(client_id=record.id, performed_on=day, kind=kind)
            for zone in rng.sample(zones, rng.randint(1, len(zones))):
                treatment.placements.append(
                    Placement(
                        zone=zone,
                        depth=rng.choice(("correct", "shallow", "too_deep")),
                        scar_tissue=rng.random() < 0.1,
                        dilution=rng.choice(("standard", "light")),
                        pigment_free_text="carbon SMP",
                    )
                )
            db.session.add(treatment)
            day += timedelta(days=rng.choice((21, 28, 400, 800)))
            if day >= today:
                break
        span = max(1, (today - day).days)
        for _ in range(rng.choice((0, 0, 3, 30))):
            estimated = rng.random() < 0.3
            db.session.add(
                SunExposure(
                    client_id=record.id,
                    exposed_on=today - timedelta(days=rng.randint(1, span + 400)),
                    start_time=time(rng.randint(7, 17)),
                    duration_minutes=rng.randint(10, 240),
                    uv_index=round(rng.uniform(0.5, 10.5), 1),
                    uv_index_kind="average" if estimated else rng.choice(("daily_max", "average")),
                    sky=rng.choice(("clear", "overcast")) if estimated else None,
                    uv_index_estimated=estimated,
                    hat=rng.choice(("none", "cap", "wide_brim")),
                    sunscreen_spf=rng.choice((None, 30)),
                    sunscreen_applied_at=time(8) if rng.random() < 0.5 else None,
                )
            )
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 3)):
                db.session.add(
                    FadeAssessment(
                        client_id=record.id,
                        assessed_on=today - timedelta(days=rng.randint(0, span)),
                        zone=rng.choice(zones),
                        density_pct=rng.uniform(40, 100),
                        assessor_kind=rng.choice(
                            ("practitioner_in_person", "practitioner_photo", "client_self")
                        ),
                        blur_or_colour_shift=rng.random() < 0.1,
                    )
                )
    db.session.flush()


def stored() -> dict[int, tuple]:
    db.session.expire_all()
    columns = [getattr(Client, name) for name in projections.row_values(None)]
    rows = db.session.execute(
        sa.select(Client.id, *columns, ClientProjection.model_version, ClientProjection.document)
        .outerjoin(ClientProjection, ClientProjection.client_id == Client.id)
        .order_by(Client.id)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_fast_recompute_stores_what_the_reference_path_stores(app: Flask) -> None:
    rng = random.Random(20261202)
    default_practice = make_user("practitioner", "d@practice.test")
    own_practice = make_user("practitioner", "o@practice.test")
    seed_varied(rng, default_practice, 60)
    seed_varied(rng, own_practice, 40)
    make_client(default_practice, "Never treated")
    version = PracticeModelVersion(
        practice_id=own_practice.practice_id,
        k_bio=0.071,
        k_uv=1.9e-4,
        sigma=0.27,
        source="refit",
        fit_summary={"adoptable": True},
    )
    db.session.add(version)
    db.session.flush()
    model_versions.adopt(version, NOW)  # the reference path: refresh_client per ORM object
    others = sa.select(Client).where(Client.practice_id == default_practice.practice_id)
    for record in db.session.scalars(others).all():
        projections.refresh_client(record, NOW)
    db.session.commit()
    reference = stored()
    assert len(reference) == 101
    labels = {values[-2] for values in reference.values() if values[-1] is not None}
    assert labels == {model_versions.label(version), projections.fade.MODEL_VERSION}
    rated = db.session.scalar(sa.select(sa.func.count(sa.distinct(FadeAssessment.client_id))))
    assert 30 < rated < 70

    # Wipe what the reference stored, then rebuild it with the fast path in two id ranges.
    db.session.execute(sa.delete(ClientProjection))
    db.session.execute(sa.update(Client).values(next_touch_up_on=None, touch_up_due_now=False))
    db.session.commit()
    ids = sorted(reference)
    middle = ids[len(ids) // 2]
    first = projections.recompute_range(NOW, last_id=middle - 1, batch_size=7)
    second = projections.recompute_range(NOW, first_id=middle, batch_size=1000)
    assert first + second == 101
    assert stored() == reference
