"""The account-mail sender: drains the ``account_mail`` outbox (invitations, password resets).

The same outbox discipline as the reminder sender (``smptrack.sending.outbox``: claim, record,
reap, with its loss bound), in short transactions that never span the SMTP exchange:
``claim`` -> ``deliver`` (render ``templates/emails/<template>.txt`` and ``.html`` with the
row's context and hand it to the transport; writes nothing) -> ``record``. Temporary failures
retry after the reminders' backoff table (``REMINDER_BACKOFF_SECONDS``, "attempt n/N");
permanent ones (5xx) fail at once. Unlike reminders, account mail ignores waking hours:
someone is waiting for it.

Once a row is sent, or has failed for good, its context is emptied: it held the reset or
invitation link, a live secret, which must not outlive its use in the database. A row whose
``expires_at`` has passed (the link in it no longer works) fails instead of being sent.

Nothing runs at import; ``smptrack.sending.scheduler`` calls ``send_due`` and ``reap``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import render_template

from smptrack import mail, retry
from smptrack.extensions import db
from smptrack.models import AccountMail
from smptrack.sending import outbox
from smptrack.sending.settings import Clock

log = logging.getLogger(__name__)


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


class AccountMailSender(outbox.OutboxSender):
    """Sends due account mail. Call inside an app context; one sender per thread.

    ``settings`` is the reminder sender's ``SenderSettings`` (lease, backoff table, per-minute
    cap, sender address): both outboxes follow one set of delivery rules.
    """

    # 1. claim ----------------------------------------------------------------------------------

    def claim(self, now: datetime) -> int | None:
        """Lease the oldest due row (attempts + 1) and commit; its id, or None."""
        outbox.begin_write()
        claimed = outbox.claim(
            AccountMail,
            (AccountMail.status == "pending") & (AccountMail.next_attempt_at <= now),
            (AccountMail.next_attempt_at, AccountMail.id),
            name=self.name,
            lease_until=now + self.settings.lease,
        )
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
            error = outbox.compose_failure(f"account mail {mail_id}", exc)
            return self._failure(mail_id, row.attempts, error, now)
        attempt = row.attempts
        try:
            self.transport.send(message)
        except mail.DeliveryError as error:
            return self._failure(mail_id, attempt, error, now)
        self.cap.sent(now)
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
        failed = outbox.failure(self.settings, f"account mail {mail_id}", attempt, error, now)
        if failed.status == "failed":
            # The link in its context must not outlive the message's last chance.
            return {"status": "failed", "last_error": failed.reason, "context": {}}
        return {
            "status": "pending",
            "last_error": failed.reason,
            "next_attempt_at": failed.retry_at,
        }

    # 3. record ---------------------------------------------------------------------------------

    def record(self, mail_id: int, values: dict[str, Any]) -> bool:
        """Write the outcome if this sender still holds the lease (released); commit."""
        outbox.begin_write()
        held = outbox.record(AccountMail, mail_id, name=self.name, values=values)
        db.session.commit()
        return held

    # The reaper and the sweep ------------------------------------------------------------------

    def reap(self, now: datetime) -> int:
        """Return rows whose lease expired (their sender died) to ``pending``; commit.

        A row that has used up its attempts this way fails (and loses its link) instead.
        """
        return outbox.reap(
            AccountMail,
            now,
            max_attempts=self.settings.max_attempts,
            give_up={"context": {}},
        )

    def capped(self, now: datetime) -> bool:
        return self.cap.reached(now)

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
