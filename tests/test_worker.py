"""The reminder sender, one step at a time, against a real SMTP server (aiosmtpd on 127.0.0.1).

Time is a parameter: each sweep is given its clock, so a test can walk through days, backoff
delays and daylight-saving changes without waiting for them. The SMTP server is real.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import (
    Client,
    PracticeSettings,
    Reminder,
    ReminderPreference,
    SchedulerHeartbeat,
)
from smptrack.sending.sender import Sender, SweepResult
from smptrack.services.heartbeats import HEARTBEAT_SEND
from tests.conftest import SENDING_BACKOFF, Personas, log_in, make_client
from tests.smtp_server import SmtpServer, free_port
from tests.test_reminders_planning import record_session

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday; 10:00 in London
BACKOFF = SENDING_BACKOFF  # seconds: attempts 2, 3 and 4; then the reminder fails


def sweep(app: Flask, at: datetime, sender: Sender | None = None) -> SweepResult:
    sender = sender or Sender(app)
    return sender.send_due(lambda: at)


def add_due(client: Client, count: int, due: datetime = NOW, prefix: str = "test") -> list[int]:
    rows = [
        Reminder(
            client_id=client.id,
            recipient_email=client.email,
            kind="touch_up",
            due_at=due,
            dedupe_key=f"{prefix}:{client.id}:{n}",
            payload={"details": {"most_likely_on": "2027-05-01", "due_now": False}},
        )
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def fresh(reminder_id: int) -> Reminder:
    db.session.expire_all()
    return db.session.get(Reminder, reminder_id)


def by_step(client: Client) -> dict[str, Reminder]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.client_id == client.id))
    return {f"{r.kind}:{r.dedupe_key.rsplit(':', 1)[1]}": r for r in rows}


# --- A recorded session, end to end -----------------------------------------------------------


def test_a_recorded_session_reaches_the_client_at_its_local_times_with_every_header(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    client = personas.record_a
    client.display_name = "Zoë Ádám"
    db.session.commit()
    record_session(client, date(2026, 3, 2), zones=("crown", "frontal_hairline"))

    sweep(sending, NOW)
    assert [str(m["Subject"]) for m in smtp.messages()] == ["Aftercare after your session"]
    sweep(sending, datetime(2026, 3, 6, 8, 59, tzinfo=UTC))
    assert smtp.count() == 1, "nothing before 09:00 local"
    for moment in (
        datetime(2026, 3, 6, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
    ):
        result = sweep(sending, moment)
        assert result.sent == 1, moment
    messages = smtp.messages()
    assert [str(m["Subject"]) for m in messages] == [
        "Aftercare after your session",
        "Aftercare: day 4",
        "Aftercare: day 7",
        "Your next session is due around Thursday 12 March 2026",
    ]
    steps = by_step(client)
    sent_rows = [
        steps["aftercare:day-0"],
        steps["aftercare:day-4"],
        steps["aftercare:day-7"],
        steps["next_session:session-2"],
    ]
    assert [r.status for r in sent_rows] == ["sent"] * 4
    assert [m["Message-ID"] for m in messages] == [r.message_id for r in sent_rows]
    assert len({m["Message-ID"] for m in messages}) == 4
    for message, row in zip(messages, sent_rows, strict=True):
        assert message["Date"].datetime == row.sent_at
        assert message["To"].addresses[0].display_name == "Zoë Ádám"
        unsubscribe = str(message["List-Unsubscribe"])
        assert re.fullmatch(r"<https://smptrack\.test/reminders/unsubscribe/[\w.-]+>", unsubscribe)
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
        text = (
            message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
        )
        assert "Zoë Ádám" in text
        # Say no more about the treatment than the client needs: no zones, pigments or notes.
        for private in ("crown", "hairline", "pigment", "carbon", "Crown"):
            assert private not in text
    aftercare_attachments = [list(m.iter_attachments()) for m in messages[:3]]
    assert aftercare_attachments == [[], [], []], "aftercare announces no dated event"
    (ics,) = list(messages[3].iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    (event,) = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == date(2026, 3, 12)


def test_the_one_click_post_unsubscribes_without_login_and_the_get_changes_nothing(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    client = personas.record_a
    record_session(client, date(2026, 3, 2))
    sweep(sending, NOW)
    (message,) = smtp.messages()
    path = urlsplit(str(message["List-Unsubscribe"]).strip("<>")).path
    sending.config["WTF_CSRF_ENABLED"] = True  # as in production: the POST needs no form token
    browser = sending.test_client()

    page = browser.get(path)
    assert page.status_code == 200 and "Aftercare" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ReminderPreference.id))) == 0
    assert by_step(client)["aftercare:day-4"].status == "pending"

    done = browser.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    preference = db.session.scalar(sa.select(ReminderPreference))
    assert preference.aftercare is False and preference.next_session is True
    steps = by_step(client)
    assert steps["aftercare:day-4"].status == steps["aftercare:day-7"].status == "cancelled"

    for moment in (datetime(2026, 3, 6, 9, tzinfo=UTC), datetime(2026, 3, 10, 9, tzinfo=UTC)):
        sweep(sending, moment)
    later = [str(m["Subject"]) for m in smtp.messages()[1:]]
    assert later == ["Your next session is due around Thursday 12 March 2026"]


def test_a_forged_unsubscribe_link_changes_nothing(sending: Flask, personas: Personas):
    response = sending.test_client().post("/reminders/unsubscribe/WzEsImFsbCJd.forged")
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ReminderPreference.id))) == 0


def test_a_reminder_whose_kind_was_turned_off_after_planning_is_cancelled_not_sent(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    (reminder_id,) = add_due(personas.record_a, 1)
    db.session.add(ReminderPreference(client_id=personas.record_a.id, touch_up=False))
    db.session.commit()
    result = sweep(sending, NOW)
    assert result.cancelled == 1 and smtp.count() == 0
    assert fresh(reminder_id).status == "cancelled"


# --- Temporary and permanent failures ---------------------------------------------------------


def test_with_the_server_down_then_up_each_reminder_is_delivered_once_on_the_backoff_table(
    sending: Flask, personas: Personas
):
    port = free_port()
    server = SmtpServer(port)  # not started: connections are refused
    sending.config.update(server.config())
    ids = add_due(personas.record_a, 5)
    sender = Sender(sending)
    attempts_at: list[tuple[int, datetime]] = []

    for offset in (0, 59, 60, 179):
        at = NOW + timedelta(seconds=offset)
        result = sender.send_due(lambda at=at: at)
        if result.outcomes:
            assert result.retried == 5
            attempts_at.append((fresh(ids[0]).attempts, at))
        else:
            assert offset in (59, 179), f"nothing may be tried at +{offset}s"
    assert [(n, (at - NOW).total_seconds()) for n, at in attempts_at] == [(1, 0), (2, 60)]
    row = fresh(ids[0])
    assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(seconds=180)
    assert "Attempt 2/4" in row.last_error and "refused" in row.last_error

    server.start()
    try:
        result = sender.send_due(lambda: NOW + timedelta(seconds=180))
        assert result.sent == 5
        sender.send_due(lambda: NOW + timedelta(days=1))  # nothing left to send
        assert server.count() == 5
        assert len(set(server.message_ids())) == 5
        assert {fresh(i).attempts for i in ids} == {3}
        assert {fresh(i).status for i in ids} == {"sent"}
    finally:
        server.stop()


def test_451_twice_then_250_is_delivered_on_the_third_attempt(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    (reminder_id,) = add_due(personas.record_a, 1)
    smtp.behaviour.data_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    sender = Sender(sending)
    for offset, expected in ((0, "retry"), (60, "retry"), (180, "sent")):
        result = sender.send_due(lambda offset=offset: NOW + timedelta(seconds=offset))
        assert [o.status for o in result.outcomes] == [expected]
    row = fresh(reminder_id)
    assert (row.status, row.attempts) == ("sent", 3)
    assert smtp.refusals == ["451 4.3.0 Try again later"] * 2
    assert smtp.count() == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_550_fails_with_the_code_and_is_never_retried_even_after_a_restart(
    sending: Flask, smtp: SmtpServer, personas: Personas, stage: str
):
    (reminder_id,) = add_due(personas.record_a, 1)
    refusal = "550 5.1.1 Mailbox does not exist"
    getattr(smtp.behaviour, f"refuse_{stage}")["a@clients.test"] = refusal
    assert sweep(sending, NOW).failed == 1
    row = fresh(reminder_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error and "Mailbox does not exist" in row.last_error

    restarted = Sender(sending)  # a new process: reaps, then sweeps, days later
    restarted.reap(NOW + timedelta(days=3))
    assert restarted.send_due(lambda: NOW + timedelta(days=3)).outcomes == []
    assert fresh(reminder_id).status == "failed"
    assert smtp.refusals == [refusal] and smtp.count() == 0

    page = log_in(sending.test_client(), personas.practitioner_p).get(
        f"/clients/{personas.record_a.id}/reminders"
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "could not be delivered" in body and "550 5.1.1 Mailbox does not exist" in body


def test_temporary_failures_give_up_after_the_last_entry_of_the_table(
    sending: Flask, personas: Personas
):
    server = SmtpServer(free_port())  # never started
    sending.config.update(server.config())
    (reminder_id,) = add_due(personas.record_a, 1)
    sender = Sender(sending)
    moment = NOW
    for delay in [*BACKOFF, None]:
        sender.send_due(lambda moment=moment: moment)
        if delay is not None:
            moment += timedelta(seconds=delay)
    row = fresh(reminder_id)
    assert (row.status, row.attempts) == ("failed", 4)
    assert row.last_error.startswith("Gave up after 4 attempts")


def test_a_retry_that_falls_due_at_night_waits_for_the_clients_morning(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    evening = datetime(2026, 3, 2, 19, 59, tzinfo=UTC)
    (reminder_id,) = add_due(personas.record_a, 1, due=evening)
    smtp.behaviour.data_replies = ["421 4.7.0 Busy"]
    sender = Sender(sending)
    sender.send_due(lambda: evening)
    night = evening + timedelta(seconds=BACKOFF[0])  # 20:00 London: past the waking hours
    result = sender.send_due(lambda: night)
    assert [o.status for o in result.outcomes] == ["deferred"]
    row = fresh(reminder_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert sender.send_due(lambda: datetime(2026, 3, 3, 8, 59, tzinfo=UTC)).outcomes == []
    assert sender.send_due(lambda: datetime(2026, 3, 3, 9, 0, tzinfo=UTC)).sent == 1
    assert fresh(reminder_id).attempts == 2


def test_each_sender_keeps_to_the_per_minute_cap(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    sending.config["REMINDER_SENDS_PER_MINUTE"] = 3
    add_due(personas.record_a, 5)
    sender = Sender(sending)
    first = sender.send_due(lambda: NOW)
    assert (first.sent, first.capped) == (3, True)
    assert sender.send_due(lambda: NOW + timedelta(seconds=30)).sent == 0
    assert sender.send_due(lambda: NOW + timedelta(seconds=61)).sent == 2
    assert smtp.count() == 5


def test_one_smtp_connection_serves_a_whole_sweep(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    add_due(personas.record_a, 20)
    assert sweep(sending, NOW).sent == 20
    assert smtp.greetings == 1


# --- Leases and the reaper --------------------------------------------------------------------


def test_a_sender_that_died_after_the_server_accepted_repeats_the_message_once_with_its_id(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    (reminder_id,) = add_due(personas.record_a, 1)
    dead = Sender(sending, name="dead-sender")
    assert dead.claim(NOW) == reminder_id
    rendered = dead.render(fresh(reminder_id), NOW)
    assert dead.send(rendered.message) is None  # accepted by the server ...
    dead.transport.close()  # ... and the process died before recording it

    survivor = Sender(sending)
    assert survivor.reap(NOW + timedelta(seconds=119)) == 0, "the lease still runs"
    assert sweep(sending, NOW + timedelta(seconds=119), survivor).outcomes == []
    assert survivor.reap(NOW + timedelta(seconds=121)) == 1
    assert sweep(sending, NOW + timedelta(seconds=121), survivor).sent == 1
    ids = smtp.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1], "a repeat carries the same Message-ID"
    row = fresh(reminder_id)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_sender_that_lost_its_lease_does_not_overwrite_the_new_owners_record(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    (reminder_id,) = add_due(personas.record_a, 1)
    slow = Sender(sending, name="slow-sender")
    slow.claim(NOW)
    other = Sender(sending, name="other-sender")
    other.reap(NOW + timedelta(seconds=121))
    other.send_due(lambda: NOW + timedelta(seconds=121))
    assert slow.record(reminder_id, NOW, status="failed", last_error="late") is False
    assert fresh(reminder_id).status == "sent"


def test_a_reminder_that_keeps_killing_its_sender_fails_after_the_last_attempt(
    sending: Flask, personas: Personas
):
    (reminder_id,) = add_due(personas.record_a, 1)
    moment = NOW
    for _ in range(4):  # four claims, four deaths
        Sender(sending).claim(moment)
        moment += timedelta(seconds=121)
        Sender(sending).reap(moment)
    row = fresh(reminder_id)
    assert row.status == "failed" and "lease expired" in row.last_error


# --- Daylight saving --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [
        ("Europe/London", date(2026, 3, 29)),
        ("Europe/London", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
    ],
)
def test_across_a_clock_change_each_client_gets_one_reminder_at_nine_local(
    sending: Flask, smtp: SmtpServer, personas: Personas, zone: str, change_day: date
):
    tz = ZoneInfo(zone)
    clients = [
        make_client(
            personas.practitioner_p, f"Client {n}", email=f"c{n}@clients.test", time_zone=zone
        )
        for n in range(3)
    ]
    db.session.commit()
    session_day = change_day - timedelta(days=4)  # so aftercare day 4 falls on the change
    recorded_at = datetime.combine(session_day, time(12, 0), tzinfo=tz).astimezone(UTC)
    for client in clients:
        record_session(client, session_day, now=recorded_at)
    sender = Sender(sending)
    start = datetime.combine(change_day, time(0, 0), tzinfo=tz).astimezone(UTC)
    moment = start
    while moment < start + timedelta(hours=24):  # every quarter hour through the change day
        sender.send_due(lambda moment=moment: moment)
        moment += timedelta(minutes=15)

    day4 = [m for m in smtp.messages() if str(m["Subject"]) == "Aftercare: day 4"]
    assert sorted(m["To"].addresses[0].addr_spec for m in day4) == [
        "c0@clients.test",
        "c1@clients.test",
        "c2@clients.test",
    ]
    for message in day4:
        sent = message["Date"].datetime.astimezone(tz)
        assert (sent.date(), sent.time()) == (change_day, time(9, 0)), sent


# --- Heartbeats, /healthz and the commands ----------------------------------------------------


def test_healthz_reports_a_scheduler_that_never_ran_or_went_quiet(
    sending: Flask, personas: Personas
):
    browser = sending.test_client()
    never = browser.get("/healthz")
    assert never.status_code == 503
    assert never.get_json()["database"]["ok"] is True
    assert never.get_json()["scheduler"]["ok"] is False

    sweep(sending, datetime.now(UTC))
    well = browser.get("/healthz")
    assert well.status_code == 200 and well.get_json()["status"] == "ok"

    beat = db.session.get(SchedulerHeartbeat, HEARTBEAT_SEND)
    beat.beat_at = datetime.now(UTC) - timedelta(minutes=10)
    db.session.commit()
    quiet = browser.get("/healthz")
    assert quiet.status_code == 503
    assert "not run recently" in quiet.get_json()["scheduler"]["problem"]


def test_send_due_on_the_command_line_sends_and_status_counts(
    sending: Flask, smtp: SmtpServer, personas: Personas
):
    # The real clock: a practice that sends at any hour, so the test passes at any hour.
    db.session.add(
        PracticeSettings(
            practice_id=personas.practitioner_p.practice_id,
            waking_hours_start=0,
            waking_hours_end=24,
        )
    )
    ids = add_due(personas.record_a, 3, due=datetime.now(UTC) - timedelta(minutes=1))
    runner = sending.test_cli_runner()
    status = runner.invoke(args=["reminders", "status"])
    assert status.exit_code == 0
    assert re.search(r"^pending\s+3\b", status.output, re.M)
    assert "last send_due: never" in status.output

    sent = runner.invoke(args=["reminders", "send-due"])
    assert sent.exit_code == 0, sent.output
    assert "sent 3" in sent.output
    assert {fresh(i).status for i in ids} == {"sent"} and smtp.count() == 3
    after = runner.invoke(args=["reminders", "status"])
    assert re.search(r"^sent\s+3\b", after.output, re.M)
    assert re.search(r"^pending\s+0\b", after.output, re.M)


def test_without_an_smtp_server_reminders_are_written_to_the_mail_folder(
    app: Flask, personas: Personas
):
    app.config.update(SMTP_HOST="", BASE_URL="http://127.0.0.1:5000")
    (reminder_id,) = add_due(personas.record_a, 1)
    assert sweep(app, NOW).sent == 1
    from tests.conftest import sent_messages

    (message,) = sent_messages(app)
    assert message["Message-ID"] == fresh(reminder_id).message_id
    assert str(message["List-Unsubscribe"]).startswith("<http://127.0.0.1:5000/reminders/")
    assert message["List-Unsubscribe-Post"] is None, "one-click needs an https URL (RFC 8058)"
