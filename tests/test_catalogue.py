"""The pigment catalogue (pigments and their lots) and the recall trace of a lot, page and CSV.

A practitioner keeps their own catalogue; another practitioner's pigment or lot is not found.
Page outcomes are read from committed rows, through a connection of their own.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client, Pigment, PigmentLot, User
from smptrack.services import catalogue, treatments
from smptrack.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.conftest import OwnContextClient, Personas, log_in, make_client

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def count(model: type) -> int:
    return committed(sa.select(sa.func.count()).select_from(model))[0][0]


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def pigment_input(**overrides: str) -> catalogue.PigmentInput:
    values = {"brand": "Noir Studio", "line": "Scalp", "shade": "Charcoal", "base": "carbon"}
    values.update(overrides)
    return catalogue.PigmentInput(**values)


def add_pigment_with_lot(
    practitioner: User,
    brand: str = "Noir Studio",
    lot_number: str = "L-100",
    expires_on: date = date(2030, 1, 31),
) -> PigmentLot:
    pigment = catalogue.create_pigment(practitioner, pigment_input(brand=brand), now=NOW)
    return catalogue.add_lot(
        practitioner, pigment.id, catalogue.LotInput(lot_number, expires_on), now=NOW
    )


def record(practitioner: User, client: Client, on: date, *zones_and_lots: tuple[str, int]):
    placements = [
        treatments.PlacementInput(zone=zone, pigment_lot_id=lot_id, pigment_free_text=None)
        for zone, lot_id in zones_and_lots
    ]
    return treatments.record_session(
        practitioner,
        client,
        treatments.SessionInput(performed_on=on, kind="initial", placements=placements),
        now=NOW,
    )


# --- the catalogue service -------------------------------------------------------------------


def test_a_practitioner_adds_pigments_and_their_lots_to_their_own_catalogue(
    personas: Personas,
) -> None:
    p = personas.practitioner_p
    lot = add_pigment_with_lot(p, brand="  Noir Studio ")
    pigment = catalogue.create_pigment(
        p, pigment_input(brand="Amber Co", base="iron_oxide"), now=NOW
    )
    catalogue.add_lot(p, lot.pigment_id, catalogue.LotInput("L-050", date(2029, 6, 30)), now=NOW)
    db.session.commit()

    listed = catalogue.list_pigments(p)
    assert [x.brand for x in listed] == ["Amber Co", "Noir Studio"]
    assert listed[0].id == pigment.id and listed[0].lots == []
    assert [x.lot_number for x in listed[1].lots] == ["L-050", "L-100"]  # by expiry
    assert listed[1].practice_id == p.practice_id
    assert catalogue.list_pigments(personas.practitioner_q) == []


def test_the_same_pigment_or_lot_twice_is_a_conflict_naming_the_field(personas: Personas) -> None:
    p = personas.practitioner_p
    lot = add_pigment_with_lot(p)
    with pytest.raises(Conflict) as pigment_twice:
        catalogue.create_pigment(p, pigment_input(brand="noir studio", shade="CHARCOAL"), now=NOW)
    with pytest.raises(Conflict) as lot_twice:
        catalogue.add_lot(p, lot.pigment_id, catalogue.LotInput("l-100", date(2031, 1, 1)), now=NOW)
    assert "already in your catalogue" in pigment_twice.value.fields["shade"]
    assert "already recorded" in lot_twice.value.fields["lot_number"]
    # Another practitioner may keep the very same pigment in their own catalogue.
    catalogue.create_pigment(personas.practitioner_q, pigment_input(), now=NOW)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"brand": "   "}, "brand"),
        ({"shade": ""}, "shade"),
        ({"line": "x" * 81}, "line"),
        ({"brand": "Noir\x00Studio"}, "brand"),
        ({"shade": "Char\x1bcoal"}, "shade"),
        ({"base": "glitter"}, "base"),
        ({"brand": 42}, "brand"),
    ],
)
def test_a_pigment_with_bad_input_is_refused_field_by_field(
    personas: Personas, overrides: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        catalogue.create_pigment(personas.practitioner_p, pigment_input(**overrides), now=NOW)
    assert set(refused.value.fields) == {field}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pigment)) == 0


@pytest.mark.parametrize(
    ("lot_number", "expires_on", "field"),
    [
        ("", date(2030, 1, 1), "lot_number"),
        ("L" * 61, date(2030, 1, 1), "lot_number"),
        ("L\t1", date(2030, 1, 1), "lot_number"),
        ("L-1", date(1, 1, 1), "expires_on"),
        ("L-1", "2030-01-01", "expires_on"),
        ("L-1", datetime(2030, 1, 1, tzinfo=UTC), "expires_on"),
    ],
)
def test_a_lot_with_bad_input_is_refused(
    personas: Personas, lot_number: str, expires_on: object, field: str
) -> None:
    pigment = catalogue.create_pigment(personas.practitioner_p, pigment_input(), now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        catalogue.add_lot(
            personas.practitioner_p,
            pigment.id,
            catalogue.LotInput(lot_number, expires_on),
            now=NOW,
        )
    assert set(refused.value.fields) == {field}
    assert pigment.lots == []


def test_another_practitioners_pigment_and_lot_are_not_found(personas: Personas) -> None:
    lot_q = add_pigment_with_lot(personas.practitioner_q)
    p = personas.practitioner_p
    with pytest.raises(NotFound):
        catalogue.get_pigment(p, lot_q.pigment_id)
    with pytest.raises(NotFound):
        catalogue.get_lot(p, lot_q.id)
    with pytest.raises(NotFound):
        catalogue.add_lot(p, lot_q.pigment_id, catalogue.LotInput("X", date(2030, 1, 1)), now=NOW)
    with pytest.raises(NotFound):
        catalogue.recall_trace(p, lot_q.id)
    assert catalogue.own_lots(p, {lot_q.id}) == {}


@pytest.mark.parametrize("persona", ["client_a", "admin"])
def test_clients_and_admins_have_no_catalogue(personas: Personas, persona: str) -> None:
    user = personas.by_name(persona)
    with pytest.raises(Forbidden):
        catalogue.list_pigments(user)
    with pytest.raises(Forbidden):
        catalogue.create_pigment(user, pigment_input(), now=NOW)


# --- the recall trace ------------------------------------------------------------------------


@pytest.fixture
def recall_setup(personas: Personas) -> dict:
    """Lot L-100 went into Ada (twice, one session with two zones) and Cy; L-200 into Dee only;
    Q's lot of the same number into Bea."""
    p, q = personas.practitioner_p, personas.practitioner_q
    lot = add_pigment_with_lot(p)
    other = catalogue.add_lot(
        p, lot.pigment_id, catalogue.LotInput("L-200", date(2031, 1, 1)), now=NOW
    )
    lot_q = add_pigment_with_lot(q)
    cy = make_client(p, "Cy Client", email="cy@example.com")
    dee = make_client(p, "Dee Client", email="dee@example.com")
    ada = personas.record_a
    first = record(p, ada, date(2026, 1, 10), ("frontal_hairline", lot.id), ("crown", lot.id))
    second = record(p, ada, date(2026, 3, 2), ("crown", other.id), ("mid_scalp", lot.id))
    third = record(p, cy, date(2026, 2, 1), ("scar_strip", lot.id))
    record(p, dee, date(2026, 2, 5), ("crown", other.id))
    record(q, personas.record_b, date(2026, 2, 5), ("crown", lot_q.id))
    db.session.commit()
    return {
        "lot": lot.id,
        "expected": [
            (ada.id, first.id, "frontal_hairline"),
            (ada.id, first.id, "crown"),
            (cy.id, third.id, "scar_strip"),
            (ada.id, second.id, "mid_scalp"),
        ],
        "ada": ada.id,
        "cy": cy.id,
    }


def test_the_recall_trace_lists_exactly_the_placements_of_the_lot_by_date(
    personas: Personas, recall_setup: dict
) -> None:
    rows = catalogue.recall_trace(personas.practitioner_p, recall_setup["lot"])
    assert [(r.client_id, r.session_id, r.zone) for r in rows] == recall_setup["expected"]
    assert {r.client_name for r in rows} == {"Ada Client", "Cy Client"}
    assert [r.performed_on for r in rows] == sorted(r.performed_on for r in rows)


def test_the_recall_page_shows_who_received_the_lot_and_audits_each_read(
    client: FlaskClient, personas: Personas, recall_setup: dict
) -> None:
    before = count(AuditEvent)
    response = log_in(client, personas.practitioner_p).get(f"/lots/{recall_setup['lot']}/recall")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 clients received this lot, in 4 placements" in html
    assert "Ada Client" in html and "cy@example.com" in html
    assert "Dee Client" not in html and "Bea Client" not in html
    events = committed(
        sa.select(AuditEvent.client_id, AuditEvent.action, AuditEvent.object_type)
        .order_by(AuditEvent.id)
        .offset(before)
    )
    assert sorted(events) == sorted(
        [
            (recall_setup["ada"], "read", "recall_trace"),
            (recall_setup["cy"], "read", "recall_trace"),
        ]
    )


def test_the_recall_csv_downloads_and_parses_back_with_the_csv_module(
    client: FlaskClient, personas: Personas, recall_setup: dict
) -> None:
    response = log_in(client, personas.practitioner_p).get(
        f"/lots/{recall_setup['lot']}/recall.csv"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="recall-lot-L-100.csv"'
    # One row per client, in words (issue 13 item 7; tests/test_recall_notify.py holds more).
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["Client"], r["Zones"], r["Session dates"]) for r in rows] == [
        ("Ada Client", "Frontal hairline; Crown; Mid-scalp", "2026-01-10; 2026-03-02"),
        ("Cy Client", "Strip scar", "2026-02-01"),
    ]
    assert rows[0]["Email"] == "a@clients.test"


def test_the_recall_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(
    client: FlaskClient, personas: Personas
) -> None:
    p = personas.practitioner_p
    lot = add_pigment_with_lot(p, lot_number="=LOT")
    sly = make_client(p, '=HYPERLINK("http://evil.example","click")', email="-x@example.com")
    record(p, sly, date(2026, 1, 10), ("crown", lot.id))
    db.session.commit()
    response = log_in(client, p).get(f"/lots/{lot.id}/recall.csv")
    (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["Client"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Email"] == "'-x@example.com"
    assert 'filename="recall-lot-LOT.csv"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("path", ["/lots/{lot}/recall", "/lots/{lot}/recall.csv"])
def test_another_practitioner_cannot_trace_the_lot(
    client: FlaskClient, personas: Personas, recall_setup: dict, path: str
) -> None:
    response = log_in(client, personas.practitioner_q).get(path.format(lot=recall_setup["lot"]))
    assert response.status_code == 404
    assert "Ada Client" not in response.get_data(as_text=True)


def test_a_lot_nobody_received_says_so(client: FlaskClient, personas: Personas) -> None:
    lot = add_pigment_with_lot(personas.practitioner_p)
    db.session.commit()
    html = (
        log_in(client, personas.practitioner_p).get(f"/lots/{lot.id}/recall").get_data(as_text=True)
    )
    assert "No session has used this lot" in html
    assert "Download CSV" not in html


# --- the pages -------------------------------------------------------------------------------


def test_the_catalogue_page_adds_a_pigment_and_sends_the_practitioner_to_add_its_lot(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p)
    assert "No pigments yet" in client.get("/pigments/").get_data(as_text=True)
    response = client.post(
        "/pigments/",
        data={"brand": "Noir Studio", "line": "", "shade": "Charcoal", "base": "iron_oxide"},
    )
    (pigment,) = committed(sa.select(Pigment.id, Pigment.practice_id, Pigment.base))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/pigments/{pigment.id}")
    assert (pigment.practice_id, pigment.base) == (
        personas.practitioner_p.practice_id,
        "iron_oxide",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Noir Studio Charcoal" in page and "No lots yet" in page
    assert "Noir Studio Charcoal" in client.get("/pigments/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"brand": "", "shade": "Charcoal", "base": "carbon"}, "brand", "required"),
        ({"brand": "B", "shade": "x" * 81, "base": "carbon"}, "shade", "80"),
        ({"brand": "B\x07", "shade": "S", "base": "carbon"}, "brand", "control character"),
        ({"brand": "B", "line": "\x0b", "shade": "S", "base": "carbon"}, "line", "line break"),
        ({"brand": "B", "shade": "S", "base": "plastic"}, "base", "Not a valid choice"),
    ],
)
def test_a_bad_pigment_form_comes_back_with_its_message_and_writes_nothing(
    client: FlaskClient, personas: Personas, form: dict, field: str, message: str
) -> None:
    response = log_in(client, personas.practitioner_p).post("/pigments/", data=form)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert count(Pigment) == 0


def test_a_duplicate_pigment_in_the_form_is_refused_with_a_409(
    client: FlaskClient, personas: Personas
) -> None:
    add_pigment_with_lot(personas.practitioner_p)
    db.session.commit()
    response = log_in(client, personas.practitioner_p).post(
        "/pigments/",
        data={"brand": "Noir Studio", "line": "Scalp", "shade": "charcoal", "base": "carbon"},
    )
    assert response.status_code == 409
    assert "already in your catalogue" in field_error(response.get_data(as_text=True), "shade")
    assert count(Pigment) == 1


def test_a_lot_is_added_on_the_pigment_page_and_an_expired_one_is_marked(
    client: FlaskClient, personas: Personas
) -> None:
    pigment = catalogue.create_pigment(personas.practitioner_p, pigment_input(), now=NOW)
    db.session.commit()
    log_in(client, personas.practitioner_p)
    response = client.post(
        f"/pigments/{pigment.id}/lots", data={"lot_number": "OLD-1", "expires_on": "2020-05-31"}
    )
    assert response.status_code == 302
    assert committed(sa.select(PigmentLot.lot_number, PigmentLot.expires_on)) == [
        ("OLD-1", date(2020, 5, 31))
    ]
    html = client.get(f"/pigments/{pigment.id}").get_data(as_text=True)
    assert "OLD-1" in html and "31 May 2020 <strong>(expired)</strong>" in html


@pytest.mark.parametrize(
    "form",
    [
        {"lot_number": "", "expires_on": "2030-01-01"},
        {"lot_number": "L-1", "expires_on": "31/01/2030"},
        {"lot_number": "L-1"},
        {"lot_number": "L-1", "expires_on": "2030-01-01", "pigment_id": "999"},
        {"lot_number": "L-1", "expires_on": "2030-01-01", "id": "1"},
    ],
)
def test_a_bad_lot_form_is_refused_and_writes_nothing(
    client: FlaskClient, personas: Personas, form: dict
) -> None:
    pigment = catalogue.create_pigment(personas.practitioner_p, pigment_input(), now=NOW)
    db.session.commit()
    response = log_in(client, personas.practitioner_p).post(
        f"/pigments/{pigment.id}/lots", data=form
    )
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True) or "nothing was saved" in (
        response.get_data(as_text=True)
    )
    assert count(PigmentLot) == 0


def test_the_pigment_list_is_paginated(client: FlaskClient, personas: Personas, app: Flask) -> None:
    app.config["PAGE_SIZE"] = 2
    for shade in ("A", "B", "C"):
        catalogue.create_pigment(personas.practitioner_p, pigment_input(shade=shade), now=NOW)
    db.session.commit()
    log_in(client, personas.practitioner_p)
    first = client.get("/pigments/").get_data(as_text=True)
    second = client.get("/pigments/?page=2").get_data(as_text=True)
    assert "Noir Studio Scalp A" in first and "Noir Studio Scalp C" not in first
    assert "Page 1 of 2" in first
    assert "Noir Studio Scalp C" in second and "Noir Studio Scalp A" not in second


@pytest.mark.parametrize(
    "path",
    ["/pigments/{huge}", "/lots/{huge}/recall", "/lots/{huge}/recall.csv", "/pigments/{huge}/lots"],
)
def test_an_id_beyond_a_database_key_is_simply_not_found(
    client: FlaskClient, personas: Personas, path: str
) -> None:
    # PostgreSQL refuses to compare a 32-bit key with 2**64: that must be a 404, not a 500.
    log_in(client, personas.practitioner_p)
    url = path.format(huge=2**64)
    response = client.post(url, data={}) if url.endswith("/lots") else client.get(url)
    assert response.status_code == 404
