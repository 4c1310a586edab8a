"""One outbox discipline for both senders (reminders, account mail): lease, record, reap.

An outbox table has ``status``, ``attempts``, ``leased_by`` and ``lease_expires_at`` columns.
Each step is one short write transaction that never spans the SMTP exchange:

- ``claim``: one conditional UPDATE of the oldest due row (status ``sending``, attempts + 1, a
  lease). PostgreSQL picks it ``FOR UPDATE SKIP LOCKED``, so concurrent senders pass each other
  by; SQLite runs it inside ``BEGIN IMMEDIATE``, which takes the single write lock up front, so
  two senders never both read "pending" and then both try to upgrade to writing (its deadlock).
- ``record``: the outcome, only while this sender still holds the lease; the lease is released.
- ``reap``: rows whose lease expired (their sender died) go back to ``pending``, or fail once
  they have used up their attempts (a message that kills its sender must not loop for ever).

A sender that dies between the SMTP server's acceptance and ``record`` leaves its row
``sending``; the reaper returns it after the lease and it is sent again with the same
Message-ID: at most one repeat per crash, never a loss.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from smptrack import mail
from smptrack.extensions import db
from smptrack.sending.settings import SenderSettings, sender_name

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

REAPED = "The sender stopped before recording the outcome (lease expired)."


def begin_write() -> None:
    """End any transaction and start a write transaction (SQLite: ``BEGIN IMMEDIATE``; on
    PostgreSQL an ordinary one, row locks do the rest)."""
    db.session.commit()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def claim(
    model: Any,
    due: sa.ColumnElement[bool],
    order_by: tuple[Any, ...],
    *,
    name: str,
    lease_until: datetime,
) -> int | None:
    """Lease the first row of ``model`` matching ``due`` in ``order_by`` (attempts + 1) in the
    caller's write transaction; its id, or None. The caller has begun the transaction and
    commits it."""
    pick = sa.select(model.id).where(due).order_by(*order_by).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    return db.session.execute(
        sa.update(model)
        .where(model.id == pick.scalar_subquery(), model.status == "pending")
        .values(
            status="sending",
            attempts=model.attempts + 1,
            leased_by=name,
            lease_expires_at=lease_until,
        )
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).scalar()


def record(model: Any, row_id: int, *, name: str, values: dict[str, Any]) -> bool:
    """Write ``values`` (and release the lease) if ``name`` still holds the row's lease, in the
    caller's transaction; False, with a warning, when it lost the lease."""
    values = {"lease_expires_at": None, "leased_by": None, **values}
    result = db.session.execute(
        sa.update(model)
        .where(model.id == row_id, model.status == "sending", model.leased_by == name)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    held = bool(result.rowcount)
    if not held:
        log.warning("%s %s: lease lost before recording %s", model.__tablename__, row_id, values)
    return held


def reap(
    model: Any,
    now: datetime,
    *,
    max_attempts: int,
    give_up: dict[str, Any] | None = None,
    give_back: dict[str, Any] | None = None,
) -> int:
    """Return rows whose lease expired to ``pending`` (``next_attempt_at`` now), or fail those
    that used up ``max_attempts``; commits. ``give_up`` and ``give_back`` add columns to each
    case. Returns how many rows it found."""
    expired = sa.and_(model.status == "sending", model.lease_expires_at < now)
    released = {"lease_expires_at": None, "leased_by": None}
    begin_write()
    gave_up = db.session.execute(
        sa.update(model)
        .where(expired, model.attempts >= max_attempts)
        .values(status="failed", last_error=f"Gave up: {REAPED}", **released, **(give_up or {}))
        .execution_options(synchronize_session=False)
    ).rowcount
    returned = db.session.execute(
        sa.update(model)
        .where(expired)
        .values(
            status="pending",
            last_error=REAPED,
            next_attempt_at=now,
            **released,
            **(give_back or {}),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    found = (gave_up or 0) + (returned or 0)
    if found:
        log.warning(
            "reaper (%s): %s expired lease(s) returned, %s given up",
            model.__tablename__,
            returned,
            gave_up,
        )
    return found


@dataclass(frozen=True)
class Failure:
    """What a failed attempt leaves: ``failed`` for good, or ``pending`` until ``retry_at``."""

    status: str  # failed | pending
    reason: str
    retry_at: datetime | None = None


def failure(
    settings: SenderSettings, what: str, attempt: int, error: mail.DeliveryError, now: datetime
) -> Failure:
    """Attempt ``attempt`` of ``what`` failed: retry after the backoff table's delay ("attempt
    n/N"), or fail for good when the error is permanent or the attempts are used up."""
    total = settings.max_attempts
    if error.permanent:
        reason = f"Refused (permanent): {error.reason}"[:500]
        log.warning("%s failed permanently: %s", what, error.reason)
        return Failure("failed", reason)
    delay = settings.retry_delay(attempt)
    if delay is None:
        reason = f"Gave up after {attempt} attempts: {error.reason}"[:500]
        log.warning("%s: attempt %s/%s failed; giving up", what, attempt, total)
        return Failure("failed", reason)
    reason = f"Attempt {attempt}/{total} failed: {error.reason}"[:500]
    log.info("%s: attempt %s/%s failed, retrying in %s: %s", what, attempt, total, delay, error)
    return Failure("pending", reason, now + delay)


def compose_failure(what: str, exc: Exception) -> mail.DeliveryError:
    """A template or data error while composing ``what``, as a temporary delivery failure: it
    is retried like one, so a fix deployed within the backoff table still delivers it. Rolls
    the session back (the error may have left it unusable)."""
    db.session.rollback()
    log.exception("%s could not be rendered", what)
    reason = f"could not compose the message: {type(exc).__name__}: {exc}"
    return mail.DeliveryError(reason[:480], False)


class PerMinuteCap:
    """A sender's ``REMINDER_SENDS_PER_MINUTE``: the moments of its sends in the last minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._recent: deque[datetime] = deque()

    def sent(self, now: datetime) -> None:
        self._recent.append(now)

    def reached(self, now: datetime) -> bool:
        while self._recent and self._recent[0] <= now - timedelta(minutes=1):
            self._recent.popleft()
        return self.per_minute > 0 and len(self._recent) >= self.per_minute


class OutboxSender:
    """What both senders are made of: the app, its settings and transport, a name for leases,
    a stop flag and the per-minute cap. Each subclass adds its own claim-send-record steps."""

    def __init__(
        self,
        app: Flask,
        *,
        settings: SenderSettings | None = None,
        transport: mail.Transport | None = None,
        name: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.app = app
        self.settings = settings or SenderSettings.from_config(app.config)
        self.transport = transport or mail.transport_for(app.config)
        self.name = name or sender_name()
        self.stop = stop or threading.Event()
        self.cap = PerMinuteCap(self.settings.per_minute)
