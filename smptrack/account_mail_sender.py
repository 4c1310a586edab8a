"""The account-mail sender: drains the ``account_mail`` outbox (invitations, password resets).

The same discipline as the reminder sender (``smptrack.worker``), in short transactions that
never span the SMTP exchange:

1. ``claim``: lease one due row atomically (status ``sending``, attempts + 1, a lease) and
   commit. PostgreSQL picks it ``FOR UPDATE SKIP LOCKED``; SQLite runs one conditional UPDATE
   inside ``BEGIN IMMEDIATE``.
2. ``deliver``: render ``templates/emails/<template>.txt`` and ``.html`` with the row's context
   and hand the message to the transport. Writes nothing.
3. ``record``: the outcome, only while still holding the lease, and commit.

Loss bound: a sender that dies after the SMTP server accepted a message and before step 3
leaves the row ``sending``; ``reap`` returns it to ``pending`` once the lease expires and it is
sent again (at most one repeat per crash, with the same Message-ID), never lost. Temporary
failures retry after the reminders' backoff table (``REMINDER_BACKOFF_SECONDS``, "attempt n/N");
permanent ones (5xx) fail at once. Unlike reminders, account mail ignores waking hours: someone
is waiting for it.

Once a row is sent, or has failed for good, its context is emptied: it held the reset or
invitation link, a live secret, which must not outlive its use in the database. A row whose
``expires_at`` has passed (the link in it no longer works) fails instead of being sent.

Nothing runs at import; ``smptrack.worker`` calls ``send_due`` and ``reap`` from its sweeps.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template

from smptrack import mail, retry
from smptrack.extensions import db
from smptrack.models import AccountMail

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

DEFAULTS: dict[str, Any] = {
    # How often a scheduler process looks for account mail: someone is waiting for a reset link.
    "ACCOUNT_MAIL_SWEEP_SECONDS": 5,
}


@dataclass
class AccountMailResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.lost

    def summary(self) -> str:
        return f"account mail: sent {self.sent}, retried later {self.retried}, failed {self.failed}"


class AccountMailSender:
    """Sends due account mail. Call inside an app context; one sender per thread.

    ``settings`` is the reminder sender's ``SenderSettings`` (lease, backoff table, per-minute
    cap, sender address): both outboxes follow one set of delivery rules.
    """

    def __init__(
        self,
        app: Flask,
        *,
        settings: Any = None,
        transport: mail.Transport | None = None,
        name: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        from smptrack.worker import SenderSettings, sender_name

        self.app = app
        self.settings = settings or SenderSettings.from_config(app.config)
        self.transport = transport or mail.transport_for(app.config)
        self.name = name or sender_name()
        self.stop = stop or threading.Event()
        self._recent: deque[datetime] = deque()

    def _begin_write(self) -> None:
        """End any transaction and start a write one (SQLite: take the write lock up front,
        so two senders never both read "pending" and then both try to write)."""
        db.session.commit()
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    # 1. claim ----------------------------------------------------------------------------------

    def claim(self, now: datetime) -> int | None:
        """Lease the oldest due row (attempts + 1) and commit; its id, or None."""
        self._begin_write()
        due = sa.and_(AccountMail.status == "pending", AccountMail.next_attempt_at <= now)
        pick = (
            sa.select(AccountMail.id)
            .where(due)
            .order_by(AccountMail.next_attempt_at, AccountMail.id)
            .limit(1)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claimed = db.session.execute(
            sa.update(AccountMail)
            .where(AccountMail.id == pick.scalar_subquery(), AccountMail.status == "pending")
            .values(
                status="sending",
                attempts=AccountMail.attempts + 1,
                leased_by=self.name,
                lease_expires_at=now + self.settings.lease,
            )
            .returning(AccountMail.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        db.session.commit()
        return claimed

    # 2. render and send ------------------------------------------------------------------------

    def compose(self, row: AccountMail, now: datetime) -> EmailMessage:
        context = dict(row.context or {})
        text = render_template(f"emails/{row.template}.txt", **context)
        html = render_template(f"emails/{row.template}.html", **context)
        return mail.compose(
            sender=self.settings.mail_from,
            to=row.recipient,
            subject=row.subject,
            text=text,
            html=html,
            message_id=message_id_for(row, self.settings.mail_from),
            now=now,
            headers={"Auto-Submitted": "auto-generated"},
        )

    def deliver(self, mail_id: int, now: datetime) -> dict[str, Any]:
        """Render and send a claimed row; the column values to record (writes nothing)."""
        row = db.session.get(AccountMail, mail_id, populate_existing=True)
        expires_at = (row.context or {}).get("expires_at")
        if expires_at and datetime.fromisoformat(expires_at) <= now:
            reason = "Not sent: the link in it expired before it could be delivered."
            log.warning("account mail %s: %s", mail_id, reason)
            return {"status": "failed", "last_error": reason, "context": {}}
        try:
            message = self.compose(row, now)
        except Exception as exc:
            # A template or data error: retried like a temporary failure, so a fix deployed
            # within the backoff table still delivers it.
            db.session.rollback()
            log.exception("account mail %s could not be rendered", mail_id)
            error = mail.DeliveryError(
                f"could not compose the message: {type(exc).__name__}: {exc}"[:480], False
            )
            return self._failure(mail_id, row.attempts, error, now)
        attempt = row.attempts
        try:
            self.transport.send(message)
        except mail.DeliveryError as error:
            return self._failure(mail_id, attempt, error, now)
        self._recent.append(now)
        return {
            "status": "sent",
            "sent_at": now,
            "message_id": message["Message-ID"],
            "last_error": None,
            # The link (a live token) is not kept once it has left.
            "context": {},
        }

    def _failure(
        self, mail_id: int, attempt: int, error: mail.DeliveryError, now: datetime
    ) -> dict[str, Any]:
        total = self.settings.max_attempts
        delay = None if error.permanent else self.settings.retry_delay(attempt)
        if delay is None:
            why = "Refused (permanent)" if error.permanent else f"Gave up after {attempt} attempts"
            reason = f"{why}: {error.reason}"[:500]
            log.warning("account mail %s failed: %s", mail_id, reason)
            return {"status": "failed", "last_error": reason, "context": {}}
        reason = f"Attempt {attempt}/{total} failed: {error.reason}"[:500]
        log.info("account mail %s: %s; retrying in %s", mail_id, reason, delay)
        return {"status": "pending", "last_error": reason, "next_attempt_at": now + delay}

    # 3. record ---------------------------------------------------------------------------------

    def record(self, mail_id: int, values: dict[str, Any]) -> bool:
        """Write the outcome if this sender still holds the lease (released); commit."""
        values = {"lease_expires_at": None, "leased_by": None, **values}
        self._begin_write()
        result = db.session.execute(
            sa.update(AccountMail)
            .where(
                AccountMail.id == mail_id,
                AccountMail.status == "sending",
                AccountMail.leased_by == self.name,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        held = bool(result.rowcount)
        if not held:
            log.warning("account mail %s: lease lost before recording %s", mail_id, values)
        return held

    # The reaper and the sweep ------------------------------------------------------------------

    def reap(self, now: datetime) -> int:
        """Return rows whose lease expired (their sender died) to ``pending``; commit.

        A row that has used up its attempts this way fails (and loses its link) instead.
        """
        expired = sa.and_(AccountMail.status == "sending", AccountMail.lease_expires_at < now)
        reason = "The sender stopped before recording the outcome (lease expired)."
        released = {"lease_expires_at": None, "leased_by": None}
        self._begin_write()
        gave_up = db.session.execute(
            sa.update(AccountMail)
            .where(expired, AccountMail.attempts >= self.settings.max_attempts)
            .values(status="failed", last_error=f"Gave up: {reason}", context={}, **released)
            .execution_options(synchronize_session=False)
        ).rowcount
        returned = db.session.execute(
            sa.update(AccountMail)
            .where(expired)
            .values(status="pending", last_error=reason, next_attempt_at=now, **released)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        found = (gave_up or 0) + (returned or 0)
        if found:
            log.warning("account mail reaper: %s returned, %s given up", returned, gave_up)
        return found

    def capped(self, now: datetime) -> bool:
        cap = self.settings.per_minute
        while self._recent and self._recent[0] <= now - timedelta(minutes=1):
            self._recent.popleft()
        return cap > 0 and len(self._recent) >= cap

    def send_due(self, clock: Clock) -> AccountMailResult:
        """Send due account mail until none is left, the per-minute cap is reached or ``stop``
        is set (the message in flight is finished and recorded first)."""
        result = AccountMailResult()
        try:
            while not self.stop.is_set() and not self.capped(clock()):
                mail_id = self.claim(clock())
                if mail_id is None:
                    break
                values = self.deliver(mail_id, clock())
                # Once SMTP has accepted it, the outcome must stick: a record lost to a lock
                # would let the reaper send it again. Retried with backoff (smptrack/retry.py).
                held = retry.run_unit(
                    functools.partial(self.record, mail_id, values),
                    what=f"account mail {mail_id}: recording the outcome",
                    backoff=retry.RECORD_BACKOFF_SECONDS,
                )
                if not held:
                    result.lost += 1
                elif values["status"] == "sent":
                    result.sent += 1
                elif values["status"] == "pending":
                    result.retried += 1
                else:
                    result.failed += 1
        finally:
            self.transport.close()
            db.session.rollback()
        return result


def message_id_for(row: AccountMail, sender: str) -> str:
    """The same row always carries the same Message-ID, so a crash-repeat is recognisable."""
    digest = hashlib.sha256(f"account-mail:{row.id}:{row.created_at.isoformat()}".encode())
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<account.{digest.hexdigest()[:32]}@{domain}>"


def sweep_seconds(config: Any) -> float:
    value = config.get("ACCOUNT_MAIL_SWEEP_SECONDS")
    return float(DEFAULTS["ACCOUNT_MAIL_SWEEP_SECONDS"] if value in (None, "") else value)
