"""Links between areas for the client page and the client's own page.

Each area's blueprint owns its pages; the history pages link to them by endpoint name. A link
whose page does not exist in this build is left out instead of failing the whole page, so the
history pages do not import or depend on the blueprints they point to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

from smptrack.models import Client


def optional_url(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint, **values)``, or None when no such page is registered."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def practice_links(client: Client) -> dict[str, str | None]:
    """What the client's practitioner can do from the client page."""
    values = {"client_id": client.id}
    return {
        "record_session": optional_url("treatments.new", **values),
        "sun_log": optional_url("exposure.index", **values),
        "log_sun": optional_url("exposure.new", **values),
        "profile": optional_url("exposure.profile", **values),
        "assess": optional_url("assessments.new", **values),
        "assessments": optional_url("assessments.index", **values),
        "export": optional_url("privacy.export_client", **values),
        "erase": optional_url("privacy.erase_client", **values),
        "reminders": optional_url("reminders.client_index", **values),
    }


def own_links(client: Client | None) -> dict[str, str | None]:
    """What a client can do from their own page."""
    values = {"client_id": client.id} if client is not None else None
    return {
        "record_session": optional_url("treatments.new", **values) if values else None,
        "sun_log": optional_url("exposure.my_sun_log"),
        "log_sun": optional_url("exposure.new", **values) if values else None,
        "profile": optional_url("exposure.my_profile"),
        "assess": optional_url("assessments.new", **values) if values else None,
        "assessments": optional_url("assessments.my_assessments"),
        "export": optional_url("privacy.export_own"),
        "erase": optional_url("privacy.erase_own"),
        "reminders": optional_url("reminders.mine"),
    }


def session_links(treatment_id: int) -> dict[str, str | None]:
    return {
        "show": optional_url("treatments.show", session_id=treatment_id),
        "edit": optional_url("treatments.edit", session_id=treatment_id),
        "delete": optional_url("treatments.delete", session_id=treatment_id),
    }


def assessment_links(assessment_id: int) -> dict[str, str | None]:
    return {"delete": optional_url("assessments.delete", assessment_id=assessment_id)}


# An id no row has (the ``int`` converter's maximum), built into a URL once and then replaced.
_SENTINEL_ID = 2**31 - 1


def url_by_id(endpoint: str, argument: str) -> Callable[[int], str | None]:
    """``url_for(endpoint, argument=id)`` for a page listing many rows: the URL is built once
    with a sentinel id and then filled in per row (a ``url_for`` per row is most of the cost
    of a long list); None for each id when no such page is registered."""
    url = optional_url(endpoint, **{argument: _SENTINEL_ID})
    head, found, tail = (url or "").partition(str(_SENTINEL_ID))
    if not (url and found):
        return lambda row_id: None
    return lambda row_id: f"{head}{row_id}{tail}"


def links_by_id(**links: tuple[str, str]) -> Callable[[int], dict[str, str | None]]:
    """``links.session_links`` and the like, with each URL built by ``url_by_id``."""
    builders = {name: url_by_id(*target) for name, target in links.items()}
    return lambda row_id: {name: build(row_id) for name, build in builders.items()}
