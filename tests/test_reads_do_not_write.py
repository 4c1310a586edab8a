"""DESIGN.md "Reads do not write": the client page with its chart, the sun log page and the
projection API read what the writes stored (the projection document, the monthly doses); they
write none of it and run the same number of SELECTs for a short history as for a long one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import ClientProjection, SunDoseMonth
from smptrack.services import projections
from tests.conftest import Personas
from tests.test_api_resources import Api
from tests.test_api_tokens import OwnContextClient
from tests.test_history import add_exposure, add_session, count_queries, make_lot, visit

__all__ = ["count_queries"]  # the fixture, used by name below

MATERIALISED = ("client_projections", "sun_dose_months", "clients")
# The table a statement writes (an audit INSERT may read clients in a subquery: not a write).
WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def seed(personas: Personas, sessions: int, exposures: int) -> None:
    record, p = personas.record_a, personas.practitioner_p
    lot = make_lot(p)
    start = date(2023, 1, 10)
    for index in range(sessions):
        kind = "initial" if index == 0 else "touch_up"
        add_session(record, p, start + timedelta(days=40 * index), kind=kind, lots=(lot,))
    for index in range(exposures):
        add_exposure(record, start + timedelta(days=3 * index), minutes=45)
    projections.refresh_stale(datetime.now(UTC))  # the unit of work's step, as a write runs it
    db.session.commit()


def reads(app: Flask, personas: Personas, count_queries) -> dict[str, list[str]]:
    record_id = personas.record_a.id
    api = Api(app, personas.practitioner_p)
    seen: dict[str, list[str]] = {}
    for name, request in {
        "client page": lambda: visit(app, personas.practitioner_p, f"/clients/{record_id}"),
        "own page": lambda: visit(app, personas.client_a, "/me"),
        "sun log": lambda: visit(app, personas.practitioner_p, f"/clients/{record_id}/sun"),
        "projection API": lambda: api.get(f"/api/v1/clients/{record_id}/projection"),
    }.items():
        with count_queries() as statements:
            response = request()
        assert response.status_code == 200, name
        seen[name] = statements
    return seen


def writes_to_materialised(statements: list[str]) -> list[str]:
    written = ((s, WRITE.match(s)) for s in statements)
    return [s for s, match in written if match and match.group(1).lower() in MATERIALISED]


def selects(statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_the_writes_store_the_projection_and_the_monthly_doses(personas: Personas) -> None:
    seed(personas, sessions=3, exposures=40)
    stored = db.session.get(ClientProjection, personas.record_a.id)
    assert stored is not None and stored.document["zones"]
    assert stored.document["next_touch_up_on"] == personas.record_a.next_touch_up_on.isoformat()
    months = db.session.scalars(
        sa.select(SunDoseMonth).where(SunDoseMonth.client_id == personas.record_a.id)
    ).all()
    assert sum(m.entries for m in months) == 40
    assert all(m.effective_sed_by_zone["crown"] > 0 for m in months)


def test_pages_and_the_api_read_without_writing_what_writes_materialise(
    app: Flask, personas: Personas, count_queries
) -> None:
    seed(personas, sessions=3, exposures=40)

    for name, statements in reads(app, personas, count_queries).items():
        assert writes_to_materialised(statements) == [], name
        if name != "sun log":  # the sun log lists the chosen month's entries, nothing more
            assert not any("from sun_exposures" in s.lower() for s in statements), name


def test_reads_run_the_same_selects_for_three_sessions_as_for_thirty(
    app: Flask, personas: Personas, count_queries
) -> None:
    seed(personas, sessions=3, exposures=20)
    short = {name: selects(s) for name, s in reads(app, personas, count_queries).items()}

    more_lot = make_lot(personas.practitioner_p, number="LOT-2")
    for index in range(27):
        add_session(
            personas.record_a,
            personas.practitioner_p,
            date(2024, 6, 1) + timedelta(days=20 * index),
            kind="touch_up",
            lots=(more_lot,),
        )
    for index in range(480):
        add_exposure(personas.record_a, date(2024, 6, 1) + timedelta(days=index % 500))
    projections.refresh_stale(datetime.now(UTC))
    db.session.commit()
    long = {name: selects(s) for name, s in reads(app, personas, count_queries).items()}

    assert long == short
