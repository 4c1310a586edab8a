"""A practice member's home (issue 13 item 2): each block lists the right things and links to
where they are acted on; the front desk sees no clinical block; another practice's data never
shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Appointment, Client, Consent, Practice, Reminder, User
from smptrack.services import audit, consents
from tests.conftest import Personas, make_client
from tests.test_history import page_text, visit


def book_today(record: Client, practitioner: User, hour: int = 12) -> Appointment:
    """An appointment at ``hour`` o'clock today in the practice's zone (whatever the clock)."""
    zone = ZoneInfo(db.session.get(Practice, record.practice_id).time_zone)
    today = datetime.now(UTC).astimezone(zone).date()
    starts = datetime.combine(today, time(hour), tzinfo=zone).astimezone(UTC)
    appointment = Appointment(
        uid=f"home-{record.id}-{hour}@test",
        practice_id=record.practice_id,
        client_id=record.id,
        practitioner_id=practitioner.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        time_zone=zone.key,
        kind="touch_up",
        status="booked",
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def due(record: Client, most_likely: date, earliest: date, *, now: bool = False) -> None:
    db.session.execute(
        sa.update(Client)
        .where(Client.id == record.id)
        .values(
            next_touch_up_on=most_likely,
            touch_up_earliest_on=earliest,
            touch_up_latest_on=most_likely + timedelta(days=400),
            touch_up_due_now=now,
        )
    )


def failed_reminder(record: Client, error: str) -> None:
    db.session.add(
        Reminder(
            client_id=record.id,
            recipient_email="x@clients.test",
            kind="touch_up",
            due_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
            dedupe_key=f"home-failed:{record.id}",
            status="failed",
            last_error=error,
            payload={},
        )
    )


def sign(record: Client, template) -> None:
    db.session.add(
        Consent(
            client_id=record.id,
            template_id=template.id,
            template_version=template.version,
            text_sha256="0" * 64,
            typed_name=record.display_name,
            agreed=True,
            signed_at=datetime.now(UTC),
            method="account",
        )
    )


def a_busy_practice(personas: Personas):
    """P's practice with one of each thing the home lists, and Q's practice with the same, which
    P's members must never see."""
    p, q = personas.practitioner_p, personas.practitioner_q
    today = date.today()
    overdue = make_client(p, "Olive Overdue", email="olive@clients.test")
    soon = make_client(p, "Sunny Soon", email="sunny@clients.test")
    later = make_client(p, "Larry Later", email="larry@clients.test")
    due(overdue, today - timedelta(days=10), today - timedelta(days=200), now=True)
    due(soon, today + timedelta(days=150), today + timedelta(days=30))
    due(later, today + timedelta(days=900), today + timedelta(days=500))
    due(personas.record_b, today - timedelta(days=5), today - timedelta(days=100), now=True)
    book_today(personas.record_a, p, hour=10)
    book_today(personas.record_b, q, hour=11)
    failed_reminder(overdue, "550 mailbox unavailable")
    failed_reminder(personas.record_b, "550 no such user at practice Q")
    now = datetime.now(UTC)
    template = consents.publish_template(p, title="Consent", body="I agree to SMP.", now=now)
    consents.publish_template(q, title="Consent", body="Q's consent text.", now=now)
    sign(soon, template)
    for actor, record, kind in (
        (p, overdue, "treatment_session"),
        (p, personas.record_a, "appointment"),
        (q, personas.record_b, "treatment_session"),
    ):
        audit.record_event(
            actor, "create", client_id=record.id, object_type=kind, object_id=1, now=now
        )
    db.session.commit()
    return overdue, soon, later


def block(text: str, heading: str, following: str | None) -> str:
    start = text.index(heading)
    return text[start : text.index(following, start) if following else None]


def test_a_practitioners_home_lists_what_to_act_on_in_their_practice_only(
    app: Flask, personas: Personas
) -> None:
    overdue, _, _ = a_busy_practice(personas)

    response = visit(app, personas.practitioner_p, "/home")

    assert response.status_code == 200
    text = page_text(response)
    today = block(text, "Your appointments today", "Due for a touch-up")
    assert "10:00 GMT Ada Client" in today and "Bea Client" not in today
    due_block = block(text, "Due for a touch-up", "Reminders that failed")
    now_part, soon_part = due_block.split(" Soon ", 1)
    assert "Olive Overdue" in now_part and "Touch-up due now" in now_part
    assert "Sunny Soon" in soon_part and "Touch-up due in about 5 months" in soon_part
    assert "Larry Later" not in due_block and "Bea Client" not in due_block
    failed = block(text, "Reminders that failed", "Consent to sign")
    assert "Olive Overdue: touch up" in failed and "550 mailbox unavailable" in failed
    assert "practice Q" not in failed
    unsigned = block(text, "Consent to sign", "Recent activity")
    assert "Olive Overdue : never signed" in unsigned and "Ada Client" in unsigned
    assert "Sunny Soon" not in unsigned and "Bea Client" not in unsigned
    activity = block(text, "Recent activity", None)
    assert "you added treatment session for Olive Overdue" in activity
    assert "Bea Client" not in activity and "Quinn" not in activity
    html = response.get_data(as_text=True)
    # Each row links to where it is acted on.
    assert f'href="/clients/{overdue.id}"' in html
    assert f'href="/clients/{overdue.id}/reminders"' in html
    assert f'href="/clients/{overdue.id}/consent"' in html
    assert f'href="/clients/{personas.record_b.id}' not in html


def test_the_front_desk_home_shows_the_schedule_and_consent_but_nothing_clinical(
    app: Flask, personas: Personas
) -> None:
    a_busy_practice(personas)

    text = page_text(visit(app, personas.front_desk_p, "/home"))

    today = block(text, "Today&#39;s appointments", "Consent to sign")
    # The desk runs everyone's day: with whom each appointment is.
    assert "Ada Client" in today and "with Pat Practitioner" in today
    assert "Bea Client" not in today
    assert "Due for a touch-up" not in text and "Reminders that failed" not in text
    assert "550 mailbox" not in text and "Touch-up due" not in text
    assert "Olive Overdue : never signed" in block(text, "Consent to sign", "Recent activity")
    activity = block(text, "Recent activity", None)
    assert "added appointment for Ada Client" in activity
    assert "treatment session" not in activity


def test_a_practice_without_a_consent_text_says_none_is_asked_for(
    app: Flask, personas: Personas
) -> None:
    text = page_text(visit(app, personas.practitioner_q, "/home"))

    assert "has not published a consent text" in text
    assert "No appointments today" in text and "Nobody is due" in text


def test_members_land_on_their_home_and_others_may_not_open_it(
    app: Flask, personas: Personas
) -> None:
    landing = visit(app, personas.practitioner_p, "/")

    assert landing.status_code == 302 and landing.headers["Location"].endswith("/home")
    assert visit(app, personas.client_a, "/home").status_code == 403
    assert visit(app, personas.admin, "/home").status_code == 403
