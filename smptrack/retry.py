"""Retrying a unit of work that a transient lock refused.

SQLite answers "database is locked" when another process holds its single write lock longer
than the busy timeout; PostgreSQL aborts a transaction on a serialization failure or a deadlock
and refuses a lock that is not available. None of them means the work was wrong: the same unit,
run again a moment later, succeeds. ``run_unit`` runs a callable that does the whole unit (its
statements and its commit) and, on such an error, rolls back, waits the next delay of a small
backoff table and runs it again; any other error, or the last attempt's, propagates.

The callable must be safe to run again: everything it writes is rolled back before a retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.services import audit

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds before attempts 2, 3, ...: the table's length + 1 attempts in all (about 3.5 s of
# waiting on top of each attempt's own busy timeout).
BACKOFF_SECONDS: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0, 2.0)

# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_TRANSIENT = frozenset({"40001", "40P01", "55P03"})
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database is busy")


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a lock or serialization conflict that a retry can get past."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in _PG_TRANSIENT:
        return True
    message = str(original).lower()
    return any(text in message for text in _SQLITE_TRANSIENT)


def run_unit(
    unit: Callable[[], T],
    *,
    what: str = "unit of work",
    backoff: Sequence[float] = BACKOFF_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``unit`` (which commits), retrying it after a transient lock; its result.

    Rolls the session back before each retry, and forgets what the attempt noted for the
    request's audit (its reads are noted again by the next attempt). Raises the last error
    when every attempt met a lock, and any other error at once.
    """
    total = len(backoff) + 1
    mark = audit.noted_mark()
    for attempt in range(1, total + 1):
        try:
            return unit()
        except sa.exc.DBAPIError as exc:
            db.session.rollback()
            audit.forget_since(mark)
            if not is_transient(exc) or attempt == total:
                raise
            delay = backoff[attempt - 1]
            log.warning(
                "%s: attempt %s/%s met a lock (%s); retrying in %.2f s",
                what,
                attempt,
                total,
                str(exc.orig).splitlines()[0][:120],
                delay,
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


# For the sender's outcome once SMTP has accepted a message: it must stick, or the reaper sends
# the message again after the lease. Longer (about 70 s of waiting), still well inside the lease
# (REMINDER_LEASE_SECONDS, 300 s by default).
RECORD_BACKOFF_SECONDS: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
