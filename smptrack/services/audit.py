"""Audit events for reads and writes of client records."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import AuditEvent
from smptrack.services.access import Actor


def record_event(
    actor: Actor | None,
    action: str,
    *,
    client_id: int | None,
    object_type: str,
    object_id: int | None,
    remote_addr: str | None,
    now: datetime,
) -> AuditEvent:
    """Add one audit line (ids only: no names, emails or notes, see ``AuditEvent``)."""
    event = AuditEvent(
        occurred_at=now,
        actor_id=actor.id if actor is not None else None,
        client_id=client_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        remote_addr=(remote_addr or "")[:45] or None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def events_for_client(client_id: int, limit: int = 50) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.client_id == client_id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
