"""JSON API v1 routes. Bearer tokens only: anonymous gets 401, another tenant's record 404, a
role that may not use a route at all 403; every answer, errors included, is JSON.

Placeholders: {api_pigment_p} is a pigment of practitioner P's catalogue, {api_lot_p} a lot of
it, and {api_session_a} a session P recorded on client A's record with that lot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from smptrack.extensions import db
from smptrack.models import Pigment, PigmentLot, Placement, TreatmentSession
from tests.access_cases import Case, api, everyone
from tests.conftest import Personas


def objects(personas: Personas) -> dict[str, int]:
    p = personas.practitioner_p
    pigment = Pigment(practice_id=p.practice_id, brand="Apiary", line="Pro", shade="Ink Black")
    lot = PigmentLot(pigment=pigment, lot_number="API-77", expires_on=date(2030, 1, 1))
    treatment = TreatmentSession(
        client_id=personas.record_a.id,
        performed_on=date(2025, 3, 1),
        kind="initial",
        performed_by_id=p.id,
        logged_by_id=p.id,
        logged_at=datetime(2025, 3, 1, 17, 0, tzinfo=UTC),
        notes="Crown, first pass.",
        placements=[Placement(zone="crown", pigment_lot=lot)],
    )
    db.session.add_all([pigment, lot, treatment])
    db.session.flush()
    return {"api_pigment_p": pigment.id, "api_lot_p": lot.id, "api_session_a": treatment.id}


def record_a(status: int, *, client: int | None = None, practitioner: int | None = None) -> dict:
    """Client A and practitioner P may use A's record; everyone else signed in gets 404."""
    return api(
        404,
        client_a=status if client is None else client,
        practitioner_p=status if practitioner is None else practitioner,
    )


PRACTITIONERS = api(403, practitioner_p=200, practitioner_q=200)
SESSION = {
    "performed_on": "2025-04-02",
    "kind": "build_up",
    # The pigment in words: a client's own log. A practitioner must name a lot instead (422).
    "placements": [{"zone": "crown", "pigment_free_text": "Unknown black"}],
}

CASES = [
    Case(
        "POST",
        "/api/v1/tokens",
        "/api/v1/tokens",
        everyone(401),
        json=True,
        body={"email": "nobody@clients.test", "password": "wrong password"},
    ),
    Case("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", everyone(200), json=True),
    Case(
        "GET",
        "/api/v1/me",
        "/api/v1/me",
        api(200),
        json=True,
        shows={"client_a": ("a@clients.test",), "practitioner_q": ("q@practice-q.test",)},
        hides={"client_a": ("b@clients.test",)},
    ),
    Case(
        "GET",
        "/api/v1/clients",
        "/api/v1/clients",
        api(200),
        json=True,
        shows={
            "practitioner_p": ("Ada Client",),
            "practitioner_q": ("Bea Client",),
            "client_a": ("Ada Client",),
        },
        hides={
            "practitioner_p": ("Bea Client",),
            "practitioner_q": ("Ada Client",),
            "client_a": ("Bea Client",),
            "admin": ("Ada Client", "Bea Client"),
        },
    ),
    Case(
        "POST",
        "/api/v1/clients",
        "/api/v1/clients",
        api(403, practitioner_p=201, practitioner_q=201),
        json=True,
        body={"display_name": "Cy Client"},
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>",
        "/api/v1/clients/{a}",
        record_a(200),
        json=True,
        shows={"client_a": ("Ada Client",), "practitioner_p": ("Ada Client",)},
    ),
    Case(
        "PATCH",
        "/api/v1/clients/<int:client_id>",
        "/api/v1/clients/{a}",
        record_a(200),
        json=True,
        body={"fitzpatrick": 4, "lifestyle": "outdoor_worker"},
    ),
    Case(
        "DELETE",
        "/api/v1/clients/<int:client_id>",
        "/api/v1/clients/{a}",
        api(403, practitioner_p=200, practitioner_q=404),
        json=True,
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/export",
        "/api/v1/clients/{a}/export",
        record_a(200),
        json=True,
        media_type="application/zip",
        shows={"client_a": ("Ada Client", "Crown, first pass."), "practitioner_p": ("Ada Client",)},
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/sessions",
        "/api/v1/clients/{a}/sessions",
        record_a(200),
        json=True,
        # The practice's notes are internal (issue 13): the client reads the session, not them.
        shows={"client_a": ('"crown"',), "practitioner_p": ("Crown, first pass.",)},
    ),
    Case(
        "POST",
        "/api/v1/clients/<int:client_id>/sessions",
        "/api/v1/clients/{a}/sessions",
        record_a(201, practitioner=422),
        json=True,
        body=SESSION,
    ),
    Case(
        "GET",
        "/api/v1/sessions/<int:session_id>",
        "/api/v1/sessions/{api_session_a}",
        record_a(200),
        json=True,
        # The practice's notes are internal (issue 13): the client reads the session, not them.
        shows={"client_a": ('"crown"',), "practitioner_p": ("Crown, first pass.",)},
    ),
    Case(
        "PATCH",
        "/api/v1/sessions/<int:session_id>",
        "/api/v1/sessions/{api_session_a}",
        # The practitioner logged it, so only the practitioner's side may change it.
        record_a(200, client=403),
        json=True,
        body={"notes": "Crown, settled well."},
    ),
    Case(
        "DELETE",
        "/api/v1/sessions/<int:session_id>",
        "/api/v1/sessions/{api_session_a}",
        record_a(200, client=403),
        json=True,
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/sun-exposures",
        "/api/v1/clients/{a}/sun-exposures",
        record_a(200),
        json=True,
    ),
    Case(
        "POST",
        "/api/v1/clients/<int:client_id>/sun-exposures",
        "/api/v1/clients/{a}/sun-exposures",
        record_a(201),
        json=True,
        body={"exposed_on": "2025-07-01", "duration_minutes": 60, "uv_index": 6},
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/reminders",
        "/api/v1/clients/{a}/reminders",
        record_a(200),
        json=True,
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/assessments",
        "/api/v1/clients/{a}/assessments",
        record_a(200),
        json=True,
    ),
    Case(
        "POST",
        "/api/v1/clients/<int:client_id>/assessments",
        "/api/v1/clients/{a}/assessments",
        record_a(201),
        json=True,
        body={"assessed_on": "2025-07-01", "zone": "crown", "density_pct": 85},
    ),
    Case(
        "GET",
        "/api/v1/pigments",
        "/api/v1/pigments",
        PRACTITIONERS,
        json=True,
        shows={"practitioner_p": ("Apiary", "API-77")},
        hides={"practitioner_q": ("Apiary", "API-77")},
    ),
    Case(
        "POST",
        "/api/v1/pigments",
        "/api/v1/pigments",
        api(403, practitioner_p=201, practitioner_q=201),
        json=True,
        body={"brand": "Matrix", "shade": "Charcoal"},
    ),
    Case(
        "POST",
        "/api/v1/pigments/<int:pigment_id>/lots",
        "/api/v1/pigments/{api_pigment_p}/lots",
        api(403, practitioner_p=201, practitioner_q=404),
        json=True,
        body={"lot_number": "M-2", "expires_on": "2027-01-01"},
    ),
    Case(
        "GET",
        "/api/v1/pigment-lots/<int:lot_id>/clients",
        "/api/v1/pigment-lots/{api_lot_p}/clients",
        api(403, practitioner_p=200, practitioner_q=404),
        json=True,
        shows={"practitioner_p": ("Ada Client", "API-77")},
    ),
]
