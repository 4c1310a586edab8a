"""Booked sessions and the secret calendar feeds that publish them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import APPOINTMENT_STATUSES, CALENDAR_FEED_SCOPES, SESSION_KINDS
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from smptrack.models.accounts import User
    from smptrack.models.clients import Client


class Appointment(db.Model):
    """A planned session for one client with one practitioner of the practice.

    Times are UTC; ``time_zone`` is the zone it was booked in (the practice's), so that a move
    keeps its wall-clock time across a change of the clocks. ``uid`` is the calendar UID, stable
    across edits; ``sequence`` rises on every change a calendar must see (RFC 5545 §3.8.7.4).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        one_of("status", APPOINTMENT_STATUSES),
        one_of("kind", SESSION_KINDS),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        sa.Index("ix_appointments_practitioner_start", "practitioner_id", "starts_at"),
        sa.Index("ix_appointments_practice_start", "practice_id", "starts_at"),
        sa.Index("ix_appointments_client_start", "client_id", "starts_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE")
    )
    # CASCADE: erasing a client takes their bookings with them.
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    # RESTRICT: a practitioner with bookings is reassigned, not deleted by accident.
    practitioner_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT")
    )
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(limits.TIME_ZONE_MAX))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="initial")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="booked")
    # The front desk's note ("prefers mornings"): not clinical, everyone in the practice sees it.
    note: so.Mapped[str] = so.mapped_column(sa.String(limits.APPOINTMENT_NOTE_MAX), default="")
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    # The session recorded from it (status done).
    session_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("treatment_sessions.id", ondelete="SET NULL")
    )
    booked_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    # Read-only paths to the names a schedule shows; the schedule loads them in its own query
    # (joined), so a week's list is one statement however many rows it has.
    client: so.Mapped[Client] = so.relationship(foreign_keys=[client_id], viewonly=True)
    practitioner: so.Mapped[User] = so.relationship(foreign_keys=[practitioner_id], viewonly=True)

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status}>"


class CalendarFeed(db.Model):
    """A secret calendar URL. Only the key's SHA-256 is stored; regenerating revokes the old
    row, whose URL then answers 404.

    ``scope`` says whose appointments it serves: one practitioner's (``user_id``), the whole
    practice's, or one client's with their projected touch-up window (``client_id``).
    """

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        one_of("scope", CALENDAR_FEED_SCOPES),
        sa.Index("ix_calendar_feeds_practice", "practice_id", "scope"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE")
    )
    scope: so.Mapped[str] = so.mapped_column(sa.String(12))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    client_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
