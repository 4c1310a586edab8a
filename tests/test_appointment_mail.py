"""Appointment mail planning (issue 11 item 4): the reminder follows the booking, a change
replaces it, a cancel withdraws it and queues one cancellation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Appointment, Reminder
from smptrack.services import appointment_mail
from tests.conftest import Personas

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def book(personas: Personas, starts_at: datetime) -> Appointment:
    record = personas.record_a
    appointment = Appointment(
        uid=f"{uuid.uuid4()}@smptrack.test",
        practice_id=record.practice_id,
        client_id=record.id,
        practitioner_id=personas.practitioner_p.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        time_zone="Europe/London",
        kind="build_up",
    )
    db.session.add(appointment)
    db.session.flush()
    appointment_mail.on_booked(appointment, NOW)
    db.session.commit()
    return appointment


def rows(appointment: Appointment) -> list[Reminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.appointment_id == appointment.id)
            .order_by(Reminder.id)
        )
    )


def test_a_booking_plans_its_reminder_a_day_before_stale_at_the_start(app: Flask, personas):
    starts = NOW + timedelta(days=5)
    appointment = book(personas, starts)
    (row,) = rows(appointment)
    assert row.kind == "appointment" and row.status == "pending"
    assert row.dedupe_key == f"appointment:{appointment.id}:seq0"
    assert row.due_at == starts - timedelta(hours=24)
    assert row.stale_after == starts
    assert row.payload["appointment"]["uid"] == appointment.uid


def test_a_booking_closer_than_the_lead_time_is_reminded_at_once(app: Flask, personas):
    appointment = book(personas, NOW + timedelta(hours=10))
    (row,) = rows(appointment)
    assert row.due_at == NOW


def test_a_move_replaces_the_pending_reminder_with_the_new_sequence(app: Flask, personas):
    appointment = book(personas, NOW + timedelta(days=5))
    appointment.starts_at += timedelta(days=1)
    appointment.ends_at += timedelta(days=1)
    appointment.sequence += 1
    appointment_mail.on_changed(appointment, NOW)
    db.session.commit()
    old, new = rows(appointment)
    assert old.status == "cancelled" and old.last_error == appointment_mail.MOVED
    assert new.dedupe_key.endswith(":seq1") and new.status == "pending"
    assert new.due_at == appointment.starts_at - timedelta(hours=24)


def test_a_move_after_the_invitation_went_resends_it_at_once(app: Flask, personas):
    appointment = book(personas, NOW + timedelta(days=5))
    (old,) = rows(appointment)
    old.status = "sent"
    db.session.commit()
    appointment.starts_at += timedelta(hours=2)
    appointment.ends_at += timedelta(hours=2)
    appointment.sequence += 1
    appointment_mail.on_changed(appointment, NOW)
    db.session.commit()
    _, new = rows(appointment)
    assert new.due_at == NOW and new.payload["details"]["update"] is True


def test_a_cancel_withdraws_the_reminder_and_queues_one_cancellation(app: Flask, personas):
    appointment = book(personas, NOW + timedelta(days=5))
    appointment.status, appointment.sequence = "cancelled", appointment.sequence + 1
    appointment_mail.on_cancelled(appointment, NOW)
    appointment_mail.on_cancelled(appointment, NOW)  # exactly once
    db.session.commit()
    reminder, cancel = rows(appointment)
    assert reminder.status == "cancelled" and reminder.last_error == appointment_mail.CANCELLED
    assert cancel.kind == "appointment_cancelled" and cancel.due_at == NOW
    assert cancel.dedupe_key == f"appointment-cancel:{appointment.id}"
    assert cancel.payload["appointment"]["sequence"] == 1
