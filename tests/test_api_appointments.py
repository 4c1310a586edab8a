"""Appointments and the practice through the JSON API: booking, reading, moving, cancelling and
marking; what each role may do; and the refusals (the past, the length, the DST gap, another
practice's client, double-booking, unknown fields), each a 4xx JSON error that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Appointment, Practice
from tests.conftest import Personas
from tests.test_api_resources import Api
from tests.test_api_tokens import OwnContextClient, assert_json_error

DAY = (datetime.now(UTC) + timedelta(days=30)).date()


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def as_p(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.practitioner_p)


@pytest.fixture
def as_desk(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.front_desk_p)


@pytest.fixture
def as_q(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.practitioner_q)


@pytest.fixture
def as_a(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.client_a)


def booking(personas: Personas, **overrides: object) -> dict:
    body = {
        "client_id": personas.record_a.id,
        "practitioner_id": personas.practitioner_p.id,
        "date": DAY.isoformat(),
        "start": "10:00",
        "minutes": 180,
        "kind": "initial",
        "note": "Prefers mornings.",
    }
    body.update(overrides)
    return body


def appointments() -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Appointment).order_by(Appointment.id)))


def london(personas: Personas) -> None:
    db.session.get(Practice, personas.practitioner_p.practice_id).time_zone = "Europe/London"
    db.session.commit()


def test_the_front_desk_books_and_the_answer_gives_utc_and_local_times(
    personas: Personas, as_desk: Api
) -> None:
    london(personas)
    response = as_desk.post("/api/v1/appointments", booking(personas))

    assert response.status_code == 201, response.get_json()
    got = response.get_json()
    [stored] = appointments()
    assert got["id"] == stored.id and got["uid"] == stored.uid
    assert (got["local_date"], got["local_start"], got["local_end"]) == (
        DAY.isoformat(),
        "10:00:00",
        "13:00:00",
    )
    assert got["time_zone"] == "Europe/London"
    assert got["starts_at"].endswith("Z") and got["ends_at"].endswith("Z")
    assert datetime.fromisoformat(got["starts_at"]) == stored.starts_at
    assert (got["status"], got["minutes"], got["sequence"]) == ("booked", 180, 0)
    assert (got["client_name"], got["practitioner_name"]) == ("Ada Client", "Pat Practitioner")


def test_it_is_read_moved_cancelled_and_listed_in_the_schedule(
    personas: Personas, as_p: Api
) -> None:
    created = as_p.post("/api/v1/appointments", booking(personas)).get_json()
    url = f"/api/v1/appointments/{created['id']}"

    assert as_p.get(url).get_json()["note"] == "Prefers mornings."
    moved = as_p.patch(url, {"start": "14:30", "minutes": 120})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["local_start"], moved.get_json()["local_end"]) == (
        "14:30:00",
        "16:30:00",
    )
    assert moved.get_json()["sequence"] == 1
    week = as_p.get(f"/api/v1/appointments?from={DAY.isoformat()}&days=7").get_json()
    assert [a["id"] for a in week["items"]] == [created["id"]]
    assert as_p.get(f"/api/v1/appointments?from={(DAY + timedelta(days=1)).isoformat()}&days=1")
    cancelled = as_p.post(f"{url}/cancel", None)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    [stored] = appointments()
    assert stored.status == "cancelled" and stored.sequence == 2
    again = as_p.post(f"{url}/cancel", None)
    assert_json_error(again, 422)
    of_client = as_p.get(f"/api/v1/clients/{personas.record_a.id}/appointments").get_json()
    assert [a["status"] for a in of_client["items"]] == ["cancelled"]


def test_a_day_other_than_the_booked_one_lists_nothing(personas: Personas, as_p: Api) -> None:
    as_p.post("/api/v1/appointments", booking(personas))
    later = as_p.get(f"/api/v1/appointments?from={(DAY + timedelta(days=1)).isoformat()}&days=1")
    assert later.status_code == 200 and later.get_json()["items"] == []


def test_double_booking_is_a_409_naming_the_clash_and_writes_nothing(
    personas: Personas, as_p: Api, as_desk: Api
) -> None:
    assert as_p.post("/api/v1/appointments", booking(personas)).status_code == 201
    before = [(a.id, a.starts_at) for a in appointments()]

    response = as_desk.post("/api/v1/appointments", booking(personas, start="12:00"))

    error = assert_json_error(response, 409)
    assert "Pat Practitioner" in error["message"] and "Ada Client" in error["message"]
    assert [(a.id, a.starts_at) for a in appointments()] == before


@pytest.mark.parametrize(
    ("edit", "status", "field"),
    [
        ({"date": "2020-01-01"}, 422, "start"),
        ({"minutes": 0}, 422, "minutes"),
        ({"minutes": 4}, 422, "minutes"),
        ({"minutes": 721}, 422, "minutes"),
        ({"start": "25:00"}, 422, "start"),
        ({"start": "10:00+01:00"}, 422, "start"),
        ({"date": "2027-03-28", "start": "01:30"}, 422, "start"),  # London's clocks go forward
        ({"kind": "tattoo"}, 422, "kind"),
        ({"note": "n" * 1001}, 422, "note"),
        ({"practice_id": 1}, 422, "practice_id"),
        ({"status": "done"}, 422, "status"),
        ({"minutes": "180"}, 422, "minutes"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(
    personas: Personas, as_p: Api, edit: dict, status: int, field: str
) -> None:
    london(personas)
    response = as_p.post("/api/v1/appointments", booking(personas, **edit))

    error = assert_json_error(response, status)
    assert field in error["fields"], error
    assert appointments() == []


def test_a_client_of_another_practice_is_a_404_like_a_missing_one(
    personas: Personas, as_p: Api
) -> None:
    theirs = as_p.post("/api/v1/appointments", booking(personas, client_id=personas.record_b.id))
    missing = as_p.post("/api/v1/appointments", booking(personas, client_id=999_999))
    foreign_practitioner = as_p.post(
        "/api/v1/appointments", booking(personas, practitioner_id=personas.practitioner_q.id)
    )

    assert assert_json_error(theirs, 404) == assert_json_error(missing, 404)
    assert_json_error(foreign_practitioner, 404)
    assert appointments() == []


def test_another_practice_sees_a_404_and_a_client_reads_their_own_only(
    personas: Personas, as_p: Api, as_q: Api, as_a: Api
) -> None:
    created = as_p.post("/api/v1/appointments", booking(personas)).get_json()
    url = f"/api/v1/appointments/{created['id']}"

    assert_json_error(as_q.get(url), 404)
    assert_json_error(as_q.patch(url, {"start": "15:00"}), 404)
    assert_json_error(as_q.post(f"{url}/cancel", None), 404)
    assert as_q.get(f"/api/v1/appointments?from={DAY.isoformat()}").get_json()["items"] == []
    assert as_a.get(url).status_code == 200
    mine = as_a.get(f"/api/v1/appointments?from={DAY.isoformat()}").get_json()
    assert [a["id"] for a in mine["items"]] == [created["id"]]
    assert_json_error(as_a.patch(url, {"start": "15:00"}), 403)
    assert_json_error(as_a.post(f"{url}/cancel", None), 403)
    assert_json_error(as_a.post("/api/v1/appointments", booking(personas)), 403)
    [stored] = appointments()
    assert (stored.status, stored.sequence) == ("booked", 0)


def test_a_future_appointment_cannot_be_marked_a_no_show(personas: Personas, as_p: Api) -> None:
    created = as_p.post("/api/v1/appointments", booking(personas)).get_json()

    response = as_p.post(f"/api/v1/appointments/{created['id']}/no-show", None)

    assert_json_error(response, 422)
    assert appointments()[0].status == "booked"


def test_the_schedule_query_is_validated(as_p: Api) -> None:
    for query in ("days=0", "days=32", "from=tomorrow", "days=1_0", "per_page=3"):
        assert_json_error(as_p.get(f"/api/v1/appointments?{query}"), 422)


def test_members_see_the_practice_and_its_members_and_clients_do_not(
    personas: Personas, as_desk: Api, as_q: Api, as_a: Api
) -> None:
    practice = as_desk.get("/api/v1/practice").get_json()
    members = as_desk.get("/api/v1/practice/members").get_json()["items"]

    assert practice["id"] == personas.practitioner_p.practice_id
    assert practice["your_role"] == "front_desk"
    assert [(m["display_name"], m["role"]) for m in members] == [
        ("Pat Practitioner", "owner"),
        ("Cole Colleague", "practitioner"),
        ("Dee Desk", "front_desk"),
    ]
    assert all(m["since"].endswith("Z") for m in members)
    theirs = as_q.get("/api/v1/practice/members").get_json()["items"]
    assert [m["display_name"] for m in theirs] == ["Quinn Practitioner"]
    assert_json_error(as_a.get("/api/v1/practice/members"), 403)
    assert_json_error(as_a.get("/api/v1/practice"), 403)
