"""Benchmark the fade projection.

1. One client with 10 sessions, 6 zones and 2,000 sun entries, projected from the database
   (load + model) and by the model alone. Target: median under 20 ms.
2. ``rebuild_all`` over 10,000 generated clients on SQLite. Target: under 60 s on 2 cores.

Run: ``python bench/projection.py [--clients 10000] [--repeats 50]``. Prints a table.
Uses a throwaway SQLite database built by the migrations in a temporary instance folder.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ZONES6 = ("frontal_hairline", "left_temple", "right_temple", "mid_scalp", "crown", "occipital")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def build_app(folder: Path):
    os.environ["SMPTRACK_INSTANCE_PATH"] = str(folder)
    from smptrack.app import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def insert_rows(table, rows: list[dict]) -> None:
    from smptrack.extensions import db

    if rows:
        db.session.execute(table.insert(), rows)


def generate(
    clients: int,
    sessions: int,
    zones: tuple[str, ...],
    sun_entries: int,
    assessments: int,
    rng: random.Random,
) -> list[int]:
    """Bulk-insert clients with histories (bypassing the ORM hooks on purpose: this measures
    the projection, not the insert)."""
    import sqlalchemy as sa

    from smptrack.extensions import db
    from smptrack.models import (
        Client,
        FadeAssessment,
        Pigment,
        PigmentLot,
        Placement,
        SunExposure,
        TreatmentSession,
        User,
    )

    practitioner_id = db.session.execute(
        sa.insert(User).values(
            email=f"bench{rng.random()}@bench.test",
            password_hash="x",
            role="practitioner",
            display_name="Bench",
            time_zone="UTC",
            active=True,
            created_at=NOW,
        )
    ).inserted_primary_key[0]
    pigment_id = db.session.execute(
        sa.insert(Pigment).values(
            practitioner_id=practitioner_id,
            brand="B",
            line="",
            shade="S",
            base="carbon",
            created_at=NOW,
        )
    ).inserted_primary_key[0]
    lot_id = db.session.execute(
        sa.insert(PigmentLot).values(
            pigment_id=pigment_id, lot_number="L", expires_on=date(2030, 1, 1), created_at=NOW
        )
    ).inserted_primary_key[0]
    first_id = (db.session.scalar(sa.select(sa.func.max(Client.id))) or 0) + 1
    insert_rows(
        Client.__table__,
        [
            dict(
                id=first_id + i,
                practitioner_id=practitioner_id,
                display_name=f"Client {i}",
                time_zone="Europe/London",
                fitzpatrick=rng.randint(1, 6),
                sebum="normal",
                retinoid_or_peel_use=False,
                swimming="occasionally",
                goal="shaved_look",
                hair_length="shaved",
                latitude_band="45_55",
                lifestyle="average",
                usual_hat="cap",
                usual_hat_pct=25,
                usual_sunscreen_pct=0,
                usual_sunscreen_generous=False,
                sun_log_complete=False,
                notes="",
                created_at=NOW,
                updated_at=NOW,
            )
            for i in range(clients)
        ],
    )
    client_ids = list(range(first_id, first_id + clients))
    session_rows, placement_rows, sun_rows, assessment_rows = [], [], [], []
    next_session = (db.session.scalar(sa.select(sa.func.max(TreatmentSession.id))) or 0) + 1
    for client_id in client_ids:
        start = date(2021, 1, 1) + timedelta(days=rng.randint(0, 700))
        for s in range(sessions):
            session_rows.append(
                dict(
                    id=next_session,
                    client_id=client_id,
                    performed_on=start + timedelta(days=14 * s),
                    kind="initial" if s == 0 else "build_up",
                    logged_at=NOW,
                    needle="",
                    machine_settings="",
                    notes="",
                    expired_lot_confirmed=False,
                )
            )
            for zone in zones:
                placement_rows.append(
                    dict(
                        session_id=next_session,
                        zone=zone,
                        pigment_lot_id=lot_id,
                        dilution="standard",
                        dilution_ratio="",
                        needle="",
                        dot_size="",
                        depth="correct",
                        depth_note="",
                        scar_tissue=False,
                    )
                )
            next_session += 1
        for _ in range(sun_entries):
            sun_rows.append(
                dict(
                    client_id=client_id,
                    exposed_on=start + timedelta(days=rng.randint(0, 1800)),
                    duration_minutes=rng.randint(10, 300),
                    uv_index=rng.uniform(0, 9),
                    uv_index_kind="daily_max",
                    hat=rng.choice(("none", "cap", "wide_brim")),
                    sunscreen_generous=False,
                    swimming=False,
                    hair_length="shaved",
                    created_at=NOW,
                )
            )
        for a in range(assessments):
            assessment_rows.append(
                dict(
                    client_id=client_id,
                    assessed_on=start + timedelta(days=200 + 180 * a),
                    zone=zones[0],
                    density_pct=rng.uniform(70, 100),
                    assessor_kind="client_self",
                    note="",
                    blur_or_colour_shift=False,
                    created_at=NOW,
                )
            )
    insert_rows(TreatmentSession.__table__, session_rows)
    insert_rows(Placement.__table__, placement_rows)
    insert_rows(SunExposure.__table__, sun_rows)
    insert_rows(FadeAssessment.__table__, assessment_rows)
    db.session.commit()
    return client_ids


def bench_one_client(repeats: int) -> list[tuple[str, str, str]]:
    from smptrack.domain import fade
    from smptrack.extensions import db
    from smptrack.models import Client
    from smptrack.services import projections

    rng = random.Random(1)
    (client_id,) = generate(1, 10, ZONES6, 2000, 4, rng)
    client = db.session.get(Client, client_id)
    as_of = NOW.date()
    inputs = projections.load_inputs(client)
    model_only, with_load = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fade.project(
            inputs.factors, inputs.sessions, inputs.exposures, inputs.assessments, as_of=as_of
        )
        model_only.append(time.perf_counter() - t0)
        db.session.expire_all()
        t0 = time.perf_counter()
        projections.project_client(db.session.get(Client, client_id), as_of)
        with_load.append(time.perf_counter() - t0)
    rows = []
    for label, samples in (("model only", model_only), ("load from SQLite + model", with_load)):
        rows.append(
            (
                f"1 client, 10 sessions, 6 zones, 2,000 sun entries: {label}",
                f"median {statistics.median(samples) * 1000:.1f} ms "
                f"(p90 {sorted(samples)[int(len(samples) * 0.9)] * 1000:.1f} ms)",
                "median < 20 ms",
            )
        )
    return rows


def bench_rebuild(clients: int) -> list[tuple[str, str, str]]:
    from smptrack.services import projections

    rng = random.Random(2)
    t0 = time.perf_counter()
    generate(clients, 4, ZONES6[3:5], 40, 1, rng)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    count = projections.rebuild_all(NOW, batch_size=500)
    elapsed = time.perf_counter() - t0
    return [
        (
            f"generate {clients:,} clients (4 sessions, 2 zones, 40 sun entries, 1 rating each)",
            f"{generated:.1f} s",
            "—",
        ),
        (
            f"rebuild_all over {count:,} clients on SQLite",
            f"{elapsed:.1f} s ({count / elapsed:.0f} clients/s)",
            "< 60 s",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        with app.app_context():
            rows = bench_one_client(args.repeats)
            rows += bench_rebuild(args.clients)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<34}  target")
    print("-" * (width + 50))
    for name, result, target in rows:
        print(f"{name:<{width}}  {result:<34}  {target}")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
