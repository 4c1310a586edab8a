"""Template filters: dates and times in the viewer's own time zone, labels for stored values."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from smptrack.domain.vocabulary import LATITUDE_BAND_LABELS, ZONE_LABELS
from smptrack.services import access


def viewer_zone() -> ZoneInfo:
    name = getattr(current_user, "time_zone", None) or current_app.config["DEFAULT_TIME_ZONE"]
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
    return access.may_read_notes(current_user, record)


def may_see_control(action: str, client: object, record: object = None) -> bool:
    """The viewer is shown the control for ``action`` (``access.may_see_control``), the same
    rule its route enforces."""
    return access.may_see_control(current_user, action, client, record)


def register_template_helpers(app: Flask) -> None:
    app.add_template_global(page_url)
    app.add_template_global(may_read_notes)
    app.add_template_global(may_see_control)
    app.add_template_filter(local_datetime, "localtime")
    app.add_template_filter(long_date, "longdate")
    app.add_template_filter(humanise, "humanise")
    app.add_template_filter(lambda z: ZONE_LABELS.get(z, humanise(z)), "zone_label")
    app.add_template_filter(lambda b: LATITUDE_BAND_LABELS.get(b, humanise(b)), "latitude_label")
