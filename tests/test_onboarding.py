"""The first-run checklist and its one-page set-up (issue 13 item 4)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import Client, Pigment, PigmentLot, Practice
from smptrack.services import onboarding
from tests.conftest import OwnContextClient, Personas, log_in, make_user
from tests.test_treatments import committed, field_error, row_counts


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def welcome_form(**values: str) -> dict[str, str]:
    form = {
        "practice_name": "Ink & Follicle",
        "pigment_brand": "Nordic Scalp",
        "pigment_line": "",
        "pigment_shade": "Dark Ash",
        "pigment_base": "carbon",
        "lot_lot_number": "DA-1",
        "lot_expires_on": "2030-05-31",
        "client_display_name": "Casey Client",
        "client_email": "",
        "client_time_zone": "Europe/London",
    }
    form.update(values)
    return form


def test_a_new_owners_checklist_has_every_step_open_and_others_have_none(
    personas: Personas,
) -> None:
    owner = make_user("practitioner", "new@studio.test", "Nia New")
    db.session.commit()
    checklist = onboarding.checklist_for(owner)
    assert checklist is not None
    assert [(s.key, s.done) for s in checklist.steps] == [
        ("practice", False),
        ("lot", False),
        ("client", False),
        ("session", False),
    ]
    assert (checklist.done, checklist.remaining) == (False, 4)
    # P has a client already; a colleague (not the owner) and a client get no checklist.
    assert onboarding.checklist_for(personas.practitioner_p).steps[2].done is True
    assert onboarding.checklist_for(personas.colleague_p) is None
    assert onboarding.checklist_for(personas.client_a) is None


def test_the_home_shows_the_checklist_until_it_is_done(
    client: FlaskClient, personas: Personas
) -> None:
    owner = make_user("practitioner", "new@studio.test", "Nia New")
    db.session.commit()
    log_in(client, owner)
    home = client.get("/home").get_data(as_text=True)
    assert "4 steps to your first projection" in home
    assert "/welcome" in home
    assert "steps to your first projection" not in client.get("/pigments/").get_data(as_text=True)


def test_the_welcome_form_sets_up_all_three_and_opens_the_session_form(
    client: FlaskClient, personas: Personas
) -> None:
    owner = make_user("practitioner", "new@studio.test", "Nia New")
    db.session.commit()
    log_in(client, owner)
    response = client.post("/welcome", data=welcome_form())
    assert response.status_code == 302
    (practice_name,) = committed(sa.select(Practice.name).where(Practice.id == owner.practice_id))[
        0
    ]
    assert practice_name == "Ink & Follicle"
    ((client_id,),) = committed(sa.select(Client.id).where(Client.display_name == "Casey Client"))
    ((lot_id,),) = committed(sa.select(PigmentLot.id).where(PigmentLot.lot_number == "DA-1"))
    target = urlsplit(response.headers["Location"])
    assert target.path == f"/clients/{client_id}/sessions/new"
    assert parse_qs(target.query) == {"next": [f"/clients/{client_id}"], "lot": [str(lot_id)]}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<option selected value="{lot_id}">Lot DA-1' in page
    assert '<option selected value="initial">' in page


def test_one_bad_section_writes_nothing_and_names_the_field(
    client: FlaskClient, personas: Personas
) -> None:
    owner = make_user("practitioner", "new@studio.test", "Nia New")
    db.session.commit()
    log_in(client, owner)
    before = row_counts()
    refused = client.post("/welcome", data=welcome_form(lot_expires_on=""))
    assert refused.status_code == 422
    assert "expiry" in field_error(refused.get_data(as_text=True), "lot_expires_on")
    assert row_counts() == before
    assert committed(sa.select(sa.func.count()).select_from(Pigment))[0][0] == 0


def test_a_step_already_done_is_not_asked_again(client: FlaskClient, personas: Personas) -> None:
    log_in(client, personas.practitioner_p)  # P has a client: only the name and lot are asked
    page = client.get("/welcome").get_data(as_text=True)
    assert "Your first client" not in page and "Your first pigment" in page
    response = client.post(
        "/welcome",
        data={k: v for k, v in welcome_form().items() if not k.startswith("client_")},
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == (
        f"/clients/{personas.record_a.id}/sessions/new"
    )
    assert committed(sa.select(sa.func.count()).select_from(Client))[0][0] == 2
