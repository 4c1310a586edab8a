"""The access policy: the one place that decides who may see or change what.

- A practitioner sees and changes the clients of their own practice, and their own catalogue.
- A client sees and changes their own record only.
- An admin manages users, and sees no client record.

Views and API routes fetch owned rows only through the loaders here. A row that exists but
belongs to someone else raises ``NotFound``, exactly as a row that does not exist, so that ids
leak nothing; such a refusal is also noted for the audit log (``refused``). A role that may
not use a feature at all raises ``Forbidden``.
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, User
from smptrack.services import audit
from smptrack.services.errors import Forbidden, NotFound

MAX_ROW_ID = 2**31 - 1


class Actor(Protocol):
    id: int
    role: str


def visible_clients(actor: Actor) -> sa.Select[tuple[Client]]:
    """A SELECT of the client records ``actor`` may see; extend it with filters and ordering."""
    query = sa.select(Client)
    if actor.role == "practitioner":
        return query.where(Client.practitioner_id == actor.id)
    if actor.role == "client":
        return query.where(Client.user_id == actor.id)
    return query.where(sa.false())


def get_client(actor: Actor, client_id: int) -> Client:
    """The client record ``client_id`` if ``actor`` may see it, else ``NotFound``."""
    client = db.session.scalar(visible_clients(actor).where(Client.id == client_id))
    if client is None:
        raise refused(actor, Client, client_id, "client", "No such client.")
    return client


def refused(
    actor: Actor | None, model: Any, object_id: object, object_type: str, message: str
) -> NotFound:
    """The ``NotFound`` a loader raises when ``actor`` may not see row ``object_id`` of
    ``model``. When the row exists (another tenant's), the denial is first noted for the audit
    log (``audit.note_denial``; the request writes it even though it answers 404). The answer
    is the same either way, so ids leak nothing."""
    in_range = isinstance(object_id, int) and not isinstance(object_id, bool)
    if in_range and 1 <= object_id <= MAX_ROW_ID:
        owner = model.id if model is Client else getattr(model, "client_id", sa.null())
        found = db.session.execute(sa.select(model.id, owner).where(model.id == object_id)).first()
        if found is not None:
            audit.note_denial(actor, object_type, object_id, found[1])
    return NotFound(message)


def own_client_record(actor: Actor) -> Client | None:
    """A client login's own record (None for other roles, or a client not yet linked)."""
    if actor.role != "client":
        return None
    return db.session.scalar(sa.select(Client).where(Client.user_id == actor.id))


def require_practitioner(actor: Actor) -> None:
    if actor.role != "practitioner":
        raise Forbidden("Only a practitioner can do this.")


def require_client(actor: Actor) -> None:
    if actor.role != "client":
        raise Forbidden("Only a client can do this.")


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("Only an administrator can do this.")


def may_manage_practice(actor: Actor, client: Client) -> bool:
    """Practice-side actions on a visible record: invite the client, record for them, erase."""
    return actor.role == "practitioner" and client.practitioner_id == actor.id


def require_practice_of(actor: Actor, client: Client) -> None:
    if not may_manage_practice(actor, client):
        raise Forbidden("Only the client's practitioner can do this.")


# A reminder still in the outbox (or delivered) whose last error is a retry's transient reply.
_IN_DELIVERY = frozenset({"pending", "sending", "sent"})


def may_see_reminder_error(actor: Actor, client: Client, status: str) -> bool:
    """Whether ``actor``, who may see ``client``, sees a reminder's ``last_error``.

    The practice sees every reason, the mail server's replies to retries included: it is their
    delivery log. The client sees the reason once a reminder has ended unsent (failed,
    cancelled, or any later such status), as on their reminders page, and not the transient
    errors of a delivery still in progress.
    """
    if may_manage_practice(actor, client):
        return True
    return actor.role == "client" and client.user_id == actor.id and status not in _IN_DELIVERY


def listable_users(actor: Actor) -> sa.Select[tuple[User]]:
    require_admin(actor)
    return sa.select(User)
