"""A practice's own settings: the touch-up threshold and reminder timing."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.extensions import db
from smptrack.models.types import within


class PracticeSettings(db.Model):
    """One row per practitioner; absent means the documented defaults."""

    __tablename__ = "practice_settings"
    __table_args__ = (
        within("touch_up_threshold_pct", limits.TOUCH_UP_THRESHOLD_PCT),
        within("waking_hours_start", limits.WAKING_HOURS_START),
        within("waking_hours_end", limits.WAKING_HOURS_END),
        sa.CheckConstraint("waking_hours_start < waking_hours_end", name="waking_hours_order"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practitioner_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    # FADE-MODEL.md §1: a zone is due when its density falls to this share of the healed result.
    touch_up_threshold_pct: so.Mapped[int] = so.mapped_column(default=70)
    waking_hours_start: so.Mapped[int] = so.mapped_column(default=9)
    waking_hours_end: so.Mapped[int] = so.mapped_column(default=20)
    # Reminder offsets in days, by reminder kind; missing keys take the planner's defaults.
    reminder_offsets: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    aftercare_instructions: so.Mapped[str] = so.mapped_column(sa.Text, default="")
