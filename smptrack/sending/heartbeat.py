"""Writing the sweeps' heartbeats, and the row that doubles as the daily replan's lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import SchedulerHeartbeat
from smptrack.services.heartbeats import HEARTBEAT_REPLAN


def _insert() -> Any:
    """The dialect's INSERT construct (both have ON CONFLICT)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert_heartbeat(name: str, when: datetime, host: str) -> None:
    """Write sweep ``name``'s heartbeat in the caller's transaction."""
    statement = _insert()(SchedulerHeartbeat).values(name=name, beat_at=when, host=host[:120])
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"beat_at": when, "host": host[:120]}
        )
    )


def beat(name: str, when: datetime, host: str) -> None:
    """Record that sweep ``name`` ran (commits)."""
    db.session.rollback()
    upsert_heartbeat(name, when, host)
    db.session.commit()


def claim_daily_replan(now: datetime, host: str, every: timedelta) -> bool:
    """Take today's replan for this process (commits); False if another did it recently.

    The heartbeat row doubles as the lock: one conditional UPDATE, so with several scheduler
    processes the replan runs once a day, not once per process.
    """
    db.session.rollback()
    db.session.execute(
        _insert()(SchedulerHeartbeat)
        .values(name=HEARTBEAT_REPLAN, beat_at=datetime(2000, 1, 1, tzinfo=UTC), host="")
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        sa.update(SchedulerHeartbeat)
        .where(
            SchedulerHeartbeat.name == HEARTBEAT_REPLAN, SchedulerHeartbeat.beat_at <= now - every
        )
        .values(beat_at=now, host=host[:120])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(taken)
