"""Fade assessments: observed density for one zone, which calibrate the projection."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import ASSESSOR_KINDS, ZONES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow, within


class FadeAssessment(db.Model):
    __tablename__ = "fade_assessments"
    __table_args__ = (
        one_of("zone", ZONES),
        one_of("assessor_kind", ASSESSOR_KINDS),
        within("density_pct", limits.DENSITY_PCT),
        sa.Index("ix_fade_assessments_client_date", "client_id", "assessed_on"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    assessed_on: so.Mapped[date] = so.mapped_column()
    zone: so.Mapped[str] = so.mapped_column(sa.String(20))
    density_pct: so.Mapped[float] = so.mapped_column()
    assessor_kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    assessed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Whether the client may read a practitioner's ``note`` (issue 13); a self-rating's note is
    # the client's own (services.access.may_read_notes).
    notes_shared: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # A blowout (pigment spread) or blue/grey colour shift seen at this assessment: it raises the
    # blur/colour advisory, which a touch-up of density does not fix.
    blur_or_colour_shift: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false()
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
