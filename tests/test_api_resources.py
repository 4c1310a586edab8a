"""The JSON API's resources, route by route: what each one stores, answers and audits, and what
it refuses. Assertions read the database, not the code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import (
    AuditEvent,
    Client,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.services import accounts
from tests.conftest import Personas, make_client
from tests.exported import document_of
from tests.test_api_tokens import OwnContextClient, assert_json_error


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


class Api:
    """A test client that sends one user's bearer token."""

    def __init__(self, app: Flask, user: User) -> None:
        self.user = user
        self.secret = accounts.issue_api_token(
            user, "tests", datetime.now(UTC), timedelta(days=1)
        ).secret
        db.session.commit()
        self.http: FlaskClient = app.test_client()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def get(self, path: str, **kwargs):
        return self.http.get(path, headers=self._headers(), **kwargs)

    def post(self, path: str, body: object, **kwargs):
        return self.http.post(path, json=body, headers=self._headers(), **kwargs)

    def patch(self, path: str, body: object):
        return self.http.patch(path, json=body, headers=self._headers())

    def delete(self, path: str):
        return self.http.delete(path, headers=self._headers())


@pytest.fixture
def as_p(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.practitioner_p)


@pytest.fixture
def as_q(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.practitioner_q)


@pytest.fixture
def as_a(app: Flask, personas: Personas) -> Api:
    return Api(app, personas.client_a)


def rows(model: type) -> list:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).order_by(model.id)))


def audit_lines(action: str | None = None) -> list[AuditEvent]:
    return [e for e in rows(AuditEvent) if action is None or e.action == action]


def lot_of(practitioner: User, *, expires_on: date = date(2030, 1, 1), number: str = "L1"):
    pigment = db.session.scalar(
        sa.select(Pigment).where(Pigment.practice_id == practitioner.practice_id)
    ) or Pigment(practice_id=practitioner.practice_id, brand="Perma", line="", shade="Jet")
    lot = PigmentLot(pigment=pigment, lot_number=number, expires_on=expires_on)
    db.session.add_all([pigment, lot])
    db.session.commit()
    return lot


def session_body(*lot_ids: int, performed_on: str = "2025-03-01", **extra: object) -> dict:
    zones = ["crown", "frontal_hairline", "mid_scalp"]
    return {
        "performed_on": performed_on,
        "kind": "initial",
        "placements": [
            {
                "zone": zones[i],
                "pigment_lot_id": lot_id,
                "dilution": "light",
                "dilution_ratio": "1:3",
            }
            for i, lot_id in enumerate(lot_ids)
        ],
        **extra,
    }


# --- clients -------------------------------------------------------------------------------


def test_me_tells_a_client_login_where_their_own_record_is(
    personas: Personas, as_a: Api, as_p: Api
) -> None:
    mine = as_a.get("/api/v1/me").get_json()
    theirs = as_p.get("/api/v1/me").get_json()

    assert (mine["role"], mine["client_id"]) == ("client", personas.record_a.id)
    assert (theirs["role"], theirs["client_id"]) == ("practitioner", None)


def test_a_practitioner_lists_only_their_own_clients_a_page_at_a_time(
    personas: Personas, as_p: Api
) -> None:
    for name in ("Cal Client", "Dee Client"):
        make_client(personas.practitioner_p, name)
    db.session.commit()

    first = as_p.get("/api/v1/clients?per_page=2").get_json()
    second = as_p.get("/api/v1/clients?per_page=2&page=2").get_json()
    found = as_p.get("/api/v1/clients?q=dee").get_json()

    assert first["total"] == 3 and second["total"] == 3
    names = [c["display_name"] for c in first["items"] + second["items"]]
    assert sorted(names) == ["Ada Client", "Cal Client", "Dee Client"]
    assert "Bea Client" not in names
    assert [c["display_name"] for c in found["items"]] == ["Dee Client"]


def test_a_practitioner_adds_a_client_to_their_practice_and_it_is_audited(
    personas: Personas, as_p: Api
) -> None:
    response = as_p.post(
        "/api/v1/clients",
        {"display_name": "Cy Client", "email": "CY@clients.test", "time_zone": "Europe/Paris"},
    )

    assert response.status_code == 201
    body = response.get_json()
    created = db.session.get(Client, body["id"])
    assert created.practitioner_id == personas.practitioner_p.id
    assert created.practice_id == personas.practitioner_p.practice_id
    assert created.email == "cy@clients.test"
    assert created.time_zone == "Europe/Paris"
    assert body["url"] == f"/api/v1/clients/{created.id}"
    assert body["profile"]["fitzpatrick"] == created.fitzpatrick
    [line] = audit_lines("create")
    assert (line.actor_id, line.client_id, line.object_type) == (
        personas.practitioner_p.id,
        created.id,
        "client",
    )
    assert line.remote_addr


@pytest.mark.parametrize(
    "smuggled", [{"id": 99}, {"practitioner_id": 2}, {"next_touch_up_on": "2026-01-01"}]
)
def test_it_refuses_fields_a_client_record_does_not_take_and_names_them(
    as_p: Api, smuggled: dict
) -> None:
    before = len(rows(Client))

    response = as_p.post("/api/v1/clients", {"display_name": "Cy Client", **smuggled})

    error = assert_json_error(response, 422)
    assert set(error["fields"]) == set(smuggled)
    assert len(rows(Client)) == before
    assert audit_lines() == []


def test_a_client_may_not_add_clients(as_a: Api) -> None:
    before = len(rows(Client))

    assert_json_error(as_a.post("/api/v1/clients", {"display_name": "Cy"}), 403)

    assert len(rows(Client)) == before


def test_reading_a_client_is_audited_and_another_practice_gets_404(
    personas: Personas, as_p: Api, as_q: Api
) -> None:
    path = f"/api/v1/clients/{personas.record_a.id}"

    assert as_p.get(path).get_json()["display_name"] == "Ada Client"
    refused = as_q.get(path)

    assert_json_error(refused, 404)
    assert "Ada" not in refused.get_data(as_text=True)
    [line] = audit_lines("read")
    assert line.actor_id == personas.practitioner_p.id


def test_patch_changes_only_the_profile_facts_sent(personas: Personas, as_a: Api) -> None:
    record = personas.record_a
    before = {"sebum": record.sebum, "goal": record.goal, "hair_length": record.hair_length}

    response = as_a.patch(
        f"/api/v1/clients/{record.id}",
        {
            "fitzpatrick": 5,
            "lifestyle": "outdoor_worker",
            "usual_sunscreen_spf": 30,
            "usual_sunscreen_pct": 50,
        },
    )

    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    changed = db.session.get(Client, record.id)
    assert (changed.fitzpatrick, changed.lifestyle, changed.usual_sunscreen_spf) == (
        5,
        "outdoor_worker",
        30,
    )
    assert {k: getattr(changed, k) for k in before} == before
    assert response.get_json()["profile"]["lifestyle"] == "outdoor_worker"
    assert [e.object_type for e in audit_lines("update")] == ["client_profile"]


def test_patch_answers_with_the_touch_up_date_the_new_facts_give(
    personas: Personas, as_p: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    path = f"/api/v1/clients/{personas.record_a.id}"
    as_p.post(path + "/sessions", session_body(lot.id, performed_on="2024-01-10"))
    before = as_p.get(path).get_json()["next_touch_up_on"]
    assert before is not None, "a client with a session has a projection"

    response = as_p.patch(
        path, {"lifestyle": "outdoor_worker", "latitude_band": "under_25", "usual_hat": "none"}
    )

    answered = response.get_json()["next_touch_up_on"]
    db.session.expire_all()
    stored = db.session.get(Client, personas.record_a.id).next_touch_up_on
    assert answered == stored.isoformat()
    assert answered < before, "more sun fades the pigment sooner"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fitzpatrick": 7}, "fitzpatrick"),
        ({"fitzpatrick": None}, "fitzpatrick"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"latitude_band": "arctic"}, "latitude_band"),
        ({"usual_sunscreen_pct": 40}, "usual_sunscreen_spf"),  # a share of time with no SPF
        ({"display_name": "Someone Else"}, "display_name"),
    ],
)
def test_patch_refuses_a_bad_fact_and_changes_nothing(
    personas: Personas, as_p: Api, body: dict, field: str
) -> None:
    record = personas.record_a
    before = (record.fitzpatrick, record.time_zone, record.latitude_band, record.display_name)

    error = assert_json_error(as_p.patch(f"/api/v1/clients/{record.id}", body), 422)

    assert field in error["fields"]
    db.session.expire_all()
    after = db.session.get(Client, record.id)
    assert (after.fitzpatrick, after.time_zone, after.latitude_band, after.display_name) == before
    assert audit_lines() == []


def test_delete_erases_the_client_and_their_history(personas: Personas, as_p: Api) -> None:
    lot = lot_of(personas.practitioner_p)
    record_id = personas.record_a.id
    recorded = as_p.post(f"/api/v1/clients/{record_id}/sessions", session_body(lot.id))
    assert recorded.status_code == 201
    assert as_p.get(f"/api/v1/clients/{record_id}").status_code == 200

    response = as_p.delete(f"/api/v1/clients/{record_id}")

    assert response.status_code == 200
    assert response.get_json() == {"object": "client", "id": record_id}
    assert record_id not in [c.id for c in rows(Client)]
    assert rows(TreatmentSession) == [] and rows(Placement) == []
    assert all(line.client_id is None for line in audit_lines())
    [erase] = audit_lines("erase")
    assert erase.object_id == record_id
    assert [kept.id for kept in rows(PigmentLot)] == [lot.id], "the lot stays for recalls"
    assert_json_error(as_p.get(f"/api/v1/clients/{record_id}"), 404)


def test_a_client_erases_their_own_account_on_the_account_page_not_by_delete(
    personas: Personas, as_a: Api
) -> None:
    error = assert_json_error(as_a.delete(f"/api/v1/clients/{personas.record_a.id}"), 403)

    assert error["message"]
    assert db.session.get(Client, personas.record_a.id) is not None


def test_another_practice_cannot_erase_a_client(personas: Personas, as_q: Api) -> None:
    assert_json_error(as_q.delete(f"/api/v1/clients/{personas.record_a.id}"), 404)

    assert db.session.get(Client, personas.record_a.id) is not None


def test_export_gives_everything_about_the_client_and_is_audited(
    personas: Personas, as_p: Api, as_a: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    as_p.post(f"/api/v1/clients/{personas.record_a.id}/sessions", session_body(lot.id))

    response = as_a.get(f"/api/v1/clients/{personas.record_a.id}/export")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    document = document_of(response.get_data())
    assert document["client"]["display_name"] == "Ada Client"
    assert [p["zone"] for s in document["sessions"] for p in s["placements"]] == ["crown"]
    assert b"password_hash" not in response.get_data()
    [line] = audit_lines("export")
    assert line.actor_id == personas.client_a.id


# --- sessions ------------------------------------------------------------------------------


def test_a_practitioner_records_a_session_with_two_placements(
    personas: Personas, as_p: Api
) -> None:
    first, second = lot_of(personas.practitioner_p), lot_of(personas.practitioner_p, number="L2")

    response = as_p.post(
        f"/api/v1/clients/{personas.record_a.id}/sessions",
        session_body(first.id, second.id, duration_minutes=180, notes="Line\nby line"),
    )

    assert response.status_code == 201, response.get_json()
    [stored] = rows(TreatmentSession)
    assert stored.client_id == personas.record_a.id
    assert stored.logged_by_id == stored.performed_by_id == personas.practitioner_p.id
    assert stored.duration_minutes == 180 and stored.notes == "Line\nby line"
    assert [(p.zone, p.pigment_lot_id, p.dilution_ratio) for p in rows(Placement)] == [
        ("crown", first.id, "1:3"),
        ("frontal_hairline", second.id, "1:3"),
    ]
    body = response.get_json()
    assert body["id"] == stored.id
    assert [p["pigment_lot_id"] for p in body["placements"]] == [first.id, second.id]
    [line] = audit_lines("create")
    assert (line.object_type, line.object_id) == ("treatment_session", stored.id)


def test_an_expired_lot_needs_an_explicit_confirmation(personas: Personas, as_p: Api) -> None:
    expired = lot_of(personas.practitioner_p, expires_on=date(2025, 1, 1))
    path = f"/api/v1/clients/{personas.record_a.id}/sessions"

    refused = as_p.post(path, session_body(expired.id))

    error = assert_json_error(refused, 422)
    assert "confirm_expired_lot" in error["fields"]
    assert "2025-01-01" in error["fields"]["confirm_expired_lot"]
    assert rows(TreatmentSession) == []

    confirmed = as_p.post(path, session_body(expired.id, confirm_expired_lot=True))

    assert confirmed.status_code == 201
    assert confirmed.get_json()["expired_lot_confirmed"] is True
    assert rows(TreatmentSession)[0].expired_lot_confirmed is True


def test_another_practitioners_lot_is_refused_without_saying_whose_it_is(
    personas: Personas, as_p: Api
) -> None:
    foreign = lot_of(personas.practitioner_q, number="Q-SECRET")

    response = as_p.post(
        f"/api/v1/clients/{personas.record_a.id}/sessions", session_body(foreign.id)
    )

    error = assert_json_error(response, 422)
    assert set(error["fields"]) == {"placements.0.pigment_lot_id"}
    assert "Q-SECRET" not in response.get_data(as_text=True)
    assert rows(TreatmentSession) == [] and rows(Placement) == []


def test_a_client_logs_their_own_session_naming_the_pigment_in_words(
    personas: Personas, as_a: Api
) -> None:
    response = as_a.post(
        f"/api/v1/clients/{personas.record_a.id}/sessions",
        {
            "performed_on": "2024-11-02",
            "kind": "touch_up",
            "placements": [{"zone": "crown", "pigment_free_text": "Unknown black"}],
        },
    )

    assert response.status_code == 201, response.get_json()
    [stored] = rows(TreatmentSession)
    assert stored.performed_by_id is None and stored.logged_by_id == personas.client_a.id
    assert rows(Placement)[0].pigment_free_text == "Unknown black"


def test_a_session_in_the_future_is_refused(personas: Personas, as_p: Api) -> None:
    lot = lot_of(personas.practitioner_p)
    tomorrow_anywhere = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()

    error = assert_json_error(
        as_p.post(
            f"/api/v1/clients/{personas.record_a.id}/sessions",
            session_body(lot.id, performed_on=tomorrow_anywhere),
        ),
        422,
    )

    assert "performed_on" in error["fields"]
    assert rows(TreatmentSession) == []


def test_sessions_are_listed_newest_first_a_page_at_a_time(
    personas: Personas, as_p: Api, as_a: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    path = f"/api/v1/clients/{personas.record_a.id}/sessions"
    for day in ("2025-01-10", "2025-03-10", "2025-02-10"):
        assert as_p.post(path, session_body(lot.id, performed_on=day)).status_code == 201

    first = as_a.get(path + "?per_page=2").get_json()
    second = as_a.get(path + "?per_page=2&page=2").get_json()

    assert first["total"] == 3
    assert [s["performed_on"] for s in first["items"] + second["items"]] == [
        "2025-03-10",
        "2025-02-10",
        "2025-01-10",
    ]


def test_patching_a_session_changes_what_is_sent_and_keeps_the_rest(
    personas: Personas, as_p: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    created = as_p.post(
        f"/api/v1/clients/{personas.record_a.id}/sessions", session_body(lot.id, notes="first")
    ).get_json()

    notes_only = as_p.patch(f"/api/v1/sessions/{created['id']}", {"notes": "healed evenly"})
    replaced = as_p.patch(
        f"/api/v1/sessions/{created['id']}",
        {"placements": [{"zone": "occipital", "pigment_lot_id": lot.id, "depth": "shallow"}]},
    )

    assert notes_only.status_code == 200 and replaced.status_code == 200
    [stored] = rows(TreatmentSession)
    assert stored.notes == "healed evenly" and stored.kind == "initial"
    assert [(p.zone, p.depth, p.dilution) for p in rows(Placement)] == [
        ("occipital", "shallow", "standard")
    ]
    assert len(audit_lines("update")) == 2


def test_a_client_cannot_change_or_delete_a_session_their_practitioner_recorded(
    personas: Personas, as_p: Api, as_a: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    created = as_p.post(
        f"/api/v1/clients/{personas.record_a.id}/sessions", session_body(lot.id, notes="kept")
    ).get_json()

    assert_json_error(as_a.patch(f"/api/v1/sessions/{created['id']}", {"notes": "mine"}), 403)
    assert_json_error(as_a.delete(f"/api/v1/sessions/{created['id']}"), 403)

    assert rows(TreatmentSession)[0].notes == "kept"
    # The client still reads the session; its notes are the practice's, internal (issue 13).
    read = as_a.get(f"/api/v1/sessions/{created['id']}").get_json()
    assert read["id"] == created["id"] and read["notes"] == "" and read["notes_shared"] is False


def test_deleting_a_session_removes_its_placements(personas: Personas, as_p: Api) -> None:
    lot = lot_of(personas.practitioner_p)
    created = as_p.post(
        f"/api/v1/clients/{personas.record_a.id}/sessions", session_body(lot.id)
    ).get_json()

    response = as_p.delete(f"/api/v1/sessions/{created['id']}")

    assert response.get_json() == {"object": "treatment_session", "id": created["id"]}
    assert rows(TreatmentSession) == [] and rows(Placement) == []
    [line] = audit_lines("delete")
    assert (line.client_id, line.object_id) == (personas.record_a.id, created["id"])
    assert_json_error(as_p.get(f"/api/v1/sessions/{created['id']}"), 404)


# --- sun exposure --------------------------------------------------------------------------


def test_a_client_logs_sun_exposure_and_the_usual_hair_length_fills_in(
    personas: Personas, as_a: Api
) -> None:
    response = as_a.post(
        f"/api/v1/clients/{personas.record_a.id}/sun-exposures",
        {
            "exposed_on": "2025-07-01",
            "start_time": "12:30",
            "duration_minutes": 90,
            "uv_index": 7.5,
            "uv_index_kind": "average",
            "hat": "cap",
            "sunscreen_spf": 50,
            "sunscreen_applied_at": "12:00",
            "swimming": True,
        },
    )

    assert response.status_code == 201, response.get_json()
    [entry] = rows(SunExposure)
    assert (entry.exposed_on, entry.duration_minutes, entry.uv_index) == (date(2025, 7, 1), 90, 7.5)
    assert entry.start_time.isoformat() == "12:30:00" and entry.sunscreen_spf == 50
    assert entry.hair_length == personas.record_a.hair_length
    assert entry.logged_by_id == personas.client_a.id
    assert response.get_json()["start_time"] == "12:30:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"uv_index": 20.5}, "uv_index"),
        ({"uv_index": -1}, "uv_index"),
        ({"sunscreen_spf": 0}, "sunscreen_spf"),
        ({"sunscreen_spf": 101}, "sunscreen_spf"),
        ({"hat": "beanie"}, "hat"),
        ({"start_time": "25:00"}, "start_time"),
        ({"start_time": "12:00+02:00"}, "start_time"),
        ({"exposed_on": "3025-07-01"}, "exposed_on"),
        ({"uv_index": "7"}, "uv_index"),
    ],
)
def test_a_sun_log_entry_out_of_bounds_is_refused(
    personas: Personas, as_a: Api, change: dict, field: str
) -> None:
    body = {"exposed_on": "2025-07-01", "duration_minutes": 60, "uv_index": 5, **change}

    error = assert_json_error(
        as_a.post(f"/api/v1/clients/{personas.record_a.id}/sun-exposures", body), 422
    )

    assert field in error["fields"]
    assert rows(SunExposure) == []


def test_the_sun_log_is_listed_by_year_and_month(personas: Personas, as_p: Api) -> None:
    path = f"/api/v1/clients/{personas.record_a.id}/sun-exposures"
    for day in ("2024-07-01", "2025-06-30", "2025-07-01", "2025-07-20"):
        body = {"exposed_on": day, "duration_minutes": 30, "uv_index": 4}
        assert as_p.post(path, body).status_code == 201

    july = as_p.get(path + "?year=2025&month=7").get_json()
    year = as_p.get(path + "?year=2025").get_json()
    error = assert_json_error(as_p.get(path + "?month=7"), 422)

    assert [e["exposed_on"] for e in july["items"]] == ["2025-07-20", "2025-07-01"]
    assert year["total"] == 3
    assert "year" in error["fields"]


# --- assessments ---------------------------------------------------------------------------


def test_each_side_records_assessments_of_its_own_kind(
    personas: Personas, as_p: Api, as_a: Api
) -> None:
    path = f"/api/v1/clients/{personas.record_a.id}/assessments"
    body = {"assessed_on": "2025-09-01", "zone": "crown", "density_pct": 82.5}

    mine = as_a.post(path, body)
    theirs = as_p.post(path, {**body, "assessor_kind": "practitioner_photo", "note": "photo"})
    posing = as_a.post(path, {**body, "assessor_kind": "practitioner_in_person"})

    assert mine.status_code == 201 and theirs.status_code == 201
    assert_json_error(posing, 422)
    assert [(a.assessor_kind, a.assessed_by_id, a.density_pct) for a in rows(FadeAssessment)] == [
        ("client_self", personas.client_a.id, 82.5),
        ("practitioner_photo", personas.practitioner_p.id, 82.5),
    ]
    listed = as_a.get(path).get_json()
    assert listed["total"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"density_pct": 100.5}, "density_pct"),
        ({"density_pct": -3}, "density_pct"),
        ({"zone": "eyebrows"}, "zone"),
        ({"note": "x" * 10_000}, "note"),
        ({"note": "bell\x07"}, "note"),
    ],
)
def test_an_assessment_out_of_bounds_is_refused(
    personas: Personas, as_p: Api, change: dict, field: str
) -> None:
    body = {"assessed_on": "2025-09-01", "zone": "crown", "density_pct": 80, **change}

    error = assert_json_error(
        as_p.post(f"/api/v1/clients/{personas.record_a.id}/assessments", body), 422
    )

    assert field in error["fields"]
    assert rows(FadeAssessment) == []


# --- pigments ------------------------------------------------------------------------------


def test_a_practitioner_keeps_a_catalogue_of_pigments_and_lots(
    personas: Personas, as_p: Api, as_q: Api
) -> None:
    created = as_p.post("/api/v1/pigments", {"brand": "Perma", "shade": "Jet", "base": "mixed"})
    pigment_id = created.get_json()["id"]
    lot = as_p.post(
        f"/api/v1/pigments/{pigment_id}/lots", {"lot_number": "A-1", "expires_on": "2027-05-01"}
    )

    assert created.status_code == 201 and lot.status_code == 201
    [stored] = rows(Pigment)
    assert (stored.practice_id, stored.base) == (personas.practitioner_p.practice_id, "mixed")
    [listed] = as_p.get("/api/v1/pigments").get_json()["items"]
    assert [lot["lot_number"] for lot in listed["lots"]] == ["A-1"]
    assert as_q.get("/api/v1/pigments").get_json()["items"] == []


def test_the_catalogue_and_the_recall_trace_come_a_page_at_a_time(
    personas: Personas, as_p: Api
) -> None:
    for shade in ("Ash", "Coal", "Soot"):
        as_p.post("/api/v1/pigments", {"brand": "Perma", "shade": shade})
    lot = lot_of(personas.practitioner_p)
    for day in ("2025-01-10", "2025-02-10", "2025-03-10"):
        as_p.post(
            f"/api/v1/clients/{personas.record_a.id}/sessions",
            session_body(lot.id, performed_on=day),
        )

    pigments = as_p.get("/api/v1/pigments?per_page=2&page=2").get_json()
    trace = as_p.get(f"/api/v1/pigment-lots/{lot.id}/clients?per_page=2&page=2").get_json()

    assert (pigments["total"], [p["shade"] for p in pigments["items"]]) == (3, ["Soot"])
    assert (trace["total"], [r["performed_on"] for r in trace["items"]]) == (3, ["2025-03-10"])


def test_the_same_pigment_or_lot_twice_is_a_conflict(personas: Personas, as_p: Api) -> None:
    body = {"brand": "Perma", "shade": "Jet"}
    pigment_id = as_p.post("/api/v1/pigments", body).get_json()["id"]
    lot = {"lot_number": "A-1", "expires_on": "2027-05-01"}
    as_p.post(f"/api/v1/pigments/{pigment_id}/lots", lot)

    assert_json_error(as_p.post("/api/v1/pigments", body), 409)
    assert_json_error(as_p.post(f"/api/v1/pigments/{pigment_id}/lots", lot), 409)
    assert len(rows(Pigment)) == 1 and len(rows(PigmentLot)) == 1


def test_nobody_adds_lots_to_another_practitioners_pigment(
    personas: Personas, as_q: Api, as_a: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    body = {"lot_number": "Q-1", "expires_on": "2027-05-01"}

    assert_json_error(as_q.post(f"/api/v1/pigments/{lot.pigment_id}/lots", body), 404)
    assert_json_error(as_a.post(f"/api/v1/pigments/{lot.pigment_id}/lots", body), 403)
    assert len(rows(PigmentLot)) == 1


def test_the_recall_trace_names_every_client_and_session_that_received_a_lot(
    personas: Personas, as_p: Api, as_q: Api
) -> None:
    lot = lot_of(personas.practitioner_p)
    other = make_client(personas.practitioner_p, "Cal Client")
    db.session.commit()
    for record_id in (personas.record_a.id, other.id):
        as_p.post(f"/api/v1/clients/{record_id}/sessions", session_body(lot.id))

    response = as_p.get(f"/api/v1/pigment-lots/{lot.id}/clients")

    assert response.status_code == 200
    trace = response.get_json()
    assert trace["lot"]["lot_number"] == "L1"
    assert sorted(row["client_name"] for row in trace["items"]) == ["Ada Client", "Cal Client"]
    assert {row["session_id"] for row in trace["items"]} == {s.id for s in rows(TreatmentSession)}
    recall_reads = [e for e in audit_lines("read") if e.object_type == "recall_trace"]
    assert {e.client_id for e in recall_reads} == {personas.record_a.id, other.id}
    assert_json_error(as_q.get(f"/api/v1/pigment-lots/{lot.id}/clients"), 404)


# --- the error shape -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"display_name": ', "application/json"),
        ('["Cy"]', "application/json"),
        ('{"display_name": NaN}', "application/json"),
        ("display_name=Cy", "application/x-www-form-urlencoded"),
    ],
    ids=["truncated", "list", "nan", "form"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(as_p: Api, data: str, content_type: str) -> None:
    response = as_p.http.post(
        "/api/v1/clients", data=data, headers={**as_p._headers(), "Content-Type": content_type}
    )

    assert_json_error(response, 400)
    assert len(rows(Client)) == 2


def test_unknown_routes_and_methods_answer_in_the_json_error_shape(as_p: Api) -> None:
    missing = as_p.get("/api/v1/nothing-here")
    wrong_method = as_p.http.put("/api/v1/clients", headers=as_p._headers())

    assert_json_error(missing, 404)
    assert_json_error(wrong_method, 405)
    assert set(wrong_method.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize("client_id", ["2147483648", "9223372036854775808", "1" + "0" * 30])
def test_an_id_no_database_could_hold_is_simply_not_found(as_p: Api, client_id: str) -> None:
    assert_json_error(as_p.get(f"/api/v1/clients/{client_id}"), 404)
    assert_json_error(as_p.delete(f"/api/v1/clients/{client_id}"), 404)


def test_a_missing_token_says_how_to_authenticate(app: Flask, personas: Personas) -> None:
    response = app.test_client().get(f"/api/v1/clients/{personas.record_a.id}")

    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert audit_lines() == []
