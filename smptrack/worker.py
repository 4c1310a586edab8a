"""The reminder sender: small steps that each say whether they found work, and their scheduler.

One reminder at a time, in short transactions that never span the SMTP exchange:

1. ``claim``: take one due reminder atomically and lease it (status ``sending``, attempts + 1,
   ``lease_expires_at``, ``leased_by``) and commit. PostgreSQL selects it ``FOR UPDATE SKIP
   LOCKED``, so concurrent senders pass each other by; SQLite runs one conditional UPDATE in a
   ``BEGIN IMMEDIATE`` transaction, which takes the database's single write lock up front.
2. ``render``: the email for that reminder, in the client's own words and time zone.
3. ``send``: hand it to the transport (one SMTP connection reused for the sweep).
4. ``record``: the outcome, conditional on still holding the lease, and commit. Within a
   sweep the record of one reminder and the claim of the next share that commit, so each
   reminder costs one commit (on SQLite every commit waits for the disk under one write lock).

A sender that dies between the SMTP server's acceptance and step 4 leaves the reminder
``sending``; the reaper returns it to ``pending`` once its lease has expired and it is sent
again: at most one repeat per crash, never a loss, and the repeat carries the same Message-ID.
Temporary failures are retried after the delays of the backoff table (``attempt n/N`` in the
reminder's last error); permanent ones fail the reminder with the server's answer. Each process
sends at most ``REMINDER_SENDS_PER_MINUTE`` messages a minute.

The scheduler (APScheduler 3) runs a few fixed sweeps: send due reminders, reap expired leases,
and a daily replan; the outbox table is the source of truth, never pickled per-client jobs.
Nothing here starts at import: ``smptrack scheduler`` (``run_scheduler``), ``smptrack serve``
(``start_background``) and ``smptrack reminders send-due`` (``run_once``) start it.

Settings (``SMPTRACK_*`` environment variables or instance/config.py), with their defaults in
``DEFAULTS`` below.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, render_template

from smptrack import mail, retry
from smptrack.domain import protocol
from smptrack.extensions import db
from smptrack.models import Client, Reminder, SchedulerHeartbeat, User
from smptrack.services import reminders as reminder_service

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # How often each scheduler process looks for due reminders, and reaps expired leases. A
    # long sweep also writes its heartbeat this often, so /healthz sees it working.
    "REMINDER_SWEEP_SECONDS": 30,
    # One sweep stops claiming after this long; the next sweep takes up the rest.
    "REMINDER_SWEEP_MAX_SECONDS": 240,
    "REMINDER_REAP_SECONDS": 60,
    # How often the replan job wakes up; it replans every client at most once a day.
    "REMINDER_REPLAN_CHECK_SECONDS": 3600,
    "REMINDER_REPLAN_EVERY_HOURS": 23,
    # A claimed reminder's lease: longer than the slowest SMTP exchange (SMTP_TIMEOUT_SECONDS
    # per step), so that a live sender never loses its lease to the reaper.
    "REMINDER_LEASE_SECONDS": 300,
    # Delays before attempts 2, 3, ... after temporary failures; the last entry is the cap. A
    # reminder fails for good after len(table) + 1 attempts (about two days by default).
    "REMINDER_BACKOFF_SECONDS": [60, 300, 900, 3600, 10800, 21600, 43200, 86400],
    # Per sender process; 0 for no cap.
    "REMINDER_SENDS_PER_MINUTE": 120,
    # APScheduler: how late a sweep may start and still run (a later one is skipped).
    "REMINDER_MISFIRE_GRACE_SECONDS": 30,
    # Send only inside the client's waking hours (a reminder retried late waits till morning).
    "REMINDER_RESPECT_WAKING_HOURS": True,
    # /healthz calls the scheduler quiet when its send sweep has not run for this long.
    "HEALTHZ_SCHEDULER_QUIET_SECONDS": reminder_service.DEFAULT_QUIET_SECONDS,
}

HEARTBEAT_SEND = reminder_service.HEARTBEAT_SEND
HEARTBEAT_REAP = reminder_service.HEARTBEAT_REAP
HEARTBEAT_REPLAN = reminder_service.HEARTBEAT_REPLAN
heartbeats = reminder_service.heartbeats

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def setting(config: Any, name: str) -> Any:
    value = config.get(name)
    return DEFAULTS[name] if value is None or value == "" else value


def sender_name() -> str:
    """Who holds a lease: host, process and a random tail (a restarted pid is a new sender)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{os.urandom(3).hex()}"


# --- Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SenderSettings:
    lease: timedelta
    backoff: tuple[float, ...]
    per_minute: int
    base_url: str
    mail_from: str
    respect_waking_hours: bool
    sweep_every: float = 30.0  # seconds: the heartbeat's interval within a long sweep
    sweep_max: float = 240.0  # seconds: one sweep's bound

    @classmethod
    def from_config(cls, config: Any) -> SenderSettings:
        backoff = setting(config, "REMINDER_BACKOFF_SECONDS")
        if isinstance(backoff, (int, float)):
            backoff = [backoff]
        table = tuple(float(x) for x in backoff if float(x) >= 0) or (60.0,)
        return cls(
            lease=timedelta(seconds=float(setting(config, "REMINDER_LEASE_SECONDS"))),
            backoff=table,
            per_minute=int(setting(config, "REMINDER_SENDS_PER_MINUTE")),
            base_url=base_url(config),
            mail_from=config.get("MAIL_FROM") or "smptrack <no-reply@localhost>",
            respect_waking_hours=_flag(setting(config, "REMINDER_RESPECT_WAKING_HOURS")),
            sweep_every=float(setting(config, "REMINDER_SWEEP_SECONDS")),
            sweep_max=float(setting(config, "REMINDER_SWEEP_MAX_SECONDS")),
        )

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1

    def retry_delay(self, attempts: int) -> timedelta | None:
        """The wait after failed attempt number ``attempts``; None when it was the last."""
        if attempts >= self.max_attempts:
            return None
        return timedelta(seconds=self.backoff[min(attempts, len(self.backoff)) - 1])


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def base_url(config: Any) -> str:
    """Where links in reminders point: BASE_URL, else SERVER_NAME, else the local default."""
    configured = (config.get("BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    return "http://127.0.0.1:5000"


def external_url(app: Flask, base: str, endpoint: str, **values: Any) -> str:
    """An absolute URL under ``base`` without a request (the worker has none)."""
    parts = urlsplit(base)
    adapter = app.url_map.bind(
        parts.netloc or "localhost",
        script_name=parts.path or "/",
        url_scheme=parts.scheme or "http",
    )
    return adapter.build(endpoint, values, force_external=True)


# --- The sender's steps -----------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one claimed reminder."""

    reminder_id: int
    status: str  # sent | retry | failed | deferred | cancelled | skipped | lost_lease
    detail: str = ""


@dataclass
class SweepResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    skipped: int = 0
    lost: int = 0
    capped: bool = False
    timed_out: bool = False
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        attribute = {
            "sent": "sent",
            "retry": "retried",
            "failed": "failed",
            "deferred": "deferred",
            "cancelled": "cancelled",
            "skipped": "skipped",
            "lost_lease": "lost",
        }[outcome.status]
        setattr(self, attribute, getattr(self, attribute) + 1)

    def summary(self) -> str:
        return (
            f"sent {self.sent}, retried later {self.retried}, failed {self.failed}, "
            f"deferred to waking hours {self.deferred}, cancelled {self.cancelled}, "
            f"skipped as too late {self.skipped}"
            + (", stopped at the per-minute cap" if self.capped else "")
            + (", stopped at the sweep's time bound" if self.timed_out else "")
        )


@dataclass(frozen=True)
class Rendered:
    message: EmailMessage
    recipient: str


@dataclass(frozen=True)
class NotNow:
    """Render's answer when the reminder must not go now: wait until ``until``, or cancel."""

    reason: str
    until: datetime | None = None  # None: cancel


@dataclass(frozen=True)
class Decision:
    """What to write for a claimed reminder after render and send: the outcome's name, a line
    for the log, and the column values (the lease is always released)."""

    outcome: str  # sent | retry | failed | deferred | cancelled | skipped
    detail: str
    values: dict[str, Any]


class Sender:
    """Sends due reminders. Call its methods inside an app context; one sender per thread.

    The steps, each usable on its own (the tests drive them one at a time):
    ``claim`` -> ``render`` -> ``send`` -> ``record``; ``reap`` for expired leases; and
    ``send_due``, the sweep, which records one reminder and claims the next in a single short
    write transaction (one commit per reminder instead of two: on SQLite every commit waits
    for the disk, and all senders share one write lock).
    """

    def __init__(
        self,
        app: Flask,
        *,
        transport: mail.Transport | None = None,
        settings: SenderSettings | None = None,
        name: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.app = app
        self.settings = settings or SenderSettings.from_config(app.config)
        self.transport = transport or mail.transport_for(app.config)
        self.name = name or sender_name()
        self.stop = stop or threading.Event()
        self._recent: deque[datetime] = deque()
        self._practices: dict[int | None, reminder_service.PracticeProtocol] = {}
        self._practitioners: dict[int, User | None] = {}

    # Transactions ------------------------------------------------------------------------------

    def _begin_write(self) -> None:
        """End any transaction and start a write transaction.

        SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock up front, so two senders
        never both read "pending" and then both try to upgrade to writing (SQLite's deadlock).
        PostgreSQL: an ordinary transaction; row locks do the rest.
        """
        db.session.commit()
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    # 1. claim ----------------------------------------------------------------------------------

    def claim(self, now: datetime, *, commit: bool = True) -> int | None:
        """Lease one due reminder (attempts + 1); its id, or None when nothing is due.

        One conditional UPDATE of the oldest due row: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
        lets concurrent senders pass each other; on SQLite the write lock serialises them.
        With ``commit=False`` the caller has begun the write transaction and commits it.
        """
        if commit:
            self._begin_write()
        due = sa.and_(
            Reminder.status == "pending",
            Reminder.due_at <= now,
            sa.or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        )
        pick = sa.select(Reminder.id).where(due).order_by(Reminder.due_at, Reminder.id).limit(1)
        if db.session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claimed = db.session.execute(
            sa.update(Reminder)
            .where(Reminder.id == pick.scalar_subquery(), Reminder.status == "pending")
            .values(
                status="sending",
                attempts=Reminder.attempts + 1,
                leased_by=self.name,
                lease_expires_at=now + self.settings.lease,
            )
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        if commit:
            db.session.commit()
        return claimed

    # 2. render ---------------------------------------------------------------------------------

    def render(self, reminder: Reminder, now: datetime) -> Rendered | NotNow:
        """The email for ``reminder``, or why it must wait (outside waking hours) or be dropped."""
        client = db.session.get(Client, reminder.client_id)
        if client is None:  # pragma: no cover - reminders cascade with their client
            return NotNow("The client record no longer exists.")
        if not client.email:
            return NotNow("Cancelled: the client has no email address.")
        if reminder_service.is_unsubscribed(client, reminder.kind):
            return NotNow("Cancelled: the client unsubscribed.")
        practice = self._practice(client.practitioner_id)
        zone = reminder_service.client_zone(client)
        if self.settings.respect_waking_hours:
            awake = protocol.next_waking_moment(now, zone, practice.hours)
            if awake > now:
                return NotNow("Waiting for the client's waking hours.", until=awake)
        return Rendered(self._compose(reminder, client, practice, now), client.email)

    def _practice(self, practitioner_id: int | None) -> reminder_service.PracticeProtocol:
        # Cached for one sweep (cleared at its end): settings rarely change mid-sweep.
        if practitioner_id not in self._practices:
            self._practices[practitioner_id] = reminder_service.practice_protocol(practitioner_id)
        return self._practices[practitioner_id]

    def _practitioner(self, practitioner_id: int | None) -> User | None:
        if practitioner_id is None:
            return None
        if practitioner_id not in self._practitioners:
            self._practitioners[practitioner_id] = db.session.get(User, practitioner_id)
        return self._practitioners[practitioner_id]

    def _compose(
        self,
        reminder: Reminder,
        client: Client,
        practice: reminder_service.PracticeProtocol,
        now: datetime,
    ) -> EmailMessage:
        payload = reminder.payload or {}
        details = payload.get("details") or {}
        practitioner = self._practitioner(client.practitioner_id)
        secret = self.app.config["SECRET_KEY"]
        base = self.settings.base_url

        def unsubscribe_url(kind: str) -> str:
            token = reminder_service.unsubscribe_token(secret, client.id, kind)
            return external_url(self.app, base, "reminders.unsubscribe", token=token)

        unsubscribe = unsubscribe_url(reminder.kind)
        context = {
            "name": client.display_name,
            "kind": reminder.kind,
            "kind_label": reminder_service.KIND_LABELS[reminder.kind],
            "details": details,
            "manual": bool(payload.get("manual")),
            "practice": practitioner.display_name if practitioner else None,
            "instructions": practice.aftercare_instructions,
            "event_on": _date(payload.get("event_on")),
            "dates": {k: _date(v) for k, v in details.items() if k.endswith("_on")},
            "long": long_date,
            "reminders_url": external_url(self.app, base, "reminders.mine"),
            "unsubscribe_url": unsubscribe,
            "unsubscribe_all_url": unsubscribe_url(reminder_service.ALL_KINDS),
        }
        text = render_template(f"emails/reminder_{reminder.kind}.txt", **context)
        html = render_template(f"emails/reminder_{reminder.kind}.html", **context)
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "Auto-Submitted": "auto-generated"}
        if unsubscribe.startswith("https://"):
            # RFC 8058 one-click: only for an HTTPS URL, as the RFC requires.
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if practitioner is not None:
            headers["Reply-To"] = str(mail.recipient(practitioner.display_name, practitioner.email))
        message_id = mail.message_id_for(reminder.dedupe_key, self.settings.mail_from)
        message = mail.compose(
            sender=self.settings.mail_from,
            to=mail.recipient(client.display_name, client.email or ""),
            subject=subject_for(reminder.kind, details, context["practice"]),
            text=text,
            html=html,
            message_id=message_id,
            now=now,
            headers=headers,
        )
        event_on = context["event_on"]
        if event_on is not None:
            mail.attach_calendar(
                message,
                mail.all_day_event(
                    uid=message_id.strip("<>"),
                    day=event_on,
                    summary=EVENT_SUMMARIES[reminder.kind],
                    description="An estimate from your record; confirm the date with your "
                    "practitioner.",
                    stamp=now,
                ),
                filename=f"{reminder.kind.replace('_', '-')}.ics",
            )
        return message

    # 3. send -----------------------------------------------------------------------------------

    def send(self, message: EmailMessage) -> mail.DeliveryError | None:
        """Deliver; None on success, else the classified failure (never raises for SMTP)."""
        try:
            self.transport.send(message)
        except mail.DeliveryError as error:
            return error
        return None

    # 4. record ---------------------------------------------------------------------------------

    def record(
        self, reminder_id: int, now: datetime, *, commit: bool = True, **values: Any
    ) -> bool:
        """Write the outcome if this sender still holds the lease; False if it lost it.

        The lease is released. With ``commit=False`` the caller commits (see ``send_due``).
        """
        values.setdefault("lease_expires_at", None)
        values.setdefault("leased_by", None)
        if commit:
            self._begin_write()
        result = db.session.execute(
            sa.update(Reminder)
            .where(
                Reminder.id == reminder_id,
                Reminder.status == "sending",
                Reminder.leased_by == self.name,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if commit:
            db.session.commit()
        held = bool(result.rowcount)
        if not held:
            log.warning("reminder %s: lease lost before recording %s", reminder_id, values)
        return held

    # Render and send, then decide what to record ---------------------------------------------

    def deliver(self, reminder_id: int, now: datetime) -> Decision:
        """Render and send a claimed reminder; what to record (writes nothing)."""
        reminder = db.session.get(Reminder, reminder_id, populate_existing=True)
        if reminder.stale_after is not None and now >= reminder.stale_after:
            # Past its moment (the scheduler was down, or retries ran late): never sent. Not an
            # attempt either, so the claim's count is given back.
            reason = protocol.STALE_REASONS[reminder.kind]
            values = {"status": "skipped", "last_error": reason, "next_attempt_at": None}
            values["attempts"] = Reminder.attempts - 1
            return Decision("skipped", reason, values)
        try:
            rendered = self.render(reminder, now)
        except Exception as exc:
            # A template or data error: retried like a temporary failure, so that a fix
            # deployed within the backoff table still delivers it, then failed with the reason.
            db.session.rollback()
            log.exception("reminder %s could not be rendered", reminder_id)
            error = mail.DeliveryError(
                f"could not compose the message: {type(exc).__name__}: {exc}"[:480], False
            )
            return self._failure(reminder_id, reminder.attempts, error, now)
        if isinstance(rendered, NotNow):
            # Not an attempt: give back the one the claim counted.
            values = {"attempts": Reminder.attempts - 1}
            if rendered.until is None:
                values.update(status="cancelled", last_error=rendered.reason)
                return Decision("cancelled", rendered.reason, values)
            values.update(status="pending", next_attempt_at=rendered.until)
            return Decision("deferred", rendered.reason, values)
        attempt = reminder.attempts
        error = self.send(rendered.message)
        if error is not None:
            return self._failure(reminder_id, attempt, error, now)
        self._recent.append(now)
        return Decision(
            "sent",
            self.transport.name,
            {
                "status": "sent",
                "sent_at": now,
                "message_id": rendered.message["Message-ID"],
                "recipient_email": rendered.recipient,
                "last_error": None,
                "next_attempt_at": None,
            },
        )

    def _failure(
        self, reminder_id: int, attempt: int, error: mail.DeliveryError, now: datetime
    ) -> Decision:
        total = self.settings.max_attempts
        if error.permanent:
            reason = f"Refused (permanent): {error.reason}"[:500]
            log.warning("reminder %s failed permanently: %s", reminder_id, error.reason)
            return Decision(
                "failed",
                reason,
                {"status": "failed", "last_error": reason, "next_attempt_at": None},
            )
        delay = self.settings.retry_delay(attempt)
        if delay is None:
            reason = f"Gave up after {attempt} attempts: {error.reason}"[:500]
            log.warning("reminder %s: attempt %s/%s failed; giving up", reminder_id, attempt, total)
            return Decision(
                "failed",
                reason,
                {"status": "failed", "last_error": reason, "next_attempt_at": None},
            )
        reason = f"Attempt {attempt}/{total} failed: {error.reason}"[:500]
        log.info(
            "reminder %s: attempt %s/%s failed, retrying in %s: %s",
            reminder_id,
            attempt,
            total,
            delay,
            error.reason,
        )
        return Decision(
            "retry",
            reason,
            {"status": "pending", "last_error": reason, "next_attempt_at": now + delay},
        )

    def send_one(self, now: datetime) -> Outcome | None:
        """Claim, render, send and record one due reminder; None when nothing was due."""
        reminder_id = retry.run_unit(lambda: self.claim(now), what="claiming a reminder")
        if reminder_id is None:
            return None
        decision = self.deliver(reminder_id, now)
        held, _ = self._record(reminder_id, now, decision)
        return Outcome(reminder_id, decision.outcome if held else "lost_lease", decision.detail)

    def _record(
        self,
        reminder_id: int,
        now: datetime,
        decision: Decision,
        *,
        claim_next_at: datetime | None = None,
        beat_at: datetime | None = None,
    ) -> tuple[bool, int | None]:
        """Record ``decision`` (and claim the next reminder, and write the heartbeat, in the same
        short write transaction); whether the lease was held, and the next claim's id.

        Once SMTP has accepted a message its outcome must stick: a record lost to a lock would
        leave the reminder ``sending`` and the reaper would send it again after the lease. So a
        transient lock is retried with backoff (``retry.RECORD_BACKOFF_SECONDS``, well inside
        the lease); only a database that stays unavailable longer leaves it to the reaper.
        """

        def unit() -> tuple[bool, int | None]:
            self._begin_write()
            held = self.record(reminder_id, now, commit=False, **decision.values)
            following = self.claim(claim_next_at, commit=False) if claim_next_at else None
            if beat_at is not None:
                _upsert_heartbeat(HEARTBEAT_SEND, beat_at, self.name)
            db.session.commit()
            return held, following

        return retry.run_unit(
            unit,
            what=f"reminder {reminder_id}: recording the outcome",
            backoff=retry.RECORD_BACKOFF_SECONDS,
        )

    # The reaper --------------------------------------------------------------------------------

    def reap(self, now: datetime) -> int:
        """Return reminders whose lease expired (their sender died) to ``pending``; commit.

        A reminder that has used up its attempts this way fails instead: a message that kills
        its sender every time must not be retried for ever. Returns how many it found.
        """
        expired = sa.and_(Reminder.status == "sending", Reminder.lease_expires_at < now)
        reason = "The sender stopped before recording the outcome (lease expired)."
        self._begin_write()
        gave_up = db.session.execute(
            sa.update(Reminder)
            .where(expired, Reminder.attempts >= self.settings.max_attempts)
            .values(
                status="failed",
                last_error=f"Gave up: {reason}",
                lease_expires_at=None,
                leased_by=None,
                next_attempt_at=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        returned = db.session.execute(
            sa.update(Reminder)
            .where(expired)
            .values(
                status="pending",
                last_error=reason,
                lease_expires_at=None,
                leased_by=None,
                next_attempt_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        found = (gave_up or 0) + (returned or 0)
        if found:
            log.warning("reaper: %s expired lease(s) returned, %s given up", returned, gave_up)
        return found

    # A sweep -----------------------------------------------------------------------------------

    def capped(self, now: datetime) -> bool:
        """Whether this sender has sent its ``REMINDER_SENDS_PER_MINUTE`` in the last minute."""
        cap = self.settings.per_minute
        while self._recent and self._recent[0] <= now - timedelta(minutes=1):
            self._recent.popleft()
        return cap > 0 and len(self._recent) >= cap

    def send_due(self, clock: Clock = utc_now) -> SweepResult:
        """Send due reminders until none is left, the per-minute cap is reached or ``stop`` is
        set (the message in flight is finished and recorded first), or the sweep has run for
        ``REMINDER_SWEEP_MAX_SECONDS``. Writes the heartbeat at the end, and every
        ``REMINDER_SWEEP_SECONDS`` during a long sweep (a busy scheduler is not a dead one).

        Each reminder's outcome is committed before the next is sent, in the same transaction
        that claims the next one.
        """
        result = SweepResult()
        started = time.monotonic()
        # The first recorded outcome beats too: a first sweep with a full outbox must not read
        # as "never run" until it ends.
        last_beat = started - self.settings.sweep_every
        try:
            claimed = None
            result.capped = self.capped(clock())
            if not self.stop.is_set() and not result.capped:
                claimed = retry.run_unit(lambda: self.claim(clock()), what="claiming a reminder")
            while claimed is not None:
                now = clock()
                decision = self.deliver(claimed, now)
                later = clock()
                result.capped = self.capped(later)
                result.timed_out = time.monotonic() - started >= self.settings.sweep_max
                more = not (self.stop.is_set() or result.capped or result.timed_out)
                beat_due = time.monotonic() - last_beat >= self.settings.sweep_every
                held, following = self._record(
                    claimed,
                    now,
                    decision,
                    claim_next_at=later if more else None,
                    beat_at=later if beat_due else None,
                )
                if beat_due:
                    last_beat = time.monotonic()
                result.add(
                    Outcome(claimed, decision.outcome if held else "lost_lease", decision.detail)
                )
                claimed = following
        finally:
            self.transport.close()
            db.session.rollback()
            self._practices.clear()
            self._practitioners.clear()
        retry.run_unit(lambda: beat(HEARTBEAT_SEND, clock(), self.name), what="the heartbeat")
        return result


# --- Heartbeats and the daily replan ----------------------------------------------------------


def _upsert_heartbeat(name: str, when: datetime, host: str) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(SchedulerHeartbeat).values(name=name, beat_at=when, host=host[:120])
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"beat_at": when, "host": host[:120]}
        )
    )


def beat(name: str, when: datetime, host: str) -> None:
    """Record that sweep ``name`` ran (commits)."""
    db.session.rollback()
    _upsert_heartbeat(name, when, host)
    db.session.commit()


def claim_daily_replan(now: datetime, host: str, every: timedelta) -> bool:
    """Take today's replan for this process (commits); False if another did it recently.

    The heartbeat row doubles as the lock: one conditional UPDATE, so with several scheduler
    processes the replan runs once a day, not once per process.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.rollback()
    db.session.execute(
        insert(SchedulerHeartbeat)
        .values(name=HEARTBEAT_REPLAN, beat_at=datetime(2000, 1, 1, tzinfo=UTC), host="")
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        sa.update(SchedulerHeartbeat)
        .where(
            SchedulerHeartbeat.name == HEARTBEAT_REPLAN, SchedulerHeartbeat.beat_at <= now - every
        )
        .values(beat_at=now, host=host[:120])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(taken)


def replan_all(now: datetime, *, batch_size: int = 200, catch_up_days: int = 0) -> int:
    """Re-project every client with an email address and replan their reminders, committing
    per batch. Dates move with time (the yearly self-check, "book now" once due), so this runs
    daily. Returns the number of clients replanned."""
    from smptrack.services import projections

    ids = db.session.scalars(
        sa.select(Client.id).where(Client.email.is_not(None)).order_by(Client.id)
    ).all()
    for start in range(0, len(ids), batch_size):
        batch = db.session.scalars(
            sa.select(Client).where(Client.id.in_(ids[start : start + batch_size]))
        ).all()
        loaded = projections.load_inputs_many(batch)
        for client in batch:
            projections.refresh_client(client, now, loaded[client.id])
            reminder_service.plan_reminders(client, now, catch_up_days=catch_up_days)
        db.session.commit()
    return len(ids)


# --- Rendering helpers ------------------------------------------------------------------------


SUBJECTS = {
    "aftercare": "Aftercare: day {day}",
    "healed_check": "Healed at day {day}: time for a quick check",
    "next_session": "Your next session is due around {suggested}",
    "self_check": "Your yearly check-in",
    "assessment": "Time for a check with {practice}",
    "touch_up": "Time to book your touch-up",
}
EVENT_SUMMARIES = {
    "aftercare": "Aftercare",
    "healed_check": "Healed check",
    "next_session": "Next session (suggested date)",
    "self_check": "Yearly self-check",
    "assessment": "Check with your practitioner (suggested date)",
    "touch_up": "Touch-up due (estimated date)",
}


def subject_for(kind: str, details: dict, practice: str | None) -> str:
    suggested = _date(details.get("suggested_on"))
    if kind == "aftercare" and details.get("day") == 0:
        return "Aftercare after your session"
    return SUBJECTS[kind].format(
        day=details.get("day", ""),
        suggested=long_date(suggested) if suggested else "soon",
        practice=practice or "your practitioner",
    )


def long_date(value: Any) -> str:
    """ "Thursday 12 March 2026"; empty for anything that is not a date (a missing detail)."""
    if not isinstance(value, date):
        return ""
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


# --- Running: one sweep, a background scheduler, the scheduler process ------------------------


def run_once(
    app: Flask, clock: Clock = utc_now, stop: threading.Event | None = None
) -> SweepResult:
    """One reap and one send sweep (``smptrack reminders send-due``, for cron); account mail
    (invitations, resets) first, then reminders."""
    from smptrack.account_mail_sender import AccountMailSender

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

    from smptrack import account_mail_sender

    config = app.config
    sender = Sender(app, stop=stop)
    account_mail = account_mail_sender.AccountMailSender(
        app, settings=sender.settings, name=sender.name, stop=stop
    )
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

    def send() -> None:
        result = sender.send_due()
        if result.outcomes:
            log.info("send sweep: %s", result.summary())

    common = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": grace,
        "replace_existing": True,
    }
    scheduler.add_job(
        _job(app, "send_due", send),
        IntervalTrigger(seconds=float(setting(config, "REMINDER_SWEEP_SECONDS"))),
        id="send_due",
        name="Send due reminders",
        next_run_time=now,
        **common,
    )
    scheduler.add_job(
        _job(app, "send_account_mail", send_account_mail),
        IntervalTrigger(seconds=float(account_mail_sender.sweep_seconds(config))),
        id="send_account_mail",
        name="Send invitations and password resets",
        next_run_time=now,
        **common,
    )
    scheduler.add_job(
        _job(app, "reap_leases", reap),
        IntervalTrigger(seconds=float(setting(config, "REMINDER_REAP_SECONDS"))),
        id="reap_leases",
        name="Return expired leases",
        next_run_time=now,
        **common,
    )
    scheduler.add_job(
        _job(app, "daily_replan", replan),
        IntervalTrigger(seconds=float(setting(config, "REMINDER_REPLAN_CHECK_SECONDS"))),
        id="daily_replan",
        name="Replan every client once a day",
        next_run_time=now + timedelta(seconds=5),
        **common,
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
