"""Two desks book the same practitioner at the same moment: one booking, one clear refusal.

Each desk checks the diary and then inserts; without a lock both would find it free. On
PostgreSQL the booking takes the practitioner's membership row FOR UPDATE before it looks, so
the second desk waits for the first to commit and then sees its booking. (SQLite lets one writer
in at a time; there the page's unit of work reruns the loser, see tests/test_lock_retries.py.)
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Appointment, User
from smptrack.services import appointments as booking
from smptrack.services.errors import Conflict
from tests.conftest import Personas

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def test_the_second_of_two_simultaneous_bookings_waits_and_is_refused(
    app: Flask, personas: Personas
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers itself")
    desk_id = personas.front_desk_p.id
    client_id = personas.record_a.id
    practitioner_id = personas.practitioner_p.id
    first_booked = threading.Event()
    release_first = threading.Event()
    outcomes: dict[str, object] = {}

    def desk(name: str, at: time, before_commit: threading.Event | None) -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, desk_id)
                booking.book(
                    actor,
                    client_id=client_id,
                    practitioner_id=practitioner_id,
                    day=date(2027, 2, 2),
                    start=at,
                    minutes=120,
                    kind="initial",
                    note="",
                    now=NOW,
                )
                if before_commit is not None:
                    first_booked.set()
                    before_commit.wait(10)
                db.session.commit()
                outcomes[name] = "booked"
            except Conflict as error:
                db.session.rollback()
                outcomes[name] = error
            finally:
                first_booked.set()
                db.session.remove()

    first = threading.Thread(target=desk, args=("first", time(10, 0), release_first))
    second = threading.Thread(target=desk, args=("second", time(11, 0), None))
    first.start()
    assert first_booked.wait(10)
    second.start()
    second.join(0.5)
    waited = second.is_alive()  # blocked on the practitioner's row while the first is open
    release_first.set()
    first.join(10)
    second.join(10)

    assert waited
    assert outcomes["first"] == "booked"
    refusal = outcomes["second"]
    assert isinstance(refusal, Conflict)
    assert "Pat Practitioner is already booked 10:00–12:00 with Ada Client" in refusal.message
    with db.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
