"""Photos of a client's scalp: one zone (or the whole scalp) at a date."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow


class Photo(db.Model):
    """A re-encoded upload and its thumbnail, stored as files in the upload folder.

    ``stored_name`` and ``thumb_name`` are paths relative to the upload folder, made of random
    names (never the uploader's file name). ``zone`` NULL is the whole scalp. A photo may belong
    to the session or the assessment it was taken for; deleting those keeps the photo.
    """

    __tablename__ = "photos"
    __table_args__ = (
        one_of("zone", ZONES),
        sa.CheckConstraint("width > 0 AND height > 0 AND size_bytes > 0", name="size_positive"),
        # The timeline: a client's photos per zone in date order.
        sa.Index("ix_photos_client_zone_date", "client_id", "zone", "taken_on"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    zone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    taken_on: so.Mapped[date] = so.mapped_column()
    session_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("treatment_sessions.id", ondelete="SET NULL"), index=True
    )
    assessment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("fade_assessments.id", ondelete="SET NULL"), index=True
    )
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    thumb_name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    width: so.Mapped[int] = so.mapped_column()
    height: so.Mapped[int] = so.mapped_column()
    size_bytes: so.Mapped[int] = so.mapped_column()
    content_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Photo {self.id}>"
