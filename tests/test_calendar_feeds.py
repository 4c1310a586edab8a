"""Calendar feeds (issue 11 item 5): secret, regenerable URLs serving RFC 5545 documents that two
independent parsers read back (icalendar's and recurring-ical-events', which expands a calendar
into what a calendar app shows between two instants), and that a fetch never writes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from smptrack.extensions import db
from smptrack.models import Appointment, CalendarFeed, PracticeMember
from smptrack.services import calendar_feeds as service
from tests.conftest import (
    OwnContextClient,
    Personas,
    log_in,
    make_client,
    make_user,
    statements_sent,
)

LONDON = ZoneInfo("Europe/London")
# The fetch's clock (the route reads ``utc_now``): mid-January 2027, so that the spring change
# of 28 March 2027 lies ahead inside the feed's bounds whatever day the tests run.
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_uids = count(1)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smptrack.calendar_feeds.routes.utc_now", lambda: NOW)


def book(
    practitioner,
    record,
    starts: datetime,
    *,
    hours: int = 3,
    status: str = "booked",
    sequence: int = 0,
    kind: str = "initial",
    note: str = "",
) -> Appointment:
    appointment = Appointment(
        uid=f"appointment-{next(_uids)}@smptrack.test",
        practice_id=practitioner.practice_id,
        client_id=record.id,
        practitioner_id=practitioner.id,
        starts_at=starts.astimezone(UTC),
        ends_at=(starts + timedelta(hours=hours)).astimezone(UTC),
        time_zone="Europe/London",
        kind=kind,
        status=status,
        sequence=sequence,
        note=note,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def own_feed(user, scope: str) -> str:
    """A new feed of ``user``'s own ``scope``, committed; its key."""
    issued = service.issue_feed(user, service.own_subject(user, scope), now=NOW)
    db.session.commit()
    return issued.key


def client_feed_of(user) -> str:
    return own_feed(user, "client")


def fetch(test_client: FlaskClient, key: str):
    return test_client.get(f"/calendar/{key}.ics")


def events(document: bytes) -> dict[str, object]:
    parsed = Calendar.from_ical(document)
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def expanded(document: bytes, start: datetime, end: datetime) -> list:
    return recurring_ical_events.of(Calendar.from_ical(document)).between(start, end)


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


# --- The document ------------------------------------------------------------------------


def test_a_practitioner_feed_puts_appointments_at_the_right_utc_instants_across_the_clock_change(
    client: FlaskClient, personas: Personas
) -> None:
    p, record = personas.practitioner_p, personas.record_a
    before = book(p, record, datetime(2027, 3, 26, 10, 0, tzinfo=LONDON))  # GMT
    after = book(p, record, datetime(2027, 3, 29, 10, 0, tzinfo=LONDON))  # BST from 28 March
    key = own_feed(p, "practitioner")

    response = fetch(client, key)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data()
    assert b"DTSTART:20270326T100000Z" in body
    assert b"DTSTART:20270329T090000Z" in body
    parsed = Calendar.from_ical(body)
    assert parsed["X-WR-CALNAME"] == "Pat Practitioner's practice: Pat Practitioner's appointments"

    # The expanding parser: the week around the change holds both, each at its UTC instant,
    # and each is 10:00 on the studio's clock.
    shown = expanded(body, datetime(2027, 3, 22, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    starts = {str(e["UID"]): e["DTSTART"].dt for e in shown}
    assert starts == {
        before.uid: datetime(2027, 3, 26, 10, 0, tzinfo=UTC),
        after.uid: datetime(2027, 3, 29, 9, 0, tzinfo=UTC),
    }
    assert {d.astimezone(LONDON).hour for d in starts.values()} == {10}
    # Nothing between the two on the day of the change itself.
    assert (
        expanded(body, datetime(2027, 3, 28, tzinfo=UTC), datetime(2027, 3, 29, tzinfo=UTC)) == []
    )


def test_the_uid_stays_and_the_sequence_rises_when_an_appointment_moves(
    client: FlaskClient, personas: Personas
) -> None:
    appointment = book(
        personas.practitioner_p, personas.record_a, datetime(2027, 2, 3, 10, 0, tzinfo=LONDON)
    )
    key = own_feed(personas.practitioner_p, "practitioner")
    [first] = events(fetch(client, key).get_data()).values()

    appointment.starts_at = datetime(2027, 2, 5, 14, 0, tzinfo=UTC)
    appointment.ends_at = datetime(2027, 2, 5, 16, 0, tzinfo=UTC)
    appointment.sequence += 1
    db.session.commit()
    [moved] = events(fetch(client, key).get_data()).values()

    assert str(moved["UID"]) == str(first["UID"]) == appointment.uid
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved["DTSTART"].dt == datetime(2027, 2, 5, 14, 0, tzinfo=UTC)


def test_a_cancelled_appointment_stays_in_the_feed_marked_cancelled(
    client: FlaskClient, personas: Personas
) -> None:
    p, record = personas.practitioner_p, personas.record_a
    kept = book(p, record, datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))
    cancelled = book(
        p, record, datetime(2027, 2, 10, 10, 0, tzinfo=LONDON), status="cancelled", sequence=2
    )
    key = own_feed(p, "practice")

    by_uid = events(fetch(client, key).get_data())

    assert by_uid[cancelled.uid]["STATUS"] == "CANCELLED"
    assert by_uid[cancelled.uid]["SEQUENCE"] == 2
    assert by_uid[kept.uid]["STATUS"] == "CONFIRMED"


def test_another_practice_and_a_colleague_stay_out_of_the_feeds_they_do_not_belong_to(
    client: FlaskClient, personas: Personas
) -> None:
    p, q, colleague = personas.practitioner_p, personas.practitioner_q, personas.colleague_p
    mine = book(p, personas.record_a, datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))
    colleagues = book(colleague, personas.record_a, datetime(2027, 2, 4, 10, 0, tzinfo=LONDON))
    theirs = book(q, personas.record_b, datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))

    practice = fetch(client, own_feed(p, "practice")).get_data()
    own = fetch(client, own_feed(p, "practitioner")).get_data()
    desk = fetch(client, own_feed(personas.front_desk_p, "practice")).get_data()
    q_feed = fetch(client, own_feed(q, "practice")).get_data()

    assert set(events(practice)) == {mine.uid, colleagues.uid}
    assert set(events(desk)) == {mine.uid, colleagues.uid}
    assert set(events(own)) == {mine.uid}
    assert set(events(q_feed)) == {theirs.uid}
    for document in (practice, own, desk):
        assert b"Bea Client" not in document
    assert b"Ada Client" not in q_feed


def test_a_staff_feed_names_client_and_practitioner_and_carries_no_notes(
    client: FlaskClient, personas: Personas
) -> None:
    record = personas.record_a
    record.notes = "Scar tissue at the crown; light dilution"
    book(
        personas.colleague_p,
        record,
        datetime(2027, 2, 3, 10, 0, tzinfo=LONDON),
        kind="touch_up",
        note="Prefers mornings",
    )
    key = own_feed(personas.front_desk_p, "practice")

    document = fetch(client, key).get_data()
    [event] = events(document).values()

    assert str(event["SUMMARY"]) == "Ada Client: SMP touch-up with Cole Colleague"
    assert b"Scar tissue" not in document and b"Prefers mornings" not in document


def test_a_client_feed_has_their_appointments_and_the_touch_up_window_as_an_all_day_event(
    client: FlaskClient, personas: Personas
) -> None:
    record = personas.record_a
    record.touch_up_earliest_on = date(2029, 3, 3)
    record.next_touch_up_on = date(2030, 5, 1)
    record.touch_up_latest_on = date(2031, 9, 25)
    own = book(personas.practitioner_p, record, datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))
    other = make_client(personas.practitioner_p, "Other Client")
    book(personas.practitioner_p, other, datetime(2027, 2, 3, 14, 0, tzinfo=LONDON))
    key = client_feed_of(personas.client_a)

    document = fetch(client, key).get_data()
    by_uid = events(document)

    window_uid = service.window_uid(record.id, "smptrack.test")
    assert set(by_uid) == {own.uid, window_uid}
    assert str(by_uid[own.uid]["SUMMARY"]) == "SMP session at Pat Practitioner's practice"
    assert b"Other Client" not in document
    window = by_uid[window_uid]
    assert window["DTSTART"].dt == date(2029, 3, 3)
    assert window["DTEND"].dt == date(2031, 9, 26)  # exclusive: the last day is 25 September
    assert window["TRANSP"] == "TRANSPARENT"
    # The expanding parser shows it on its first and last day, not the day after.
    on_first = expanded(
        document, datetime(2029, 3, 3, tzinfo=UTC), datetime(2029, 3, 4, tzinfo=UTC)
    )
    after = expanded(document, datetime(2031, 9, 26, tzinfo=UTC), datetime(2031, 9, 27, tzinfo=UTC))
    assert [str(e["UID"]) for e in on_first] == [window_uid]
    assert after == []

    # A new projection moves the window: same UID, higher SEQUENCE.
    record.touch_up_latest_on = date(2031, 1, 10)
    record.updated_at = datetime.now(UTC) + timedelta(minutes=5)
    db.session.commit()
    moved = events(fetch(client, key).get_data())[window_uid]
    assert moved["SEQUENCE"] > window["SEQUENCE"]
    assert moved["DTEND"].dt == date(2031, 1, 11)


def test_a_client_feed_without_a_projection_has_no_window(
    client: FlaskClient, personas: Personas
) -> None:
    key = client_feed_of(personas.client_a)

    parsed = Calendar.from_ical(fetch(client, key).get_data())

    assert parsed.walk("VEVENT") == []
    assert parsed["X-WR-CALNAME"] == "My SMP appointments (Pat Practitioner's practice)"


def test_the_feed_is_bounded_to_ninety_days_back_and_two_years_ahead(
    client: FlaskClient, personas: Personas
) -> None:
    p, record = personas.practitioner_p, personas.record_a
    too_old = book(p, record, NOW - timedelta(days=91))
    old = book(p, record, NOW - timedelta(days=89))
    far = book(p, record, NOW + timedelta(days=729))
    too_far = book(p, record, NOW + timedelta(days=731))
    key = own_feed(p, "practitioner")

    uids = set(events(fetch(client, key).get_data()))

    assert {old.uid, far.uid} <= uids
    assert not {too_old.uid, too_far.uid} & uids


# --- Reads do not write --------------------------------------------------------------------


def test_fetching_a_feed_writes_nothing_and_sends_two_selects_however_long_the_schedule(
    client: FlaskClient, personas: Personas
) -> None:
    record = personas.record_a
    record.touch_up_earliest_on, record.touch_up_latest_on = date(2029, 3, 3), date(2031, 9, 25)
    book(personas.practitioner_p, record, datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))
    keys = {
        "practice": own_feed(personas.practitioner_p, "practice"),
        "practitioner": own_feed(personas.practitioner_p, "practitioner"),
        "client": client_feed_of(personas.client_a),
    }
    # The same page in a browser that is logged in as the client: still nothing written.
    logged_in = log_in(client, personas.client_a)

    def run() -> dict[str, list[str]]:
        seen = {}
        for name, key in keys.items():
            with statements_sent() as statements:
                assert fetch(logged_in, key).status_code == 200
            seen[name] = statements
        return seen

    counts = row_counts()
    short = run()
    assert row_counts() == counts
    for name, statements in short.items():
        assert [s for s in statements if WRITE.match(s)] == [], name
        assert len(statements) == 2, (name, statements)

    for day in range(30):
        book(
            personas.colleague_p if day % 2 else personas.practitioner_p,
            record,
            datetime(2027, 4, 1, 10, 0, tzinfo=LONDON) + timedelta(days=day),
        )
    db.session.commit()
    counts = row_counts()
    long = run()
    assert row_counts() == counts
    assert {n: len(s) for n, s in long.items()} == {n: len(s) for n, s in short.items()}
    assert len(events(fetch(client, keys["practice"]).get_data())) == 31


# --- Secret URLs: unknown, regenerated, stopped, and holders who are gone --------------------


@pytest.mark.parametrize(
    "key", ["unknown-key-of-the-right-shape-000000000000", "short", "bad%20characters!!!!!!!!!"]
)
def test_an_unknown_or_malformed_key_answers_404(
    client: FlaskClient, personas: Personas, key: str
) -> None:
    own_feed(personas.practitioner_p, "practice")

    response = fetch(client, key)

    assert response.status_code == 404
    assert b"VCALENDAR" not in response.get_data()


def test_regenerating_makes_the_old_url_404_and_the_new_one_answer(
    client: FlaskClient, personas: Personas
) -> None:
    old = own_feed(personas.practitioner_p, "practitioner")
    new = own_feed(personas.practitioner_p, "practitioner")

    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200
    live = db.session.scalars(
        sa.select(CalendarFeed).where(
            CalendarFeed.user_id == personas.practitioner_p.id, CalendarFeed.revoked_at.is_(None)
        )
    ).all()
    assert len(live) == 1
    assert live[0].key_hash == service.hash_key(new)  # only the hash is stored
    assert new not in {f.key_hash for f in db.session.scalars(sa.select(CalendarFeed))}


def test_feeds_of_different_subjects_do_not_revoke_each_other(
    client: FlaskClient, personas: Personas
) -> None:
    p_practice = own_feed(personas.practitioner_p, "practice")
    p_own = own_feed(personas.practitioner_p, "practitioner")
    desk = own_feed(personas.front_desk_p, "practice")
    colleague = own_feed(personas.colleague_p, "practice")

    assert all(fetch(client, k).status_code == 200 for k in (p_practice, p_own, desk, colleague))


def test_stopping_a_feed_makes_its_url_404(client: FlaskClient, personas: Personas) -> None:
    key = own_feed(personas.colleague_p, "practitioner")
    subject = service.own_subject(personas.colleague_p, "practitioner")

    assert service.stop_feed(personas.colleague_p, subject, now=NOW) is True
    db.session.commit()

    assert fetch(client, key).status_code == 404
    assert service.stop_feed(personas.colleague_p, subject, now=NOW) is False


def test_a_member_who_leaves_the_practice_takes_their_feeds_with_them(
    client: FlaskClient, personas: Personas
) -> None:
    practice = own_feed(personas.colleague_p, "practice")
    own = own_feed(personas.colleague_p, "practitioner")
    desk = own_feed(personas.front_desk_p, "practice")

    db.session.execute(
        sa.delete(PracticeMember).where(PracticeMember.user_id == personas.colleague_p.id)
    )
    personas.front_desk_p.active = False
    db.session.commit()

    assert fetch(client, practice).status_code == 404
    assert fetch(client, own).status_code == 404
    assert fetch(client, desk).status_code == 404


def test_a_practitioner_who_becomes_front_desk_loses_their_own_appointments_feed(
    client: FlaskClient, personas: Personas
) -> None:
    own = own_feed(personas.colleague_p, "practitioner")
    practice = own_feed(personas.colleague_p, "practice")

    db.session.execute(
        sa.update(PracticeMember)
        .where(PracticeMember.user_id == personas.colleague_p.id)
        .values(role="front_desk")
    )
    personas.colleague_p.role = "front_desk"
    db.session.commit()

    assert fetch(client, own).status_code == 404
    assert fetch(client, practice).status_code == 200


def test_the_practice_and_the_client_share_one_client_feed(
    client: FlaskClient, personas: Personas
) -> None:
    by_client = client_feed_of(personas.client_a)
    _, subject = service.client_subject(personas.colleague_p, personas.record_a.id)
    by_practice = service.issue_feed(personas.colleague_p, subject, now=NOW).key
    db.session.commit()

    assert fetch(client, by_client).status_code == 404
    assert fetch(client, by_practice).status_code == 200


# --- Who may hold which feed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "scopes"),
    [
        ("practitioner_p", ("practitioner", "practice")),
        ("colleague_p", ("practitioner", "practice")),
        ("front_desk_p", ("practice",)),
        ("client_a", ("client",)),
        ("admin", ()),
        ("anonymous", ()),
    ],
)
def test_each_role_may_hold_its_own_feeds(
    personas: Personas, persona: str, scopes: tuple[str, ...]
) -> None:
    from smptrack.services import access

    assert access.own_calendar_feed_scopes(personas.by_name(persona)) == scopes


def test_a_client_without_a_practice_is_told_why_there_is_no_feed(
    client: FlaskClient, personas: Personas
) -> None:
    loner = make_user("client", "loner@clients.test", "Lone Client")
    make_client(None, "Lone Client", loner)
    db.session.commit()
    test_client = log_in(client, loner)

    page = test_client.get("/calendar")
    refused = test_client.post("/calendar/client/new")

    assert page.status_code == 200
    assert "your record is not with one yet" in page.get_data(as_text=True)
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0


# --- The pages --------------------------------------------------------------------------------


def test_the_owner_creates_a_feed_sees_its_full_url_once_regenerates_it_and_stops_it(
    app: Flask, client: FlaskClient, personas: Personas
) -> None:
    app.config["BASE_URL"] = "https://smp.example.com"
    test_client = log_in(client, personas.practitioner_p)

    index = test_client.get("/calendar")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "My appointments" in html and "The practice&#39;s schedule" in html
    assert html.count(">Create</button>") == 2

    created = test_client.post("/calendar/practice/new")
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    [url] = re.findall(
        r'value="(https://smp\.example\.com/calendar/[^"]+\.ics)"', created.get_data(as_text=True)
    )
    first_key = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert fetch(client, first_key).status_code == 200

    # The index now offers to regenerate or stop, and never shows the key again.
    html = test_client.get("/calendar").get_data(as_text=True)
    assert first_key not in html and "Regenerate" in html and "Stop this feed" in html

    # "Create" again does not silently end the URL in use: it asks first.
    again = test_client.post("/calendar/practice/new")
    assert again.status_code == 302 and again.headers["Location"].endswith(
        "/calendar/practice/regenerate"
    )
    confirm = test_client.get("/calendar/practice/regenerate")
    assert confirm.status_code == 200 and "stops the one in use" in confirm.get_data(as_text=True)
    assert fetch(client, first_key).status_code == 200

    regenerated = test_client.post("/calendar/practice/regenerate")
    [new_url] = re.findall(r'value="(https://[^"]+\.ics)"', regenerated.get_data(as_text=True))
    new_key = new_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert new_key != first_key
    assert fetch(client, first_key).status_code == 404
    assert fetch(client, new_key).status_code == 200

    stopped = test_client.post("/calendar/practice/stop")
    assert stopped.status_code == 302
    assert fetch(client, new_key).status_code == 404


def test_creating_regenerating_and_stopping_are_audited_without_the_key(
    client: FlaskClient, personas: Personas
) -> None:
    from smptrack.models import AuditEvent

    test_client = log_in(client, personas.client_a)
    test_client.post("/calendar/client/new")
    test_client.post("/calendar/client/regenerate")
    test_client.post("/calendar/client/stop")

    lines = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.client_id)
        .where(AuditEvent.object_type == "calendar_feed")
        .order_by(AuditEvent.id)
    ).all()
    assert [line.action for line in lines] == ["create", "update", "delete"]
    assert {line.client_id for line in lines} == {personas.record_a.id}


def test_a_practitioner_manages_a_clients_feed_and_the_front_desk_may_not(
    client: FlaskClient, personas: Personas
) -> None:
    client.application.test_client_class = OwnContextClient  # one user per browser
    record_id = personas.record_a.id
    colleague = log_in(client.application.test_client(), personas.colleague_p)

    page = colleague.get(f"/calendar/clients/{record_id}")
    created = colleague.post(f"/calendar/clients/{record_id}/new")

    assert page.status_code == 200 and "Ada Client" in page.get_data(as_text=True)
    assert created.status_code == 200
    [url] = re.findall(r'value="([^"]+\.ics)"', created.get_data(as_text=True))
    assert fetch(client, url.rsplit("/", 1)[1].removesuffix(".ics")).status_code == 200

    desk = log_in(client.application.test_client(), personas.front_desk_p)
    assert desk.get(f"/calendar/clients/{record_id}").status_code == 403
    stranger = log_in(client.application.test_client(), personas.practitioner_q)
    counts = row_counts()
    assert stranger.post(f"/calendar/clients/{record_id}/regenerate").status_code == 404
    assert stranger.post(f"/calendar/clients/{record_id}/stop").status_code == 404
    assert {k: v for k, v in row_counts().items() if k != "audit_events"} == {
        k: v for k, v in counts.items() if k != "audit_events"
    }
