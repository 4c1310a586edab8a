"""Column types and helpers shared by the models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from smptrack.domain import limits


class UTCDateTime(sa.types.TypeDecorator):
    """A moment in time, stored as naive UTC and always returned timezone-aware (UTC).

    SQLite keeps no offset and PostgreSQL's ``timestamptz`` converts to the session zone;
    storing naive UTC on both and attaching UTC on the way out makes the two behave alike.
    Refuses naive datetimes on the way in, so a local time can never be stored as UTC by mistake.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, values: Iterable[str], name: str | None = None) -> sa.CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (portable: no native ENUM to migrate)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def within(column: str, allowed: limits.Range, name: str | None = None) -> sa.CheckConstraint:
    """A CHECK that ``column`` is NULL or inside one of the domain's ranges."""
    return between(column, allowed.low, allowed.high, name)


def between(column: str, low: float, high: float, name: str | None = None) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} IS NULL OR ({column} >= {low} AND {column} <= {high})",
        name=name or f"{column}_range",
    )
