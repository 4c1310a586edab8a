"""Client records: create and list them within the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from smptrack.domain import text as text_rule
from smptrack.domain.limits import DISPLAY_NAME_MAX, NOTES_MAX
from smptrack.extensions import db
from smptrack.models import Client, TreatmentSession, User
from smptrack.services import audit
from smptrack.services.access import (
    SCOPE_COLUMNS,
    Actor,
    client_scope,
    get_practitioner_of_practice,
    practice_id_of,
    practice_members,
    require_practice_of,
    require_practitioner,
    visible_clients,
)
from smptrack.services.accounts import check_time_zone, normalise_email
from smptrack.services.errors import Conflict, ValidationFailed
from smptrack.services.pagination import Page, clamp_page

SORTS = ("name", "touch_up")


class DuplicateClient(Conflict):
    """Another record of the practice has this email (issue 13 item 6): refused unless the
    practitioner confirms that this is another person (a couple sharing an address, say).
    ``existing`` is that record; the message names it, so the practitioner can open it."""

    code = "duplicate_email"

    def __init__(self, existing: Client) -> None:
        self.existing = existing
        message = (
            f"{existing.display_name} ({existing.email}) already has a record: open it, or "
            "confirm to add another client with this email."
        )
        super().__init__(message, {"email": message, "existing_client_id": str(existing.id)})


def client_with_email(actor: Actor, email: str) -> Client | None:
    """The first record of ``actor``'s practice whose email is ``email`` (case-insensitive)."""
    return db.session.scalar(
        sa.select(Client)
        .where(
            Client.practice_id == practice_id_of(actor),
            sa.func.lower(Client.email) == email.lower(),
        )
        .order_by(Client.id)
        .limit(1)
    )


def create_client(
    actor: Actor,
    *,
    display_name: str,
    email: str | None,
    time_zone: str,
    notes: str = "",
    confirm_duplicate: bool = False,
    now: datetime,
) -> Client:
    """A new record in ``actor``'s practice. The email is optional until an invitation.

    Raises ``DuplicateClient`` (409) when another record of the practice has the same email,
    case-insensitively, unless ``confirm_duplicate``; ``ValidationFailed`` for bad fields.
    """
    require_practitioner(actor)
    fields: dict[str, str] = {}
    name_problem = text_rule.problem(display_name or "")
    display_name = (display_name or "").strip()
    if name_problem is not None:
        fields["display_name"] = name_problem
    elif not display_name or len(display_name) > DISPLAY_NAME_MAX:
        fields["display_name"] = f"Enter the client's name (at most {DISPLAY_NAME_MAX} characters)."
    normalised = None
    if email and email.strip():
        try:
            normalised = normalise_email(email)
        except ValidationFailed as exc:
            fields.update(exc.fields)
    try:
        check_time_zone(time_zone)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    notes_problem = text_rule.problem(notes or "", multiline=True)
    notes = text_rule.normalise_newlines(notes or "")
    if notes_problem is not None:
        fields["notes"] = notes_problem
    elif len(notes) > NOTES_MAX:
        fields["notes"] = f"Keep notes under {NOTES_MAX:,} characters."
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    if normalised is not None and not confirm_duplicate:
        existing = client_with_email(actor, normalised)
        if existing is not None:
            raise DuplicateClient(existing)
    client = Client(
        practice_id=practice_id_of(actor),
        practitioner_id=actor.id,
        display_name=display_name,
        email=normalised,
        time_zone=time_zone,
        notes=notes or "",
        created_at=now,
        updated_at=now,
    )
    db.session.add(client)
    db.session.flush()
    audit.record_event(
        actor, "create", client_id=client.id, object_type="client", object_id=client.id, now=now
    )
    return client


def assign_practitioner(
    actor: Actor, client: Client, practitioner_id: int, *, now: datetime
) -> User:
    """Make ``practitioner_id`` (a practitioner of the client's practice) the client's assigned
    practitioner. Any practitioner of the practice may hand a client over; another practice's
    or a front-desk member is "no such practitioner" (``NotFound``). Flushes."""
    require_practice_of(actor, client)
    practitioner = get_practitioner_of_practice(actor, practitioner_id)
    if client.practitioner_id != practitioner.id:
        client.practitioner_id = practitioner.id
        client.updated_at = now
        audit.record_event(
            actor,
            "update",
            client_id=client.id,
            object_type="client_practitioner",
            object_id=practitioner.id,
            now=now,
        )
        db.session.flush()
    return practitioner


def practitioners_of_practice(actor: Actor) -> list[User]:
    """Who a client of ``actor``'s practice may be assigned to, by name."""
    return list(
        db.session.scalars(
            practice_members(actor)
            .where(User.role == "practitioner", User.active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )


@dataclass(frozen=True, slots=True)
class ClientLine:
    """One row of the client list page: the columns it shows, not an ORM object."""

    id: int
    display_name: str
    email: str | None
    user_id: int | None
    next_touch_up_on: date | None
    last_session_on: date | None


# The latest session of the row's client, correlated: the list page is one SELECT. ORDER BY ...
# LIMIT 1 reads one entry of the (client_id, performed_on) index; SQLite computes max() over the
# client's whole range (500 rows: 0.9 ms against 2.2 ms).
_LAST_SESSION = (
    sa.select(TreatmentSession.performed_on)
    .where(TreatmentSession.client_id == Client.id)
    .order_by(TreatmentSession.performed_on.desc())
    .limit(1)
    .correlate(Client)
    .scalar_subquery()
)


def list_clients(
    actor: Actor, *, search: str = "", sort: str = "name", page: int = 1, per_page: int = 25
) -> Page:
    """One page of the clients ``actor`` may see, searched by name or email (ORM objects)."""
    query, total, offset = _listing(actor, search, sort, page, per_page)
    items = list(db.session.scalars(query.limit(per_page).offset(offset)))
    return Page(items=items, page=max(1, page), per_page=per_page, total=total)


def list_client_lines(
    actor: Actor, *, search: str = "", sort: str = "name", page: int = 1, per_page: int = 25
) -> Page[ClientLine]:
    """The same page as ``list_clients`` for the list page: its columns and each client's latest
    session, in two statements (the count and the page) whatever the page size; none when
    ``actor`` sees no client, and no page query when there is nothing to list."""
    scope = client_scope(actor)
    if scope is None:
        return Page(items=[], page=1, per_page=per_page, total=0)
    search = (search or "").strip()
    count, lines = _LINE_STATEMENTS[scope[0], bool(search), sort if sort in SORTS else "name"]
    params: dict[str, object] = {"scope": scope[1]}
    if search:
        params["pattern"] = f"%{search.lower()}%"
    # Plain Core rows on the session's connection: columns, not entities, so the ORM's result
    # processing would only add per-row work.
    connection = db.session.connection()
    total = connection.execute(count, params).scalar_one()
    page = clamp_page(page, total, per_page)  # a page read by a person (the API's does not)
    if not total:
        return Page(items=[], page=page, per_page=per_page, total=0)
    rows = connection.execute(
        lines, {**params, "limit": per_page, "offset": (page - 1) * per_page}
    ).all()  # one fetchall, not a fetch per row
    return Page(items=[ClientLine(*row) for row in rows], page=page, per_page=per_page, total=total)


def _line_statements(scope: str, searching: bool, sort: str) -> tuple[sa.Select, sa.Select]:
    """The count and the page of ``list_client_lines`` for one kind of scope, with or without a
    search: the same filters and order as ``_listing``, with the values as parameters."""
    where = [SCOPE_COLUMNS[scope] == sa.bindparam("scope")]
    if searching:
        pattern = sa.bindparam("pattern")
        where.append(
            sa.or_(
                sa.func.lower(Client.display_name).like(pattern),
                sa.func.lower(sa.func.coalesce(Client.email, "")).like(pattern),
            )
        )
    count = sa.select(sa.func.count()).select_from(Client).where(*where)
    lines = (
        sa.select(
            Client.id,
            Client.display_name,
            Client.email,
            Client.user_id,
            Client.next_touch_up_on,
            _LAST_SESSION,
        )
        .where(*where)
        .order_by(*_ORDER[sort])
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )
    return count, lines


_ORDER = {
    # Clients with no projection yet go last, not first.
    "touch_up": (Client.next_touch_up_on.is_(None), Client.next_touch_up_on, Client.display_name),
    "name": (sa.func.lower(Client.display_name), Client.id),
}
# The list page runs on every visit: its statements are built once, per kind of scope, search or
# not, and sort (twelve pairs). Building them anew, the column coercions and the cache key, cost
# about as much CPU as SQLite spent running them.
_LINE_STATEMENTS = {
    (scope, searching, sort): _line_statements(scope, searching, sort)
    for scope in SCOPE_COLUMNS
    for searching in (False, True)
    for sort in SORTS
}


def _listing(
    actor: Actor, search: str, sort: str, page: int, per_page: int
) -> tuple[sa.Select, int, int]:
    """The ordered SELECT of the visible clients matching ``search``, their count and the
    offset of ``page``."""
    query = visible_clients(actor)
    search = (search or "").strip()
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Client.display_name).like(pattern),
                sa.func.lower(sa.func.coalesce(Client.email, "")).like(pattern),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    query = query.order_by(*_ORDER[sort if sort in SORTS else "name"])
    return query, total, (max(1, page) - 1) * per_page


def record_read(actor: Actor, client: Client, *, now: datetime) -> None:
    """The audit line of viewing ``client``'s record (the page and the API record the same)."""
    audit.record_event(
        actor, "read", client_id=client.id, object_type="client", object_id=client.id, now=now
    )
