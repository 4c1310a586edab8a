"""Template filters: dates and times in the viewer's own time zone, labels for stored values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from smptrack.domain.vocabulary import LATITUDE_BAND_LABELS, ZONE_LABELS
from smptrack.services import access


def viewer() -> object:
    """The login the page is drawn for (an anonymous user when signed out), not the
    ``current_user`` proxy: every attribute read through the proxy looks the login up again,
    and the access rules behind one row of a page read a dozen."""
    return current_user._get_current_object()


def viewer_zone() -> ZoneInfo:
    """The viewer's time zone, built once per request while it stays the same (a page shows a
    few dozen times; a request that signs someone in, or changes the zone, shows the rest in
    the new one)."""
    name = getattr(viewer(), "time_zone", None) or current_app.config["DEFAULT_TIME_ZONE"]
    cached = g.get("_viewer_zone")
    if cached is None or cached[0] != name:
        cached = g._viewer_zone = (name, _zone_named(name))
    return cached[1]


def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_datetime(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A UTC moment shown in the viewer's zone, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(viewer_zone())
    return f"{local.strftime(fmt)} {local.tzname()}"


# A list page formats two or three dates a row, and its dates repeat (a page of touch-up dates
# falls in a few months): strftime was a tenth of the 500-row list's CPU.
@lru_cache(maxsize=4096)
def long_date(value: date | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value.strftime('%B %Y')}"


def humanise(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


def page_url(number: int) -> str:
    """The current page's URL with its query kept and ``page`` set to ``number``."""
    args = request.args.to_dict()
    args["page"] = str(number)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def may_read_notes(record: object) -> bool:
    """The viewer reads ``record``'s notes (``access.may_read_notes``): templates ask this one
    rule, so a page cannot show a note the API would withhold."""
    return access.may_read_notes(viewer(), record)


def may_see_control(action: str, client: object, record: object = None) -> bool:
    """The viewer is shown the control for ``action`` (``access.may_see_control``), the same
    rule its route enforces."""
    return access.may_see_control(viewer(), action, client, record)


# The menu of base.html, by the viewer's role (None: signed out): the pages each role has.
_STAFF_MENU = (
    ("practice.details", "Practice"),
    ("appointments.index", "Appointments"),
    ("calendar_feeds.index", "Calendar"),
)
_MENUS: dict[str | None, tuple[tuple[str, str], ...]] = {
    "practitioner": (
        ("clients.index", "Clients"),
        ("due.index", "Due"),
        ("catalogue.index", "Pigments"),
        ("reminders.practice_settings", "Reminders"),
        ("clients.new", "Add client"),
        *_STAFF_MENU,
        ("account.settings", "Account"),
    ),
    "front_desk": (*_STAFF_MENU, ("account.settings", "Account")),
    "client": (
        ("account.me", "My record"),
        ("exposure.my_sun_log", "Sun log"),
        ("exposure.my_profile", "My profile"),
        ("assessments.my_assessments", "My assessments"),
        ("reminders.mine", "My reminders"),
        ("calendar_feeds.index", "Calendar"),
        ("account.settings", "Account"),
    ),
    "admin": (("admin.users", "Users"), ("account.settings", "Account")),
    None: (("auth.login", "Log in"), ("auth.signup", "Sign up")),
}
# The URLs every page's frame links to besides the menu.
_FRAME = {
    "home": ("home.index", {}),
    "logout": ("auth.logout", {}),
    "style": ("static", {"filename": "style.css"}),
}


def _frame_links() -> tuple[Callable[[], dict[str, str]], Callable[[], tuple]]:
    """``frame_urls()`` and ``menu()`` for base.html, built once per role and script root.

    Every page drew its frame with a dozen ``url_for`` calls whose answers depend only on the
    viewer's role and the application's mount point (``request.script_root``): they are built
    on the first page of each and kept for the life of the app they are registered on.
    """
    frames: dict[str, dict[str, str]] = {}
    menus: dict[tuple[str | None, str], tuple[tuple[str, str], ...]] = {}

    def frame_urls() -> dict[str, str]:
        root = request.script_root
        urls = frames.get(root)
        if urls is None:
            urls = frames[root] = {
                name: url_for(endpoint, **values) for name, (endpoint, values) in _FRAME.items()
            }
        return urls

    def menu() -> tuple[tuple[str, str], ...]:
        """The menu's (href, label) pairs for the viewer; a role without a menu of its own
        has the account page."""
        user = viewer()
        role = user.role if user.is_authenticated else None
        key = (role, request.script_root)
        links = menus.get(key)
        if links is None:
            pages = _MENUS.get(role) or (("account.settings", "Account"),)
            links = menus[key] = tuple((url_for(endpoint), label) for endpoint, label in pages)
        return links

    return frame_urls, menu


def register_template_helpers(app: Flask) -> None:
    frame_urls, menu = _frame_links()
    app.add_template_global(frame_urls)
    app.add_template_global(menu)
    app.add_template_global(page_url)
    app.add_template_global(may_read_notes)
    app.add_template_global(may_see_control)
    app.add_template_filter(local_datetime, "localtime")
    app.add_template_filter(long_date, "longdate")
    app.add_template_filter(humanise, "humanise")
    # ``or``, not ``get``'s default: the default was humanised on every row of a list.
    app.add_template_filter(lambda z: ZONE_LABELS.get(z) or humanise(z), "zone_label")
    app.add_template_filter(lambda b: LATITUDE_BAND_LABELS.get(b) or humanise(b), "latitude_label")
