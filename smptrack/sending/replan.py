"""The daily replan: dates move with time (the yearly self-check, "book now" once due)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import projections
from smptrack.services import reminders as reminder_service


def replan_all(now: datetime, *, batch_size: int = 200, catch_up_days: int = 0) -> int:
    """Re-project every client with an email address and replan their reminders, committing
    per batch. Returns the number of clients replanned."""
    ids = db.session.scalars(
        sa.select(Client.id).where(Client.email.is_not(None)).order_by(Client.id)
    ).all()
    for start in range(0, len(ids), batch_size):
        batch = db.session.scalars(
            sa.select(Client).where(Client.id.in_(ids[start : start + batch_size]))
        ).all()
        loaded = projections.load_inputs_many(batch)
        for client in batch:
            projections.refresh_client(client, now, loaded[client.id])
            reminder_service.plan_reminders(client, now, catch_up_days=catch_up_days)
        db.session.commit()
    return len(ids)
