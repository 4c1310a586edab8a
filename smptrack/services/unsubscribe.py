"""One-click unsubscribe (RFC 8058): signed links that name a client and a kind (or all), and
what following one does. Flushes."""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from smptrack.domain.vocabulary import REMINDER_KINDS
from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import audit
from smptrack.services.errors import NotFound
from smptrack.services.reminder_facts import ALL_KINDS
from smptrack.services.reminder_preferences import preference_row_for_update
from smptrack.services.reminders import cancel_pending_of

UNSUBSCRIBE_SALT = "smptrack.reminders.unsubscribe"


def unsubscribe_token(secret_key: str, client_id: int, kind: str) -> str:
    """A signed token naming the client and the kind (or ``all``). It does not expire: an
    unsubscribe link in an old email must still work."""
    if kind not in (*REMINDER_KINDS, ALL_KINDS):
        raise ValueError(f"unknown reminder kind {kind!r}")
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps([client_id, kind])


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[Client, str]:
    """The client and kind a token names; NotFound for a forged token or an erased client."""
    try:
        client_id, kind = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, TypeError, ValueError) as exc:
        raise NotFound("This unsubscribe link is not valid.") from exc
    if not isinstance(client_id, int) or kind not in (*REMINDER_KINDS, ALL_KINDS):
        raise NotFound("This unsubscribe link is not valid.")
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("This unsubscribe link is not valid.")
    return client, kind


def unsubscribe(client: Client, kind: str, *, now: datetime) -> int:
    """Stop ``kind`` reminders (or all) for ``client`` and cancel the pending ones. Flushes.

    Returns the number of pending reminders cancelled. Idempotent.
    """
    row = preference_row_for_update(client)
    if kind == ALL_KINDS:
        row.unsubscribed_all_at = row.unsubscribed_all_at or now
    else:
        setattr(row, kind, False)
    db.session.flush()
    # Nobody is signed in: the signed link speaks for the client.
    audit.record_event(
        None,
        "update",
        client_id=client.id,
        object_type="reminder_preference",
        object_id=None,
        now=now,
    )
    reason = "Cancelled: the client unsubscribed."
    return cancel_pending_of(client, None if kind == ALL_KINDS else kind, reason)
