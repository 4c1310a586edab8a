"""Running the sweeps: one sweep for cron, a background scheduler, the scheduler process.

The scheduler (APScheduler 3) runs a few fixed sweeps: send due account mail and reminders,
reap expired leases, and a daily replan; the outbox tables are the source of truth, never
pickled per-client jobs. Nothing here starts at import: ``smptrack scheduler``
(``run_scheduler``), ``smptrack serve`` (``start_background``) and ``smptrack reminders
send-due`` (``run_once``) start it.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from flask import Flask

from smptrack.extensions import db
from smptrack.sending.account_mail import AccountMailSender
from smptrack.sending.heartbeat import beat, claim_daily_replan
from smptrack.sending.replan import replan_all
from smptrack.sending.retention_sweep import erase_due_records
from smptrack.sending.sender import Sender, SweepResult
from smptrack.sending.settings import Clock, setting, utc_now
from smptrack.services.heartbeats import HEARTBEAT_REAP

log = logging.getLogger(__name__)


def run_once(
    app: Flask, clock: Clock = utc_now, stop: threading.Event | None = None
) -> SweepResult:
    """One reap and one send sweep (``smptrack reminders send-due``, for cron); account mail
    (invitations, resets) first, then reminders."""
    with app.app_context():
        sender = Sender(app, stop=stop)
        account_mail = AccountMailSender(app, settings=sender.settings, name=sender.name, stop=stop)
        sender.reap(clock())
        account_mail.reap(clock())
        beat(HEARTBEAT_REAP, clock(), sender.name)
        account_result = account_mail.send_due(clock)
        if account_result.handled:
            log.info("%s", account_result.summary())
        return sender.send_due(clock)


def _job(app: Flask, name: str, work: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                work()
            except Exception:
                db.session.rollback()
                log.exception("scheduler job %s failed", name)

    run.__name__ = f"smptrack_{name}"
    return run


def add_sweeps(scheduler: Any, app: Flask, stop: threading.Event) -> Sender:
    """Add the fixed sweeps to an APScheduler 3 scheduler; returns the sender they share."""
    from apscheduler.triggers.interval import IntervalTrigger

    config = app.config
    sender = Sender(app, stop=stop)
    account_mail = AccountMailSender(app, settings=sender.settings, name=sender.name, stop=stop)
    grace = int(setting(config, "REMINDER_MISFIRE_GRACE_SECONDS"))
    every = timedelta(hours=float(setting(config, "REMINDER_REPLAN_EVERY_HOURS")))
    now = utc_now()

    def reap() -> None:
        sender.reap(utc_now())
        account_mail.reap(utc_now())
        beat(HEARTBEAT_REAP, utc_now(), sender.name)

    def send_account_mail() -> None:
        result = account_mail.send_due(utc_now)
        if result.handled:
            log.info("%s", result.summary())

    def replan() -> None:
        if stop.is_set() or not claim_daily_replan(utc_now(), sender.name, every):
            return
        count = replan_all(utc_now())
        log.info("daily replan: %s clients", count)

    def erase_retained() -> None:
        if not stop.is_set():
            erase_due_records(app, utc_now())

    def send() -> None:
        result = sender.send_due()
        if result.outcomes:
            log.info("send sweep: %s", result.summary())

    # id, what it does, the setting of its interval, its first run (the replan waits for the
    # first send sweep), what to call.
    sweeps = (
        ("send_due", "Send due reminders", "REMINDER_SWEEP_SECONDS", 0, send),
        (
            "send_account_mail",
            "Send invitations and password resets",
            "ACCOUNT_MAIL_SWEEP_SECONDS",
            0,
            send_account_mail,
        ),
        ("reap_leases", "Return expired leases", "REMINDER_REAP_SECONDS", 0, reap),
        (
            "daily_replan",
            "Replan every client once a day",
            "REMINDER_REPLAN_CHECK_SECONDS",
            5,
            replan,
        ),
        # Issue 13: records kept for the practice's retention period after an erasure request.
        (
            "erase_retained",
            "Erase treatment records whose retention has ended",
            "REMINDER_REPLAN_CHECK_SECONDS",
            10,
            erase_retained,
        ),
    )
    for job_id, title, interval, delay, work in sweeps:
        scheduler.add_job(
            _job(app, job_id, work),
            IntervalTrigger(seconds=float(setting(config, interval))),
            id=job_id,
            name=title,
            next_run_time=now + timedelta(seconds=delay),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
            replace_existing=True,
        )
    return sender


def start_background(app: Flask) -> tuple[Any, threading.Event]:
    """The sweeps in a background thread (``smptrack serve``). Stop with ``stop_background``."""
    from apscheduler.schedulers.background import BackgroundScheduler

    stop = threading.Event()
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    add_sweeps(scheduler, app, stop)
    scheduler.start()
    return scheduler, stop


def stop_background(scheduler: Any, stop: threading.Event) -> None:
    """Finish the message in flight, then stop."""
    stop.set()
    if scheduler.running:
        scheduler.shutdown(wait=True)


def run_scheduler(app: Flask, *, install_signals: bool = True) -> None:
    """``smptrack scheduler``: the sweeps in the foreground until SIGTERM or SIGINT.

    On a signal the send sweep finishes the message in flight (and records it), then the
    process exits. The shutdown runs in its own thread: APScheduler must not be shut down
    from inside a signal handler that interrupted its own main loop.
    """
    from apscheduler.schedulers import SchedulerNotRunningError
    from apscheduler.schedulers.blocking import BlockingScheduler

    stop = threading.Event()
    scheduler = BlockingScheduler(timezone=UTC)
    sender = add_sweeps(scheduler, app, stop)
    stopper: list[threading.Thread] = []

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            return
        log.info("signal %s: finishing the message in flight, then stopping", signum)
        stop.set()
        thread = threading.Thread(target=shut, name="smptrack-scheduler-stop")
        stopper.append(thread)
        thread.start()

    def shut() -> None:
        with contextlib.suppress(SchedulerNotRunningError):  # a signal before start()
            scheduler.shutdown(wait=True)

    if install_signals:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    log.info("scheduler %s started", sender.name)
    if not stop.is_set():
        scheduler.start()
    for thread in stopper:
        thread.join()  # the executor has finished (and recorded) the message in flight
    log.info("scheduler %s stopped", sender.name)
