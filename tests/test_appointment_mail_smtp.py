"""Appointment mail at a real SMTP server (aiosmtpd): the invitation, its update and its
cancellation, from the practice's name with its Reply-To."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Practice
from smptrack.services import appointment_mail
from tests.test_appointment_mail import NOW, book, rows
from tests.test_worker import sweep


def calendar_of(message) -> tuple[str, icalendar.Event]:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    document = icalendar.Calendar.from_ical(part.get_content())
    return str(document["METHOD"]), next(iter(document.walk("VEVENT")))


def test_booking_moving_and_cancelling_reach_the_client_with_the_right_calendar(
    sending: Flask, smtp, personas
):
    studio = db.session.get(Practice, personas.record_a.practice_id)
    studio.name, studio.reply_to, studio.address = (
        "Inkline Studio",
        "desk@inkline.test",
        "1 High St",
    )
    studio.mail_from_name = ""  # From then shows the name
    db.session.commit()
    appointment = book(personas, NOW + timedelta(hours=10))
    sweep(sending, NOW)
    (message,) = smtp.messages()
    method, event = calendar_of(message)
    assert method == "REQUEST"
    assert str(event["UID"]) == appointment.uid and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == appointment.starts_at
    assert "Inkline Studio" in str(event["SUMMARY"]) and str(event["LOCATION"]) == "1 High St"
    assert message["From"].addresses[0].display_name == "Inkline Studio"
    assert message["Reply-To"].addresses[0].addr_spec == "desk@inkline.test"

    appointment.starts_at += timedelta(hours=1)
    appointment.ends_at += timedelta(hours=1)
    appointment.sequence += 1
    appointment_mail.on_changed(appointment, NOW)
    db.session.commit()
    sweep(sending, NOW + timedelta(minutes=1))
    method, event = calendar_of(smtp.messages()[-1])
    assert method == "REQUEST" and int(event["SEQUENCE"]) == 1

    appointment.status, appointment.sequence = "cancelled", appointment.sequence + 1
    appointment_mail.on_cancelled(appointment, NOW + timedelta(minutes=2))
    db.session.commit()
    sweep(sending, NOW + timedelta(minutes=3))
    sweep(sending, NOW + timedelta(minutes=4))
    cancels = [m for m in smtp.messages() if calendar_of(m)[0] == "CANCEL"]
    assert len(cancels) == 1
    _, event = calendar_of(cancels[0])
    assert str(event["UID"]) == appointment.uid and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert len(set(smtp.message_ids())) == 3
    assert [r.status for r in rows(appointment)] == ["sent", "sent", "sent"]
