"""The demo practice of ``smptrack serve --demo``: full histories a newcomer can click through,
created once, quickly. (tests/test_cli.py runs the command itself in a real process.)"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import (
    Client,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.services import demo, projections
from tests.test_history import page_text, visit

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def table_counts() -> dict[str, int]:
    return {
        model.__name__: count(model)
        for model in (
            User,
            Client,
            Pigment,
            PigmentLot,
            TreatmentSession,
            Placement,
            SunExposure,
            FadeAssessment,
        )
    }


def test_the_demo_practice_is_created_in_a_few_seconds_at_most(app: Flask) -> None:
    started = time.perf_counter()
    result = demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()
    elapsed = time.perf_counter() - started

    assert result.created
    assert elapsed < 5, f"the demo took {elapsed:.1f} s"


def test_every_demo_client_has_a_series_of_sessions_sun_log_and_assessments(app: Flask) -> None:
    demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()
    today = NOW.date()

    records = db.session.scalars(sa.select(Client)).all()
    assert sorted(r.display_name for r in records) == sorted(n for n, *_ in demo.DEMO_CLIENTS)
    sessions = defaultdict(list)
    for treatment in db.session.scalars(sa.select(TreatmentSession)):
        sessions[treatment.client_id].append(treatment)
    for record in records:
        assert len(sessions[record.id]) >= 2, f"{record.display_name} has a series of sessions"
        assert all(s.performed_on <= today for s in sessions[record.id])
    kinds = {s.kind for group in sessions.values() for s in group}
    assert "touch_up" in kinds and "initial" in kinds and "build_up" in kinds
    sun_days = db.session.execute(
        sa.select(SunExposure.client_id, sa.func.min(SunExposure.exposed_on)).group_by(
            SunExposure.client_id
        )
    ).all()
    assert max((today - first).days for _, first in sun_days) > 3 * 365, "a few years of sun"
    assert db.session.scalar(sa.select(sa.func.max(SunExposure.exposed_on))) < today
    assessed = set(db.session.scalars(sa.select(FadeAssessment.client_id).distinct()))
    assert assessed == {r.id for r in records}
    kinds_of_rating = set(db.session.scalars(sa.select(FadeAssessment.assessor_kind).distinct()))
    assert kinds_of_rating == {"practitioner_in_person", "practitioner_photo", "client_self"}


def test_the_catalogue_has_lots_one_of_them_expired_and_every_placement_names_one(
    app: Flask,
) -> None:
    demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()
    practitioner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))

    lots = db.session.scalars(
        sa.select(PigmentLot).join(Pigment).where(Pigment.practice_id == practitioner.practice_id)
    ).all()
    expired = [lot.lot_number for lot in lots if lot.expires_on < NOW.date()]

    assert len(lots) >= 4
    assert expired == [demo.EXPIRED_LOT]
    placements = db.session.scalars(sa.select(Placement)).all()
    own = {lot.id for lot in lots}
    assert placements and all(p.pigment_lot_id in own for p in placements)
    used_expired = db.session.scalar(
        sa.select(sa.func.count(Placement.id))
        .join(PigmentLot)
        .where(PigmentLot.lot_number == demo.EXPIRED_LOT)
    )
    assert used_expired > 0, "the expired lot has a recall trace to show"
    by_id = {lot.id: lot for lot in lots}
    for placement in placements:
        performed_on = db.session.get(TreatmentSession, placement.session_id).performed_on
        assert by_id[placement.pigment_lot_id].expires_on >= performed_on, "no lot used expired"


def test_running_the_demo_again_adds_nothing(app: Flask) -> None:
    demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()
    first = table_counts()

    again = demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()

    assert not again.created
    assert table_counts() == first


def test_an_instance_from_an_older_demo_gains_the_histories(app: Flask) -> None:
    demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()
    full = table_counts()
    for model in (Placement, TreatmentSession, SunExposure, FadeAssessment):
        db.session.execute(sa.delete(model))
    db.session.commit()

    result = demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()

    assert result.created
    assert table_counts() == full


def test_the_demo_pages_show_real_content(app: Flask) -> None:
    demo.ensure_demo_data(NOW)
    projections.refresh_stale(NOW)  # the unit of work's step
    db.session.commit()
    practitioner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    client_login = db.session.scalar(sa.select(User).where(User.email == demo.CLIENT_EMAIL))
    records = db.session.scalars(sa.select(Client)).all()

    listing = page_text(visit(app, practitioner, "/clients/?sort=touch_up"))
    assert "Not projected yet" not in listing, "every demo client has a touch-up estimate"
    for record in records:
        text = page_text(visit(app, practitioner, f"/clients/{record.id}"))
        assert record.display_name in text
        # The overview's sections (issue 13 item 3) with their counts, and the healed rating.
        assert re.search(r"Sessions \(\d+\)", text) and re.search(r"Sun \(\d+ months?\)", text)
        assert "of the healed result" in text
    own = page_text(visit(app, client_login, "/me"))
    assert "Daniel Okafor" in own and "Touch up session" in own and "Self-rating" in own


def test_the_demo_due_list_shows_due_now_soon_later_a_review_flag_and_a_blur_advisory(
    app: Flask,
) -> None:
    from datetime import date, timedelta

    from smptrack.models import User
    from smptrack.services import due

    now = datetime.now(UTC)
    demo.ensure_demo_data(now)
    projections.refresh_stale(now)  # the unit of work's step
    db.session.commit()
    practitioner = db.session.scalar(sa.select(User).where(User.email == demo.PRACTITIONER_EMAIL))
    today = now.date()
    listed = due.due_clients(practitioner, today + timedelta(days=3650)).items
    statuses = {c.display_name: due.status_words(c) for c in listed}
    assert any("due now" in words for words in statuses.values())
    assert any("review flag" in words for words in statuses.values())
    assert any("blur/colour advisory" in words for words in statuses.values())
    upcoming = [c.next_touch_up_on for c in listed if not c.touch_up_due_now]
    assert any(d <= today + timedelta(days=366) for d in upcoming), "someone is due soon"
    assert any(d > today + timedelta(days=730) for d in upcoming), "someone is due later"
    assert isinstance(today, date)
