"""The demo studio (issue 11 item 7): the demo practice has two practitioners and a front desk,
whose logins the demo prints, and a week of appointments across both practitioners in the
practice's time zone, some of them today; running the demo again adds none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Appointment, Client, Practice, PracticeMember, User
from smptrack.services import accounts, demo, projections

# 10:00 in London: the morning slot starts now (written as this morning's booking), the rest of
# the week is booked through the booking service.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def seed(now: datetime = NOW) -> demo.DemoLogins:
    result = demo.ensure_demo_data(now)
    projections.refresh_stale(now)  # the unit of work's step
    db.session.commit()
    return result


def test_the_demo_practice_has_two_practitioners_and_a_front_desk_who_can_log_in(
    app: Flask,
) -> None:
    result = seed()

    owner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    roles = dict(
        db.session.execute(
            sa.select(User.email, PracticeMember.role)
            .join(PracticeMember, PracticeMember.user_id == User.id)
            .where(PracticeMember.practice_id == owner.practice_id)
        ).all()
    )
    assert roles == {
        demo.PRACTITIONER_EMAIL: "owner",
        demo.COLLEAGUE_EMAIL: "practitioner",
        demo.FRONT_DESK_EMAIL: "front_desk",
    }
    assert db.session.scalar(sa.select(sa.func.count(Practice.id))) == 1
    assert db.session.get(Practice, owner.practice_id).name == demo.DEMO_PRACTICE_NAME
    printed = {(role, email, password) for role, email, password in result.logins}
    assert ("practitioner", demo.COLLEAGUE_EMAIL, demo.COLLEAGUE_PASSWORD) in printed
    assert ("front desk", demo.FRONT_DESK_EMAIL, demo.FRONT_DESK_PASSWORD) in printed
    for _, email, password in result.logins:
        assert accounts.authenticate(email, password, NOW) is not None, email
    desk = db.session.scalar(sa.select(User).where(User.email == demo.FRONT_DESK_EMAIL))
    assert desk.role == "front_desk"
    assigned = set(
        db.session.scalars(
            sa.select(Client.practitioner_id).where(Client.practice_id == owner.practice_id)
        )
    )
    colleague = db.session.scalar(sa.select(User).where(User.email == demo.COLLEAGUE_EMAIL))
    assert assigned == {owner.id, colleague.id}, "each practitioner looks after some clients"


def test_the_demo_has_a_week_of_appointments_for_both_practitioners_some_today(
    app: Flask,
) -> None:
    seed()
    owner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    colleague = db.session.scalar(sa.select(User).where(User.email == demo.COLLEAGUE_EMAIL))
    zone = ZoneInfo(db.session.get(Practice, owner.practice_id).time_zone)

    booked = db.session.scalars(sa.select(Appointment).order_by(Appointment.starts_at)).all()

    today = NOW.astimezone(zone).date()
    days = {a.starts_at.astimezone(zone).date() for a in booked}
    assert days == {today + timedelta(days=n) for n in range(7)}
    assert {a.practitioner_id for a in booked} == {owner.id, colleague.id}
    assert sum(1 for a in booked if a.starts_at.astimezone(zone).date() == today) >= 2
    assert all(a.time_zone == zone.key and a.status == "booked" for a in booked)
    assert all(a.practice_id == owner.practice_id and a.sequence == 0 for a in booked)
    assert len({a.uid for a in booked}) == len(booked)
    assert {a.starts_at.astimezone(zone).strftime("%H:%M") for a in booked} == {"10:00", "14:30"}
    for practitioner in (owner.id, colleague.id):
        mine = [a for a in booked if a.practitioner_id == practitioner]
        for earlier, later in pairwise(mine):
            assert earlier.ends_at <= later.starts_at, "no practitioner is double-booked"


@pytest.mark.parametrize("hour", [6, 12, 23])
def test_the_demo_books_whatever_time_it_is_run(app: Flask, hour: int) -> None:
    now = NOW.replace(hour=hour)
    seed(now)

    count = db.session.scalar(sa.select(sa.func.count(Appointment.id)))

    assert count == 7 * 2 * 2


def test_running_the_demo_again_adds_no_member_or_appointment(app: Flask) -> None:
    seed()
    members_before = db.session.scalar(sa.select(sa.func.count(PracticeMember.id)))
    appointments_before = db.session.scalar(sa.select(sa.func.count(Appointment.id)))

    again = seed(NOW + timedelta(hours=1))

    assert db.session.scalar(sa.select(sa.func.count(PracticeMember.id))) == members_before
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == appointments_before
    assert not again.created
