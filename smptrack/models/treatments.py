"""Treatment sessions and the placements (one zone each) they contain."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import DEPTHS, DILUTIONS, SESSION_KINDS, ZONES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow, within

if TYPE_CHECKING:
    from smptrack.models.pigments import PigmentLot


class TreatmentSession(db.Model):
    """One sitting at the practitioner's. Never called ``Session``: that word is the database's."""

    __tablename__ = "treatment_sessions"
    __table_args__ = (
        one_of("kind", SESSION_KINDS),
        within("duration_minutes", limits.DURATION_MINUTES),
        sa.Index("ix_treatment_sessions_client_date", "client_id", "performed_on"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    performed_on: so.Mapped[date] = so.mapped_column()
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    performed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    logged_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    logged_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime(), onupdate=utcnow)
    needle: so.Mapped[str] = so.mapped_column(sa.String(limits.NEEDLE_MAX), default="")
    machine_settings: so.Mapped[str] = so.mapped_column(
        sa.String(limits.MACHINE_SETTINGS_MAX), default=""
    )
    duration_minutes: so.Mapped[int | None] = so.mapped_column()
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Whether the client may read ``notes`` and the placements' ``depth_note`` (issue 13): the
    # practice's notes are internal unless shared; a session the client logged is theirs anyway
    # (services.access.may_read_notes).
    notes_shared: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The practitioner explicitly confirmed using a lot past its expiry on this date.
    expired_lot_confirmed: so.Mapped[bool] = so.mapped_column(default=False)
    # Recorded although the client had no valid consent (issue 12): who decided, when, and why.
    consent_override_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    consent_override_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    consent_override_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    placements: so.Mapped[list[Placement]] = so.relationship(
        back_populates="treatment_session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Placement.id",
    )


class Placement(db.Model):
    """One zone worked in one session, with the pigment lot that went into it."""

    __tablename__ = "placements"
    __table_args__ = (
        one_of("zone", ZONES),
        one_of("dilution", DILUTIONS),
        one_of("depth", DEPTHS),
        within("density_worked_pct", limits.PERCENT),
        # A recall must find every placement: name a catalogue lot, or (for a session the
        # client logs themselves) the pigment in words.
        sa.CheckConstraint(
            "pigment_lot_id IS NOT NULL OR pigment_free_text IS NOT NULL", name="pigment_named"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("treatment_sessions.id", ondelete="CASCADE"), index=True
    )
    zone: so.Mapped[str] = so.mapped_column(sa.String(20))
    # RESTRICT: a lot that went into someone's scalp must stay for recalls.
    pigment_lot_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("pigment_lots.id", ondelete="RESTRICT"), index=True
    )
    pigment_free_text: so.Mapped[str | None] = so.mapped_column(
        sa.String(limits.PIGMENT_FREE_TEXT_MAX)
    )
    dilution: so.Mapped[str] = so.mapped_column(sa.String(10), default="standard")
    dilution_ratio: so.Mapped[str] = so.mapped_column(
        sa.String(limits.DILUTION_RATIO_MAX), default=""
    )
    needle: so.Mapped[str] = so.mapped_column(sa.String(limits.NEEDLE_MAX), default="")
    dot_size: so.Mapped[str] = so.mapped_column(sa.String(limits.DOT_SIZE_MAX), default="")
    density_worked_pct: so.Mapped[int | None] = so.mapped_column()
    depth: so.Mapped[str] = so.mapped_column(sa.String(10), default="correct")
    depth_note: so.Mapped[str] = so.mapped_column(sa.String(limits.DEPTH_NOTE_MAX), default="")
    scar_tissue: so.Mapped[bool] = so.mapped_column(default=False)

    treatment_session: so.Mapped[TreatmentSession] = so.relationship(back_populates="placements")
    pigment_lot: so.Mapped[PigmentLot | None] = so.relationship()
