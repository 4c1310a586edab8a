"""Issue 13 item 6: input that makes sense.

- A second client with an existing client's email (same practice, any case) is refused with
  the existing record named, unless the practitioner confirms; the API answers 409 naming it.
- Session and assessment dates are not before the client's first session (services/date_bounds
  for the decisions), nor in the future; pages re-render with the message, the API says 422.
- Page numbers clamp to the range on every paginated page: ?page=99 of 2 shows page 2.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment, TreatmentSession, User
from smptrack.services import accounts, assessments, clients, treatments
from smptrack.services.errors import ValidationFailed
from smptrack.services.pagination import clamp_page
from tests.conftest import OwnContextClient, Personas, log_in, make_client
from tests.test_treatments import lot_of, placement, session_input

NOW = datetime.now(UTC)
FIRST = (NOW - timedelta(days=400)).date()


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def committed_count(model: type) -> int:
    with db.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar()


def api(app: Flask, user: User, method: str, path: str, body: object = None):
    secret = accounts.issue_api_token(user, "tests", NOW, timedelta(days=1)).secret
    db.session.commit()
    return app.test_client().open(
        path, method=method, json=body, headers={"Authorization": f"Bearer {secret}"}
    )


# --- duplicate client email --------------------------------------------------------------------


def test_a_second_client_with_the_same_email_in_any_case_is_refused_naming_the_first(
    app: Flask, personas: Personas
) -> None:
    before = committed_count(Client)
    browser = log_in(app.test_client(), personas.practitioner_p)
    form = {"display_name": "Ada Again", "email": "A@Clients.TEST", "time_zone": "Europe/London"}

    refused = browser.post("/clients/new", data=form)

    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Ada Client (a@clients.test) already has a record" in body
    assert f'href="/clients/{personas.record_a.id}"' in body
    assert 'name="confirm_duplicate"' in body
    assert committed_count(Client) == before

    confirmed = browser.post("/clients/new", data={**form, "confirm_duplicate": "y"})
    assert confirmed.status_code == 302
    assert committed_count(Client) == before + 1


def test_the_same_email_in_another_practice_is_no_duplicate(personas: Personas) -> None:
    made = clients.create_client(
        personas.practitioner_q,
        display_name="Ada Elsewhere",
        email="a@clients.test",
        time_zone="Europe/London",
        now=NOW,
    )
    assert made.id is not None


def test_the_api_answers_409_naming_the_existing_record(app: Flask, personas: Personas) -> None:
    before = committed_count(Client)
    body = {"display_name": "Ada Again", "email": "a@CLIENTS.test"}
    response = api(app, personas.practitioner_p, "POST", "/api/v1/clients", body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate_email"
    assert error["fields"]["existing_client_id"] == str(personas.record_a.id)
    assert "Ada Client" in error["message"]
    assert committed_count(Client) == before

    again = api(
        app, personas.practitioner_p, "POST", "/api/v1/clients", {**body, "confirm_duplicate": True}
    )
    assert again.status_code == 201
    assert committed_count(Client) == before + 1


# --- dates not before the first session --------------------------------------------------------


@pytest.fixture
def first_session(personas: Personas) -> TreatmentSession:
    p = personas.practitioner_p
    recorded = treatments.record_session(
        p,
        personas.record_a,
        session_input(placement("crown", lot_of(p)), performed_on=FIRST),
        now=NOW,
    )
    db.session.commit()
    return recorded


def rating(on: date, kind: str = "practitioner_in_person") -> assessments.AssessmentInput:
    return assessments.AssessmentInput(on, "crown", 90.0, kind)


@pytest.mark.parametrize("who", ["practitioner_p", "client_a"])
def test_an_assessment_before_the_first_session_is_refused(
    personas: Personas, first_session: TreatmentSession, who: str
) -> None:
    kind = "client_self" if who == "client_a" else "practitioner_in_person"
    with pytest.raises(ValidationFailed) as refused:
        assessments.record_assessment(
            personas.by_name(who),
            personas.record_a,
            rating(FIRST - timedelta(days=1), kind),
            now=NOW,
        )
    assert "first session" in refused.value.fields["assessed_on"]
    made = assessments.record_assessment(
        personas.by_name(who), personas.record_a, rating(FIRST, kind), now=NOW
    )
    assert made.assessed_on == FIRST


def test_an_assessment_with_no_session_yet_may_be_any_past_day(personas: Personas) -> None:
    years_ago = (NOW - timedelta(days=3 * 365)).date()
    made = assessments.record_assessment(
        personas.practitioner_p, personas.record_a, rating(years_ago), now=NOW
    )
    assert made.assessed_on == years_ago


def test_the_assessment_page_re_renders_with_the_message_and_the_api_says_422(
    app: Flask, personas: Personas, first_session: TreatmentSession
) -> None:
    years_before = (FIRST - timedelta(days=3 * 365)).isoformat()
    browser = log_in(app.test_client(), personas.practitioner_p)
    page = browser.post(
        f"/clients/{personas.record_a.id}/assessments/new",
        data={
            "assessed_on": years_before,
            "zone": "crown",
            "density_pct": "90",
            "assessor_kind": "practitioner_in_person",
        },
    )
    assert page.status_code == 422
    assert "cannot be dated before it" in page.get_data(as_text=True)
    response = api(
        app,
        personas.practitioner_p,
        "POST",
        f"/api/v1/clients/{personas.record_a.id}/assessments",
        {"assessed_on": years_before, "zone": "crown", "density_pct": 90},
    )
    assert response.status_code == 422
    assert "assessed_on" in response.get_json()["error"]["fields"]
    assert committed_count(FadeAssessment) == 0


def test_the_practice_may_not_back_date_a_session_before_the_first(
    personas: Personas, first_session: TreatmentSession
) -> None:
    p = personas.practitioner_p
    lot = first_session.placements[0].pigment_lot_id
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            p,
            personas.record_a,
            session_input(placement("crown", lot), performed_on=FIRST - timedelta(days=1)),
            now=NOW,
        )
    assert "first session" in refused.value.fields["performed_on"]


def test_the_first_session_itself_may_move_to_any_past_day(
    personas: Personas, first_session: TreatmentSession
) -> None:
    p = personas.practitioner_p
    lot = first_session.placements[0].pigment_lot_id
    later = treatments.record_session(
        p,
        personas.record_a,
        session_input(placement("crown", lot), performed_on=FIRST + timedelta(days=30)),
        now=NOW,
    )
    earlier = FIRST - timedelta(days=200)
    moved = treatments.update_session(
        p,
        first_session,
        session_input(placement("crown", lot), performed_on=earlier),
        now=NOW,
    )
    assert moved.performed_on == earlier
    with pytest.raises(ValidationFailed):  # the later one may not jump before the first
        treatments.update_session(
            p,
            later,
            session_input(placement("crown", lot), performed_on=earlier - timedelta(days=1)),
            now=NOW,
        )


def test_a_client_may_log_an_earlier_session_from_elsewhere(
    personas: Personas, first_session: TreatmentSession
) -> None:
    older = FIRST - timedelta(days=700)
    logged = treatments.record_session(
        personas.client_a,
        personas.record_a,
        session_input(placement("crown", pigment_free_text="Other studio"), performed_on=older),
        now=NOW,
    )
    assert logged.performed_on == older


def test_a_session_in_the_clients_future_is_refused(personas: Personas) -> None:
    # 23:30 in London is already tomorrow in Auckland: "today" is the client's.
    kiwi = make_client(personas.practitioner_p, "Kiri Client", time_zone="Pacific/Auckland")
    late_evening = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # 10:30 on 2 June in Auckland
    p = personas.practitioner_p
    lot = lot_of(p)
    treatments.record_session(
        p,
        kiwi,
        session_input(placement("crown", lot), performed_on=date(2026, 6, 2)),
        now=late_evening,
    )
    with pytest.raises(ValidationFailed) as refused:
        treatments.record_session(
            p,
            kiwi,
            session_input(placement("crown", lot), performed_on=date(2026, 6, 3)),
            now=late_evening,
        )
    assert "future" in refused.value.fields["performed_on"]


# --- page numbers clamp --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "total", "shown"),
    [(99, 30, 2), (2, 30, 2), (0, 30, 1), (-1, 30, 1), (5, 0, 1), (3, 50, 2), (1, 26, 1)],
)
def test_clamp_page(asked: int, total: int, shown: int) -> None:
    assert clamp_page(asked, total, 25) == shown


@pytest.fixture
def thirty_clients(app: Flask, personas: Personas) -> None:
    app.config["PAGE_SIZE"] = 20
    for number in range(30):
        make_client(personas.practitioner_p, f"Zed Client {number:02d}")
    db.session.commit()


@pytest.mark.parametrize(("query", "shown"), [("99", 2), ("0", 1), ("-1", 1), ("abc", 1)])
def test_the_client_list_clamps_the_page_number(
    app: Flask, personas: Personas, thirty_clients: None, query: str, shown: int
) -> None:
    body = (
        log_in(app.test_client(), personas.practitioner_p)
        .get(f"/clients/?page={query}")
        .get_data(as_text=True)
    )
    assert f"Page {shown} of 2" in body
    assert "Page 99" not in body
    # 31 records (Ada and thirty Zeds) by name: page 2 holds the last eleven, ending with Zed 29.
    assert ("Zed Client 29" in body) is (shown == 2)


def test_the_assessments_page_clamps_and_shows_the_last_page(
    app: Flask, personas: Personas
) -> None:
    app.config["PAGE_SIZE"] = 2
    for days in range(3):
        assessments.record_assessment(
            personas.practitioner_p,
            personas.record_a,
            rating((NOW - timedelta(days=10 + days)).date()),
            now=NOW,
        )
    db.session.commit()
    body = (
        log_in(app.test_client(), personas.practitioner_p)
        .get(f"/clients/{personas.record_a.id}/assessments?page=99")
        .get_data(as_text=True)
    )
    assert "Page 2 of 2" in body
    assert (NOW - timedelta(days=12)).date().strftime("%B %Y") in body  # the oldest is on page 2
