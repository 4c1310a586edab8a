"""The reminder outbox, each client's reminder preferences, and the scheduler's heartbeat."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import REMINDER_KINDS, REMINDER_STATUSES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow, within


class Reminder(db.Model):
    """One email to send. The outbox row, not a scheduler job, is the source of truth.

    ``dedupe_key`` is unique: planning the same reminder twice cannot create two rows, and the
    Message-ID derived from it makes a crash-repeat recognisable.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        one_of("kind", REMINDER_KINDS),
        one_of("status", REMINDER_STATUSES),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # The sender's sweep: pending reminders whose time has come, oldest first.
        sa.Index("ix_reminders_status_due", "status", "due_at"),
        sa.Index("ix_reminders_client_due", "client_id", "due_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    recipient_email: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX))
    # 24: "appointment_cancelled" is 21 characters.
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    dedupe_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    lease_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    leased_by: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    message_id: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    # The moment (UTC) after which it no longer makes sense: the sender skips it then, with the
    # reason in last_error (protocol.PlannedReminder.stale_after). None: never stale.
    stale_after: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # The booking an appointment reminder or cancellation is about (its .ics).
    appointment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("appointments.id", ondelete="SET NULL"), index=True
    )
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class ReminderPreference(db.Model):
    """Which reminders a client wants. One row per client; absent means the defaults."""

    __tablename__ = "reminder_preferences"
    __table_args__ = (within("touch_up_lead_days", limits.TOUCH_UP_LEAD_DAYS),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), unique=True
    )
    aftercare: so.Mapped[bool] = so.mapped_column(default=True)
    next_session: so.Mapped[bool] = so.mapped_column(default=True)
    healed_check: so.Mapped[bool] = so.mapped_column(default=True)
    self_check: so.Mapped[bool] = so.mapped_column(default=True)
    assessment: so.Mapped[bool] = so.mapped_column(default=True)
    touch_up: so.Mapped[bool] = so.mapped_column(default=True)
    touch_up_lead_days: so.Mapped[int] = so.mapped_column(default=60)
    unsubscribed_all_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class SchedulerHeartbeat(db.Model):
    """The last time each sweep ran; /healthz reports a scheduler gone quiet."""

    __tablename__ = "scheduler_heartbeats"

    name: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    beat_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    host: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
