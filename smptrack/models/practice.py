"""The practice (studio) as tenant: its details, its members, their invitations, its settings.

A practice owns clients, pigments, settings, model versions, appointments and audit lines; a
member belongs to exactly one practice, with one role. A practitioner working alone is the owner
of a practice of one (DESIGN "The practice (studio) is the tenant").
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.retention import DEFAULT_RETENTION_YEARS
from smptrack.domain.vocabulary import MEMBER_ROLES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow, within


class Practice(db.Model):
    """A studio: what its clients see on mail and in their calendar."""

    __tablename__ = "practices"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(limits.PRACTICE_NAME_MAX))
    address: so.Mapped[str] = so.mapped_column(sa.String(limits.ADDRESS_MAX), default="")
    phone: so.Mapped[str] = so.mapped_column(sa.String(limits.PHONE_MAX), default="")
    booking_url: so.Mapped[str] = so.mapped_column(sa.String(limits.URL_MAX), default="")
    time_zone: so.Mapped[str] = so.mapped_column(
        sa.String(limits.TIME_ZONE_MAX), default="Europe/London"
    )
    # The mail identity: reminders come "From: <mail_from_name> <the server's address>" with
    # Reply-To this address, so a reply reaches the studio rather than the sending server.
    mail_from_name: so.Mapped[str] = so.mapped_column(
        sa.String(limits.PRACTICE_NAME_MAX), default=""
    )
    reply_to: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Practice {self.id}>"


class PracticeMember(db.Model):
    """A login's place in a practice. Unique per user: a member belongs to one practice."""

    __tablename__ = "practice_members"
    __table_args__ = (
        one_of("role", MEMBER_ROLES),
        sa.Index("ix_practice_members_practice_role", "practice_id", "role"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE")
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(12))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    practice: so.Mapped[Practice] = so.relationship(lazy="joined", innerjoin=True)


class MemberInvitation(db.Model):
    """An owner's emailed invitation to join the practice in a role.

    As with a client's invitation, the link carries a signed (id, nonce); only the nonce's hash
    is stored, and ``accepted_at`` or ``revoked_at`` ends it.
    """

    __tablename__ = "member_invitations"
    __table_args__ = (
        one_of("role", MEMBER_ROLES),
        sa.Index("ix_member_invitations_practice", "practice_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE")
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX))
    display_name: so.Mapped[str] = so.mapped_column(sa.String(limits.DISPLAY_NAME_MAX))
    role: so.Mapped[str] = so.mapped_column(sa.String(12))
    nonce_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    invited_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    accepted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class PracticeSettings(db.Model):
    """One row per practice; absent means the documented defaults."""

    __tablename__ = "practice_settings"
    __table_args__ = (
        within("touch_up_threshold_pct", limits.TOUCH_UP_THRESHOLD_PCT),
        within("waking_hours_start", limits.WAKING_HOURS_START),
        within("waking_hours_end", limits.WAKING_HOURS_END),
        within("appointment_reminder_hours", limits.APPOINTMENT_REMINDER_HOURS),
        within("treatment_record_retention_years", limits.TREATMENT_RECORD_RETENTION_YEARS),
        sa.CheckConstraint("waking_hours_start < waking_hours_end", name="waking_hours_order"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE"), unique=True
    )
    # FADE-MODEL.md §1: a zone is due when its density falls to this share of the healed result.
    touch_up_threshold_pct: so.Mapped[int] = so.mapped_column(default=70)
    waking_hours_start: so.Mapped[int] = so.mapped_column(default=9)
    waking_hours_end: so.Mapped[int] = so.mapped_column(default=20)
    # Reminder offsets in days, by reminder kind; missing keys take the planner's defaults.
    reminder_offsets: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    aftercare_instructions: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # How long before an appointment its reminder goes out (issue 11: 24 to 48 hours).
    appointment_reminder_hours: so.Mapped[int] = so.mapped_column(default=24, server_default="24")
    # Issue 13: years a treatment record is kept after the last treatment once its client asked
    # for erasure (domain/retention.py: the default and its source).
    treatment_record_retention_years: so.Mapped[int] = so.mapped_column(
        default=DEFAULT_RETENTION_YEARS, server_default=str(DEFAULT_RETENTION_YEARS)
    )
