"""The due list: a practitioner's clients whose touch-up window opens before a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services.access import SCOPE_COLUMNS, Actor, client_scope, require_practitioner
from smptrack.services.pagination import Page, clamp_page


@dataclass(frozen=True, slots=True)
class DueLine:
    """One client of the due list: the columns the page and the API show, not an ORM object;
    ``status`` is ``status_words`` of the row."""

    id: int
    display_name: str
    next_touch_up_zone: str | None
    next_touch_up_on: date
    touch_up_earliest_on: date | None
    touch_up_latest_on: date | None
    touch_up_due_now: bool
    projection_review_flag: bool
    projection_blur_advisory: bool
    status: tuple[str, ...]


def _due_statements(scope: str) -> tuple[sa.Select, sa.Select]:
    """The count and the page of the due list for one kind of scope, the scope's value, the date
    and the page as parameters."""
    where = (
        SCOPE_COLUMNS[scope] == sa.bindparam("scope"),
        Client.next_touch_up_on.is_not(None),
        sa.or_(
            Client.touch_up_earliest_on < sa.bindparam("before"),
            Client.touch_up_due_now.is_(True),
        ),
    )
    count = sa.select(sa.func.count()).select_from(Client).where(*where)
    lines = (
        sa.select(
            Client.id,
            Client.display_name,
            Client.next_touch_up_zone,
            Client.next_touch_up_on,
            Client.touch_up_earliest_on,
            Client.touch_up_latest_on,
            Client.touch_up_due_now,
            Client.projection_review_flag,
            Client.projection_blur_advisory,
        )
        .where(*where)
        .order_by(Client.next_touch_up_on, Client.display_name, Client.id)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )
    return count, lines


# The due list runs on every visit: its statements are built once per kind of scope (building
# the SELECT anew, its coercions and cache key, cost about as much CPU as running it).
_DUE_STATEMENTS = {scope: _due_statements(scope) for scope in SCOPE_COLUMNS}


def due_clients(
    actor: Actor, before: date, *, page: int = 1, per_page: int = 25, clamp: bool = False
) -> Page[DueLine]:
    """Clients whose window opens before ``before`` (or who are due now), by most likely date.

    Reads only the projection materialised on each client: an indexed query, no model runs;
    two statements (the count, then the page unless it is empty).
    """
    require_practitioner(actor)
    scope = client_scope(actor)
    if scope is None:
        return Page(items=[], page=1, per_page=per_page, total=0)
    count, lines = _DUE_STATEMENTS[scope[0]]
    params = {"scope": scope[1], "before": before}
    connection = db.session.connection()
    total = connection.execute(count, params).scalar_one()
    # ``clamp``: a page a person reads shows the last page for one past the end (pagination).
    page = clamp_page(page, total, per_page) if clamp else max(1, page)
    if not total:
        return Page(items=[], page=page, per_page=per_page, total=0)
    rows = connection.execute(
        lines, {**params, "limit": per_page, "offset": (page - 1) * per_page}
    ).all()
    items = [DueLine(*row, status=tuple(_words(*row[-3:]))) for row in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)


def status_words(client: Client | DueLine) -> list[str]:
    return _words(
        client.touch_up_due_now, client.projection_review_flag, client.projection_blur_advisory
    )


def _words(due_now: bool, review_flag: bool, blur_advisory: bool) -> list[str]:
    words = []
    if due_now:
        words.append("due now")
    if review_flag:
        words.append("review flag")
    if blur_advisory:
        words.append("blur/colour advisory")
    return words
