"""JSON API v1: appointments and the practice. Every member of P's practice (owner, colleague,
front desk) books and changes P's appointments; client A reads their own and changes none (403);
another practice's answers 404. {api_appointment_a} is a booking of client A with P next month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smptrack.extensions import db
from smptrack.models import Appointment
from tests.access_cases import Case, everyone
from tests.conftest import Personas


def api(status: int, **overrides: int) -> dict[str, int | str]:
    # As the package's ``api``, whose name the sibling module ``api`` shadows once imported.
    return everyone(status, anonymous=401, **overrides)


P_MEMBERS = {"practitioner_p": 200, "colleague_p": 200, "front_desk_p": 200}
MEMBERS = {**P_MEMBERS, "practitioner_q": 200}
# Writes: clients and the admin are refused by role (403), Q does not see P's row (404).
WRITE = api(403, practitioner_q=404, **P_MEMBERS)
READ_A = api(404, client_a=200, **P_MEMBERS)


def objects(personas: Personas) -> dict[str, int]:
    p = personas.practitioner_p
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    appointment = Appointment(
        uid="matrix-appointment-a",
        practice_id=p.practice_id,
        client_id=personas.record_a.id,
        practitioner_id=p.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        time_zone="Europe/London",
        kind="initial",
        status="booked",
        note="",
        sequence=0,
    )
    db.session.add(appointment)
    db.session.flush()
    return {"api_appointment_a": appointment.id}


ONE = "/api/v1/appointments/<int:appointment_id>"
CASES = [
    Case("GET", "/api/v1/appointments", "/api/v1/appointments", api(200), json=True),
    Case(
        "POST",
        "/api/v1/appointments",
        "/api/v1/appointments",
        # An empty body: the role is refused before the body is read; members get its 422.
        api(403, practitioner_q=422, **dict.fromkeys(P_MEMBERS, 422)),
        json=True,
        body={},
    ),
    Case("GET", ONE, "/api/v1/appointments/{api_appointment_a}", READ_A, json=True),
    Case(
        "PATCH",
        ONE,
        "/api/v1/appointments/{api_appointment_a}",
        WRITE,
        json=True,
        body={"minutes": 120},
    ),
    Case(
        "POST",
        ONE + "/cancel",
        "/api/v1/appointments/{api_appointment_a}/cancel",
        WRITE,
        json=True,
    ),
    # Next month's booking cannot be done or missed yet: members get the 422 that says so.
    Case(
        "POST",
        ONE + "/done",
        "/api/v1/appointments/{api_appointment_a}/done",
        api(403, practitioner_q=404, **dict.fromkeys(P_MEMBERS, 422)),
        json=True,
    ),
    Case(
        "POST",
        ONE + "/no-show",
        "/api/v1/appointments/{api_appointment_a}/no-show",
        api(403, practitioner_q=404, **dict.fromkeys(P_MEMBERS, 422)),
        json=True,
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/appointments",
        "/api/v1/clients/{a}/appointments",
        READ_A,
        json=True,
    ),
    Case("GET", "/api/v1/practice", "/api/v1/practice", api(403, **MEMBERS), json=True),
    Case(
        "GET",
        "/api/v1/practice/members",
        "/api/v1/practice/members",
        api(403, **MEMBERS),
        json=True,
        shows={"front_desk_p": ("Cole Colleague",), "practitioner_q": ("Quinn Practitioner",)},
        hides={"practitioner_q": ("Cole Colleague",)},
    ),
]
