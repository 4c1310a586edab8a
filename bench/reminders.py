"""Benchmark the reminder sender.

10,000 due reminders drained into a local SMTP server (aiosmtpd on 127.0.0.1, in this process)
by one ``smptrack scheduler`` process and then by three on the same database. For each run:
wall time from starting the processes to the last reminder recorded as sent, messages per
second over that time and over the sending itself (first to last message the server accepted),
and the repeat count (messages minus distinct Message-IDs; exactly-once means 0).

Run: ``python bench/reminders.py [--reminders 10000] [--senders 1 3]``. SQLite in a throwaway
instance folder by default; ``--database-url postgresql+psycopg://...`` to use PostgreSQL (its
public schema is dropped and rebuilt). Prints a table.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SECRET = "bench-secret-key"  # noqa: S105 - a throwaway database


def build_app(folder: Path, database_url: str):
    os.environ["SMPTRACK_INSTANCE_PATH"] = str(folder)
    import sqlalchemy as sa

    from smptrack.app import create_app
    from smptrack.extensions import db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
    return app


def seed(app, reminders: int, clients: int = 100) -> None:
    """A practice that sends at any hour, its clients, and ``reminders`` due reminders."""
    import sqlalchemy as sa

    from smptrack.extensions import db
    from smptrack.models import Client, PracticeSettings, Reminder, User

    with app.app_context():
        db.session.execute(sa.delete(Reminder))
        if db.session.scalar(sa.select(sa.func.count(Client.id))) == 0:
            practitioner = User(
                email="bench@practice.test",
                password_hash="!",
                role="practitioner",
                display_name="Bench Practice",
            )
            db.session.add(practitioner)
            db.session.flush()
            db.session.add(
                PracticeSettings(
                    practitioner_id=practitioner.id, waking_hours_start=0, waking_hours_end=24
                )
            )
            db.session.execute(
                sa.insert(Client),
                [
                    {
                        "practitioner_id": practitioner.id,
                        "display_name": f"Client {n}",
                        "email": f"client{n}@clients.test",
                        "time_zone": "Europe/London",
                    }
                    for n in range(clients)
                ],
            )
        ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
        due = datetime.now(UTC) - timedelta(minutes=1)
        db.session.execute(
            sa.insert(Reminder),
            [
                {
                    "client_id": ids[n % len(ids)],
                    "recipient_email": f"client{n % len(ids)}@clients.test",
                    "kind": "touch_up",
                    "due_at": due,
                    "dedupe_key": f"bench:{time.time_ns()}:{n}",
                    "status": "pending",
                    "attempts": 0,
                    "payload": {"details": {"most_likely_on": "2027-05-01", "due_now": False}},
                    "created_at": due,
                }
                for n in range(reminders)
            ],
        )
        db.session.commit()


def sent_count(app) -> int:
    import sqlalchemy as sa

    from smptrack.extensions import db
    from smptrack.models import Reminder

    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(Reminder.id)).where(Reminder.status == "sent")
        )


def run(app, folder: Path, database_url: str, server, reminders: int, senders: int) -> dict:
    seed(app, reminders)
    with server.lock:
        server.received.clear()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMPTRACK_")}
    env.update(
        SMPTRACK_DATABASE_URL=database_url,
        SMPTRACK_SECRET_KEY=SECRET,
        SMPTRACK_INSTANCE_PATH=str(folder),
        SMPTRACK_BASE_URL="https://smptrack.example",
        SMPTRACK_MAIL_FROM="Bench Practice <reminders@smptrack.example>",
        SMPTRACK_REMINDER_SWEEP_SECONDS="1",
        SMPTRACK_REMINDER_SENDS_PER_MINUTE="0",
        SMPTRACK_REMINDER_LEASE_SECONDS="120",
        **server.environment(),
    )
    log = folder / f"senders-{senders}.log"
    started = time.monotonic()
    processes = []
    with log.open("wb") as handle:
        for _ in range(senders):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "smptrack.cli", "scheduler"],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                )
            )
    try:
        while sent_count(app) < reminders:
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"a sender died; see {log}")
            if time.monotonic() - started > 1800:
                raise SystemExit("timed out after 30 minutes")
            time.sleep(0.5)
        wall = time.monotonic() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    with server.lock:
        received = list(server.received)
    ids = [r.message_id for r in received]
    sending = received[-1].at - received[0].at if len(received) > 1 else 0.0
    return {
        "senders": senders,
        "messages": len(ids),
        "distinct": len(set(ids)),
        "repeats": len(ids) - len(set(ids)),
        "wall": wall,
        "rate_wall": reminders / wall,
        "rate_sending": (len(received) - 1) / sending if sending else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from tests.smtp_server import SmtpServer

    with tempfile.TemporaryDirectory(prefix="smptrack-bench-") as tmp:
        folder = Path(tmp)
        database_url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        app = build_app(folder, database_url)
        server = SmtpServer().start()
        try:
            rows = [
                run(app, folder, database_url, server, args.reminders, senders)
                for senders in args.senders
            ]
        finally:
            server.stop()
        with app.app_context():
            from smptrack.extensions import db

            dialect = db.engine.dialect.name
            db.engine.dispose()

    print(f"\n{args.reminders:,} due reminders into a local SMTP server ({dialect})\n")
    header = (
        f"{'senders':>7}  {'messages':>8}  {'distinct':>8}  {'repeats':>7}  {'wall s':>7}  "
        f"{'msg/s (wall)':>12}  {'msg/s (sending)':>15}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['senders']:>7}  {row['messages']:>8,}  {row['distinct']:>8,}  "
            f"{row['repeats']:>7}  {row['wall']:>7.1f}  {row['rate_wall']:>12.1f}  "
            f"{row['rate_sending']:>15.1f}"
        )
    print(
        "\nwall: from starting the processes (about 2 s of start-up each) to the last reminder "
        "recorded as sent;\nsending: from the first to the last message the server accepted."
    )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
