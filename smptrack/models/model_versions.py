"""A practice's fade-model constants over time (FADE-MODEL §10: adoption is a new version)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain.vocabulary import MODEL_VERSION_SOURCES
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, one_of, utcnow


class PracticeModelVersion(db.Model):
    """One set of constants for one practice.

    A refit's estimate is stored as a proposal (``adopted_at`` NULL); adopting it makes it the
    practice's current version (adopted, not retired: at most one per practice). Adopting the
    next one retires it; reverting retires the current one and marks it ``reverted_at``, and the
    version it replaced becomes current again (or, if none, the documented defaults).
    """

    __tablename__ = "practice_model_versions"
    __table_args__ = (
        one_of("source", MODEL_VERSION_SOURCES),
        sa.CheckConstraint("k_bio > 0 AND k_uv > 0 AND sigma > 0", name="constants_positive"),
        sa.Index("ix_practice_model_versions_practice", "practice_id", "adopted_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practices.id", ondelete="CASCADE")
    )
    k_bio: so.Mapped[float] = so.mapped_column()
    k_uv: so.Mapped[float] = so.mapped_column()
    sigma: so.Mapped[float] = so.mapped_column()
    source: so.Mapped[str] = so.mapped_column(sa.String(8))
    # What the refit found: estimates with intervals, counts, correlation, checks (plain JSON).
    fit_summary: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    adopted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    retired_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    reverted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
