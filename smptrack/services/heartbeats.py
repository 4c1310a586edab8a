"""The scheduler's sweeps, by heartbeat name: written by ``smptrack.sending.heartbeat``, read
by /healthz and ``smptrack reminders status``."""

from __future__ import annotations

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import SchedulerHeartbeat

HEARTBEAT_SEND = "send_due"
HEARTBEAT_REAP = "reap_leases"
HEARTBEAT_REPLAN = "daily_replan"
HEARTBEATS = (HEARTBEAT_SEND, HEARTBEAT_REAP, HEARTBEAT_REPLAN)
DEFAULT_QUIET_SECONDS = 300  # HEALTHZ_SCHEDULER_QUIET_SECONDS


def heartbeats() -> dict[str, SchedulerHeartbeat]:
    return {row.name: row for row in db.session.scalars(sa.select(SchedulerHeartbeat))}
