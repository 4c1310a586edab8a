"""Export and erasure: everything about a client as one JSON document, and erasure that leaves
nothing of them behind but anonymous audit lines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smptrack import mail
from smptrack.extensions import db
from smptrack.models import (
    ApiToken,
    AuditEvent,
    Client,
    FadeAssessment,
    Invitation,
    Photo,
    PigmentLot,
    Placement,
    Reminder,
    ReminderPreference,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.sending.retention_sweep import erase_due_records
from smptrack.services import accounts, audit, erasure, exports, photos
from smptrack.services.errors import Forbidden, ValidationFailed
from tests import photo_corpus
from tests.conftest import PASSWORD, Personas, log_in, make_user
from tests.exported import document_of
from tests.test_history import (
    add_assessment,
    add_exposure,
    add_session,
    make_lot,
    page_text,
    visit,
)

MARKER = "zq-ada-private-marker"  # in every free-text field of client A's history


def uploads(app: Flask) -> Path:
    return Path(app.instance_path) / "uploads"


def folders(app: Flask) -> exports.Folders:
    return exports.Folders(uploads=uploads(app), mail=Path(app.config["MAIL_FOLDER"]))


def give_a_full_history(app: Flask, personas: Personas) -> dict[str, Any]:
    """Client A (of P) with one of everything, photos and mail; client B with a little too."""
    p, a, record = personas.practitioner_p, personas.client_a, personas.record_a
    lot = make_lot(p, "Dark Ash", "DA-1")
    record.notes = f"Notes {MARKER}"
    treatment = add_session(
        record, p, date(2025, 4, 1), zones=("crown", "mid_scalp"), lots=(lot,), notes=MARKER
    )
    own = add_session(record, a, date(2024, 1, 5), kind="initial", notes=f"self {MARKER}")
    exposure = add_exposure(record, date(2025, 6, 1), minutes=120, uv_index=7)
    rating = add_assessment(record, date(2025, 5, 1), by=p, note=MARKER)
    photo = photos.store_photo(
        record,
        zone="crown",
        taken_on=date(2025, 5, 1),
        data=photo_corpus.jpeg(),
        uploaded_by=p,
        now=datetime.now(UTC),
        assessment_id=rating.id,
    )
    db.session.add_all(
        [
            Reminder(
                client_id=record.id,
                recipient_email=a.email,
                kind="touch_up",
                due_at=datetime(2027, 1, 1, 9, tzinfo=UTC),
                dedupe_key=f"touch_up:{record.id}:2027",
                payload={"name": "Ada Client"},
            ),
            ReminderPreference(client_id=record.id, touch_up_lead_days=30),
            Invitation(
                client_id=record.id,
                email=a.email,
                nonce_hash="f" * 64,
                invited_by_id=p.id,
                expires_at=datetime(2025, 1, 1, tzinfo=UTC),
            ),
        ]
    )
    accounts.issue_api_token(a, "phone app", datetime.now(UTC), timedelta(days=30))
    audit.record_event(
        a,
        "create",
        client_id=record.id,
        object_type="sun_exposure",
        object_id=exposure.id,
        remote_addr="203.0.113.7",
        now=datetime.now(UTC),
    )
    message = mail.compose(
        sender="smptrack <no-reply@localhost>",
        to=a.email,
        subject="Your touch-up",
        text=f"Hello Ada Client {MARKER}",
        html=f"<p>Hello Ada Client {MARKER}</p>",
    )
    mail.deliver(message, app.config)
    # Client B, whose data must survive A's erasure untouched.
    lot_q = make_lot(personas.practitioner_q, "Soft Brown", "SB-1")
    add_session(personas.record_b, personas.practitioner_q, date(2025, 4, 2), lots=(lot_q,))
    add_exposure(personas.record_b, date(2025, 6, 2))
    add_assessment(personas.record_b, date(2025, 5, 2))
    b_photo = photos.store_photo(
        personas.record_b,
        zone="crown",
        taken_on=date(2025, 5, 2),
        data=photo_corpus.jpeg(),
        uploaded_by=personas.practitioner_q,
        now=datetime.now(UTC),
    )
    db.session.commit()
    return {
        "record_id": record.id,
        "user_id": a.id,
        "session_id": treatment.id,
        "own_session_id": own.id,
        "photo": uploads(app) / photo.stored_name,
        "b_photo": uploads(app) / b_photo.stored_name,
        "lot_id": lot.id,
    }


def traces_of(app: Flask, record_id: int, user_id: int, words: tuple[str, ...]) -> list[str]:
    """Every place in the database, the upload folder and the mail folder that still holds
    something of this client: a foreign key to their record or login, or one of ``words``
    (their name, email, marker) in any text or JSON column or file."""
    found = []
    lowered = tuple(w.lower() for w in words)
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).mappings():
            for column in table.columns:
                value = row[column.key]
                if value is None:
                    continue
                for key in column.foreign_keys:
                    target = key.target_fullname
                    if (target == "clients.id" and value == record_id) or (
                        target == "users.id" and value == user_id
                    ):
                        found.append(f"{table.name}.{column.key} -> {target} {value}")
                text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                if any(word in text.lower() for word in lowered):
                    found.append(f"{table.name}.{column.key}: {text[:60]}")
    for folder in (uploads(app), Path(app.config["MAIL_FOLDER"])):
        if folder.exists():
            for path in folder.rglob("*"):
                if path.is_file() and any(
                    word.encode() in path.read_bytes().lower() for word in lowered
                ):
                    found.append(f"file {path}")
    return found


# Written by every visit, whatever it does: each ``log_in`` opens a login session.
BOOKKEEPING_TABLES = frozenset({"login_sessions"})


def count_rows() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name not in BOOKKEEPING_TABLES
    }


# --- export ---------------------------------------------------------------------------------


def test_the_practitioner_downloads_everything_about_their_client_as_one_zip_attachment(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_full_history(app, personas)

    response = visit(app, personas.practitioner_p, f"/clients/{ids['record_id']}/export")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('.zip"')
    assert response.headers["Cache-Control"] == "no-store"
    document = document_of(response.get_data())
    assert document["client"]["display_name"] == "Ada Client"
    assert document["client"]["notes"] == f"Notes {MARKER}"
    assert document["practitioner"]["display_name"] == "Pat Practitioner"
    assert document["login"]["email"] == "a@clients.test"
    assert "password_hash" not in document["login"]
    assert "last_login_at" not in document["login"], "the login's details are the client's"
    assert document["api_tokens"] == [], "tokens are the client's own business"
    by_id = {s["id"]: s for s in document["sessions"]}
    placement = by_id[ids["session_id"]]["placements"][0]
    assert placement["pigment_lot"]["lot_number"] == "DA-1"
    assert placement["pigment_lot"]["pigment"]["shade"] == "Dark Ash"
    assert by_id[ids["own_session_id"]]["placements"][0]["pigment_free_text"]
    [entry] = document["sun_exposures"]
    assert entry["duration_minutes"] == 120
    assert set(entry["effective_sed_by_zone"]) == {"crown", "mid_scalp"}
    assert entry["effective_sed_by_zone"]["crown"] > 0
    assert document["assessments"][0]["note"] == MARKER
    assert document["reminders"][0]["kind"] == "touch_up"
    assert "leased_by" not in document["reminders"][0]
    assert document["reminder_preferences"][0]["touch_up_lead_days"] == 30
    assert document["invitations"][0]["email"] == "a@clients.test"
    assert "nonce_hash" not in document["invitations"][0]
    actions = [event["action"] for event in document["audit_events"]]
    assert "create" in actions and "export" in actions
    assert b"Bea Client" not in response.get_data()
    recorded = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.client_id == ids["record_id"]
        )
    )
    assert recorded.actor_id == personas.practitioner_p.id


def test_the_client_downloads_their_own_data_with_their_tokens_but_no_secrets(
    app: Flask, personas: Personas
) -> None:
    give_a_full_history(app, personas)

    response = visit(app, personas.client_a, "/me/export")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = document_of(response.get_data())
    assert document["client"]["display_name"] == "Ada Client"
    assert "last_login_at" in document["login"] and "password_hash" not in document["login"]
    [token] = document["api_tokens"]
    assert token["name"] == "phone app" and "token_hash" not in token
    body = response.get_data().decode("utf-8", "replace")  # the zip's JSON is stored as is
    assert "f" * 64 not in body, "no invitation secret"
    assert "Bea Client" not in body


def test_a_client_login_with_no_record_can_still_download_its_data(app: Flask) -> None:
    loner = make_user("client", "loner@clients.test", "Lone Client")
    db.session.commit()

    document = document_of(visit(app, loner, "/me/export").get_data())

    assert document["client"] is None
    assert document["login"]["email"] == "loner@clients.test"


def test_the_export_service_refuses_anyone_but_the_client_and_their_practitioner(
    app: Flask, personas: Personas
) -> None:
    now = datetime.now(UTC)
    for stranger in (personas.practitioner_q, personas.client_b, personas.admin):
        with pytest.raises(Forbidden):
            exports.export_client(stranger, personas.record_a, now=now)
        with pytest.raises(Forbidden):
            exports.erase_client(stranger, personas.record_a, now=now, folders=folders(app))
    assert db.session.get(Client, personas.record_a.id) is not None


# --- erasure by the practitioner ------------------------------------------------------------


@pytest.mark.parametrize("typed", ["", "Ada", "Bea Client", "Ada Client!"])
def test_erasing_a_client_needs_their_name_and_a_wrong_one_erases_nothing(
    app: Flask, personas: Personas, typed: str
) -> None:
    ids = give_a_full_history(app, personas)
    before = count_rows()

    response = visit(
        app,
        personas.practitioner_p,
        f"/clients/{ids['record_id']}/erase",
        method="POST",
        data={"confirm_name": typed},
    )

    assert response.status_code == 422
    assert "Nothing was erased" in page_text(response) or "Type the client" in page_text(response)
    assert count_rows() == before
    assert ids["photo"].exists()


HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),  # control characters
    st.just("x" * 10_000),
    st.just("Ada Client\x00"),
    st.just("<script>alert(1)</script>"),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=HOSTILE_TEXT)
def test_no_hostile_confirmation_erases_a_client_or_breaks_the_page(
    app: Flask, personas: Personas, typed: str
) -> None:
    before = count_rows()

    response = visit(
        app,
        personas.practitioner_p,
        f"/clients/{personas.record_a.id}/erase",
        method="POST",
        data={"confirm_name": typed},
    )

    if " ".join(typed.split()).casefold() == "ada client":  # the one right answer
        return
    assert response.status_code == 422
    assert count_rows() == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=HOSTILE_TEXT)
def test_no_hostile_password_erases_an_account_or_breaks_the_page(
    app: Flask, personas: Personas, password: str
) -> None:
    before = count_rows()

    response = visit(
        app, personas.client_a, "/me/erase", method="POST", data={"password": password}
    )

    assert response.status_code == 422
    assert count_rows() == before


def test_the_erase_page_says_what_will_go_and_offers_the_download_first(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_full_history(app, personas)

    text = page_text(visit(app, personas.practitioner_p, f"/clients/{ids['record_id']}/erase"))

    assert "Erase Ada Client" in text
    assert "2 treatment sessions" in text and "1 sun log entry" in text
    assert "Download everything about Ada Client" in text


def test_the_practitioner_erases_a_client_with_their_files_and_keeps_an_anonymous_audit_line(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_full_history(app, personas)
    b_sessions = db.session.scalar(
        sa.select(sa.func.count(TreatmentSession.id)).where(
            TreatmentSession.client_id == personas.record_b.id
        )
    )

    response = visit(
        app,
        personas.practitioner_p,
        f"/clients/{ids['record_id']}/erase",
        method="POST",
        data={"confirm_name": "  ada   CLIENT "},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/clients/")
    db.session.expire_all()
    assert db.session.get(Client, ids["record_id"]) is None
    for model in (
        TreatmentSession,
        SunExposure,
        FadeAssessment,
        Reminder,
        ReminderPreference,
        Invitation,
    ):
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(model)
                .where(model.client_id == ids["record_id"])
            )
            == 0
        ), model.__name__
    assert not ids["photo"].exists()
    assert not ids["photo"].parent.exists(), "the emptied folder goes too"
    assert ids["b_photo"].exists()
    assert (
        db.session.scalar(
            sa.select(sa.func.count(TreatmentSession.id)).where(
                TreatmentSession.client_id == personas.record_b.id
            )
        )
        == b_sessions
    )
    # The lot stays in the catalogue; the client's own login stays, with no record.
    assert db.session.get(PigmentLot, ids["lot_id"]) is not None
    assert db.session.get(User, ids["user_id"]) is not None
    erase_line = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "erase"))
    assert erase_line.client_id is None
    assert erase_line.actor_id == personas.practitioner_p.id
    client_lines = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "sun_exposure")
    ).all()
    assert client_lines and all(
        line.client_id is None and line.actor_id is None and line.remote_addr is None
        for line in client_lines
    ), "lines the client wrote keep neither their login nor their address"
    assert visit(app, personas.practitioner_p, f"/clients/{ids['record_id']}").status_code == 404
    assert "Ada Client" not in page_text(visit(app, personas.practitioner_p, "/clients/"))


def test_erasure_never_deletes_a_file_outside_the_upload_folder(
    app: Flask, personas: Personas, tmp_path: Path
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    for name in (str(outside), "../../precious.txt", "photos/../../precious.txt"):
        db.session.add(
            Photo(
                client_id=personas.record_a.id,
                taken_on=date(2025, 1, 1),
                stored_name=name,
                thumb_name=name + ".thumb",
                width=1,
                height=1,
                size_bytes=1,
                content_type="image/jpeg",
            )
        )
    db.session.commit()

    exports.erase_client(
        personas.practitioner_p, personas.record_a, now=datetime.now(UTC), folders=folders(app)
    )
    db.session.commit()

    assert outside.read_text() == "keep me"
    assert db.session.get(Client, personas.record_a.id) is None


# --- erasure by the client ------------------------------------------------------------------


def test_a_wrong_password_erases_nothing_and_says_so(app: Flask, personas: Personas) -> None:
    ids = give_a_full_history(app, personas)
    before = count_rows()

    response = visit(
        app, personas.client_a, "/me/erase", method="POST", data={"password": "not my password"}
    )

    assert response.status_code == 422
    assert "That is not your password. Nothing was erased." in page_text(response)
    assert count_rows() == before
    assert ids["photo"].exists()


def test_the_erase_page_says_the_practice_keeps_its_treatment_record_until_a_date(
    app: Flask, personas: Personas
) -> None:
    # Issue 13: the client's own erasure no longer takes the practice's record with it.
    give_a_full_history(app, personas)

    text = page_text(visit(app, personas.client_a, "/me/erase"))

    # P's session of 1 April 2025 plus the default three years; A's own session is not counted.
    assert "keeps until 1 April 2028" in text
    assert "the 1 treatment session they recorded" in text
    assert "Your practitioner's record of your treatment" not in text.replace("&#39;", "'")


def test_export_erase_export_again_leaves_nothing_of_the_client_anywhere(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_full_history(app, personas)
    words = ("Ada Client", "a@clients.test", MARKER)
    before = traces_of(app, ids["record_id"], ids["user_id"], words)
    assert any(t.startswith("photos.client_id") for t in before) and ids["photo"].exists()
    assert any(t.startswith("file ") and "mail" in t for t in before)
    assert any(t.startswith("treatment_sessions.") for t in before)
    assert any(t.startswith("api_tokens.") for t in before)

    exported = document_of(visit(app, personas.client_a, "/me/export").get_data())
    with app.app_context():  # one browser: its cookie, kept after the erasure, is worth nothing
        own_browser = log_in(app.test_client(), personas.client_a)
    with app.app_context():
        erased = own_browser.post("/me/erase", data={"password": PASSWORD})
    with app.app_context():
        again_own = own_browser.get("/me/export")
    kept = visit(app, personas.practitioner_p, f"/clients/{ids['record_id']}/export")
    # Issue 13: the practice's record waits for its retention period, then the sweep erases it.
    after_retention = datetime(2028, 4, 1, 12, tzinfo=UTC)
    with app.app_context():
        swept = erase_due_records(app, after_retention)
    again_practice = visit(app, personas.practitioner_p, f"/clients/{ids['record_id']}/export")

    assert exported["client"]["notes"] == f"Notes {MARKER}"
    assert erased.status_code == 302
    assert again_own.status_code == 302 and "/auth/login" in again_own.headers["Location"]
    assert kept.status_code == 200 and swept == 1
    assert again_practice.status_code == 404
    assert traces_of(app, ids["record_id"], ids["user_id"], words) == []
    erase_line = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "erase"))
    assert (erase_line.actor_id, erase_line.client_id, erase_line.remote_addr) == (None, None, None)
    # Client B and practitioner P are untouched.
    assert traces_of(app, personas.record_b.id, personas.client_b.id, ("Bea Client",))
    assert ids["b_photo"].exists()
    assert db.session.get(User, personas.practitioner_p.id) is not None


def test_an_erased_client_can_no_longer_log_in_or_use_their_api_token(
    app: Flask, personas: Personas
) -> None:
    issued = accounts.issue_api_token(
        personas.client_a, "cli", datetime.now(UTC), timedelta(days=30)
    )
    db.session.commit()

    visit(app, personas.client_a, "/me/erase", method="POST", data={"password": PASSWORD})

    login = visit(
        app,
        None,
        "/auth/login",
        method="POST",
        data={"email": "a@clients.test", "password": PASSWORD},
    )
    assert login.status_code != 302, "no account to log in to"
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    assert accounts.user_for_api_token(issued.secret, datetime.now(UTC)) is None
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {issued.secret}"})
    assert api.status_code == 401


def test_erasing_an_account_is_only_for_clients(app: Flask, personas: Personas) -> None:
    with pytest.raises(Forbidden):
        erasure.request_own_erasure(
            personas.practitioner_p, PASSWORD, now=datetime.now(UTC), folders=folders(app)
        )
    with pytest.raises(ValidationFailed) as refused:
        erasure.request_own_erasure(
            personas.client_a, "wrong", now=datetime.now(UTC), folders=folders(app)
        )
    assert "password" in refused.value.fields
    assert db.session.get(User, personas.client_a.id) is not None


def test_a_self_recorded_client_erases_their_sessions_too(app: Flask) -> None:
    solo = make_user("client", "solo@clients.test", "Solo Client")
    record = Client(user_id=solo.id, display_name="Solo Client", email=solo.email)
    db.session.add(record)
    db.session.flush()
    add_session(record, solo, date(2024, 3, 3), notes="my own clinic abroad")
    db.session.commit()
    record_id, solo_id = record.id, solo.id

    response = visit(app, solo, "/me/erase", method="POST", data={"password": PASSWORD})

    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Placement.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Client.id))) == 0
    assert traces_of(app, record_id, solo_id, ("solo@clients.test", "my own clinic")) == []


def test_the_export_holds_the_clients_appointments_and_not_another_clients(
    app: Flask, personas: Personas
) -> None:
    from smptrack.models import Appointment

    start = datetime(2027, 1, 12, 10, tzinfo=UTC)
    for record, uid in ((personas.record_a, "uid-a"), (personas.record_b, "uid-b")):
        db.session.add(
            Appointment(
                uid=uid,
                practice_id=record.practice_id,
                client_id=record.id,
                practitioner_id=record.practitioner_id,
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                time_zone="Europe/London",
                kind="initial",
                note="Prefers mornings",
            )
        )
    db.session.commit()

    document = exports.export_client(
        personas.practitioner_p, personas.record_a, now=datetime.now(UTC)
    )

    [appointment] = document["appointments"]
    assert (appointment["uid"], appointment["note"]) == ("uid-a", "Prefers mornings")
    assert appointment["starts_at"].startswith("2027-01-12T10:00")
