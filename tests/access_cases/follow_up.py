"""The follow-up link of a check-in email (public, token-gated, like unsubscribe) and the logged-in
client's way to it.

Placeholders: {follow_up_a} is an open healed-check link of client A's; {follow_up_b_as_a}
is correctly signed but pairs client B's reminder with client A (a confused or forged id).
The page asks only about treated zones: A's crown is treated by the session that
tests/access_cases/treatments.py records, so the posts rate the crown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from smptrack.extensions import db
from smptrack.models import Reminder
from smptrack.services import follow_up
from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in
from tests.conftest import Personas

NAMES = ("Ada Client", "a@clients.test", "Bea Client")
# The areas whose rows these cases need besides their own (the matrix seeds only those).
SEEDED_WITH = ("treatments",)


def _sent_check_in(record_id: int, email: str, now: datetime) -> Reminder:
    reminder = Reminder(
        client_id=record_id,
        recipient_email=email,
        kind="healed_check",
        due_at=now - timedelta(hours=1),
        dedupe_key=f"matrix:follow-up:{record_id}",
        status="sent",
        sent_at=now - timedelta(hours=1),
        payload={"details": {"day": 28}},
    )
    db.session.add(reminder)
    return reminder


def objects(personas: Personas) -> dict[str, str]:
    now = datetime.now(UTC)
    mine = _sent_check_in(personas.record_a.id, "a@clients.test", now)
    theirs = _sent_check_in(personas.record_b.id, "b@clients.test", now)
    db.session.flush()  # ids for the tokens; the matrix commits once for every area
    secret = current_app.config["SECRET_KEY"]
    crossed = follow_up._serializer(secret).dumps(
        [theirs.id, personas.record_a.id, int(now.timestamp()), follow_up._fingerprint(theirs)]
    )
    return {
        "follow_up_a": follow_up.follow_up_token(secret, mine, issued_at=mine.sent_at),
        "follow_up_b_as_a": crossed,
    }


CASES = [
    # Whoever holds the link answers for the client, logged in as anyone or not at all; the page
    # names nobody (a forwarded link shows no name or address).
    Case(
        "GET",
        "/follow-up/<token>",
        "/follow-up/{follow_up_a}",
        everyone(200),
        shows=dict.fromkeys(("anonymous", "client_b", "practitioner_q"), ('name="density_crown"',)),
        hides=dict.fromkeys(("anonymous", "client_b", "practitioner_q", "admin"), NAMES),
    ),
    Case(
        "POST",
        "/follow-up/<token>",
        "/follow-up/{follow_up_a}",
        everyone(ANY_REDIRECT),  # to the same link, which then thanks them
        body={"density_crown": "80"},
        hides=dict.fromkeys(("anonymous", "client_b", "practitioner_q"), NAMES),
    ),
    Case("GET", "/follow-up/<token>", "/follow-up/forged", everyone(404)),
    Case(
        "POST",
        "/follow-up/<token>",
        "/follow-up/forged",
        everyone(404),
        body={"density_crown": "80"},
    ),
    Case("GET", "/follow-up/<token>", "/follow-up/{follow_up_b_as_a}", everyone(404)),
    Case(
        "POST",
        "/follow-up/<token>",
        "/follow-up/{follow_up_b_as_a}",
        everyone(404),
        body={"density_crown": "80"},
    ),
    # Only a client has a check-in of their own waiting: the others are refused the page.
    Case(
        "GET",
        "/me/follow-up",
        "/me/follow-up",
        signed_in(403, client_a=ANY_REDIRECT, client_b=ANY_REDIRECT),
    ),
]
