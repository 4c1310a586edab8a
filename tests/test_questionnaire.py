"""The health and skin questionnaire (issue 12 item 2): every answer set is kept with who and
when (the latest counts); contraindications show on the client page and the session form;
answers that are fade-model facts offer to update the profile and change it, and the
projection, only once confirmed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, ClientProjection, HealthQuestionnaire
from smptrack.services import exports, projections
from smptrack.services import questionnaire as answers_service
from tests.conftest import OwnContextClient, Personas, log_in
from tests.test_history import add_session, make_lot, page_text, visit

ALL_CLEAR = {"allergies": "", "fitzpatrick": "", "notes": ""}


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def treated(personas: Personas) -> Client:
    """Client A with a healed session, so the projection has something to project."""
    record = personas.record_a
    add_session(
        record, personas.practitioner_p, date(2025, 3, 1), lots=(make_lot(personas.practitioner_p),)
    )
    projections.refresh_stale(datetime.now(UTC))
    db.session.commit()
    return record


def stored_projection(record_id: int) -> dict:
    db.session.expire_all()
    return db.session.get(ClientProjection, record_id).document


def test_each_answer_set_is_kept_dated_and_by_whom_and_the_latest_counts(
    app: Flask, personas: Personas
) -> None:
    path = f"/clients/{personas.record_a.id}/questionnaire"
    first = visit(
        app, personas.client_a, path, method="POST", data={**ALL_CLEAR, "blood_thinners": "y"}
    )
    assert first.status_code == 303
    second = visit(app, personas.practitioner_p, path, method="POST", data=ALL_CLEAR)
    assert second.status_code == 303

    db.session.expire_all()
    rows = db.session.scalars(sa.select(HealthQuestionnaire).order_by(HealthQuestionnaire.id)).all()
    assert [(r.answered_by_role, r.answered_by_id, r.blood_thinners) for r in rows] == [
        ("client", personas.client_a.id, True),
        ("practitioner", personas.practitioner_p.id, False),
    ]
    latest = answers_service.latest_answers(personas.record_a)
    assert latest.id == rows[1].id and answers_service.contraindications(latest) == []
    page = page_text(visit(app, personas.practitioner_p, path))
    assert "Takes blood thinners" in page, "the history shows the earlier answer"
    assert "Contraindications in the latest answers" not in page


def test_contraindications_flag_the_client_page_and_the_session_form(
    app: Flask, personas: Personas, now: datetime
) -> None:
    answers_service.record_answers(
        personas.client_a,
        personas.record_a,
        answers_service.AnswersInput(keloid_or_scarring=True, allergies="Lidocaine"),
        now=now,
    )
    db.session.commit()
    record_id = personas.record_a.id

    for viewer, path in (
        (personas.practitioner_p, f"/clients/{record_id}"),
        (personas.practitioner_p, f"/clients/{record_id}/sessions/new"),
        (personas.client_a, "/me"),
    ):
        page = page_text(visit(app, viewer, path))
        assert "Contraindications from the health questionnaire" in page, path
        assert "Keloid or raised (hypertrophic) scarring" in page and "Lidocaine" in page
    other = page_text(visit(app, personas.practitioner_q, f"/clients/{personas.record_b.id}"))
    assert "Contraindications" not in other and "Lidocaine" not in other
    desk = visit(app, personas.front_desk_p, f"/clients/{record_id}/questionnaire")
    assert desk.status_code == 403 and "Lidocaine" not in desk.get_data(as_text=True)


def test_an_answer_that_is_a_fade_fact_changes_the_profile_only_once_confirmed(
    app: Flask, personas: Personas
) -> None:
    record = treated(personas)
    before = stored_projection(record.id)
    assert record.fitzpatrick == 3 and record.retinoid_or_peel_use is False

    answered = visit(
        app,
        personas.client_a,
        f"/clients/{record.id}/questionnaire",
        method="POST",
        data={**ALL_CLEAR, "retinoid_use": "y", "fitzpatrick": "5"},
    )
    assert answered.status_code == 303
    offer_path = answered.headers["Location"]
    assert "/profile" in offer_path
    db.session.expire_all()
    unchanged = db.session.get(Client, record.id)
    assert (unchanged.fitzpatrick, unchanged.retinoid_or_peel_use) == (3, False)
    assert stored_projection(record.id) == before, "nothing reprojected before confirming"
    later = page_text(visit(app, personas.client_a, f"/clients/{record.id}/questionnaire"))
    assert "Review the profile update" in later, "a declined offer stays one click away"
    offer = page_text(visit(app, personas.client_a, offer_path))
    assert (
        "Fitzpatrick skin type III V" in offer
        and "Regular retinoid, acid or peel use no yes" in offer
    )

    confirmed = visit(app, personas.client_a, offer_path, method="POST")
    assert confirmed.status_code == 303
    db.session.expire_all()
    changed = db.session.get(Client, record.id)
    assert (changed.fitzpatrick, changed.retinoid_or_peel_use) == (5, True)
    after = stored_projection(record.id)
    # Retinoids speed clearance (F_bio x1.3, FADE-MODEL §3): the touch-up comes earlier.
    assert after["next_touch_up_on"] < before["next_touch_up_on"]


def test_answers_that_agree_with_the_profile_offer_nothing(app: Flask, personas: Personas) -> None:
    answered = visit(
        app,
        personas.practitioner_p,
        f"/clients/{personas.record_a.id}/questionnaire",
        method="POST",
        data={**ALL_CLEAR, "fitzpatrick": "3"},
    )
    assert answered.status_code == 303
    assert answered.headers["Location"].endswith("/questionnaire")


@pytest.mark.parametrize(
    ("field", "value"),
    [("fitzpatrick", "7"), ("allergies", "nuts\x00"), ("allergies", "x" * 501)],
)
def test_bad_answers_are_refused_with_a_message_and_write_nothing(
    app: Flask, personas: Personas, field: str, value: str
) -> None:
    response = visit(
        app,
        personas.client_a,
        f"/clients/{personas.record_a.id}/questionnaire",
        method="POST",
        data={**ALL_CLEAR, field: value},
    )
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(HealthQuestionnaire.id))) == 0


def test_a_client_answers_only_their_own(app: Flask, personas: Personas) -> None:
    response = visit(
        app,
        personas.client_b,
        f"/clients/{personas.record_a.id}/questionnaire",
        method="POST",
        data={**ALL_CLEAR, "blood_thinners": "y"},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(HealthQuestionnaire.id))) == 0


def test_answers_export_with_the_client_and_go_with_the_erasure(
    app: Flask, personas: Personas, now: datetime
) -> None:
    answers_service.record_answers(
        personas.practitioner_p,
        personas.record_a,
        answers_service.AnswersInput(pigment_allergy=True, notes="Reacted to red ink in 2019"),
        now=now,
    )
    answers_service.record_answers(
        personas.client_a, personas.record_a, answers_service.AnswersInput(), now=now + timedelta(1)
    )
    db.session.commit()
    document = exports.export_client(personas.client_a, personas.record_a, now=now)
    assert [q["pigment_allergy"] for q in document["health_questionnaires"]] == [True, False]
    assert document["health_questionnaires"][0]["notes"] == "Reacted to red ink in 2019"
    db.session.rollback()

    record_id = personas.record_a.id
    response = log_in(app.test_client(), personas.practitioner_p).post(
        f"/clients/{record_id}/erase", data={"confirm_name": "Ada Client"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(HealthQuestionnaire.id))) == 0


def test_the_api_answers_and_offers_but_never_changes_the_profile(
    app: Flask, personas: Personas
) -> None:
    from tests.test_api_resources import Api

    api = Api(app, personas.client_a)
    path = f"/api/v1/clients/{personas.record_a.id}/questionnaire"
    created = api.post(path, {"blood_thinners": True, "fitzpatrick": 6})
    assert created.status_code == 201
    document = created.get_json()
    assert document["contraindications"] == ["Takes blood thinners"]
    assert [o["field"] for o in document["profile_offers"]] == ["fitzpatrick"]
    db.session.expire_all()
    assert db.session.get(Client, personas.record_a.id).fitzpatrick == 3
    refused = api.post(path, {"fitzpatrick": 9})
    assert refused.status_code == 422 and "fitzpatrick" in str(refused.get_json())
    desk = Api(app, personas.front_desk_p).get(path)
    assert desk.status_code == 403 and "blood" not in desk.get_data(as_text=True)
