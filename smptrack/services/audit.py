"""Audit events for reads and writes of client records, and for refused accesses."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client

if TYPE_CHECKING:  # access.py notes denials here: a runtime import would be circular
    from smptrack.services.access import Actor


def record_event(
    actor: Actor | None,
    action: str,
    *,
    client_id: int | None,
    object_type: str,
    object_id: int | None,
    now: datetime,
    remote_addr: str | None = None,
) -> AuditEvent | None:
    """Add one audit line (ids only: no names, emails or notes, see ``AuditEvent``).

    The services call this for the action they carry out (the page and the API of one action
    then record the same line from one place). ``remote_addr`` defaults to the address of the
    request being served, which the web layer gives ``collect_denials`` once per request; the
    CLI and the worker have none.

    A ``read`` inside a request whose audit context is open is only noted, not flushed: the
    web layer writes the request's read lines once its response has gone out, in a short
    transaction of its own (smptrack/denials.py), so a page view never takes or waits on the
    write lock. Elsewhere (CLI, worker; writes, exports) the line is added and flushed here.
    The line belongs to the practice of the record it names (``practice_of_line``), so the
    practice keeps its lines after an erasure clears ``client_id``.
    """
    noted = _reads.get()
    if action == "read" and noted is not None:
        noted.append(
            Read(
                actor.id if actor is not None else None,
                client_id,
                object_type,
                object_id,
                now,
                _actor_practice(actor),
            )
        )
        return None
    event = AuditEvent(
        occurred_at=now,
        actor_id=actor.id if actor is not None else None,
        client_id=client_id,
        practice_id=practice_of_line(actor, client_id),
        action=action,
        object_type=object_type,
        object_id=object_id,
        remote_addr=(remote_addr or _remote_addr.get() or "")[:45] or None,
    )
    db.session.add(event)
    db.session.flush()
    return event


# --- Reads, and the token's last use, written after the response -----------------------------


@dataclass(frozen=True)
class Read:
    actor_id: int | None
    client_id: int | None
    object_type: str
    object_id: int | None
    occurred_at: datetime
    # The reader's practice (None for a client): the line's when it names no record.
    practice_id: int | None = None


def _actor_practice(actor: Actor | None) -> int | None:
    if actor is None or actor.role not in ("practitioner", "front_desk"):
        return None
    return getattr(actor, "practice_id", None)


def practice_of_line(actor: Actor | None, client_id: int | None) -> sa.ScalarSelect | int | None:
    """The practice an audit line belongs to: the named record's (a subquery evaluated inside
    the INSERT, no extra statement), else the actor's."""
    if client_id is not None:
        return sa.select(Client.practice_id).where(Client.id == client_id).scalar_subquery()
    return _actor_practice(actor)


_reads: ContextVar[list[Read] | None] = ContextVar("smptrack_reads", default=None)
_remote_addr: ContextVar[str | None] = ContextVar("smptrack_remote_addr", default=None)
_token_uses: ContextVar[list[tuple[int, datetime]] | None] = ContextVar(
    "smptrack_token_uses", default=None
)


def note_token_use(token_id: int, now: datetime) -> bool:
    """Note that API token ``token_id`` was used, to be written after the response; False
    when no request context is open (the caller then writes it itself)."""
    noted = _token_uses.get()
    if noted is None:
        return False
    noted.append((token_id, now))
    return True


def record_reads(reads: list[Read], *, remote_addr: str | None) -> None:
    """Insert the noted read lines (one INSERT, executed at once)."""
    if not reads:
        return
    address = (remote_addr or "")[:45] or None
    # A Core INSERT of many rows on the session's connection (one executemany), not ORM objects
    # and a flush, nor the ORM's bulk INSERT (which sorted each row's keys against the mapper:
    # three quarters of a batch's cost): this runs for every page view and API read.
    db.session.connection().execute(
        _INSERT_READS,
        [
            {
                "occurred_at": read.occurred_at,
                "actor_id": read.actor_id,
                "client_id": read.client_id,
                "named": read.client_id,
                "reader_practice": read.practice_id,
                "action": "read",
                "object_type": read.object_type,
                "object_id": read.object_id,
                "remote_addr": address,
            }
            for read in reads
        ],
    )


# Each line's practice is its record's, looked up inside the INSERT (the reader's without one).
# Built once, as the statements of the hot path are.
_INSERT_READS = sa.insert(AuditEvent.__table__).values(
    practice_id=sa.func.coalesce(
        sa.select(Client.practice_id).where(Client.id == sa.bindparam("named")).scalar_subquery(),
        sa.bindparam("reader_practice"),
    )
)


def events_for_client(client_id: int, limit: int = 50) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.client_id == client_id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


# --- Denials ------------------------------------------------------------------------------
#
# A refused access to a row that exists but belongs to another tenant answers 404, exactly as a
# missing row, and the request's work is rolled back. So the loaders (services/access.py and the
# per-noun ``get_*``) only *note* the denial in the audit context that the request opened; the
# web layer writes the notes once the response has been sent, in a short transaction of their
# own (smptrack/denials.py). Outside a request (CLI, worker) no context is open: nothing is noted.

# The bound: at most this many denial rows per actor (per address for an anonymous actor) per
# clock hour; later denials of that hour add to ``repeats`` on the last row instead. A scan of
# a thousand ids thus costs twenty rows and one counter, and the first twenty attempts keep
# their full detail (which object, from where) for whoever investigates.
DENIALS_PER_HOUR = 20


@dataclass(frozen=True)
class Denial:
    actor_id: int | None
    object_type: str
    object_id: int | None
    client_id: int | None


_denials: ContextVar[list[Denial] | None] = ContextVar("smptrack_denials", default=None)


def collect_denials(remote_addr: str | None = None) -> None:
    """Open this request's audit context: denials, reads and token uses noted from now on are
    kept for it, and the events recorded meanwhile carry ``remote_addr``."""
    _remote_addr.set(remote_addr)
    _denials.set([])
    _reads.set([])
    _token_uses.set([])


def take_denials() -> list[Denial]:
    """Close the audit context; the denials noted since ``collect_denials``."""
    noted = _denials.get() or []
    _denials.set(None)
    _remote_addr.set(None)
    return noted


def take_reads() -> tuple[list[Read], list[tuple[int, datetime]]]:
    """Close the audit context's reads and token uses; those noted since ``collect_denials``."""
    reads, uses = _reads.get() or [], _token_uses.get() or []
    _reads.set(None)
    _token_uses.set(None)
    return reads, uses


def noted_mark() -> tuple[int, int, int]:
    """How many denials, reads and token uses this request has noted so far (for a retry)."""
    return tuple(len(v.get() or []) for v in (_denials, _reads, _token_uses))  # type: ignore[return-value]


def forget_since(mark: tuple[int, int, int]) -> None:
    """Drop what was noted after ``mark``: a unit of work rolled back to run again notes it
    again, and the audit must say it once."""
    for var, count in zip((_denials, _reads, _token_uses), mark, strict=True):
        noted = var.get()
        if noted is not None:
            del noted[count:]


def note_denial(
    actor: Actor | None, object_type: str, object_id: int | None, client_id: int | None = None
) -> None:
    """Note that ``actor`` was refused ``object_type`` #``object_id`` (a row that exists)."""
    noted = _denials.get()
    if noted is not None:
        noted.append(
            Denial(actor.id if actor is not None else None, object_type, object_id, client_id)
        )


def record_denial(
    denial: Denial,
    *,
    remote_addr: str | None,
    now: datetime,
    per_hour: int = DENIALS_PER_HOUR,
) -> AuditEvent | None:
    """Write one denial, within the hourly bound; flushes. Returns the row written, or None
    when the denial was counted on the hour's last row instead.

    The bound is checked by a count, not a lock: concurrent requests of one actor may overshoot
    it by their number, which keeps the table bounded without serialising anyone.
    """
    address = (remote_addr or "")[:45] or None
    since = now.replace(minute=0, second=0, microsecond=0)
    who = (
        AuditEvent.actor_id == denial.actor_id
        if denial.actor_id is not None
        else sa.and_(AuditEvent.actor_id.is_(None), AuditEvent.remote_addr == address)
    )
    this_hour = sa.and_(AuditEvent.action == "denied", who, AuditEvent.occurred_at >= since)
    written = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(this_hour)) or 0
    if written >= max(1, per_hour):
        last = (
            sa.select(AuditEvent.id)
            .where(this_hour)
            .order_by(AuditEvent.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        db.session.execute(
            sa.update(AuditEvent)
            .where(AuditEvent.id == last)
            .values(repeats=AuditEvent.repeats + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.flush()
        return None
    event = AuditEvent(
        occurred_at=now,
        actor_id=denial.actor_id,
        client_id=denial.client_id,
        # The refused record's practice: it is their record someone tried to reach.
        practice_id=practice_of_line(None, denial.client_id),
        action="denied",
        object_type=denial.object_type,
        object_id=denial.object_id,
        remote_addr=address,
        repeats=0,
    )
    db.session.add(event)
    db.session.flush()
    return event
