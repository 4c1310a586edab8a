"""The words of the series and touch-up mail follow the bookings (issue 11 item 4): the
next-session reminder names the booked appointment, or asks the client to book, with the
practice's booking link and phone; "book your touch-up" carries both. Sent to a real SMTP
server (aiosmtpd)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask

from smptrack.extensions import db
from smptrack.models import Practice, Reminder
from tests.test_worker import sweep

NOW = datetime.fromisoformat("2026-11-26T10:00:00+00:00")
LINK = "https://book.inkline.test/ada"


def _studio(personas) -> None:
    studio = db.session.get(Practice, personas.record_a.practice_id)
    studio.name, studio.phone, studio.booking_url = "Inkline Studio", "020 7946 0000", LINK
    db.session.commit()


def _queue(personas, kind: str, details: dict) -> None:
    db.session.add(
        Reminder(
            client_id=personas.record_a.id,
            recipient_email=personas.record_a.email,
            kind=kind,
            due_at=NOW - timedelta(minutes=1),
            dedupe_key=f"{kind}:words:{len(details)}",
            status="pending",
            attempts=0,
            payload={"on": "2026-11-26", "time_zone": "Europe/London", "details": details},
        )
    )
    db.session.commit()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_next_session_mail_names_the_booked_appointment(sending: Flask, smtp, personas) -> None:
    _studio(personas)
    _queue(
        personas,
        "next_session",
        {
            "number": 2,
            "of": 3,
            "suggested_on": "2026-12-06",
            "appointment_starts_at": "2026-12-07T14:00:00+00:00",
        },
    )
    sweep(sending, NOW)
    (message,) = smtp.messages()
    text = " ".join(_text(message).split())
    assert "booked for Monday 7 December 2026 at 14:00 at Inkline Studio" in text
    assert "not booked yet" not in text and LINK not in text


def test_without_a_booking_it_asks_the_client_to_book_with_the_link_and_phone(
    sending: Flask, smtp, personas
) -> None:
    _studio(personas)
    _queue(personas, "next_session", {"number": 2, "of": 3, "suggested_on": "2026-12-06"})
    sweep(sending, NOW)
    (message,) = smtp.messages()
    text = " ".join(_text(message).split())
    assert "It is not booked yet." in text
    assert f"Book it online at {LINK}, or call Inkline Studio on 020 7946 0000." in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{LINK}"' in html and 'href="tel:02079460000"' in html


def test_book_your_touch_up_carries_the_booking_link_and_phone(
    sending: Flask, smtp, personas
) -> None:
    _studio(personas)
    _queue(personas, "touch_up", {"most_likely_on": "2027-03-01", "due_now": False})
    sweep(sending, NOW)
    (message,) = smtp.messages()
    text = " ".join(_text(message).split())
    assert f"Book it online at {LINK}, or call Inkline Studio on 020 7946 0000." in text


def test_a_practice_without_link_or_phone_is_simply_contacted(
    sending: Flask, smtp, personas
) -> None:
    _queue(personas, "touch_up", {"most_likely_on": "2027-03-01", "due_now": False})
    sweep(sending, NOW)
    (message,) = smtp.messages()
    text = " ".join(_text(message).split())
    assert "to book it." in text and "Book it online" not in text
