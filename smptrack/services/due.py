"""The due list: a practitioner's clients whose touch-up window opens before a date."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services.access import Actor, require_practitioner, visible_clients
from smptrack.services.pagination import Page, clamp_page


def due_clients(
    actor: Actor, before: date, *, page: int = 1, per_page: int = 25, clamp: bool = False
) -> Page:
    """Clients whose window opens before ``before`` (or who are due now), by most likely date.

    Reads only the projection materialised on each client: an indexed query, no model runs.
    """
    require_practitioner(actor)
    query = visible_clients(actor).where(
        Client.next_touch_up_on.is_not(None),
        sa.or_(Client.touch_up_earliest_on < before, Client.touch_up_due_now.is_(True)),
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    # ``clamp``: a page a person reads shows the last page for one past the end (pagination).
    page = clamp_page(page, total, per_page) if clamp else max(1, page)
    items = list(
        db.session.scalars(
            query.order_by(Client.next_touch_up_on, Client.display_name, Client.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


def status_words(client: Client) -> list[str]:
    words = []
    if client.touch_up_due_now:
        words.append("due now")
    if client.projection_review_flag:
        words.append("review flag")
    if client.projection_blur_advisory:
        words.append("blur/colour advisory")
    return words
