"""A practice's model versions (FADE-MODEL §10, issue 10 item 8): adopting a refit rebuilds the
practice's projections and replans its reminders with the new constants, in the same request;
reverting goes back; only the practice's own practitioner can see or use its versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, g

from smptrack.domain import fade
from smptrack.extensions import db
from smptrack.models import (
    Client,
    ClientProjection,
    PracticeModelVersion,
    Reminder,
    TreatmentSession,
)
from smptrack.models.treatments import Placement
from smptrack.services import model_versions, projections
from tests.conftest import Personas, log_in, make_client, make_user
from tests.test_refit_cli import seed_practice


def fresh_login(app: Flask, user) -> object:
    """A test client logged in as ``user``. The tests share one app context, where Flask-Login
    caches the user of the first request in ``g``: forget it, so each login is its own."""
    g.pop("_login_user", None)
    return log_in(app.test_client(), user)


def snapshot(practice_id: int) -> dict[int, tuple]:
    """Per client of the practice: the stored projection's model version, the client row's
    version and date, the pending touch-up reminder's due time and the crown's density now."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            Client.id,
            ClientProjection.model_version,
            Client.projection_model_version,
            Client.next_touch_up_on,
            ClientProjection.document,
        )
        .join(ClientProjection, ClientProjection.client_id == Client.id)
        .where(Client.practice_id == practice_id)
    ).all()
    reminders = dict(
        db.session.execute(
            sa.select(Reminder.client_id, Reminder.due_at).where(
                Reminder.kind == "touch_up", Reminder.status == "pending"
            )
        ).all()
    )
    return {
        r[0]: (r[1], r[2], r[3], reminders.get(r[0]), [z["density_now"] for z in r[4]["zones"]])
        for r in rows
    }


def test_refit_adopt_and_revert_through_the_page(app: Flask, personas: Personas) -> None:
    practitioner = personas.practitioner_p
    seed_practice(practitioner, 150, seed=3)
    # A recent client with an email: years from due, so its date and its touch-up reminder
    # move with the constants.
    recent = make_client(practitioner, "Recent", email="recent@clients.test")
    last = datetime.now(UTC).date() - timedelta(days=300)
    for offset, kind in ((-42, "initial"), (-21, "build_up"), (0, "build_up")):
        treatment = TreatmentSession(
            client_id=recent.id, performed_on=last + timedelta(days=offset), kind=kind
        )
        treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon"))
        db.session.add(treatment)
    projections.refresh_stale(datetime.now(UTC))
    model_versions.rebuild_practice(practitioner.practice_id, datetime.now(UTC))  # client A's too
    db.session.commit()
    before = snapshot(practitioner.practice_id)
    assert {v[0] for v in before.values()} == {fade.MODEL_VERSION}
    assert before[recent.id][3] is not None

    browser = log_in(app.test_client(), practitioner)
    refitted = browser.post("/practice/model/refit", data={"submit": "Run"})
    assert refitted.status_code == 302
    version = db.session.scalar(sa.select(PracticeModelVersion))
    assert version.adopted_at is None  # a proposal: nothing changed yet
    assert snapshot(practitioner.practice_id) == before
    page = browser.get(refitted.headers["Location"]).get_data(as_text=True)
    assert "The checks pass" in page and "90 % interval" in page

    # The confirmation step: without the box ticked nothing is adopted.
    adopt_url = f"/practice/model/versions/{version.id}/adopt"
    assert browser.get(adopt_url).status_code == 200
    assert browser.post(adopt_url, data={"submit": "Confirm"}).status_code == 422
    assert snapshot(practitioner.practice_id) == before

    assert browser.post(adopt_url, data={"confirm": "y", "submit": "Confirm"}).status_code == 302
    adopted = snapshot(practitioner.practice_id)
    label = model_versions.label(db.session.get(PracticeModelVersion, version.id))
    assert label != fade.MODEL_VERSION and f"v{version.id}" in label
    assert {v[0] for v in adopted.values()} == {label}
    assert {v[1] for v in adopted.values()} == {label}
    # The seeded truth fades faster than the defaults (k_bio 0.065, k_uv 2e-4): dates move
    # earlier for most clients, and the touch-up reminder moved with its client's date.
    treated = [cid for cid in before if before[cid][4]]
    lower = sum(1 for cid in treated if adopted[cid][4] < before[cid][4])
    assert len(treated) == 151 and lower > 0.8 * len(treated)
    assert adopted[recent.id][2] < before[recent.id][2]
    assert adopted[recent.id][3] != before[recent.id][3]
    # Other practices are untouched.
    other = snapshot(personas.practitioner_q.practice_id)
    assert all(v[0] == fade.MODEL_VERSION for v in other.values())
    assert "in use" in browser.get("/practice/model").get_data(as_text=True)

    assert browser.get("/practice/model/revert").status_code == 200
    reverted = browser.post("/practice/model/revert", data={"confirm": "y", "submit": "Confirm"})
    assert reverted.status_code == 302
    assert snapshot(practitioner.practice_id) == before
    row = db.session.get(PracticeModelVersion, version.id)
    assert row.retired_at is not None and row.reverted_at is not None
    # A used proposal cannot be adopted again.
    assert browser.post(adopt_url, data={"confirm": "y", "submit": "Confirm"}).status_code == 422


def test_revert_steps_back_one_version_at_a_time(app: Flask, personas: Personas) -> None:
    practitioner = personas.practitioner_p
    now = datetime.now(UTC)
    first, second = (
        PracticeModelVersion(
            practice_id=practitioner.practice_id,
            k_bio=k,
            k_uv=1.4e-4,
            sigma=0.3,
            source="refit",
            fit_summary={"adoptable": True},
        )
        for k in (0.06, 0.07)
    )
    db.session.add_all([first, second])
    db.session.flush()
    model_versions.adopt(first, now)
    model_versions.adopt(second, now)
    assert model_versions.current_version(practitioner.practice_id) == second
    assert first.retired_at is not None
    previous, _ = model_versions.revert(practitioner.practice_id, now)
    assert previous == first and model_versions.current_version(practitioner.practice_id) == first
    previous, _ = model_versions.revert(practitioner.practice_id, now)
    assert previous is None and model_versions.current_version(practitioner.practice_id) is None
    assert model_versions.constants_by_practice([practitioner.id]) == {}


def test_a_refit_that_fails_its_checks_cannot_be_adopted(app: Flask, personas: Personas) -> None:
    version = PracticeModelVersion(
        practice_id=personas.practitioner_p.practice_id,
        k_bio=0.06,
        k_uv=1.4e-4,
        sigma=0.3,
        source="refit",
        fit_summary={"adoptable": False, "reasons": ["The two fade rates cannot be told apart."]},
    )
    db.session.add(version)
    db.session.commit()
    browser = log_in(app.test_client(), personas.practitioner_p)
    page = browser.get(f"/practice/model/versions/{version.id}").get_data(as_text=True)
    assert "not offered for adoption" in page and "cannot be told apart" in page
    assert "Adopt these constants" not in page
    answer = browser.post(
        f"/practice/model/versions/{version.id}/adopt", data={"confirm": "y", "submit": "Confirm"}
    )
    assert answer.status_code == 422
    assert "cannot be told apart" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PracticeModelVersion, version.id).adopted_at is None


def test_another_practice_sees_404_for_these_versions_and_a_client_403(
    app: Flask, personas: Personas
) -> None:
    version = PracticeModelVersion(
        practice_id=personas.practitioner_p.practice_id,
        k_bio=0.06,
        k_uv=1.4e-4,
        sigma=0.3,
        source="refit",
        fit_summary={"adoptable": True},
    )
    db.session.add(version)
    db.session.commit()
    for user in (personas.practitioner_q, make_user("practitioner", "r@practice-r.test")):
        browser = fresh_login(app, user)
        for path in (
            f"/practice/model/versions/{version.id}",
            f"/practice/model/versions/{version.id}/adopt",
        ):
            assert browser.get(path).status_code == 404
        answer = browser.post(
            f"/practice/model/versions/{version.id}/adopt",
            data={"confirm": "y", "submit": "Confirm"},
        )
        assert answer.status_code == 404
        assert browser.get("/practice/model/versions/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(PracticeModelVersion, version.id).adopted_at is None
    client_login = fresh_login(app, personas.client_a)
    assert client_login.get("/practice/model").status_code == 403
    assert client_login.post("/practice/model/refit", data={}).status_code == 403
    assert client_login.get(f"/practice/model/versions/{version.id}").status_code == 403
