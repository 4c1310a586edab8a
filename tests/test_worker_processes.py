"""Real ``smptrack scheduler`` processes on one database and one real SMTP server: exactly once
under concurrency, at most one repeat per SIGKILL, and SIGTERM finishing the message in flight.

The database is the session's test database (SQLite file or PostgreSQL), shared with the
subprocesses; the SMTP server is aiosmtpd in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, PracticeSettings, Reminder
from tests.conftest import Personas, make_client
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.slow

SECRET = "test-secret-key-not-for-production"


def scheduler_env(database_url: str, smtp: SmtpServer, tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMPTRACK_")}
    env.update(
        SMPTRACK_DATABASE_URL=database_url,
        SMPTRACK_SECRET_KEY=SECRET,
        SMPTRACK_INSTANCE_PATH=str(tmp_path / "instance"),
        SMPTRACK_BASE_URL="https://smptrack.test",
        SMPTRACK_MAIL_FROM="SMP Studio <reminders@smp.example>",
        SMPTRACK_REMINDER_SWEEP_SECONDS="1",
        SMPTRACK_REMINDER_REAP_SECONDS="1",
        SMPTRACK_REMINDER_SENDS_PER_MINUTE="0",
        SMPTRACK_REMINDER_LEASE_SECONDS="60",
        **smtp.environment(),
    )
    env.update(extra)
    return env


def start_scheduler(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "smptrack.cli", "scheduler"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def due_clients(personas: Personas, count: int) -> list[Client]:
    """Clients of a practice that sends at any hour (the test runs on the real clock)."""
    db.session.add(
        PracticeSettings(
            practice_id=personas.practitioner_p.practice_id,
            waking_hours_start=0,
            waking_hours_end=24,
        )
    )
    clients = [
        make_client(personas.practitioner_p, f"Client {n}", email=f"c{n}@clients.test")
        for n in range(count)
    ]
    db.session.commit()
    return clients


def add_due_reminders(clients: list[Client], total: int) -> None:
    due = datetime.now(UTC) - timedelta(minutes=5)
    rows = [
        {
            "client_id": clients[n % len(clients)].id,
            "recipient_email": clients[n % len(clients)].email,
            "kind": "touch_up",
            "due_at": due,
            "dedupe_key": f"load:{n}",
            "status": "pending",
            "attempts": 0,
            "payload": {"details": {"most_likely_on": "2027-05-01", "due_now": False}},
            "created_at": due,
        }
        for n in range(total)
    ]
    db.session.execute(sa.insert(Reminder), rows)
    db.session.commit()


def counts() -> Counter:
    db.session.rollback()  # a new snapshot
    rows = db.session.execute(sa.select(Reminder.status, sa.func.count()).group_by(Reminder.status))
    result = Counter(dict(rows.all()))
    db.session.rollback()
    return result


def wait_until(
    condition: Callable[[], bool], timeout: float, processes: list[subprocess.Popen], log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"a scheduler exited early ({process.returncode}):\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"timed out; statuses {dict(counts())}\n{log.read_text()[-3000:]}")


def stop(processes: list[subprocess.Popen]) -> list[int]:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=30) for process in processes]


def test_three_schedulers_deliver_two_thousand_reminders_exactly_once(
    app, database_url: str, personas: Personas, smtp: SmtpServer, tmp_path: Path
):
    add_due_reminders(due_clients(personas, 50), 2000)
    log = tmp_path / "schedulers.log"
    env = scheduler_env(database_url, smtp, tmp_path)
    started = time.monotonic()
    processes = [start_scheduler(env, log) for _ in range(3)]
    try:
        wait_until(lambda: smtp.count() >= 2000 and counts()["sent"] == 2000, 240, processes, log)
        elapsed = time.monotonic() - started
    finally:
        codes = stop(processes)
    assert codes == [0, 0, 0], log.read_text()[-3000:]
    ids = smtp.message_ids()
    assert len(ids) == 2000
    assert len(set(ids)) == 2000
    final = counts()
    assert final["sent"] == 2000 and final["pending"] == 0 and final["sending"] == 0
    senders = {
        row
        for row in db.session.scalars(sa.select(Reminder.leased_by).distinct())
        if row is not None
    }
    assert senders == set(), "every lease is released"
    print(f"\n3 schedulers, {db.engine.dialect.name}: 2000 messages in {elapsed:.1f} s")


def test_a_scheduler_killed_mid_batch_delivers_everything_with_at_most_one_repeat_per_kill(
    app, database_url: str, personas: Personas, smtp: SmtpServer, tmp_path: Path, record_property
):
    total = 300
    add_due_reminders(due_clients(personas, 10), total)
    smtp.behaviour.data_delay_seconds = 0.01  # a realistic server: the kill lands mid-message
    log = tmp_path / "scheduler.log"
    env = scheduler_env(database_url, smtp, tmp_path, SMPTRACK_REMINDER_LEASE_SECONDS="2")
    kills = 0
    for threshold in (60, 160):
        process = start_scheduler(env, log)
        wait_until(lambda threshold=threshold: smtp.count() >= threshold, 120, [process], log)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
    process = start_scheduler(env, log)
    try:
        wait_until(lambda: counts()["sent"] == total, 120, [process], log)
    finally:
        assert stop([process]) == [0]
    ids = smtp.message_ids()
    repeats = len(ids) - len(set(ids))
    record_property("kills", kills)
    record_property("repeats", repeats)
    print(f"\n{kills} SIGKILLs: {len(ids)} messages, {len(set(ids))} distinct, {repeats} repeats")
    assert len(set(ids)) == total, "every reminder was delivered"
    assert repeats <= kills
    final = counts()
    assert final["sent"] == total and final["sending"] == 0 and final["pending"] == 0


def test_sigterm_lets_the_scheduler_finish_the_message_in_flight(
    app, database_url: str, personas: Personas, smtp: SmtpServer, tmp_path: Path
):
    add_due_reminders(due_clients(personas, 1), 5)
    smtp.behaviour.data_delay_seconds = 2.0
    log = tmp_path / "scheduler.log"
    process = start_scheduler(scheduler_env(database_url, smtp, tmp_path), log)
    try:
        assert smtp.data_started.wait(60), log.read_text()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, log.read_text()
    assert smtp.count() == 1
    final = counts()
    assert (final["sent"], final["pending"], final["sending"]) == (1, 4, 0)
    (sent,) = db.session.scalars(sa.select(Reminder).where(Reminder.status == "sent"))
    assert sent.message_id == smtp.message_ids()[0]
