"""A recall that acts: who received a pigment lot, grouped per client, and a notice to each.

The trace follows the lot, not the client's current practitioner (see
``catalogue.recall_trace``): only the lot's practice can have placed it, and a recall must reach
everyone who received it. Only practitioners of that practice (the owner among them) reach it;
``catalogue.get_lot`` raises ``NotFound`` for another practice's lot, and the front desk, who
sees no clinical record, has no recall page at all.

A recall notice is a safety notice, not marketing: it goes to every client of the trace who has
an email address, whatever their reminder preferences (an unsubscribe from reminders is a "no"
to marketing and care prompts, not to being told that a pigment in their skin was recalled). It
goes to the client's current address: their login's email when they have one (they keep it up to
date on their account page), else the address on the practice's record. A client with neither is
listed as one to reach another way.

Notices go through the account-mail outbox (``services.account_mail``): the request inserts one
row per recipient in its own transaction; the sender claims each row under a lease and records
its outcome, so each notice is delivered once (a crash between the SMTP server's acceptance and
the sender's commit may repeat one, never lose one: DESIGN.md, Reminders).

Every function flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.domain import text as text_rule
from smptrack.domain.limits import NOTES_MAX
from smptrack.domain.vocabulary import ZONE_LABELS
from smptrack.extensions import db
from smptrack.models import (
    AuditEvent,
    Client,
    PigmentLot,
    Placement,
    Practice,
    TreatmentSession,
    User,
)
from smptrack.services import account_mail, audit
from smptrack.services import catalogue as catalogue_service
from smptrack.services.access import Actor, practice_id_of
from smptrack.services.errors import Conflict, ValidationFailed

# The audit lines of a notice: one for the action (names the lot; client_id empty), one per
# recipient (names the client and the lot). The count of an action is its recipient lines.
NOTIFY_OBJECT = "recall_notify"
NOTICE_OBJECT = "recall_notice"
NOTICE_TEMPLATE = "recall_notice"


@dataclass(frozen=True)
class RecallClient:
    """One client who received the lot: how to reach them, and where and when it went in."""

    client_id: int
    name: str
    email: str | None  # the current address (login's, else record's); None: reach them otherwise
    zones: tuple[str, ...]  # stored values, in the order first placed
    session_dates: tuple[date, ...]  # ascending, each once
    placements: int

    @property
    def zone_labels(self) -> tuple[str, ...]:
        return tuple(ZONE_LABELS.get(zone, zone) for zone in self.zones)


def recall_clients(actor: Actor, lot_id: int) -> tuple[PigmentLot, list[RecallClient]]:
    """The lot and every client who received it, one entry each, ordered by their first session
    with the lot and then by name. ``NotFound`` unless the lot is in ``actor``'s catalogue. One
    query, whatever the number of placements."""
    lot = catalogue_service.get_lot(actor, lot_id)
    rows = db.session.execute(
        sa.select(
            Client.id,
            Client.display_name,
            sa.func.coalesce(User.email, Client.email),
            TreatmentSession.performed_on,
            Placement.zone,
        )
        .select_from(Placement)
        .join(TreatmentSession, Placement.session_id == TreatmentSession.id)
        .join(Client, TreatmentSession.client_id == Client.id)
        .outerjoin(User, User.id == Client.user_id)
        .where(Placement.pigment_lot_id == lot.id)
        .order_by(
            TreatmentSession.performed_on,
            sa.func.lower(Client.display_name),
            Client.id,
            Placement.id,
        )
    )
    grouped: dict[int, dict] = {}
    for client_id, name, email, performed_on, zone in rows:
        entry = grouped.setdefault(
            client_id,
            {"name": name, "email": email or None, "zones": {}, "dates": {}, "placements": 0},
        )
        entry["zones"][zone] = None
        entry["dates"][performed_on] = None
        entry["placements"] += 1
    clients = [
        RecallClient(
            client_id=client_id,
            name=entry["name"],
            email=entry["email"],
            zones=tuple(entry["zones"]),
            session_dates=tuple(sorted(entry["dates"])),
            placements=entry["placements"],
        )
        for client_id, entry in grouped.items()
    ]
    return lot, clients


def record_trace_read(
    actor: Actor, clients: list[RecallClient], lot_id: int, *, now: datetime, as_csv: bool = False
) -> None:
    """One read line per client shown (``recall_trace``, or ``recall_trace_csv`` for the CSV):
    the trace reads their records. Noted and written after the response (services.audit)."""
    object_type = "recall_trace_csv" if as_csv else "recall_trace"
    for entry in clients:
        audit.record_event(
            actor,
            "read",
            client_id=entry.client_id,
            object_type=object_type,
            object_id=lot_id,
            now=now,
        )


def last_notice_at(actor: Actor, lot_id: int) -> datetime | None:
    """When a recall notice for this lot last went out from ``actor``'s practice, or None."""
    return db.session.scalar(
        sa.select(sa.func.max(AuditEvent.occurred_at)).where(
            AuditEvent.action == "create",
            AuditEvent.object_type == NOTIFY_OBJECT,
            AuditEvent.object_id == lot_id,
            AuditEvent.practice_id == practice_id_of(actor),
        )
    )


def practice_name(actor: Actor) -> str:
    """The name the notice is signed with: ``actor``'s practice."""
    practice = db.session.get(Practice, practice_id_of(actor))
    return practice.name if practice is not None else "Your practice"


def default_message(actor: Actor, lot: PigmentLot) -> str:
    """The prefilled notice the practitioner edits before sending."""
    return (
        f"{practice_name(actor)} has been told that lot {lot.lot_number} of {lot.pigment.label} is "
        "being recalled. Our records show that this lot was used in your treatment.\n\n"
        "There is no need to worry, but we would like to check your scalp. Please reply to "
        "this message or call us to arrange a short appointment, and tell us at once if you "
        "notice redness, swelling, itching or any change where you were treated."
    )


def check_message(raw: object) -> str:
    """The notice's text, trimmed; ``ValidationFailed`` (field ``message``) when empty, too
    long or holding control characters."""
    message = text_rule.normalise_newlines(raw).strip() if isinstance(raw, str) else ""
    if not message:
        text = "Write the message the clients will receive."
        raise ValidationFailed(text, {"message": text})
    if len(message) > NOTES_MAX:
        text = f"Use at most {NOTES_MAX} characters."
        raise ValidationFailed(text, {"message": text})
    problem = text_rule.problem(message, multiline=True)
    if problem is not None:
        raise ValidationFailed(problem, {"message": problem})
    return message


@dataclass(frozen=True)
class NoticeResult:
    sent_to: int  # clients a notice was queued for
    unreachable: int  # clients with no email address


def notify(
    actor: Actor,
    lot_id: int,
    raw_message: object,
    *,
    seen_last: datetime | None,
    confirmed_again: bool,
    now: datetime,
) -> NoticeResult:
    """Queue one recall notice per reachable client of lot ``lot_id`` and audit it.

    ``seen_last`` is the last notice time the practitioner's preview showed (None: none).
    Raises ``Conflict`` when a notice for this lot already went and ``confirmed_again`` is
    false, or when another notice went since the preview (the preview is stale: show it
    again); ``ValidationFailed`` for a bad message or a trace with no reachable client;
    ``NotFound`` for a lot not in ``actor``'s catalogue. Flushes, never commits.

    Two confirmations of one preview at once: the lot's row is locked first (PostgreSQL:
    ``FOR UPDATE``; SQLite has one writer at a time), so the second sees the first's audit
    line and is refused as stale instead of sending every notice twice.
    """
    message = check_message(raw_message)
    lot = catalogue_service.get_lot(actor, lot_id)
    db.session.execute(sa.select(PigmentLot.id).where(PigmentLot.id == lot.id).with_for_update())
    last = last_notice_at(actor, lot.id)
    if last is not None and (seen_last is None or abs((last - seen_last).total_seconds()) >= 1):
        raise Conflict("Another recall notice for this lot went out since your preview.")
    if last is not None and not confirmed_again:
        raise Conflict("A recall notice for this lot already went out. Confirm to send again.")
    _, clients = recall_clients(actor, lot.id)
    signed = practice_name(actor)
    reachable = [entry for entry in clients if entry.email]
    if not reachable:
        text = "No client of this lot has an email address: reach them another way."
        raise ValidationFailed(text)
    audit.record_event(
        actor, "create", client_id=None, object_type=NOTIFY_OBJECT, object_id=lot.id, now=now
    )
    for entry in reachable:
        account_mail.enqueue(
            to=entry.email,
            subject=f"Important: a pigment used in your treatment at {signed}"[:200],
            template=NOTICE_TEMPLATE,
            context={
                "name": entry.name,
                "practice": signed,
                "pigment": lot.pigment.label,
                "lot_number": lot.lot_number,
                "zones": list(entry.zone_labels),
                "session_dates": [day.isoformat() for day in entry.session_dates],
                "message": message,
            },
            client_id=entry.client_id,
            now=now,
        )
        audit.record_event(
            actor,
            "create",
            client_id=entry.client_id,
            object_type=NOTICE_OBJECT,
            object_id=lot.id,
            now=now,
        )
    return NoticeResult(sent_to=len(reachable), unreachable=len(clients) - len(reachable))


CSV_HEADER = ("Client", "Email", "Zones", "Session dates", "Placements")


def csv_rows(clients: list[RecallClient]) -> list[list[str]]:
    """The CSV's rows after its header ``CSV_HEADER``: zone names in words, ISO dates, several
    joined by "; " (one row per client, like the page)."""
    return [
        [
            entry.name,
            entry.email or "",
            "; ".join(entry.zone_labels),
            "; ".join(day.isoformat() for day in entry.session_dates),
            str(entry.placements),
        ]
        for entry in clients
    ]
