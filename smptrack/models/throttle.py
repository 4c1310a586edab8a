"""Counters of login, sign-up and reset attempts, shared by every worker through the database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.extensions import db
from smptrack.models.types import UTCDateTime


class ThrottleCounter(db.Model):
    """One counted key of one throttle rule (see ``smptrack.services.throttle``).

    ``key_hash`` is the SHA-256 of the rule and the key (an email or a client address), so the
    table holds neither: an erased client's address cannot linger here.
    """

    __tablename__ = "throttle_counters"
    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    rule: so.Mapped[str] = so.mapped_column(sa.String(20))
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    window_started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    # Attempts counted in the current window (failures for login, every try for the others).
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    # Lockouts in a row; each doubles the next, up to the rule's cap. A quiet window forgives.
    strikes: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime(), index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), index=True)
