"""Every write of the booking pages that the access matrix (tests/access_cases/appointments.py)
denies to a persona writes nothing: every table keeps its rows and every appointment its
status, times and sequence. Audit lines are left out: a refused reach into another practice is
itself recorded (services/audit.py, ``note_denial``).

The matrix posts its bodies as they are; here the booking is also posted complete, with real
ids, so that a refusal cannot hide behind an incomplete form.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Appointment
from tests.access_cases import ANY_REDIRECT, LOGIN
from tests.access_cases import appointments as matrix
from tests.conftest import BOOKKEEPING_TABLES, PERSONA_NAMES, OwnContextClient, Personas, log_in

WRITES = [case for case in matrix.CASES if case.method == "POST"]
LEFT_OUT = BOOKKEEPING_TABLES | {"audit_events"}


def database_state() -> tuple[dict[str, int], list[tuple]]:
    """Committed rows per table, and each appointment's changeable columns."""
    table = Appointment.__table__
    with db.engine.connect() as connection:
        counts = {
            t.name: connection.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables
            if t.name not in LEFT_OUT
        }
        rows = [
            tuple(row)
            for row in connection.execute(
                sa.select(
                    table.c.id,
                    table.c.status,
                    table.c.starts_at,
                    table.c.ends_at,
                    table.c.practitioner_id,
                    table.c.sequence,
                    table.c.session_id,
                ).order_by(table.c.id)
            )
        ]
    return counts, rows


def _values(personas: Personas) -> dict[str, int | str]:
    values: dict[str, int | str] = {
        "a": personas.record_a.id,
        "b": personas.record_b.id,
        **matrix.objects(personas),
    }
    db.session.commit()
    return values


def _denials() -> list[tuple]:
    return [
        (case, persona)
        for case in WRITES
        for persona in PERSONA_NAMES
        if case.expect[persona] != ANY_REDIRECT
    ]


@pytest.mark.parametrize(
    ("case", "persona"), _denials(), ids=lambda v: v if isinstance(v, str) else v.path
)
def test_a_denied_write_writes_nothing(app: Flask, personas: Personas, case, persona) -> None:
    app.test_client_class = OwnContextClient
    values = _values(personas)
    test_client = log_in(app.test_client(), personas.by_name(persona))
    before = database_state()

    response = test_client.post(case.path.format(**values), data=case.body)

    expected = case.expect[persona]
    assert response.status_code == (302 if expected == LOGIN else expected)
    assert database_state() == before


OUTSIDERS = {"anonymous": LOGIN, "client_a": 403, "admin": 403, "practitioner_q": 422}


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_a_complete_booking_of_ps_client_is_refused_to_anyone_outside_ps_practice(
    app: Flask, personas: Personas, persona: str
) -> None:
    app.test_client_class = OwnContextClient
    values = _values(personas)
    test_client = log_in(app.test_client(), personas.by_name(persona))
    complete = {
        "client_id": str(values["a"]),
        "practitioner_id": str(personas.practitioner_p.id),
        "day": matrix.BOOK_ON,
        "start": "10:00",
        "minutes": "180",
        "kind": "initial",
        "note": "",
    }
    before = database_state()

    response = test_client.post("/appointments/new", data=complete)

    expected = OUTSIDERS[persona]
    assert response.status_code == (302 if expected == LOGIN else expected)
    if expected == LOGIN:
        assert "/auth/login" in response.headers["Location"]
    assert "Ada Client" not in response.get_data(as_text=True)
    assert database_state() == before


def test_the_same_complete_booking_is_accepted_from_the_front_desk(
    app: Flask, personas: Personas
) -> None:
    """The refusals above are about who posts, not about the form: P's front desk books it."""
    app.test_client_class = OwnContextClient
    values = _values(personas)
    test_client = log_in(app.test_client(), personas.front_desk_p)
    counts, _ = database_state()
    response = test_client.post(
        "/appointments/new",
        data={
            "client_id": str(values["a"]),
            "practitioner_id": str(personas.practitioner_p.id),
            "day": matrix.BOOK_ON,
            "start": "10:00",
            "minutes": "180",
            "kind": "initial",
            "note": "",
        },
    )
    assert response.status_code == 302
    assert database_state()[0]["appointments"] == counts["appointments"] + 1
