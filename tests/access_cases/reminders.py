"""Reminder routes: the client's reminders and preferences, a client's reminders for their
practitioner, the practice's settings, one-click unsubscribe and /healthz.

Placeholders: {reminders_unsubscribe_a} is a valid unsubscribe token for client A's aftercare.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from smptrack.extensions import db
from smptrack.models import SchedulerHeartbeat
from smptrack.services import unsubscribe
from smptrack.services.heartbeats import HEARTBEAT_SEND
from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in
from tests.conftest import Personas

PREFERENCES = {
    "aftercare": "y",
    "next_session": "y",
    "healed_check": "y",
    "self_check": "y",
    "assessment": "y",
    "touch_up": "y",
    "touch_up_lead_days": "45",
}


def objects(personas: Personas) -> dict[str, str]:
    # A scheduler that is alive (added, not committed: the matrix commits once for every area).
    db.session.merge(
        SchedulerHeartbeat(name=HEARTBEAT_SEND, beat_at=datetime.now(UTC), host="matrix")
    )
    db.session.flush()
    token = unsubscribe.unsubscribe_token(
        current_app.config["SECRET_KEY"], personas.record_a.id, "aftercare"
    )
    return {"reminders_unsubscribe_a": token}


CASES = [
    Case("GET", "/healthz", "/healthz", everyone(200), json=False),
    Case(
        "GET",
        "/reminders/unsubscribe/<token>",
        "/reminders/unsubscribe/{reminders_unsubscribe_a}",
        everyone(200),
        hides={name: ("Ada Client", "a@clients.test") for name in ("anonymous", "client_b")},
    ),
    Case(
        "POST",
        "/reminders/unsubscribe/<token>",
        "/reminders/unsubscribe/{reminders_unsubscribe_a}",
        everyone(200),
        body={"List-Unsubscribe": "One-Click"},
    ),
    Case("GET", "/reminders/unsubscribe/<token>", "/reminders/unsubscribe/forged", everyone(404)),
    Case("POST", "/reminders/unsubscribe/<token>", "/reminders/unsubscribe/forged", everyone(404)),
    Case(
        "GET",
        "/me/reminders",
        "/me/reminders",
        signed_in(403, client_a=200, client_b=200),
        shows={"client_a": ("a@clients.test",), "client_b": ("b@clients.test",)},
        hides={"client_a": ("b@clients.test",), "client_b": ("a@clients.test",)},
    ),
    Case(
        "POST",
        "/me/reminders",
        "/me/reminders",
        signed_in(403, client_a=ANY_REDIRECT, client_b=ANY_REDIRECT),
        body=PREFERENCES,
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/reminders",
        "/clients/{a}/reminders",
        signed_in(404, client_a=200, practitioner_p=200, admin=403),
        shows={"client_a": ("a@clients.test",), "practitioner_p": ("a@clients.test", "Ada Client")},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/reminders/touch-up",
        "/clients/{a}/reminders/touch-up",
        signed_in(403, practitioner_p=ANY_REDIRECT, practitioner_q=404),
    ),
    Case(
        "GET",
        "/practice/reminders",
        "/practice/reminders",
        signed_in(403, practitioner_p=200, practitioner_q=200),
    ),
    Case(
        "POST",
        "/practice/reminders",
        "/practice/reminders",
        signed_in(403, practitioner_p=422, practitioner_q=422),
        body={"waking_hours_start": "20", "waking_hours_end": "9"},
    ),
    Case(
        "GET",
        "/api/v1/practice/settings",
        "/api/v1/practice/settings",
        everyone(403, anonymous=401, practitioner_p=200, practitioner_q=200),
        json=True,
    ),
    Case(
        "PATCH",
        "/api/v1/practice/settings",
        "/api/v1/practice/settings",
        # The practice's settings are its owner's to change.
        everyone(403, anonymous=401, practitioner_p=200, practitioner_q=200, colleague_p=403),
        json=True,
        body={"touch_up_lead_days": 90},
    ),
]
