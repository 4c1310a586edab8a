"""A page and its API twin record the same audit line (issue 9 item 5): the services record
the event of the action they carry out, so the two doors into one action cannot drift.

Each case does the action once through the page (a logged-in browser session) and once through
the API (a bearer token), and compares the lines each added: who, whose record, what action,
what kind of object, and the address the request came from (set once per request by the web
layer). Ids of rows the action creates differ between the two runs, so only their presence is
compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client, Pigment, PigmentLot, User
from smptrack.services import accounts, treatments
from smptrack.services import profile as profiles
from tests.conftest import OwnContextClient, Personas, log_in

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def lines_added(action: Callable[[], object]) -> list[tuple]:
    """The audit lines ``action`` added, as (actor, client, action, object type, has an object
    id, address), in the order written."""
    db.session.rollback()
    before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    action()
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)
    )
    return [
        (
            e.actor_id,
            e.client_id,
            e.action,
            e.object_type,
            e.object_id is not None,
            e.remote_addr,
        )
        for e in rows
    ]


class Doors:
    """One user's two ways in: a browser session and an API token."""

    def __init__(self, app: Flask, user: User) -> None:
        self.page: FlaskClient = log_in(app.test_client(), user)
        self.secret = accounts.issue_api_token(
            user, "audit", datetime.now(UTC), timedelta(days=1)
        ).secret
        db.session.commit()
        self.http = app.test_client()

    def api(self, method: str, path: str, body: dict | None = None):
        headers = {"Authorization": f"Bearer {self.secret}"}
        return self.http.open(f"/api/v1{path}", method=method, json=body, headers=headers)


@pytest.fixture
def practitioner(app: Flask, personas: Personas) -> Doors:
    return Doors(app, personas.practitioner_p)


def same_line(page: Callable[[], object], api: Callable[[], object]) -> tuple:
    by_page, by_api = lines_added(page), lines_added(api)
    assert by_page == by_api and len(by_page) == 1, (by_page, by_api)
    # The address is the request's, taken by the web layer once: never missing on either door.
    assert by_page[0][-1] == "127.0.0.1"
    return by_page[0]


def test_logging_time_outdoors(practitioner: Doors, personas: Personas) -> None:
    record = personas.record_a.id
    line = same_line(
        lambda: practitioner.page.post(
            f"/clients/{record}/sun/quick",
            data={"duration_minutes": "45", "uv_index": "8", "hat": "none"},
        ),
        lambda: practitioner.api(
            "POST",
            f"/clients/{record}/sun-exposures",
            {"exposed_on": "2025-07-01", "duration_minutes": 45, "uv_index": 8},
        ),
    )
    assert line[:5] == (personas.practitioner_p.id, record, "create", "sun_exposure", True)


def test_adding_a_client(practitioner: Doors, personas: Personas) -> None:
    by_page = lines_added(
        lambda: practitioner.page.post(
            "/clients/new",
            data={"display_name": "Dee Client", "time_zone": "Europe/London", "notes": ""},
        )
    )
    by_api = lines_added(lambda: practitioner.api("POST", "/clients", {"display_name": "Dee"}))
    # Each door adds its own record, so the lines differ in the client's id alone.
    assert len(by_page) == len(by_api) == 1, (by_page, by_api)
    pairs = zip(by_page + by_api, ("Dee Client", "Dee"), strict=True)
    for (actor, client_id, *rest), created in pairs:
        assert (actor, *rest) == (personas.practitioner_p.id, "create", "client", True, "127.0.0.1")
        assert db.session.get(Client, client_id).display_name == created


def test_reading_a_client_record(practitioner: Doors, personas: Personas) -> None:
    record = personas.record_a.id
    line = same_line(
        lambda: practitioner.page.get(f"/clients/{record}"),
        lambda: practitioner.api("GET", f"/clients/{record}"),
    )
    assert line[:5] == (personas.practitioner_p.id, record, "read", "client", True)


def test_a_client_reading_their_own_record(app: Flask, personas: Personas) -> None:
    client = Doors(app, personas.client_a)
    record = personas.record_a.id
    line = same_line(
        lambda: client.page.get("/me"), lambda: client.api("GET", f"/clients/{record}")
    )
    assert line[:5] == (personas.client_a.id, record, "read", "client", True)


def test_reading_the_sun_log(practitioner: Doors, personas: Personas) -> None:
    record = personas.record_a.id
    line = same_line(
        lambda: practitioner.page.get(f"/clients/{record}/sun"),
        lambda: practitioner.api("GET", f"/clients/{record}/sun-exposures"),
    )
    assert line[2:5] == ("read", "sun_log", False)


def test_reading_a_session(practitioner: Doors, personas: Personas) -> None:
    lot = PigmentLot(
        pigment=Pigment(
            practice_id=personas.practitioner_p.practice_id, brand="P", line="", shade="J"
        ),
        lot_number="L1",
        expires_on=date(2030, 1, 1),
    )
    db.session.add(lot)
    db.session.flush()
    recorded = treatments.record_session(
        personas.practitioner_p,
        personas.record_a,
        treatments.SessionInput(
            performed_on=date(2025, 3, 1),
            kind="initial",
            placements=[
                treatments.PlacementInput(
                    zone="crown", pigment_lot_id=lot.id, pigment_free_text=None
                )
            ],
        ),
        now=NOW,
    )
    db.session.commit()
    line = same_line(
        lambda: practitioner.page.get(f"/sessions/{recorded.id}"),
        lambda: practitioner.api("GET", f"/sessions/{recorded.id}"),
    )
    assert line[2:5] == ("read", "treatment_session", True)


def test_reading_the_assessments(practitioner: Doors, personas: Personas) -> None:
    record = personas.record_a.id
    line = same_line(
        lambda: practitioner.page.get(f"/clients/{record}/assessments"),
        lambda: practitioner.api("GET", f"/clients/{record}/assessments"),
    )
    assert line[2:4] == ("read", "fade_assessment")


def test_reading_the_reminders(practitioner: Doors, personas: Personas) -> None:
    record = personas.record_a.id
    line = same_line(
        lambda: practitioner.page.get(f"/clients/{record}/reminders"),
        lambda: practitioner.api("GET", f"/clients/{record}/reminders"),
    )
    assert line[2:4] == ("read", "reminders")


def test_exporting_a_record(practitioner: Doors, personas: Personas) -> None:
    record = personas.record_a.id
    line = same_line(
        lambda: practitioner.page.get(f"/clients/{record}/export"),
        lambda: practitioner.api("GET", f"/clients/{record}/export"),
    )
    assert line[2:4] == ("export", "client")


def test_changing_the_profile(practitioner: Doors, personas: Personas) -> None:
    from tests.test_profile import form_of

    record = personas.record_a.id
    wanted = replace(profiles.DEFAULTS, fitzpatrick=5)
    line = same_line(
        lambda: practitioner.page.post(f"/clients/{record}/profile", data=form_of(wanted)),
        lambda: practitioner.api("PATCH", f"/clients/{record}", {"fitzpatrick": 4}),
    )
    assert line[2:4] == ("update", "client_profile")
    assert asdict(profiles.profile_of(personas.record_a))["fitzpatrick"] == 4
