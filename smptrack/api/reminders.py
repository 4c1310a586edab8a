"""A client's reminders: the outbox rows as their recipient and their practitioner see them.

A read that writes nothing of its own (DESIGN.md "Reads do not write"): no audit line, no
recomputation; it shows what the planner and the sender stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from smptrack.api.registry import operation
from smptrack.api.schemas import PageQuery, ResponseModel
from smptrack.domain.vocabulary import REMINDER_KINDS, REMINDER_STATUSES
from smptrack.models import Client, Reminder, User
from smptrack.services import access, reminder_facts
from smptrack.services import reminders as reminder_service
from smptrack.web import utc_now


class ReminderOut(ResponseModel):
    """One reminder email: scheduled, being sent, sent, failed or cancelled."""

    id: int
    kind: Literal[REMINDER_KINDS]
    status: Literal[REMINDER_STATUSES] = Field(
        description="Where it is in the outbox; `pending` means scheduled."
    )
    due_at: datetime = Field(description="When it is (or was) due to go out, in UTC.")
    due_at_local: datetime = Field(
        description="The same moment in the client's time zone, with its UTC offset."
    )
    attempts: int = Field(ge=0, description="Delivery attempts so far.")
    sent_at: datetime | None = Field(description="When the mail server accepted it, in UTC.")
    last_error: str | None = Field(
        description="Why the last attempt failed, or why it was cancelled. A client sees the "
        "reason once a reminder has ended unsent, not the errors of a retry in progress; null "
        "when there is none or it is not shown to you."
    )


class ReminderPage(ResponseModel):
    """One page of a client's reminders, newest first."""

    client_id: int
    time_zone: str = Field(description="The client's IANA time zone, used for `due_at_local`.")
    items: list[ReminderOut]
    page: int
    per_page: int
    total: int


def _reminder_out(actor: User, client: Client, reminder: Reminder, zone: ZoneInfo) -> ReminderOut:
    shows_reason = access.may_see_reminder_error(actor, client, reminder.status)
    return ReminderOut(
        id=reminder.id,
        kind=reminder.kind,
        status=reminder.status,
        due_at=reminder.due_at,
        due_at_local=reminder.due_at.astimezone(zone),
        attempts=reminder.attempts,
        sent_at=reminder.sent_at,
        last_error=reminder.last_error if shows_reason else None,
    )


@operation(
    "GET",
    "/clients/<int:client_id>/reminders",
    summary="A client's reminders, newest first",
    tag="reminders",
    query=PageQuery,
    response=ReminderPage,
)
def list_reminders(actor: User, client_id: int, query: PageQuery) -> ReminderPage:
    """Every reminder planned for the client, whatever its status, the latest (by sent time,
    else due time) first. For the client themself or their practitioner. Paginated; a page past
    the end is empty."""
    client = access.get_client(actor, client_id)
    found = reminder_service.history_of(
        client, page=query.page, per_page=query.per_page, statuses=REMINDER_STATUSES
    )
    reminder_service.record_read(actor, client, now=utc_now())
    zone = reminder_facts.client_zone(client)
    return ReminderPage(
        client_id=client.id,
        time_zone=zone.key,
        items=[_reminder_out(actor, client, r, zone) for r in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )
