"""A client's erasure request respects the practice's duty to keep the treatment record (issue
13 item 9): the login, the client's own data and contact details go at once; sessions,
placements, lots and consents stay until the practice's retention period (counted from the last
treatment) ends, and a sweep then erases them by the practitioner's path, once, however many
sweeps run.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack import mail
from smptrack.extensions import db
from smptrack.models import (
    ApiToken,
    Appointment,
    AuditEvent,
    CalendarFeed,
    Client,
    Consent,
    FadeAssessment,
    LoginSession,
    Photo,
    Placement,
    PracticeSettings,
    Reminder,
    ReminderPreference,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.sending.retention_sweep import erase_due_records
from smptrack.sending.sender import Sender
from smptrack.services import accounts, consents, erasure, exports, photos
from smptrack.services.errors import Forbidden, ValidationFailed
from smptrack.services.reminders import plan_reminders
from tests import photo_corpus
from tests.conftest import (
    PASSWORD,
    OwnContextClient,
    Personas,
    log_in,
    make_client,
    make_user,
    sent_messages,
)
from tests.test_erasure_traces import rows_naming
from tests.test_history import add_assessment, add_exposure, add_session, make_lot, page_text

REQUESTED = datetime(2026, 6, 1, 10, tzinfo=UTC)
TREATED_ON = date(2025, 4, 1)  # P's last session for client A: kept until 1 April 2028


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def folders(app: Flask) -> exports.Folders:
    uploads = Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")
    return exports.Folders(uploads=uploads, mail=Path(app.config["MAIL_FOLDER"]))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def give_a_history(app: Flask, personas: Personas) -> dict:
    """Client A with a treatment record (P's session with a lot, a signed consent) and data of
    their own (a session they logged, sun, ratings, a photo, reminders, a feed, a token)."""
    p, a, record = personas.practitioner_p, personas.client_a, personas.record_a
    lot = make_lot(p, "Dark Ash", "DA-1")
    kept = add_session(record, p, TREATED_ON, zones=("crown", "mid_scalp"), lots=(lot,))
    own = add_session(record, a, date(2024, 1, 5), notes="my own clinic")
    add_exposure(record, date(2025, 6, 1), minutes=120, uv_index=7)
    add_assessment(record, date(2025, 5, 1), by=p)
    photo = photos.store_photo(
        record,
        zone="crown",
        taken_on=date(2025, 5, 1),
        data=photo_corpus.jpeg(),
        uploaded_by=a,
        now=REQUESTED,
    )
    template = consents.publish_template(p, title="Consent", body="I consent.", now=REQUESTED)
    consents.sign_from_account(
        a,
        record,
        typed_name="Ada Client",
        agreed=True,
        template_id=template.id,
        remote_addr="198.51.100.7",
        now=REQUESTED - timedelta(days=400),
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
            CalendarFeed(
                practice_id=p.practice_id, scope="client", client_id=record.id, key_hash="c" * 64
            ),
            Appointment(
                practice_id=p.practice_id,
                client_id=record.id,
                practitioner_id=p.id,
                starts_at=datetime(2026, 9, 1, 10, tzinfo=UTC),
                ends_at=datetime(2026, 9, 1, 12, tzinfo=UTC),
                kind="touch_up",
                status="booked",
                uid="erasure-test-appointment@smptrack.test",
                time_zone="Europe/London",
            ),
        ]
    )
    accounts.issue_api_token(a, "phone", REQUESTED, timedelta(days=30))
    mail.deliver(
        mail.compose(
            sender="smptrack <no-reply@localhost>",
            to=a.email,
            subject="Your touch-up",
            text="Hello Ada",
            html="<p>Hello Ada</p>",
        ),
        app.config,
    )
    db.session.commit()
    return {
        "record_id": record.id,
        "user_id": a.id,
        "kept_session": kept.id,
        "own_session": own.id,
        "photo": folders(app).uploads / photo.stored_name,
        "lot_id": lot.id,
    }


def request(app: Flask, personas: Personas, now: datetime = REQUESTED) -> erasure.OwnErasure:
    done = erasure.request_own_erasure(personas.client_a, PASSWORD, now=now, folders=folders(app))
    db.session.commit()
    exports.finish_erasure(done.erasure)
    return done


# --- what goes at once, what stays ------------------------------------------------------------


def test_the_request_erases_the_login_and_own_data_at_once_and_keeps_the_treatment_record(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_history(app, personas)
    log_in(app.test_client(), personas.client_a)
    record_id, user_id = ids["record_id"], ids["user_id"]
    assert count(LoginSession, LoginSession.user_id == user_id) == 1

    response = log_in(app.test_client(), personas.client_a).post(
        "/me/erase", data={"password": PASSWORD}
    )

    assert response.status_code == 302
    db.session.expire_all()
    # Gone now: the login and everything hanging from it, the client's own data, contact.
    assert db.session.get(User, user_id) is None
    for model, column in (
        (ApiToken, ApiToken.user_id),
        (LoginSession, LoginSession.user_id),
    ):
        assert count(model, column == user_id) == 0, model.__name__
    for model in (
        SunExposure,
        FadeAssessment,
        Photo,
        Reminder,
        ReminderPreference,
        CalendarFeed,
        Appointment,
    ):
        assert count(model, model.client_id == record_id) == 0, model.__name__
    assert db.session.get(TreatmentSession, ids["own_session"]) is None
    assert not ids["photo"].exists()
    assert list(Path(app.config["MAIL_FOLDER"]).glob("*.eml")) == []
    # Kept: the practice's session with its placements and lot, the consent, the name.
    record = db.session.get(Client, record_id)
    assert record is not None and record.display_name == "Ada Client"
    assert (record.email, record.user_id) == (None, None)
    assert record.erasure_requested_at is not None
    # Nothing derived from the erased sun log and ratings, and the due list no longer has them.
    assert (record.next_touch_up_on, record.touch_up_due_now) == (None, False)
    assert rows_naming(("a@clients.test",)) == []
    kept = db.session.get(TreatmentSession, ids["kept_session"])
    assert kept is not None
    assert {p.pigment_lot_id for p in kept.placements} == {ids["lot_id"]}
    assert count(Placement, Placement.session_id == kept.id) == 2
    assert count(Consent, Consent.client_id == record_id) == 1
    line = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.object_type == "erasure_request")
    )
    assert (line.action, line.actor_id, line.client_id) == ("update", None, record_id)
    assert count(AuditEvent, AuditEvent.actor_id == user_id) == 0


def test_a_record_with_nothing_to_keep_goes_at_once(app: Flask, personas: Personas) -> None:
    # A's only session is their own: the practice holds no treatment record of them.
    record_id = personas.record_a.id
    add_session(personas.record_a, personas.client_a, date(2025, 1, 5))
    db.session.commit()

    done = request(app, personas)

    assert done.kept_until is None
    assert db.session.get(Client, record_id) is None


def test_a_record_whose_retention_has_already_ended_goes_at_once(
    app: Flask, personas: Personas
) -> None:
    record_id = personas.record_a.id
    add_session(personas.record_a, personas.practitioner_p, date(2020, 1, 5))
    db.session.commit()

    done = request(app, personas)  # 2026: three years after 2020 are over

    assert done.kept_until is None
    assert db.session.get(Client, record_id) is None
    assert count(AuditEvent, AuditEvent.action == "erase") == 1


def test_nothing_is_mailed_to_a_client_after_their_request(app: Flask, personas: Personas) -> None:
    app.config["REMINDER_RESPECT_WAKING_HOURS"] = False
    ids = give_a_history(app, personas)
    # The control: B's reminder is sent by the same sweeps, so the sender does work.
    db.session.add(
        Reminder(
            client_id=personas.record_b.id,
            recipient_email=personas.client_b.email,
            kind="self_check",
            due_at=REQUESTED,
            dedupe_key=f"test:{personas.record_b.id}:self_check",
            payload={"details": {}},
        )
    )
    db.session.commit()
    request(app, personas)
    record = db.session.get(Client, ids["record_id"])

    # The planner and the sender run as they would over the following years.
    for years in (0, 1, 2):
        later = REQUESTED + timedelta(days=365 * years)
        plan_reminders(record, later)
        db.session.commit()
        Sender(app).send_due(lambda later=later: later + timedelta(days=400))

    assert count(Reminder, Reminder.client_id == ids["record_id"]) == 0
    recipients = [str(m["To"]) for m in sent_messages(app)]
    assert any("b@clients.test" in to for to in recipients), recipients
    assert not any("a@clients.test" in to for to in recipients), recipients


# --- the page before confirming -----------------------------------------------------------------


def test_the_page_names_what_goes_and_the_date_the_practice_keeps_the_record_until(
    app: Flask, personas: Personas
) -> None:
    give_a_history(app, personas)
    db.session.add(PracticeSettings(practice_id=personas.practitioner_p.practice_id))
    db.session.flush()
    erasure.set_retention_years(personas.practitioner_p, 5)
    db.session.commit()

    text = page_text(log_in(app.test_client(), personas.client_a).get("/me/erase"))

    assert "What goes now" in text
    assert "keeps until 1 April 2030" in text  # the last treatment plus the practice's 5 years
    assert "the 1 treatment session they recorded" in text
    assert "your 1 signed consent" in text
    assert "smptrack sends you nothing more" in text
    assert "Ask Pat Practitioner" in text and "p@practice-p.test" in text


def test_the_page_says_everything_goes_when_the_practice_keeps_nothing(
    app: Flask, personas: Personas
) -> None:
    text = page_text(log_in(app.test_client(), personas.client_a).get("/me/erase"))

    assert "What goes now" not in text and "keeps until" not in text
    assert "It removes your login, your API tokens and your record" in text


# --- the practitioner sees the request --------------------------------------------------------


def test_the_practitioner_sees_the_request_in_the_list_and_on_the_client_page(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_history(app, personas)
    request(app, personas)

    listed = page_text(
        log_in(app.test_client(), personas.practitioner_p).get("/practice/erasure-requests")
    )
    other = page_text(
        log_in(app.test_client(), personas.practitioner_q).get("/practice/erasure-requests")
    )
    shown = page_text(
        log_in(app.test_client(), personas.practitioner_p).get(f"/clients/{ids['record_id']}")
    )

    assert "Ada Client" in listed and "1 June 2026" in listed and "1 April 2028" in listed
    assert "Ada Client" not in other and "No client has asked for erasure" in other
    assert "asked for their data to be erased on 1 June 2026" in shown
    assert "until 1 April 2028" in shown


def test_the_practitioner_may_still_erase_a_requested_record_at_once(
    app: Flask, personas: Personas
) -> None:
    ids = give_a_history(app, personas)
    request(app, personas)

    done = log_in(app.test_client(), personas.practitioner_p).post(
        f"/clients/{ids['record_id']}/erase", data={"confirm_name": "Ada Client"}
    )

    assert done.status_code == 302
    assert db.session.get(Client, ids["record_id"]) is None
    assert count(TreatmentSession) == 0


# --- the sweep --------------------------------------------------------------------------------


def requested_client(p: User, name: str, treated_on: date, *, asked: bool = True) -> int:
    """A record of P's whose client asked for erasure (as the request leaves it)."""
    record = make_client(p, name, email=None)
    add_session(record, p, treated_on)
    if asked:
        record.erasure_requested_at = REQUESTED
    db.session.commit()
    return record.id


def test_the_sweep_erases_only_records_whose_retention_ended_and_only_once(
    app: Flask, personas: Personas
) -> None:
    p = personas.practitioner_p
    due = requested_client(p, "Due Client", date(2023, 5, 1))  # kept until 1 May 2026
    not_yet = requested_client(p, "Later Client", date(2024, 5, 1))  # until 1 May 2027
    never_asked = requested_client(p, "Kept Client", date(2015, 5, 1), asked=False)
    now = datetime(2026, 7, 1, 3, tzinfo=UTC)

    first = erase_due_records(app, now)
    second = erase_due_records(app, now)

    assert (first, second) == (1, 0)
    assert db.session.get(Client, due) is None
    assert db.session.get(Client, not_yet) is not None
    assert db.session.get(Client, never_asked) is not None
    lines = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "erase")).all()
    assert [(e.object_id, e.actor_id, e.client_id) for e in lines] == [(due, None, None)]
    assert erase_due_records(app, datetime(2027, 5, 1, 3, tzinfo=UTC)) == 1
    assert db.session.get(Client, not_yet) is None


def test_a_sweep_that_finds_a_record_another_sweep_erased_skips_it(
    app: Flask, personas: Personas
) -> None:
    due = requested_client(personas.practitioner_p, "Due Client", date(2020, 5, 1))
    now = datetime(2026, 7, 1, 3, tzinfo=UTC)
    found = erasure.due_record_ids(now.date())

    assert found == [due]
    assert erase_due_records(app, now) == 1  # the other sweep, between our read and our claim
    assert erasure.erase_one_due(due, now=now, folders=folders(app)) is False
    assert count(AuditEvent, AuditEvent.action == "erase") == 1


def test_a_lengthened_retention_is_honoured_by_a_sweep_already_under_way(
    app: Flask, personas: Personas
) -> None:
    p = personas.practitioner_p
    due = requested_client(p, "Due Client", date(2023, 5, 1))
    now = datetime(2026, 7, 1, 3, tzinfo=UTC)
    assert erasure.due_record_ids(now.date()) == [due]
    erasure.set_retention_years(p, 10)
    db.session.commit()

    assert erasure.erase_one_due(due, now=now, folders=folders(app)) is False
    assert db.session.get(Client, due) is not None


def test_two_sweeps_at_once_erase_each_record_once(app: Flask, personas: Personas) -> None:
    p = personas.practitioner_p
    ids = [requested_client(p, f"Due Client {n}", date(2020, 5, n + 1)) for n in range(4)]
    now = datetime(2026, 7, 1, 3, tzinfo=UTC)
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                results.append(erase_due_records(app, now))
            except BaseException as exc:  # reported below: a crash is what the test is about
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(results) == len(ids)
    assert count(Client, Client.id.in_(ids)) == 0
    lines = db.session.scalars(sa.select(AuditEvent.object_id).where(AuditEvent.action == "erase"))
    assert sorted(lines) == sorted(ids)


def test_the_cli_command_runs_the_sweep(app: Flask, personas: Personas) -> None:
    due = requested_client(personas.practitioner_p, "Due Client", date(2020, 5, 1))

    result = app.test_cli_runner().invoke(args=["privacy", "erase-due"])

    assert result.exit_code == 0, result.output
    assert "Erased 1 record whose retention had ended." in result.output
    assert db.session.get(Client, due) is None


def test_the_scheduler_runs_the_sweep_among_its_fixed_jobs(app: Flask) -> None:
    from smptrack.sending.scheduler import add_sweeps

    class Jobs:
        def __init__(self) -> None:
            self.ids: list[str] = []

        def add_job(self, func, trigger, **options) -> None:
            self.ids.append(options["id"])

    jobs = Jobs()
    add_sweeps(jobs, app, threading.Event())

    assert "erase_retained" in jobs.ids


# --- the practice setting -----------------------------------------------------------------------


@pytest.mark.parametrize("years", [0, 26, -3, 2.5, "3", True, None])
def test_the_retention_setting_refuses_anything_but_whole_years_in_range(
    app: Flask, personas: Personas, years: object
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        erasure.set_retention_years(personas.practitioner_p, years)
    assert "years" in refused.value.fields
    db.session.rollback()
    assert count(PracticeSettings, PracticeSettings.treatment_record_retention_years != 3) == 0


def test_only_the_owner_sets_the_retention_period(app: Flask, personas: Personas) -> None:
    with pytest.raises(Forbidden):
        erasure.set_retention_years(personas.colleague_p, 5)
    erasure.set_retention_years(personas.practitioner_p, 5)
    db.session.commit()

    assert erasure.retention_years_of(personas.practitioner_p.practice_id) == 5
    assert erasure.retention_years_of(personas.practitioner_q.practice_id) == 3


def test_the_retention_form_rerenders_a_bad_value_and_saves_a_good_one(
    app: Flask, personas: Personas
) -> None:
    browser = log_in(app.test_client(), personas.practitioner_p)
    practice_id = personas.practitioner_p.practice_id

    bad = browser.post("/practice/erasure-requests/retention", data={"years": "30"})
    assert bad.status_code == 422
    assert "Enter a whole number of years from 1 to 25." in page_text(bad)
    assert "for 3 years after their last treatment" in page_text(bad)  # the stored period
    assert erasure.retention_years_of(practice_id) == 3

    good = browser.post("/practice/erasure-requests/retention", data={"years": "7"})
    assert good.status_code == 302
    db.session.expire_all()
    assert erasure.retention_years_of(practice_id) == 7


def test_a_made_up_user_with_no_record_erases_just_the_login(app: Flask) -> None:
    solo = make_user("client", "solo@clients.test", "Solo Client")
    db.session.commit()

    done = erasure.request_own_erasure(solo, PASSWORD, now=REQUESTED, folders=folders(app))
    db.session.commit()

    assert done.kept_until is None
    assert count(User, User.email == "solo@clients.test") == 0


def test_the_practice_page_links_practitioners_to_the_requests(
    app: Flask, personas: Personas
) -> None:
    owner = log_in(app.test_client(), personas.practitioner_p).get("/practice")
    desk = log_in(app.test_client(), personas.front_desk_p).get("/practice")

    assert 'href="/practice/erasure-requests"' in owner.get_data(as_text=True)
    assert desk.status_code == 200
    assert "/practice/erasure-requests" not in desk.get_data(as_text=True)


def test_a_requested_record_is_never_planned_for_nor_invited_again(
    app: Flask, personas: Personas
) -> None:
    from smptrack.services.errors import Conflict

    ids = give_a_history(app, personas)
    request(app, personas)
    record = db.session.get(Client, ids["record_id"])
    record.email = "ada.again@clients.test"  # typed back in by mistake

    planned = plan_reminders(record, REQUESTED + timedelta(days=30))
    with pytest.raises(Conflict):
        accounts.invite_client(
            record,
            "ada.again@clients.test",
            personas.practitioner_p,
            "secret",
            REQUESTED,
            timedelta(days=7),
        )

    assert planned.created == 0
    assert count(Reminder, Reminder.client_id == record.id) == 0


def test_a_requested_record_is_not_projected_again_when_the_practice_changes_its_threshold(
    app: Flask, personas: Personas
) -> None:
    import dataclasses

    from smptrack.services import practice_settings

    ids = give_a_history(app, personas)
    request(app, personas)
    p = personas.practitioner_p
    current = practice_settings.practice_input_of(p)

    _, replanned = practice_settings.update_practice_settings(
        p, dataclasses.replace(current, touch_up_threshold_pct=60), now=REQUESTED
    )
    db.session.commit()

    assert replanned == 0  # A's is P's only record, and it is kept only for the duty
    assert db.session.get(Client, ids["record_id"]).next_touch_up_on is None
