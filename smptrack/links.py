"""Links between areas for the client page and the client's own page.

Each area's blueprint owns its pages; the history pages link to them by endpoint name. A link
whose page does not exist in this build is left out instead of failing the whole page, so the
history pages do not import or depend on the blueprints they point to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request, url_for
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
    return row_links(PRACTICE_LINKS)(client.id)


def own_links(client: Client | None) -> dict[str, str | None]:
    """What a client can do from their own page."""
    links = row_links(_OWN_LINKS)(None)
    if client is not None:
        links.update(row_links(_OWN_RECORD_LINKS)(client.id))
    return links


def session_links(treatment_id: int) -> dict[str, str | None]:
    return row_links(SESSION_LINKS)(treatment_id)


def assessment_links(assessment_id: int) -> dict[str, str | None]:
    return row_links(ASSESSMENT_LINKS)(assessment_id)


# Groups of links: (name, endpoint, the argument the row's id goes in or None for a page
# without one; endpoint None for a link the page never has).
Links = tuple[tuple[str, str | None, str | None], ...]
PRACTICE_LINKS: Links = (
    ("record_session", "treatments.new", "client_id"),
    ("sun_log", "exposure.index", "client_id"),
    ("log_sun", "exposure.new", "client_id"),
    ("profile", "exposure.profile", "client_id"),
    ("assess", "assessments.new", "client_id"),
    ("assessments", "assessments.index", "client_id"),
    ("export", "privacy.export_client", "client_id"),
    ("erase", "privacy.erase_client", "client_id"),
    ("reminders", "reminders.client_index", "client_id"),
)
_OWN_LINKS: Links = (
    ("record_session", None, None),
    ("sun_log", "exposure.my_sun_log", None),
    ("log_sun", None, None),
    ("profile", "exposure.my_profile", None),
    ("assess", None, None),
    ("assessments", "assessments.my_assessments", None),
    ("export", "privacy.export_own", None),
    ("erase", "privacy.erase_own", None),
    ("reminders", "reminders.mine", None),
)
# A client's own page without a record (an erased one) has no pages of the record.
_OWN_RECORD_LINKS: Links = (
    ("record_session", "treatments.new", "client_id"),
    ("log_sun", "exposure.new", "client_id"),
    ("assess", "assessments.new", "client_id"),
)
SESSION_LINKS: Links = (
    ("show", "treatments.show", "session_id"),
    ("edit", "treatments.edit", "session_id"),
    ("delete", "treatments.delete", "session_id"),
)
ASSESSMENT_LINKS: Links = (("delete", "assessments.delete", "assessment_id"),)


def row_links(links: Links) -> Callable[[int | None], dict[str, str | None]]:
    """The group ``links`` for one row id (None when no link takes one): each URL filled into
    a pattern ``url_by_id`` built, and the group's patterns looked up once, so a page can call
    the answer once per row."""
    patterns, root = _patterns(), request.script_root
    builders = [
        (name, _pattern(patterns, root, endpoint, argument)) for name, endpoint, argument in links
    ]
    return lambda row_id: {name: build(row_id) for name, build in builders}


# An id no row has (the ``int`` converter's maximum), built into a URL once and then replaced.
_SENTINEL_ID = 2**31 - 1


def url_by_id(endpoint: str, argument: str) -> Callable[[int], str | None]:
    """``url_for(endpoint, argument=id)`` for a page listing many rows: the URL is built with a
    sentinel id and then filled in per row (a ``url_for`` per row is most of the cost of a long
    list); None for each id when no such page is registered. The pattern is built once per
    application and mount point (``request.script_root``), on the first page that asks."""
    return _pattern(_patterns(), request.script_root, endpoint, argument)


Pattern = Callable[[int | None], str | None]


def _patterns() -> dict[tuple[str | None, str | None, str], Pattern]:
    return current_app.extensions.setdefault("smptrack.url_patterns", {})


def _pattern(
    patterns: dict[tuple[str | None, str | None, str], Pattern],
    root: str,
    endpoint: str | None,
    argument: str | None,
) -> Pattern:
    """The pattern kept in ``patterns`` for ``endpoint`` under mount point ``root``, built on
    first use (the caller looks the app's store and the root up once for a group)."""
    key = (endpoint, argument, root)
    build = patterns.get(key)
    if build is None:
        build = patterns[key] = _build_pattern(endpoint, argument)
    return build


def _build_pattern(endpoint: str | None, argument: str | None) -> Pattern:
    if endpoint is None:
        return lambda row_id: None
    if argument is None:
        url = optional_url(endpoint)
        return lambda row_id: url
    url = optional_url(endpoint, **{argument: _SENTINEL_ID})
    head, found, tail = (url or "").partition(str(_SENTINEL_ID))
    if not (url and found):
        return lambda row_id: None
    return lambda row_id: f"{head}{row_id}{tail}"
