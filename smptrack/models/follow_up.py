"""The answer to a follow-up email's link (the healed check, the yearly self-check)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.extensions import db
from smptrack.models.types import UTCDateTime


class FollowUpResponse(db.Model):
    """That the link of reminder ``reminder_id`` was used, and when.

    The link itself is a stateless signed token (``services.follow_up``): composing the email
    writes nothing. This row, unique per reminder, is what makes the link single use: two
    submissions racing each other both try to insert it, and the database lets one win. It
    names rows by id only; the ratings it produced are ordinary ``FadeAssessment`` rows.
    """

    __tablename__ = "follow_up_responses"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reminder_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reminders.id", ondelete="CASCADE"), unique=True
    )
    client_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    responded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ratings: so.Mapped[int] = so.mapped_column(default=0)  # assessments it created
    photos: so.Mapped[int] = so.mapped_column(default=0)  # photos it stored
