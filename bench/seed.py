"""Build the database that ``bench/web.json`` measures: a practice at the scale of issue 9.

- one practitioner (``PRACTITIONER_EMAIL`` / ``PRACTITIONER_PASSWORD``) with
- the history client, id 1: 30 sessions and 500 sun entries, and
- 500 clients, ids 2 to 501, each with 8 sessions and 60 sun entries;
- an API token of the practitioner whose secret is ``BENCH_TOKEN`` (published, like the demo's
  passwords: the database is a throwaway one on loopback), also written to
  ``<instance>/bench-token``.

Run: ``SMPTRACK_INSTANCE_PATH=instance/bench python bench/seed.py`` (``bench/web.json`` does).
It deletes the SQLite database of that instance folder and builds it again from the migrations,
so every run measures the same data. With ``SMPTRACK_DATABASE_URL`` naming a PostgreSQL database
(``bench/web-postgres.json``) it empties that database's public schema instead: give it a
database of its own. The rows are written through the models in bulk (this is
benchmark data, not a use case), then ``smptrack projections rebuild`` materialises every
client's projection exactly as after a model upgrade, and each client is refreshed as by the
daily replan (which also stores the projection API's answer). Dates are relative to today and the
random parts come from a fixed seed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PRACTITIONER_EMAIL = "practitioner@bench.smptrack.test"
PRACTITIONER_PASSWORD = "bench-practitioner"  # noqa: S105 - a published throwaway login
BENCH_TOKEN = "smp_bench-token-for-loopback-only"  # noqa: S105 - published, see above

HISTORY_CLIENT_ID = 1
CLIENTS = 500
SESSIONS = 8
SUN_ENTRIES = 60
HISTORY_SESSIONS = 30
HISTORY_SUN_ENTRIES = 500
ZONES = ("frontal_hairline", "left_temple", "right_temple", "mid_scalp", "crown")
BATCH = 50  # clients per commit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=CLIENTS, help="clients besides history's")
    args = parser.parse_args()
    if not os.environ.get("SMPTRACK_INSTANCE_PATH"):
        parser.error("set SMPTRACK_INSTANCE_PATH to the bench's own instance folder")
    instance = Path(os.environ["SMPTRACK_INSTANCE_PATH"]).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("SMPTRACK_DATABASE_URL", "")
    if url.startswith("postgres"):
        # A PostgreSQL bench database (bench/web-postgres.json): emptied schema and all, so the
        # sequences start again and the history client is id 1.
        database = url
        reset_postgres(url)
    else:
        database = instance / "smptrack.db"
        os.environ["SMPTRACK_DATABASE_URL"] = f"sqlite:///{database}"
        for leftover in (database, *instance.glob("smptrack.db-*")):
            leftover.unlink(missing_ok=True)

    started = time.monotonic()
    from flask_migrate import upgrade

    from smptrack.app import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        seed(now, args.clients, random.Random(9))
        result = app.test_cli_runner().invoke(args=["projections", "rebuild"])
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            raise SystemExit("smptrack projections rebuild failed") from result.exception
        refresh_every_client(now)
    (instance / "bench-token").write_text(BENCH_TOKEN + "\n")
    print(
        f"bench database {database}: history client {HISTORY_CLIENT_ID} "
        f"({HISTORY_SESSIONS} sessions, {HISTORY_SUN_ENTRIES} sun entries) and {args.clients} "
        f"clients ({SESSIONS} sessions, {SUN_ENTRIES} sun entries each) of {PRACTITIONER_EMAIL}; "
        f"token in {instance / 'bench-token'}; {time.monotonic() - started:.1f} s"
    )
    return 0


def reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    from smptrack.app import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def seed(now: datetime, clients: int, rng: random.Random) -> None:
    import sqlalchemy as sa

    from smptrack.extensions import db
    from smptrack.models import ApiToken, Client, Pigment, PigmentLot
    from smptrack.services import accounts, practices

    practitioner = accounts.create_user(
        email=PRACTITIONER_EMAIL,
        password=PRACTITIONER_PASSWORD,
        role="practitioner",
        display_name="Bench Practitioner",
        time_zone="Europe/London",
    )
    practitioner.email_verified_at = now
    # create_user founded the practitioner's practice of one (issue 11): the tenant of every row.
    practice = practices.practice_of(practitioner)
    assert practice is not None
    pigment = Pigment(
        practice_id=practice.id, brand="Bench", line="Pro", shade="Ash", base="carbon"
    )
    lot = PigmentLot(pigment=pigment, lot_number="B-1", expires_on=now.date() + timedelta(999))
    db.session.add_all([pigment, lot])
    issued = accounts.issue_api_token(practitioner, "bench", now, timedelta(days=365))
    # The published secret instead of the random one (its hash is all that is stored).
    issued.token.token_hash = hashlib.sha256(BENCH_TOKEN.encode()).hexdigest()
    issued.token.prefix = BENCH_TOKEN[:10]
    db.session.commit()
    if accounts.user_for_api_token(BENCH_TOKEN, now) is None:
        raise SystemExit("the bench token does not authenticate: did the token hashing change?")
    db.session.rollback()  # the check's last-use update is not part of the data

    today = now.date()
    history = add_client(practitioner, practice.id, "Hana History", "history", today)
    add_history(history, practitioner, lot, today, HISTORY_SESSIONS, HISTORY_SUN_ENTRIES, rng)
    db.session.commit()
    if history.id != HISTORY_CLIENT_ID:
        raise SystemExit(f"the history client got id {history.id}, not {HISTORY_CLIENT_ID}")
    for i in range(clients):
        record = add_client(
            practitioner, practice.id, f"Client {i + 1:03d}", f"client{i + 1:03d}", today
        )
        add_history(record, practitioner, lot, today, SESSIONS, SUN_ENTRIES, rng)
        if (i + 1) % BATCH == 0:
            db.session.commit()
    db.session.commit()
    count = db.session.scalar(
        sa.select(sa.func.count(Client.id)).where(Client.practitioner_id == practitioner.id)
    )
    assert count == clients + 1, count
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def refresh_every_client(now: datetime) -> None:
    """Each client's projection stored as their last write (or the daily replan) stores it,
    with the API's answer: the state the pages and the API are measured in. (The bulk rebuild
    after a model change leaves the answers to the replan.)"""
    import sqlalchemy as sa

    from smptrack.extensions import db
    from smptrack.models import Client
    from smptrack.services import projections

    ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
    for start in range(0, len(ids), BATCH):
        batch = db.session.scalars(
            sa.select(Client).where(Client.id.in_(ids[start : start + BATCH]))
        ).all()
        loaded = projections.load_inputs_many(batch)
        for client in batch:
            projections.refresh_client(client, now, loaded[client.id])
        db.session.commit()


def add_client(practitioner, practice_id: int, name: str, mailbox: str, today: date):
    from smptrack.extensions import db
    from smptrack.models import Client

    record = Client(
        practice_id=practice_id,
        practitioner_id=practitioner.id,
        display_name=name,
        email=f"{mailbox}@bench.smptrack.test",
        time_zone="Europe/London",
        fitzpatrick=3,
        latitude_band="45_55",
        lifestyle="average",
        usual_hat="cap",
        usual_hat_pct=25,
    )
    db.session.add(record)
    db.session.flush()
    return record


def add_history(record, practitioner, lot, today, sessions, sun_entries, rng) -> None:
    """An initial series of three sessions two weeks apart, then touch-ups every 4-8 months
    (the history client's 30 sessions reach back further), and a sun log over the same years."""
    from smptrack.extensions import db
    from smptrack.models import Placement, SunExposure, TreatmentSession

    days = [0, 14, 28]
    while len(days) < sessions:
        days.append(days[-1] + rng.randint(120, 240))
    start = today - timedelta(days=days[sessions - 1] + rng.randint(30, 400))
    for index, offset in enumerate(days[:sessions]):
        performed_on = start + timedelta(days=offset)
        kind = "initial" if index == 0 else ("build_up" if index < 3 else "touch_up")
        db.session.add(
            TreatmentSession(
                client_id=record.id,
                performed_on=performed_on,
                kind=kind,
                performed_by_id=practitioner.id,
                logged_by_id=practitioner.id,
                logged_at=datetime.combine(performed_on, datetime.min.time(), UTC),
                needle="1RL 0.25 mm",
                notes=f"Session {index + 1}.",
                placements=[
                    Placement(zone=zone, pigment_lot_id=lot.id, density_worked_pct=70)
                    for zone in rng.sample(ZONES, 3)
                ],
            )
        )
    span = (today - start).days
    db.session.add_all(
        SunExposure(
            client_id=record.id,
            exposed_on=start + timedelta(days=rng.randint(0, span)),
            duration_minutes=rng.randint(15, 240),
            uv_index=round(rng.uniform(0.5, 9), 1),
            hat=rng.choice(("none", "cap", "wide_brim")),
            logged_by_id=practitioner.id,
        )
        for _ in range(sun_entries)
    )


if __name__ == "__main__":
    sys.exit(main())
