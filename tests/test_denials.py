"""Refused accesses to another tenant's rows are audited: who, which object, when, from where,
even though the answer is a 404 whose request rolls back; and a scan of many ids writes a
bounded number of rows, counting the rest.

The audit line is written once the response has been sent (its close callback), so these
tests close each response, as a WSGI server does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client, TreatmentSession
from smptrack.services import accounts, audit
from tests.conftest import OwnContextClient, Personas, log_in

SCAN = 500


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def denials() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "denied").order_by(AuditEvent.id)
        )
    )


def without_csrf_token(response) -> str:
    # The token is signed with a timestamp, so two pages a second apart differ in it alone.
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def get(browser: FlaskClient, path: str, **kwargs):
    response = browser.get(path, **kwargs)
    response.close()  # the WSGI server's close, after which the denial is written
    return response


def test_opening_another_practitioners_client_answers_404_and_is_audited(
    app: Flask, personas: Personas
) -> None:
    q = log_in(app.test_client(), personas.practitioner_q)
    a = personas.record_a  # P's client

    response = get(q, f"/clients/{a.id}", environ_base={"REMOTE_ADDR": "198.51.100.23"})

    assert response.status_code == 404
    [denial] = denials()
    assert denial.actor_id == personas.practitioner_q.id
    assert (denial.object_type, denial.object_id, denial.client_id) == ("client", a.id, a.id)
    assert denial.remote_addr == "198.51.100.23"
    assert abs(denial.occurred_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert denial.repeats == 0


def test_a_missing_id_answers_the_same_404_and_writes_nothing(
    app: Flask, personas: Personas
) -> None:
    q = log_in(app.test_client(), personas.practitioner_q)
    other_tenants = get(q, f"/clients/{personas.record_a.id}")
    missing = get(q, "/clients/999999")

    assert missing.status_code == other_tenants.status_code == 404
    assert without_csrf_token(missing) == without_csrf_token(other_tenants)
    assert len(denials()) == 1


def test_the_owner_sees_the_refused_attempt_in_the_records_access_log(
    app: Flask, personas: Personas
) -> None:
    get(log_in(app.test_client(), personas.practitioner_q), f"/clients/{personas.record_a.id}")

    page = get(
        log_in(app.test_client(), personas.practitioner_p), f"/clients/{personas.record_a.id}"
    )

    assert "Denied client" in page.get_data(as_text=True)


def test_an_api_read_of_another_tenants_session_is_audited(app: Flask, personas: Personas) -> None:
    treatment = TreatmentSession(
        client_id=personas.record_a.id,
        performed_on=date(2026, 1, 5),
        kind="initial",
        performed_by_id=personas.practitioner_p.id,
        logged_by_id=personas.practitioner_p.id,
    )
    db.session.add(treatment)
    issued = accounts.issue_api_token(
        personas.practitioner_q, "scanner", datetime.now(UTC), timedelta(days=1)
    )
    db.session.commit()

    response = app.test_client().get(
        f"/api/v1/sessions/{treatment.id}",
        headers={"Authorization": f"Bearer {issued.secret}"},
    )
    response.close()

    assert response.status_code == 404
    [denial] = denials()
    assert (denial.actor_id, denial.object_type, denial.object_id, denial.client_id) == (
        personas.practitioner_q.id,
        "treatment_session",
        treatment.id,
        personas.record_a.id,
    )


def test_a_scan_of_500_ids_writes_a_bounded_number_of_rows_and_counts_every_attempt(
    app: Flask, personas: Personas
) -> None:
    db.session.execute(
        sa.insert(Client),
        [
            {
                "practice_id": personas.practitioner_p.practice_id,
                "practitioner_id": personas.practitioner_p.id,
                "display_name": f"Scanned {n}",
                "time_zone": "Europe/London",
            }
            for n in range(SCAN)
        ],
    )
    db.session.commit()
    ids = db.session.scalars(
        sa.select(Client.id).where(Client.display_name.like("Scanned %")).order_by(Client.id)
    ).all()
    q = log_in(app.test_client(), personas.practitioner_q)

    answers = {get(q, f"/clients/{client_id}").status_code for client_id in ids}

    assert answers == {404}
    rows = denials()
    assert len(rows) == audit.DENIALS_PER_HOUR
    assert sum(1 + row.repeats for row in rows) == SCAN, "no attempt goes uncounted"
    assert [row.object_id for row in rows] == ids[: audit.DENIALS_PER_HOUR]
    assert rows[-1].repeats == SCAN - audit.DENIALS_PER_HOUR
