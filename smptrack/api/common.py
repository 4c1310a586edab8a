"""Small helpers the API's route modules share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from smptrack.models import User
from smptrack.services import audit
from smptrack.web import remote_addr

T = TypeVar("T")


def record(
    actor: User,
    action: str,
    *,
    client_id: int | None,
    object_type: str,
    object_id: int | None,
    now: datetime,
) -> None:
    """One audit line for a read or write of a client record, from this request's address."""
    audit.record_event(
        actor,
        action,
        client_id=client_id,
        object_type=object_type,
        object_id=object_id,
        remote_addr=remote_addr(),
        now=now,
    )


def page_slice(items: Sequence[T], page: int, per_page: int) -> list[T]:
    """Items of 1-based ``page``; past the end, an empty list (a client paging on sees the end)."""
    start = (page - 1) * per_page
    return list(items[start : start + per_page])
