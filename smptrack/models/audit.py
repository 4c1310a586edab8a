"""Who read or changed which client record, when, and from where."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain.vocabulary import AUDIT_ACTIONS
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow


class AuditEvent(db.Model):
    """An audit line. It names rows by id only, never by a person's details, so that the lines
    left after an erasure (client_id set to NULL) hold no personal data."""

    __tablename__ = "audit_events"
    __table_args__ = (
        one_of("action", AUDIT_ACTIONS),
        sa.Index("ix_audit_events_client_time", "client_id", "occurred_at"),
        # The denial bound counts an actor's denials of the current hour.
        sa.Index("ix_audit_events_action_actor_time", "action", "actor_id", "occurred_at"),
        sa.Index("ix_audit_events_practice_time", "practice_id", "occurred_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    occurred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    client_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="SET NULL")
    )
    # The practice whose record it names; it stays when an erasure clears client_id.
    practice_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="SET NULL")
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(10))
    object_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    object_id: so.Mapped[int | None] = so.mapped_column()
    remote_addr: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    # Denials beyond the hourly bound are not written as rows: they are counted here, on the
    # actor's last denial row of that hour (see services/audit.record_denial).
    repeats: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
