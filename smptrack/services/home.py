"""A practice member's home: what to act on today, each block a short list with a link.

Today's appointments, the clients due for a touch-up now and soon, reminders that failed,
clients who have not signed the practice's current consent text, and recent changes to the
practice's records. What a member sees follows the access policy: the front desk gets the
schedule and the consent status (they book and chase signatures) and no block that names a
clinical fact (who is due, reminder failures, changes to sessions and assessments).

Every block is one or two indexed SELECTs with a LIMIT, so the page costs the same for a
practice of five clients as for five thousand. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Appointment, AuditEvent, Client, Consent, Reminder, User
from smptrack.services import access, appointments, consents
from smptrack.services.access import Actor
from smptrack.services.overview import touch_up_words

# How many rows each block lists; the block links to the full list beyond that.
BLOCK_ROWS = 8
# "Soon": the touch-up window opens within this many days (the due list's own default reach).
DUE_SOON_DAYS = 60
# What the front desk may see in the activity block: bookings and signatures, nothing clinical.
_DESK_ACTIVITY = ("appointment", "consent", "consent_link")


@dataclass(frozen=True, slots=True)
class DueLine:
    client_id: int
    name: str
    words: str  # "Touch-up due in about 5 weeks (March 2027)"


@dataclass(frozen=True, slots=True)
class FailedReminder:
    id: int
    client_id: int
    name: str
    kind: str
    due_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class UnsignedLine:
    client_id: int
    name: str
    signed_version: int | None  # None: never signed; else an older version than the current


@dataclass(frozen=True, slots=True)
class ActivityLine:
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    object_type: str
    client_id: int | None
    client_name: str | None


@dataclass(frozen=True)
class Block:
    """One block of the home page: its first rows and how many there are in all."""

    items: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


@dataclass(frozen=True)
class Home:
    today: date  # in the practice's zone
    sees_clinical: bool
    appointments: list[Appointment]
    due_now: Block | None  # None: not for this member (front desk)
    due_soon: Block | None
    failed_reminders: Block | None
    unsigned: Block | None  # None: the practice has no consent text to sign
    consent_version: int | None
    activity: Block


def practice_home(actor: Actor, now: datetime) -> Home:
    """What ``actor``, a member of a practice, should act on, as of ``now`` (UTC).

    ``Forbidden`` for anyone who is not a member. Reads only; a fixed number of statements
    whatever the size of the practice (each list has a LIMIT, each total one COUNT).
    """
    access.require_member(actor)
    today = appointments.today_in_practice(actor, now)
    clinical = access.sees_clinical(actor)
    # A practitioner's own day; the front desk runs everyone's.
    todays = appointments.schedule(
        actor, first_day=today, days=1, practitioner_id=actor.id if clinical else None
    )
    template = consents.current_template(access.practice_id_of(actor))
    return Home(
        today=today,
        sees_clinical=clinical,
        appointments=[a for a in todays if a.status != "cancelled"],
        due_now=_due(actor, today, now=True) if clinical else None,
        due_soon=_due(actor, today, now=False) if clinical else None,
        failed_reminders=_failed_reminders(actor) if clinical else None,
        unsigned=_unsigned(actor, template.id) if template is not None else None,
        consent_version=template.version if template is not None else None,
        activity=_activity(actor, clinical),
    )


def _page(query: sa.Select, order: tuple) -> tuple[list[sa.Row], int]:
    # Always both statements, even for an empty block: the page's cost does not vary with data.
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    return list(db.session.execute(query.order_by(*order).limit(BLOCK_ROWS))), total


def _due(actor: Actor, today: date, *, now: bool) -> Block:
    """Due now: the model says the touch-up is due, or its most likely date has passed.
    Due soon: not due now, and the window opens within ``DUE_SOON_DAYS``."""
    is_now = sa.or_(Client.touch_up_due_now.is_(True), Client.next_touch_up_on <= today)
    query = (
        access.visible_clients(actor)
        .with_only_columns(
            Client.id,
            Client.display_name,
            Client.next_touch_up_on,
            Client.touch_up_due_now,
        )
        .where(Client.next_touch_up_on.is_not(None))
    )
    if now:
        query = query.where(is_now)
    else:
        soon = today + timedelta(days=DUE_SOON_DAYS)
        query = query.where(sa.not_(is_now), Client.touch_up_earliest_on < soon)
    rows, total = _page(query, (Client.next_touch_up_on, Client.display_name, Client.id))
    items = [
        DueLine(
            client_id=client_id,
            name=name,
            words=touch_up_words(most_likely, today, due_now=bool(due_now)) or "",
        )
        for client_id, name, most_likely, due_now in rows
    ]
    return Block(items=items, total=total)


def _failed_reminders(actor: Actor) -> Block:
    query = (
        sa.select(
            Reminder.id,
            Client.id,
            Client.display_name,
            Reminder.kind,
            Reminder.due_at,
            Reminder.last_error,
        )
        .join(Client, Client.id == Reminder.client_id)
        .where(
            Client.practice_id == access.practice_id_of(actor),
            Reminder.status == "failed",
        )
    )
    rows, total = _page(query, (Reminder.due_at.desc(), Reminder.id.desc()))
    return Block(items=[FailedReminder(*row) for row in rows], total=total)


def _unsigned(actor: Actor, template_id: int) -> Block:
    """The practice's clients without a signature on the current text (``template_id``), with
    the latest version each did sign, if any."""
    signed_current = sa.exists().where(
        Consent.client_id == Client.id, Consent.template_id == template_id
    )
    latest_version = (
        sa.select(sa.func.max(Consent.template_version))
        .where(Consent.client_id == Client.id)
        .scalar_subquery()
    )
    query = (
        access.directory_clients(actor)
        .with_only_columns(Client.id, Client.display_name, latest_version)
        .where(sa.not_(signed_current))
    )
    rows, total = _page(query, (Client.display_name, Client.id))
    return Block(items=[UnsignedLine(*row) for row in rows], total=total)


def _activity(actor: Actor, clinical: bool) -> Block:
    """The latest changes to the practice's records (reads and refusals are not activity)."""
    query = (
        sa.select(
            AuditEvent.occurred_at,
            AuditEvent.actor_id,
            User.display_name,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.client_id,
            Client.display_name,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Client, Client.id == AuditEvent.client_id)
        .where(
            AuditEvent.practice_id == access.practice_id_of(actor),
            AuditEvent.action.not_in(("read", "denied")),
        )
    )
    if not clinical:
        query = query.where(AuditEvent.object_type.in_(_DESK_ACTIVITY))
    # No total: the block is "the latest few", and counting a long audit log costs a scan.
    rows = db.session.execute(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(BLOCK_ROWS)
    )
    items = [ActivityLine(*row) for row in rows]
    return Block(items=items, total=len(items))
