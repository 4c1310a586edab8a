"""The reminder sender: small steps that each say whether they found work.

One reminder at a time, in short transactions that never span the SMTP exchange:

1. ``claim``: lease one due reminder (``outbox.claim``) and commit.
2. ``render``: the email for that reminder, in the client's own words and time zone, or why it
   must wait (waking hours) or be dropped (no address, unsubscribed).
3. ``send``: hand it to the transport (one SMTP connection reused for the sweep).
4. ``record``: the outcome, conditional on still holding the lease, and commit. Within a
   sweep the record of one reminder and the claim of the next share that commit, so each
   reminder costs one commit (on SQLite every commit waits for the disk under one write lock).

Loss bound: see ``smptrack.sending.outbox`` (at most one repeat per crash, never a loss, the
repeat with the same Message-ID). Temporary failures are retried after the delays of the
backoff table (``attempt n/N`` in the reminder's last error); permanent ones fail the reminder
with the server's answer. A reminder past its ``stale_after`` is skipped, never sent. Each
process sends at most ``REMINDER_SENDS_PER_MINUTE`` messages a minute.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask

from smptrack import mail, retry
from smptrack.domain import protocol
from smptrack.extensions import db
from smptrack.models import Client, Reminder, User
from smptrack.sending import outbox
from smptrack.sending.compose import compose_reminder
from smptrack.sending.heartbeat import beat, upsert_heartbeat
from smptrack.sending.settings import Clock, utc_now
from smptrack.services import reminder_facts
from smptrack.services.heartbeats import HEARTBEAT_SEND

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one claimed reminder."""

    reminder_id: int
    status: str  # sent | retry | failed | deferred | cancelled | skipped | lost_lease
    detail: str = ""


_COUNTERS = {
    "sent": "sent",
    "retry": "retried",
    "failed": "failed",
    "deferred": "deferred",
    "cancelled": "cancelled",
    "skipped": "skipped",
    "lost_lease": "lost",
}


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
        attribute = _COUNTERS[outcome.status]
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


class Sender(outbox.OutboxSender):
    """Sends due reminders. Call its methods inside an app context; one sender per thread.

    The steps, each usable on its own (the tests drive them one at a time):
    ``claim`` -> ``render`` -> ``send`` -> ``record``; ``reap`` for expired leases; and
    ``send_due``, the sweep.
    """

    def __init__(self, app: Flask, **wiring: Any) -> None:
        super().__init__(app, **wiring)
        # Per sweep caches: a sweep sends for few practices, so each is read once.
        self._practices: dict[int | None, reminder_facts.PracticeProtocol] = {}
        self._practitioners: dict[int, User | None] = {}
        self._studios: dict[int | None, reminder_facts.Studio | None] = {}

    # The sweep ---------------------------------------------------------------------------------

    def send_due(self, clock: Clock = utc_now) -> SweepResult:
        """Send due reminders until none is left, the per-minute cap is reached or ``stop`` is
        set (the message in flight is finished and recorded first), or the sweep has run for
        ``REMINDER_SWEEP_MAX_SECONDS``. Writes the heartbeat at the end, and every
        ``REMINDER_SWEEP_SECONDS`` during a long sweep (a busy scheduler is not a dead one).

        Each reminder's outcome is committed in the same transaction that claims the next one.
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
            self._studios.clear()
        retry.run_unit(lambda: beat(HEARTBEAT_SEND, clock(), self.name), what="the heartbeat")
        return result

    def send_one(self, now: datetime) -> Outcome | None:
        """Claim, render, send and record one due reminder; None when nothing was due."""
        reminder_id = retry.run_unit(lambda: self.claim(now), what="claiming a reminder")
        if reminder_id is None:
            return None
        decision = self.deliver(reminder_id, now)
        held, _ = self._record(reminder_id, now, decision)
        return Outcome(reminder_id, decision.outcome if held else "lost_lease", decision.detail)

    def capped(self, now: datetime) -> bool:
        """Whether this sender has sent its ``REMINDER_SENDS_PER_MINUTE`` in the last minute."""
        return self.cap.reached(now)

    # 1. claim ----------------------------------------------------------------------------------

    def claim(self, now: datetime, *, commit: bool = True) -> int | None:
        """Lease the oldest due reminder (attempts + 1); its id, or None when nothing is due.
        With ``commit=False`` the caller has begun the write transaction and commits it."""
        if commit:
            outbox.begin_write()
        claimed = outbox.claim(
            Reminder,
            _due(now),
            (Reminder.due_at, Reminder.id),
            name=self.name,
            lease_until=now + self.settings.lease,
        )
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
        if reminder_facts.is_unsubscribed(client, reminder.kind):
            return NotNow("Cancelled: the client unsubscribed.")
        practice = self._practice(client.practice_id)
        zone = reminder_facts.client_zone(client)
        if self.settings.respect_waking_hours:
            awake = protocol.next_waking_moment(now, zone, practice.hours)
            if awake > now:
                return NotNow("Waiting for the client's waking hours.", until=awake)
        practitioner = self._practitioner(client.practitioner_id)
        if client.practice_id not in self._studios:
            self._studios[client.practice_id] = reminder_facts.studio_of(client.practice_id)
        message = compose_reminder(
            self.app,
            self.settings,
            reminder,
            client,
            practice,
            practitioner,
            now,
            studio=self._studios[client.practice_id],
        )
        return Rendered(message, client.email)

    def _practice(self, practice_id: int | None) -> reminder_facts.PracticeProtocol:
        # Cached for one sweep (cleared at its end): settings rarely change mid-sweep.
        if practice_id not in self._practices:
            self._practices[practice_id] = reminder_facts.practice_protocol(practice_id)
        return self._practices[practice_id]

    def _practitioner(self, practitioner_id: int | None) -> User | None:
        if practitioner_id is None:
            return None
        if practitioner_id not in self._practitioners:
            self._practitioners[practitioner_id] = db.session.get(User, practitioner_id)
        return self._practitioners[practitioner_id]

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
        if commit:
            outbox.begin_write()
        held = outbox.record(Reminder, reminder_id, name=self.name, values=values)
        if commit:
            db.session.commit()
        return held

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
            outbox.begin_write()
            held = self.record(reminder_id, now, commit=False, **decision.values)
            following = self.claim(claim_next_at, commit=False) if claim_next_at else None
            if beat_at is not None:
                upsert_heartbeat(HEARTBEAT_SEND, beat_at, self.name)
            db.session.commit()
            return held, following

        return retry.run_unit(
            unit,
            what=f"reminder {reminder_id}: recording the outcome",
            backoff=retry.RECORD_BACKOFF_SECONDS,
        )

    # Between send and record: what to write --------------------------------------------------

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
            error = outbox.compose_failure(f"reminder {reminder_id}", exc)
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
        self.cap.sent(now)
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
        failed = outbox.failure(self.settings, f"reminder {reminder_id}", attempt, error, now)
        outcome = "failed" if failed.status == "failed" else "retry"
        values = {"status": failed.status, "last_error": failed.reason}
        return Decision(outcome, failed.reason, {**values, "next_attempt_at": failed.retry_at})

    # The reaper --------------------------------------------------------------------------------

    def reap(self, now: datetime) -> int:
        """Return reminders whose lease expired (their sender died) to ``pending``; commit.
        One that has used up its attempts this way fails instead. Returns how many it found."""
        return outbox.reap(
            Reminder,
            now,
            max_attempts=self.settings.max_attempts,
            give_up={"next_attempt_at": None},
        )


def _due(now: datetime) -> Any:
    return sa.and_(
        Reminder.status == "pending",
        Reminder.due_at <= now,
        sa.or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
    )
