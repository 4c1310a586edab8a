"""A client's time outdoors. The effective UV dose is derived from it, never typed in."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.domain.vocabulary import HAIR_LENGTHS, HATS, SKIES, UV_INDEX_KINDS
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow, within


class SunExposure(db.Model):
    __tablename__ = "sun_exposures"
    __table_args__ = (
        within("duration_minutes", limits.DURATION_MINUTES),
        within("uv_index", limits.UV_INDEX),
        one_of("uv_index_kind", UV_INDEX_KINDS),
        one_of("hat", HATS),
        within("sunscreen_spf", limits.SPF),
        one_of("hair_length", HAIR_LENGTHS),
        one_of("sky", SKIES),
        sa.Index("ix_sun_exposures_client_date", "client_id", "exposed_on"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    exposed_on: so.Mapped[date] = so.mapped_column()
    start_time: so.Mapped[time | None] = so.mapped_column()  # local wall-clock time
    duration_minutes: so.Mapped[int] = so.mapped_column()
    uv_index: so.Mapped[float] = so.mapped_column()
    uv_index_kind: so.Mapped[str] = so.mapped_column(sa.String(10), default="daily_max")
    # The sky the client chose when they did not know the UV index; the index is then the
    # window's average estimated from the sun and that sky (FADE-MODEL §11).
    sky: so.Mapped[str | None] = so.mapped_column(sa.String(14))
    uv_index_estimated: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    hat: so.Mapped[str] = so.mapped_column(sa.String(10), default="none")
    sunscreen_spf: so.Mapped[int | None] = so.mapped_column()
    sunscreen_applied_at: so.Mapped[time | None] = so.mapped_column()
    sunscreen_generous: so.Mapped[bool] = so.mapped_column(default=False)
    swimming: so.Mapped[bool] = so.mapped_column(default=False)
    hair_length: so.Mapped[str] = so.mapped_column(sa.String(10), default="shaved")
    logged_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
