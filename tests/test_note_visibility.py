"""Issue 13 item 5: the practice's notes are internal unless shared, and a client is shown only
the controls they may use.

A client reads a practitioner's session notes, placement depth notes and assessment notes only
when the practice shared them, on every page and in the API; what the client wrote is theirs.
Their own export holds every note (README "Notes: internal or shared"). A control the client may
not use (change or delete the practice's session) is not on their pages, and its route answers
403 with a page, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import FadeAssessment, TreatmentSession, User
from smptrack.services import access, accounts, assessments, exports, treatments
from tests.conftest import OwnContextClient, Personas, log_in
from tests.test_treatments import lot_of, placement, session_input

INTERNAL = "crown softer than expected, check depth"
DEPTH_NOTE = "whorl took ink unevenly"
SHARED = "healing well, keep it out of the sun"
NOW = datetime.now(UTC)
A_WHILE_AGO = (NOW - timedelta(days=40)).date()


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def practice_session(personas: Personas, *, shared: bool, notes: str = INTERNAL) -> int:
    p = personas.practitioner_p
    recorded = treatments.record_session(
        p,
        personas.record_a,
        session_input(
            placement("crown", lot_of(p), depth="too_deep", depth_note=DEPTH_NOTE),
            performed_on=A_WHILE_AGO,
            notes=notes,
            notes_shared=shared,
        ),
        now=NOW,
    )
    db.session.commit()
    return recorded.id


def own_session(personas: Personas, notes: str) -> int:
    recorded = treatments.record_session(
        personas.client_a,
        personas.record_a,
        session_input(
            placement("crown", pigment_free_text="Studio ink"),
            performed_on=A_WHILE_AGO,
            notes=notes,
        ),
        now=NOW,
    )
    db.session.commit()
    return recorded.id


def page(app: Flask, user: User, path: str):
    return log_in(app.test_client(), user).get(path)


def api_get(app: Flask, user: User, path: str) -> dict:
    secret = accounts.issue_api_token(user, "tests", NOW, timedelta(days=1)).secret
    db.session.commit()
    response = app.test_client().get(path, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- the rule itself ---------------------------------------------------------------------


def test_a_new_session_and_assessment_keep_their_notes_internal_unless_shared(
    personas: Personas,
) -> None:
    session_id = practice_session(personas, shared=False)
    rating = assessments.record_assessment(
        personas.practitioner_p,
        personas.record_a,
        assessments.AssessmentInput(A_WHILE_AGO, "crown", 90.0, "practitioner_in_person", "x"),
        now=NOW,
    )
    db.session.commit()
    assert db.session.get(TreatmentSession, session_id).notes_shared is False
    assert db.session.get(FadeAssessment, rating.id).notes_shared is False


@pytest.mark.parametrize(
    ("who", "shared", "reads"),
    [
        ("practitioner_p", False, True),
        ("colleague_p", False, True),
        ("client_a", False, False),
        ("client_a", True, True),
    ],
)
def test_who_reads_the_practices_session_notes(
    personas: Personas, who: str, shared: bool, reads: bool
) -> None:
    treatment = db.session.get(TreatmentSession, practice_session(personas, shared=shared))
    assert access.may_read_notes(personas.by_name(who), treatment) is reads


def test_what_a_client_wrote_is_theirs_to_read(personas: Personas) -> None:
    treatment = db.session.get(TreatmentSession, own_session(personas, "itched for two days"))
    assert treatment.notes_shared is False
    assert access.may_read_notes(personas.client_a, treatment)
    self_rating = FadeAssessment(assessor_kind="client_self", notes_shared=False)
    practitioner_rating = FadeAssessment(assessor_kind="practitioner_photo", notes_shared=False)
    assert access.may_read_notes(personas.client_a, self_rating)
    assert not access.may_read_notes(personas.client_a, practitioner_rating)


# --- pages -----------------------------------------------------------------------------------


def test_the_client_does_not_read_internal_notes_on_their_pages(
    app: Flask, personas: Personas
) -> None:
    session_id = practice_session(personas, shared=False)

    for path in ("/me", f"/sessions/{session_id}"):
        body = page(app, personas.client_a, path).get_data(as_text=True)
        assert "Crown" in body  # the session itself is there...
        assert INTERNAL not in body and DEPTH_NOTE not in body, path  # ...its notes are not

    for path in (f"/clients/{personas.record_a.id}", f"/sessions/{session_id}"):
        body = page(app, personas.practitioner_p, path).get_data(as_text=True)
        assert INTERNAL in body and DEPTH_NOTE in body, path


def test_the_client_reads_notes_the_practice_shared(app: Flask, personas: Personas) -> None:
    session_id = practice_session(personas, shared=True, notes=SHARED)

    for path in ("/me", f"/sessions/{session_id}"):
        body = page(app, personas.client_a, path).get_data(as_text=True)
        assert SHARED in body and DEPTH_NOTE in body, path


def test_the_client_reads_their_own_session_notes(app: Flask, personas: Personas) -> None:
    own_session(personas, "itched for two days")
    assert "itched for two days" in page(app, personas.client_a, "/me").get_data(as_text=True)


def test_assessment_notes_on_the_assessments_page(app: Flask, personas: Personas) -> None:
    practice_session(personas, shared=False)
    for kind, note, shared in (
        ("practitioner_in_person", "fading at the crown, see you soon", False),
        ("practitioner_photo", "photo looks even", True),
    ):
        assessments.record_assessment(
            personas.practitioner_p,
            personas.record_a,
            assessments.AssessmentInput(
                A_WHILE_AGO, "crown", 90.0, kind, note, notes_shared=shared
            ),
            now=NOW,
        )
    assessments.record_assessment(
        personas.client_a,
        personas.record_a,
        assessments.AssessmentInput(A_WHILE_AGO, "crown", 85.0, "client_self", "looks lighter"),
        now=NOW,
    )
    db.session.commit()
    path = f"/clients/{personas.record_a.id}/assessments"

    client_view = page(app, personas.client_a, path).get_data(as_text=True)
    assert "fading at the crown" not in client_view
    assert "photo looks even" in client_view and "looks lighter" in client_view
    practice_view = page(app, personas.practitioner_p, path).get_data(as_text=True)
    assert "fading at the crown" in practice_view and "looks lighter" in practice_view


def test_the_practitioners_session_form_shares_notes_only_when_ticked(
    app: Flask, personas: Personas
) -> None:
    p = personas.practitioner_p
    lot = lot_of(p)
    db.session.commit()
    browser = log_in(app.test_client(), p)
    form = browser.get(f"/clients/{personas.record_a.id}/sessions/new").get_data(as_text=True)
    assert 'name="notes_shared"' in form
    base = {
        "performed_on": A_WHILE_AGO.isoformat(),
        "kind": "initial",
        "notes": "a note",
        "placements-0-zone": "crown",
        "placements-0-pigment_lot_id": str(lot),
        "placements-0-dilution": "standard",
        "placements-0-depth": "correct",
    }
    for extra, expected in (({}, False), ({"notes_shared": "y"}, True)):
        response = browser.post(
            f"/clients/{personas.record_a.id}/sessions/new", data={**base, **extra}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        session_id = int(response.headers["Location"].rsplit("/", 1)[1])
        db.session.expire_all()
        assert db.session.get(TreatmentSession, session_id).notes_shared is expected
        base["performed_on"] = (A_WHILE_AGO + timedelta(days=1)).isoformat()

    client_form = page(app, personas.client_a, f"/clients/{personas.record_a.id}/sessions/new")
    assert 'name="notes_shared"' not in client_form.get_data(as_text=True)


# --- API -------------------------------------------------------------------------------------


def test_the_api_withholds_internal_notes_from_the_client(app: Flask, personas: Personas) -> None:
    session_id = practice_session(personas, shared=False)
    assessments.record_assessment(
        personas.practitioner_p,
        personas.record_a,
        assessments.AssessmentInput(A_WHILE_AGO, "crown", 90.0, "practitioner_in_person", INTERNAL),
        now=NOW,
    )
    db.session.commit()
    record = personas.record_a.id

    mine = api_get(app, personas.client_a, f"/api/v1/sessions/{session_id}")
    assert mine["notes"] == "" and mine["notes_shared"] is False
    assert [p["depth_note"] for p in mine["placements"]] == [""]
    listed = api_get(app, personas.client_a, f"/api/v1/clients/{record}/sessions")
    assert INTERNAL not in str(listed) and DEPTH_NOTE not in str(listed)
    rated = api_get(app, personas.client_a, f"/api/v1/clients/{record}/assessments")
    assert [item["note"] for item in rated["items"]] == [""]

    practice = api_get(app, personas.practitioner_p, f"/api/v1/sessions/{session_id}")
    assert practice["notes"] == INTERNAL
    assert [p["depth_note"] for p in practice["placements"]] == [DEPTH_NOTE]


def test_the_api_shares_notes_when_asked(app: Flask, personas: Personas) -> None:
    session_id = practice_session(personas, shared=False)
    secret = accounts.issue_api_token(personas.practitioner_p, "t", NOW, timedelta(days=1)).secret
    db.session.commit()
    response = app.test_client().patch(
        f"/api/v1/sessions/{session_id}",
        json={"notes_shared": True},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["notes_shared"] is True
    mine = api_get(app, personas.client_a, f"/api/v1/sessions/{session_id}")
    assert mine["notes"] == INTERNAL


# --- the client's own export -----------------------------------------------------------------


def test_the_clients_own_export_holds_internal_notes_marked_as_such(
    personas: Personas,
) -> None:
    practice_session(personas, shared=False)
    document = exports.export_own_data(personas.client_a, now=NOW)
    [exported] = document["sessions"]
    assert exported["notes"] == INTERNAL and exported["notes_shared"] is False


# --- controls the client may not use ---------------------------------------------------------


def test_the_client_is_not_shown_controls_for_the_practices_session(
    app: Flask, personas: Personas
) -> None:
    practice_id = practice_session(personas, shared=True)
    own_id = own_session(personas, "mine")
    me = page(app, personas.client_a, "/me").get_data(as_text=True)
    assert f"/sessions/{practice_id}/edit" not in me
    assert f"/sessions/{practice_id}/delete" not in me
    assert f"/sessions/{own_id}/edit" in me and f"/sessions/{own_id}/delete" in me
    shown = page(app, personas.client_a, f"/sessions/{practice_id}").get_data(as_text=True)
    assert f"/sessions/{practice_id}/edit" not in shown

    practice_page = page(app, personas.practitioner_p, f"/clients/{personas.record_a.id}")
    assert f"/sessions/{practice_id}/edit" in practice_page.get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("action", ["edit", "delete"])
def test_the_practices_session_routes_answer_the_client_with_a_403_page(
    app: Flask, personas: Personas, action: str, method: str
) -> None:
    session_id = practice_session(personas, shared=False)
    browser = log_in(app.test_client(), personas.client_a)
    response = browser.open(f"/sessions/{session_id}/{action}", method=method, data={})
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(TreatmentSession.id))) == 1


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_the_api_answers_the_client_403_json_on_the_practices_session(
    app: Flask, personas: Personas, method: str
) -> None:
    session_id = practice_session(personas, shared=False)
    secret = accounts.issue_api_token(personas.client_a, "t", NOW, timedelta(days=1)).secret
    db.session.commit()
    response = app.test_client().open(
        f"/api/v1/sessions/{session_id}",
        method=method,
        json={"notes": "mine now"} if method == "PATCH" else None,
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"]
    db.session.expire_all()
    assert db.session.get(TreatmentSession, session_id).notes == INTERNAL


def test_may_see_control_refuses_an_unknown_action(personas: Personas) -> None:
    assert not access.may_see_control(
        personas.practitioner_p, "delete_evrything", personas.record_a
    )


def test_the_practitioner_sees_whether_a_sessions_notes_are_shared(
    app: Flask, personas: Personas
) -> None:
    internal = practice_session(personas, shared=False)
    body = page(app, personas.practitioner_p, f"/sessions/{internal}").get_data(as_text=True)
    assert "Notes (internal)" in body
    db.session.get(TreatmentSession, internal).notes_shared = True
    db.session.commit()
    body = page(app, personas.practitioner_p, f"/sessions/{internal}").get_data(as_text=True)
    assert "Notes (shared with the client)" in body


def test_the_practices_notes_on_the_record_itself_stay_internal(
    app: Flask, personas: Personas
) -> None:
    personas.record_a.notes = "anxious about needles"
    db.session.commit()
    record = personas.record_a.id
    assert "anxious" not in page(app, personas.client_a, f"/clients/{record}").get_data(
        as_text=True
    )
    assert "anxious" in page(app, personas.practitioner_p, f"/clients/{record}").get_data(
        as_text=True
    )
    assert api_get(app, personas.client_a, f"/api/v1/clients/{record}")["notes"] == ""
    assert api_get(app, personas.practitioner_p, f"/api/v1/clients/{record}")["notes"] == (
        "anxious about needles"
    )
