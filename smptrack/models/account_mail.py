"""The account-mail outbox: invitations, password resets and other mail about a login.

A request that must send such a mail inserts one row and commits; the worker's sweep renders
and delivers it later (``smptrack.sending.account_mail``). So a slow or absent SMTP server
neither slows the request (which would tell a visitor whether an address is registered) nor
loses the mail (it is retried from the backoff table).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import ACCOUNT_MAIL_STATUSES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow


class AccountMail(db.Model):
    """One mail to send: pending -> sending (claimed, leased) -> sent or failed; a temporary
    failure goes back to pending. Rendered at send time from ``templates/emails/<template>``
    (.txt and .html) with ``context``, which may hold a secret link (a reset or invitation
    token): the sender empties it once the mail is sent or has failed for good.

    ``client_id`` ties an invitation to the client record it is about, so that erasing the
    client deletes its rows (ON DELETE CASCADE).
    """

    __tablename__ = "account_mail"
    __table_args__ = (
        one_of("status", ACCOUNT_MAIL_STATUSES),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # The sender's sweep: pending rows whose time has come, oldest first.
        sa.Index("ix_account_mail_status_next", "status", "next_attempt_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    template: so.Mapped[str] = so.mapped_column(sa.String(60))
    context: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    client_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    lease_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    leased_by: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    message_id: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
