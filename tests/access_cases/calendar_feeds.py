"""Calendar feed routes: the public feed (the URL is the secret), one's own feeds, and a
client's feed managed by a practitioner of their practice.

Placeholders: {feed_p} is the key of practitioner P's own-appointments feed, which holds one
appointment of client A.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smptrack.extensions import db
from smptrack.models import Appointment
from smptrack.services import calendar_feeds
from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in
from tests.conftest import Personas


def objects(personas: Personas) -> dict[str, str]:
    p = personas.practitioner_p
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    db.session.add(
        Appointment(
            uid="matrix-appointment@smptrack.test",
            practice_id=p.practice_id,
            client_id=personas.record_a.id,
            practitioner_id=p.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            time_zone="Europe/London",
        )
    )
    now = datetime.now(UTC)
    issued = calendar_feeds.issue_feed(p, calendar_feeds.own_subject(p, "practitioner"), now=now)
    return {"feed_p": issued.key}


MEMBERS = ("practitioner_p", "practitioner_q", "colleague_p", "front_desk_p")
PRACTITIONERS_OF_A = ("practitioner_p", "colleague_p")


def members(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    table = signed_in(403, **dict.fromkeys(MEMBERS, status))
    table.update(overrides)
    return table


def of_a(status: int | str) -> dict[str, int | str]:
    # Another practice's client answers 404 (admin too: no client record is theirs); A's own
    # login and the front desk may not manage the feed (403).
    table = signed_in(404, client_a=403, front_desk_p=403)
    table.update(dict.fromkeys(PRACTITIONERS_OF_A, status))
    return table


CASES = [
    Case(
        "GET",
        "/calendar/<key>.ics",
        "/calendar/{feed_p}.ics",
        everyone(200),
        shows=dict.fromkeys(("anonymous", "practitioner_q"), ("BEGIN:VCALENDAR", "Ada Client")),
    ),
    Case(
        "GET",
        "/calendar/<key>.ics",
        "/calendar/not-a-key-of-any-feed-000000000000000000.ics",
        everyone(404),
    ),
    Case("GET", "/calendar", "/calendar", signed_in(200, admin=403)),
    Case(
        "POST",
        "/calendar/<any(practitioner, practice, client):scope>/new",
        "/calendar/practice/new",
        members(200),
    ),
    Case(
        "POST",
        "/calendar/<any(practitioner, practice, client):scope>/new",
        "/calendar/practitioner/new",
        members(200, practitioner_p=ANY_REDIRECT, front_desk_p=403),
    ),
    Case(
        "POST",
        "/calendar/<any(practitioner, practice, client):scope>/new",
        "/calendar/client/new",
        signed_in(403, client_a=200, client_b=200),
    ),
    Case(
        "GET",
        "/calendar/<any(practitioner, practice, client):scope>/regenerate",
        "/calendar/practice/regenerate",
        members(200),
    ),
    Case(
        "POST",
        "/calendar/<any(practitioner, practice, client):scope>/regenerate",
        "/calendar/client/regenerate",
        signed_in(403, client_a=200, client_b=200),
    ),
    Case(
        "POST",
        "/calendar/<any(practitioner, practice, client):scope>/stop",
        "/calendar/practitioner/stop",
        members(ANY_REDIRECT, front_desk_p=403),
    ),
    Case(
        "GET",
        "/calendar/clients/<int:client_id>",
        "/calendar/clients/{a}",
        of_a(200),
        shows=dict.fromkeys(PRACTITIONERS_OF_A, ("Ada Client",)),
    ),
    Case("POST", "/calendar/clients/<int:client_id>/new", "/calendar/clients/{a}/new", of_a(200)),
    Case(
        "GET",
        "/calendar/clients/<int:client_id>/regenerate",
        "/calendar/clients/{a}/regenerate",
        of_a(200),
    ),
    Case(
        "POST",
        "/calendar/clients/<int:client_id>/regenerate",
        "/calendar/clients/{a}/regenerate",
        of_a(200),
    ),
    Case(
        "POST",
        "/calendar/clients/<int:client_id>/stop",
        "/calendar/clients/{a}/stop",
        of_a(ANY_REDIRECT),
    ),
]
