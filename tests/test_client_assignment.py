"""Each client has an assigned practitioner of their practice, and any practitioner of the
practice may hand the client over to a colleague; nobody may assign a client to someone outside
the practice or to the front desk."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client
from tests.conftest import Personas, log_in


def assigned(record_id: int) -> int | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Client.practitioner_id).where(Client.id == record_id))


def test_the_owner_hands_a_client_to_a_colleague_who_then_hands_them_back(
    app: Flask, personas: Personas
) -> None:
    record, p, colleague = personas.record_a, personas.practitioner_p, personas.colleague_p
    page = log_in(app.test_client(), p).get(f"/clients/{record.id}").get_data(as_text=True)
    assert "Assigned practitioner" in page and "Cole Colleague" in page

    response = log_in(app.test_client(), p).post(
        f"/clients/{record.id}/practitioner", data={"practitioner_id": str(colleague.id)}
    )
    assert response.status_code == 302
    assert assigned(record.id) == colleague.id
    line = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.object_type == "client_practitioner")
    )
    assert (line.actor_id, line.client_id, line.object_id) == (p.id, record.id, colleague.id)
    assert line.practice_id == p.practice_id

    back = log_in(app.test_client(), colleague).post(
        f"/clients/{record.id}/practitioner", data={"practitioner_id": str(p.id)}
    )
    assert back.status_code == 302 and assigned(record.id) == p.id


def test_no_client_goes_to_the_front_desk_or_another_practice(
    app: Flask, personas: Personas
) -> None:
    record, p = personas.record_a, personas.practitioner_p
    browser = log_in(app.test_client(), p)
    for outsider in (personas.front_desk_p, personas.practitioner_q, personas.client_a):
        response = browser.post(
            f"/clients/{record.id}/practitioner", data={"practitioner_id": str(outsider.id)}
        )
        assert response.status_code in (302, 303)
        assert assigned(record.id) == p.id, outsider
    followed = browser.get(f"/clients/{record.id}").get_data(as_text=True)
    assert "Choose one of the practice&#39;s practitioners." in followed


def test_a_practice_of_one_has_no_hand_over_form(app: Flask, personas: Personas) -> None:
    page = log_in(app.test_client(), personas.practitioner_q).get(
        f"/clients/{personas.record_b.id}"
    )
    assert page.status_code == 200
    assert "Assigned practitioner" not in page.get_data(as_text=True)


def test_the_front_desk_lands_on_the_home_with_the_schedule(app: Flask, personas: Personas) -> None:
    browser = log_in(app.test_client(), personas.front_desk_p)
    response = browser.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    # Issue 13 item 2: the member's home, which opens on today's appointments.
    assert "Today&#39;s appointments" in browser.get("/home").get_data(as_text=True)
