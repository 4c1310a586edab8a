"""A pending change of a login's email address, confirmed by a link sent to the new one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import limits
from smptrack.extensions import db
from smptrack.models.types import UTCDateTime, utcnow


class EmailChange(db.Model):
    """Only the SHA-256 of the link's secret is stored. ``used_at`` makes the link single use;
    until it is set the login keeps its old address."""

    __tablename__ = "email_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    new_email: so.Mapped[str] = so.mapped_column(sa.String(limits.EMAIL_MAX))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
