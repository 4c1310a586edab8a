"""A practice's pigment catalogue: pigments and their lots."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import PIGMENT_BASES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow


class Pigment(db.Model):
    __tablename__ = "pigments"
    __table_args__ = (
        one_of("base", PIGMENT_BASES),
        sa.UniqueConstraint("practice_id", "brand", "line", "shade", name="uq_pigments_name"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # CASCADE would silently take lots (and so recall traces) with it; make removal explicit.
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="RESTRICT"), index=True
    )
    brand: so.Mapped[str] = so.mapped_column(sa.String(limits.BRAND_MAX))
    line: so.Mapped[str] = so.mapped_column(sa.String(limits.PIGMENT_LINE_MAX), default="")
    shade: so.Mapped[str] = so.mapped_column(sa.String(limits.SHADE_MAX))
    base: so.Mapped[str] = so.mapped_column(sa.String(12), default="carbon")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    lots: so.Mapped[list[PigmentLot]] = so.relationship(
        back_populates="pigment", order_by="PigmentLot.expires_on"
    )

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.brand, self.line, self.shade) if part)


class PigmentLot(db.Model):
    __tablename__ = "pigment_lots"
    __table_args__ = (
        sa.UniqueConstraint("pigment_id", "lot_number", name="uq_pigment_lots_number"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    pigment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("pigments.id", ondelete="RESTRICT"), index=True
    )
    lot_number: so.Mapped[str] = so.mapped_column(sa.String(limits.LOT_NUMBER_MAX))
    expires_on: so.Mapped[date] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    pigment: so.Mapped[Pigment] = so.relationship(back_populates="lots")
