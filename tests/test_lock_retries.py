"""Lock waits never become duplicates or a dead-looking scheduler (issue 9 item 3).

The sender's outcome for a message SMTP has accepted is recorded with retries until it sticks;
a long sweep writes its heartbeat as it goes and stops at its time bound. The SMTP server is
real; the lock is a second connection holding SQLite's write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack import retry
from smptrack.extensions import db
from smptrack.models import Client, Reminder
from smptrack.sending.heartbeat import beat
from smptrack.sending.sender import Sender
from smptrack.sending.settings import utc_now
from smptrack.services.heartbeats import HEARTBEAT_SEND
from tests.conftest import OwnContextClient, Personas
from tests.smtp_server import SmtpServer
from tests.test_worker import NOW, add_due, fresh


@contextlib.contextmanager
def short_busy_timeout(ms: int = 200) -> Iterator[None]:
    """New connections of the app give up on SQLite's write lock after ``ms``."""

    def set_timeout(dbapi_connection, record) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={ms}")

    sa.event.listen(db.engine, "connect", set_timeout)
    db.session.remove()
    db.engine.dispose()
    try:
        yield
    finally:
        sa.event.remove(db.engine, "connect", set_timeout)
        db.session.remove()
        db.engine.dispose()


class _LockMet(logging.Handler):
    """Notes the retry helper's report that an attempt met the lock."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.met = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "met a lock" in record.getMessage():
            self.met.set()


def hold_write_lock(seconds: float = 10.0) -> threading.Thread:
    """Another process's write transaction, held (past the busy timeout) until the code under
    test reports that an attempt met it, and at most ``seconds``. A fixed hold let a loaded
    machine reach the write after the lock was gone, and the retry went untested."""
    other = sqlite3.connect(db.engine.url.database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    watcher = _LockMet()
    retry_log = logging.getLogger(retry.__name__)
    retry_log.addHandler(watcher)

    def release() -> None:
        watcher.met.wait(seconds)
        time.sleep(0.05)  # past the moment of the report, into the backoff before the retry
        retry_log.removeHandler(watcher)
        other.rollback()
        other.close()

    holder = threading.Thread(target=release)
    holder.start()
    return holder


def test_a_lock_on_the_outcome_write_is_retried_and_the_reminder_is_sent_exactly_once(
    sending: Flask,
    smtp: SmtpServer,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the lock is SQLite's single write lock")
    [reminder_id] = add_due(personas.record_a, 1)
    holders: list[threading.Thread] = []
    send = Sender.send

    def send_then_lock(self: Sender, message):
        error = send(self, message)
        # SMTP has accepted it; now another writer holds the lock past the busy timeout.
        holders.append(hold_write_lock())
        return error

    monkeypatch.setattr(Sender, "send", send_then_lock)
    with short_busy_timeout(), caplog.at_level(logging.WARNING):
        result = Sender(sending).send_due(lambda: NOW)
    for holder in holders:
        holder.join()

    assert result.sent == 1 and smtp.count() == 1
    assert "recording the outcome: attempt 1/" in caplog.text
    row = fresh(reminder_id)
    assert row.status == "sent" and row.message_id == smtp.message_ids()[0]
    # Nothing is left for the reaper to send again, however late it runs.
    later = NOW + timedelta(hours=1)
    sender = Sender(sending)
    assert sender.reap(later) == 0
    assert sender.send_due(lambda: later).sent == 0
    assert smtp.count() == 1


def test_only_locks_are_retried(app: Flask):
    locked = sa.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
    broken = sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed"))
    assert retry.is_transient(locked) and not retry.is_transient(broken)
    calls: list[int] = []

    def unit() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise locked
        return "done"

    assert retry.run_unit(unit, sleep=lambda s: None) == "done" and len(calls) == 3

    def refused() -> None:
        raise broken

    with pytest.raises(sa.exc.IntegrityError):
        retry.run_unit(refused, sleep=lambda s: None)


def test_a_sweep_slower_than_the_quiet_period_keeps_healthz_healthy_while_mail_flows(
    sending: Flask,
    smtp: SmtpServer,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
):
    sending.config.update(
        REMINDER_SWEEP_SECONDS=0.2,
        HEALTHZ_SCHEDULER_QUIET_SECONDS=1,
        REMINDER_RESPECT_WAKING_HOURS=False,
    )
    sending.test_client_class = OwnContextClient
    start = datetime.now(UTC)
    add_due(personas.record_a, 12, due=start - timedelta(minutes=1))
    beat(HEARTBEAT_SEND, start, "test")
    send = Sender.send

    def slow_send(self: Sender, message):
        time.sleep(0.4)  # a slow SMTP server: the sweep takes several quiet periods
        return send(self, message)

    monkeypatch.setattr(Sender, "send", slow_send)

    def sweep_in_its_own_context() -> None:
        with sending.app_context():
            Sender(sending).send_due(utc_now)

    sweeper = threading.Thread(target=sweep_in_its_own_context)
    sweeper.start()
    try:
        time.sleep(2.0)  # twice the quiet period into the sweep
        health = sending.test_client().get("/healthz")
        still_sweeping = sweeper.is_alive()
    finally:
        sweeper.join()
    assert still_sweeping
    assert health.status_code == 200, health.get_json()
    assert health.get_json()["scheduler"]["ok"] is True
    assert smtp.count() == 12


def test_one_sweep_is_bounded_in_time_and_the_next_takes_up_the_rest(
    sending: Flask,
    smtp: SmtpServer,
    personas: Personas,
):
    sending.config["REMINDER_SWEEP_MAX_SECONDS"] = 0
    add_due(personas.record_a, 3)
    first = Sender(sending).send_due(lambda: NOW)
    assert first.sent == 1 and first.timed_out
    assert "time bound" in first.summary()
    assert Sender(sending).send_due(lambda: NOW).sent == 1
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(Reminder.status)).all()
    assert sorted(statuses) == ["pending", "sent", "sent"]


def test_an_api_write_that_meets_a_lock_is_retried_and_answers_201_not_500(app: Flask):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the lock is SQLite's single write lock")
    from tests.conftest import make_user
    from tests.test_api_tokens import bearer
    from tests.test_reads_never_wait import secret_for

    app.test_client_class = OwnContextClient
    make_user("practitioner", "pat@example.com", "Pat Practitioner")
    db.session.commit()
    secret = secret_for(app)
    with short_busy_timeout():
        holder = hold_write_lock()
        response = app.test_client().post(
            "/api/v1/clients", json={"display_name": "Ada Client"}, headers=bearer(secret)
        )
        holder.join()
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 1


def test_a_form_post_that_meets_a_lock_is_run_again_and_writes_once_not_500(
    app: Flask, personas: Personas, caplog: pytest.LogCaptureFixture
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the lock is SQLite's single write lock")
    from smptrack.models import AuditEvent, SunExposure
    from tests.conftest import log_in

    app.test_client_class = OwnContextClient
    browser = log_in(app.test_client(), personas.client_a)
    record_id = personas.record_a.id
    with short_busy_timeout(), caplog.at_level(logging.WARNING):
        holder = hold_write_lock()
        answer = browser.post(
            f"/clients/{record_id}/sun/quick",
            data={"duration_minutes": "45", "uv_index": "8", "hat": "none"},
        )
        holder.join()
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    assert f"POST /clients/{record_id}/sun/quick: attempt 1/" in caplog.text
    db.session.expire_all()
    # One entry and one audit line: the attempts that met the lock left nothing behind.
    entries = db.session.scalars(sa.select(SunExposure).where(SunExposure.client_id == record_id))
    assert [(e.duration_minutes, e.uv_index) for e in entries] == [(45, 8.0)]
    creates = db.session.scalars(
        sa.select(AuditEvent.object_type).where(
            AuditEvent.client_id == record_id, AuditEvent.action == "create"
        )
    ).all()
    assert creates == ["sun_exposure"]
    # The page after the redirect shows the success message once.
    page = browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert (
        page.count("Today&#39;s time outdoors is logged.")
        + page.count("Today's time outdoors is logged.")
        == 1
    )
