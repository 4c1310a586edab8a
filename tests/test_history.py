"""The client history: the timeline on the client page and on the client's own page, the client
list, the access log, and the bounded number of queries behind them."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import (
    AuditEvent,
    Client,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.services import audit, projections
from tests.conftest import Personas, log_in, make_client, make_user, statements_sent

ZONES3 = ("frontal_hairline", "crown", "mid_scalp")


# --- factories (rows straight through the models; the services have their own tests) -------


def make_lot(
    practitioner: User,
    shade: str = "Dark Ash",
    number: str = "LOT-1",
    expires_on: date = date(2030, 1, 1),
) -> PigmentLot:
    pigment = db.session.scalar(
        sa.select(Pigment).where(
            Pigment.practice_id == practitioner.practice_id, Pigment.shade == shade
        )
    )
    if pigment is None:
        pigment = Pigment(
            practice_id=practitioner.practice_id, brand="Nordic", line="Pro", shade=shade
        )
        db.session.add(pigment)
        db.session.flush()
    lot = PigmentLot(pigment_id=pigment.id, lot_number=number, expires_on=expires_on)
    db.session.add(lot)
    db.session.flush()
    return lot


def add_session(
    record: Client,
    by: User,
    on: date,
    *,
    kind: str = "initial",
    zones: tuple[str, ...] = ("crown",),
    lots: tuple[PigmentLot, ...] = (),
    notes: str = "",
    logged_at: datetime | None = None,
) -> TreatmentSession:
    treatment = TreatmentSession(
        client_id=record.id,
        performed_on=on,
        kind=kind,
        performed_by_id=by.id if by.role == "practitioner" else None,
        logged_by_id=by.id,
        logged_at=logged_at or datetime.combine(on, time(17), tzinfo=UTC),
        notes=notes,
    )
    db.session.add(treatment)
    db.session.flush()
    for index, zone in enumerate(zones):
        lot = lots[index % len(lots)] if lots else None
        db.session.add(
            Placement(
                session_id=treatment.id,
                zone=zone,
                pigment_lot_id=lot.id if lot else None,
                pigment_free_text=None if lot else "Own pigment, shade unknown",
                dilution="light",
                dilution_ratio="1:3",
                density_worked_pct=70,
            )
        )
    db.session.flush()
    return treatment


def add_exposure(
    record: Client, on: date, *, minutes: int = 60, uv_index: float = 5.0
) -> SunExposure:
    entry = SunExposure(
        client_id=record.id,
        exposed_on=on,
        start_time=time(12),
        duration_minutes=minutes,
        uv_index=uv_index,
        uv_index_kind="daily_max",
        hair_length="shaved",
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def add_assessment(
    record: Client,
    on: date,
    *,
    zone: str = "crown",
    density: float = 90,
    kind: str = "practitioner_in_person",
    by: User | None = None,
    note: str = "",
) -> FadeAssessment:
    assessment = FadeAssessment(
        client_id=record.id,
        assessed_on=on,
        zone=zone,
        density_pct=density,
        assessor_kind=kind,
        assessed_by_id=by.id if by else None,
        note=note,
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


def visit(app: Flask, user: User | None, path: str, method: str = "GET", **kwargs):
    """One request by ``user``, in its own app context as in production: its own database
    session and its own ``g`` (Flask-Login caches the current user there, so requests sharing
    the test's app context would all run as whoever asked first)."""
    with app.app_context():
        return log_in(app.test_client(), user).open(path, method=method, **kwargs)


def page_text(response) -> str:
    """The page's visible text, whitespace collapsed, for reading order and content checks."""
    html = response.get_data(as_text=True)
    main = html[html.find("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], contextmanager]:
    """``with count_queries() as statements:`` collects every SQL statement sent meanwhile."""
    return statements_sent


# --- the timeline ---------------------------------------------------------------------------


def test_the_client_page_shows_sessions_with_placements_sun_months_and_assessments_newest_first(
    app: Flask, personas: Personas
) -> None:
    p, record = personas.practitioner_p, personas.record_a
    lot = make_lot(p, "Dark Ash", "DA-77")
    add_session(
        record,
        p,
        date(2025, 3, 4),
        zones=("crown", "frontal_hairline"),
        lots=(lot,),
        notes="First pass on the hairline",
    )
    add_session(record, p, date(2025, 3, 18), kind="build_up", zones=("crown",), lots=(lot,))
    add_assessment(record, date(2025, 4, 15), density=100, by=p, note="Healed check done")
    add_exposure(record, date(2025, 7, 1), minutes=90)
    add_exposure(record, date(2025, 7, 20), minutes=30)
    projections.refresh_stale(datetime.now(UTC))  # the unit of work's step
    db.session.commit()

    response = visit(app, p, f"/clients/{record.id}")

    assert response.status_code == 200
    # Issue 13 item 3: one section per kind of record (no longer one merged timeline), each
    # newest first, after the fade chart (which names the same days in its own words).
    text = page_text(response).split("Projected fade", 1)[1]
    sessions = text[text.index("sessions, newest first") : text.index("of sun log")]
    sun = text[text.index("of sun log") : text.index("Log sun exposure")]
    assert sessions.index("18 March 2025: Build up session") < sessions.index(
        "4 March 2025: Initial session"
    )
    assert "July 2025 2 120" in sun, "July: 2 entries, 120 minutes outdoors"
    assert "15 April 2025: Crown at 100 %" in text
    assert "Nordic Pro Dark Ash, lot DA-77" in text
    assert "Light (1:3)" in text
    assert "First pass on the hairline" in text and "Healed check done" in text
    # The July dose is priced at the treated zones only.
    july = sun[sun.index("July 2025") :]
    assert "Crown" in july and "Frontal hairline" in july and "Occipital" not in july


def test_a_session_the_client_logged_shows_their_free_text_pigment_and_who_logged_it(
    app: Flask, personas: Personas
) -> None:
    add_session(personas.record_a, personas.client_a, date(2024, 6, 1))
    db.session.commit()

    text = page_text(visit(app, personas.practitioner_p, f"/clients/{personas.record_a.id}"))

    assert "Own pigment, shade unknown" in text
    assert "Logged by Ada Client" in text


def test_times_are_shown_in_the_viewers_own_time_zone(app: Flask, personas: Personas) -> None:
    personas.practitioner_p.time_zone = "America/New_York"
    add_session(
        personas.record_a,
        personas.practitioner_p,
        date(2026, 2, 28),
        logged_at=datetime(2026, 3, 1, 3, 30, tzinfo=UTC),
    )
    db.session.commit()

    practitioner_view = page_text(
        visit(app, personas.practitioner_p, f"/clients/{personas.record_a.id}")
    )
    client_view = page_text(visit(app, personas.client_a, "/me"))

    assert "28 Feb 2026, 22:30 EST" in practitioner_view
    assert "01 Mar 2026, 03:30 GMT" in client_view


def test_a_long_sun_log_is_paginated_by_month_in_its_own_section(
    app: Flask, personas: Personas
) -> None:
    # Issue 13 item 3: the sun section pages by ?sun_page (it was ?page for the whole timeline).
    app.config["PAGE_SIZE"] = 2
    for month in (1, 2, 3, 4, 5):
        add_exposure(personas.record_a, date(2025, month, 10))
    projections.refresh_stale(datetime.now(UTC))  # the unit of work's step
    db.session.commit()
    p = personas.practitioner_p

    first = page_text(visit(app, p, f"/clients/{personas.record_a.id}"))
    third = page_text(visit(app, p, f"/clients/{personas.record_a.id}?sun_page=3"))
    junk = visit(app, p, f"/clients/{personas.record_a.id}?sun_page=banana")

    assert "May 2025" in first and "April 2025" in first and "March 2025" not in first
    assert "Page 1 of 3" in first
    assert "January 2025" in third and "February 2025" not in third
    assert junk.status_code == 200 and "May 2025" in page_text(junk)


def test_a_client_with_nothing_recorded_sees_an_explanation_not_an_empty_list(
    app: Flask, personas: Personas
) -> None:
    text = page_text(visit(app, personas.client_a, "/me"))

    assert "Nothing recorded yet" in text


def test_the_client_sees_their_own_history_and_nothing_of_anyone_elses(
    app: Flask, personas: Personas
) -> None:
    add_session(personas.record_a, personas.practitioner_p, date(2025, 5, 1), notes="Pass for Ada")
    add_session(personas.record_b, personas.practitioner_q, date(2025, 5, 2), notes="Pass for Bea")
    db.session.commit()

    text = page_text(visit(app, personas.client_a, "/me"))

    # By the sessions' dates: a practitioner's notes are internal unless shared (issue 13 item 5).
    assert "1 May 2025: Initial session" in text
    assert "2 May 2025" not in text and "Pass for Bea" not in text
    assert "Download all my data" in text and "Erase my account and data" in text


def test_a_client_login_with_no_record_is_told_how_to_get_one(app: Flask) -> None:
    loner = make_user("client", "loner@clients.test", "Lone Client")
    db.session.commit()

    text = page_text(visit(app, loner, "/me"))

    assert "No record linked yet" in text
    assert "Download all my data" in text


# --- the access log -------------------------------------------------------------------------


def test_every_view_of_the_record_is_logged_and_listed_for_the_practitioner_with_names(
    app: Flask, personas: Personas
) -> None:
    visit(app, personas.client_a, "/me")

    text = page_text(visit(app, personas.practitioner_p, f"/clients/{personas.record_a.id}"))

    reads = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.client_id == personas.record_a.id, AuditEvent.action == "read"
        )
    ).all()
    assert {event.actor_id for event in reads} == {
        personas.client_a.id,
        personas.practitioner_p.id,
    }
    access_log = text[text.index("Record access") :]
    assert "Ada Client" in access_log and "you" in access_log
    assert "127.0.0.1" in access_log


def test_the_client_does_not_see_the_access_log_of_their_own_record(
    app: Flask, personas: Personas
) -> None:
    text = page_text(visit(app, personas.client_a, f"/clients/{personas.record_a.id}"))

    assert "Ada Client" in text
    assert "Record access" not in text
    assert "Erase my account and data" in text and "Erase this client" not in text


def test_the_practitioner_finds_the_recording_export_and_erase_pages_on_the_client_page(
    app: Flask, personas: Personas
) -> None:
    response = visit(app, personas.practitioner_p, f"/clients/{personas.record_a.id}")

    html = response.get_data(as_text=True)
    record_id = personas.record_a.id
    for path in (f"/clients/{record_id}/export", f"/clients/{record_id}/erase"):
        assert f'href="{path}"' in html
    assert "Erase this client" in page_text(response)


def test_the_access_log_is_paginated(app: Flask, personas: Personas) -> None:
    app.config["PAGE_SIZE"] = 3
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    for n in range(7):
        audit.record_event(
            personas.practitioner_p,
            "update",
            client_id=personas.record_a.id,
            object_type="sun_exposure",
            object_id=1000 + n,
            remote_addr="10.0.0.1",
            now=start + timedelta(minutes=n),
        )
    db.session.commit()
    p = personas.practitioner_p

    newest = page_text(visit(app, p, f"/clients/{personas.record_a.id}"))
    older = page_text(visit(app, p, f"/clients/{personas.record_a.id}?events_page=3"))

    # A view's own line is written after its response (smptrack/denials.py): the first view
    # shows the 7 updates, newest first.
    assert "7 events, newest first" in newest
    assert "#1006" in newest and "#1004" in newest and "#1003" not in newest
    # The second shows the first view's line too: 8 events, so page 3 holds the two oldest.
    assert "#1001" in older and "#1000" in older and "#1002" not in older


# --- the client list ------------------------------------------------------------------------


def test_the_client_list_searches_sorts_by_touch_up_and_shows_the_last_session(
    app: Flask, personas: Personas
) -> None:
    p = personas.practitioner_p
    soon = make_client(p, "Sooner Sam")
    later = make_client(p, "Later Lou", email="lou@clients.test")
    add_session(soon, p, date(2024, 2, 3))
    add_session(soon, p, date(2025, 9, 8))
    db.session.commit()
    # Set the materialised dates directly: the projection would compute its own on commit.
    for record, due in ((soon, date(2027, 1, 1)), (later, date(2028, 1, 1))):
        db.session.execute(
            sa.update(Client).where(Client.id == record.id).values(next_touch_up_on=due)
        )
    db.session.commit()

    by_date = page_text(visit(app, p, "/clients/?sort=touch_up"))
    searched = page_text(visit(app, p, "/clients/?q=LOU@"))

    assert by_date.index("Sooner Sam") < by_date.index("Later Lou") < by_date.index("Ada Client")
    row = by_date[by_date.index("Sooner Sam") : by_date.index("Later Lou")]
    assert "8 September 2025" in row and "3 February 2024" not in row
    assert "Later Lou" in searched and "Sooner Sam" not in searched


# --- a bounded number of queries ------------------------------------------------------------


def _queries_for(app: Flask, user: User, path: str, count_queries) -> int:
    db.session.commit()
    with app.app_context():
        browser = log_in(app.test_client(), user)
        with count_queries() as statements:
            response = browser.get(path)
    assert response.status_code == 200
    return len(statements)


def test_the_client_list_runs_the_same_queries_for_one_client_as_for_sixty(
    app: Flask, count_queries
) -> None:
    p = make_user("practitioner", "busy@practice.test", "Busy Practitioner")
    first = make_client(p, "Client 000", next_touch_up_on=date(2027, 1, 1))
    add_session(first, p, date(2025, 1, 1), zones=ZONES3)

    with_one = _queries_for(app, p, "/clients/?sort=touch_up", count_queries)
    for n in range(1, 60):
        record = make_client(
            p,
            f"Client {n:03}",
            email=f"c{n}@clients.test",
            next_touch_up_on=date(2027, 1, 1) + timedelta(days=n),
        )
        add_session(record, p, date(2025, 1, 1) + timedelta(days=n), zones=ZONES3)
    with_sixty = _queries_for(app, p, "/clients/?sort=touch_up", count_queries)

    assert with_sixty == with_one
    assert with_one <= 8


def test_the_history_page_runs_the_same_queries_for_one_session_as_for_thirty_with_years_of_sun(
    app: Flask, personas: Personas, count_queries
) -> None:
    p, record = personas.practitioner_p, personas.record_a
    lots = tuple(make_lot(p, shade, f"L-{shade}") for shade in ("Dark Ash", "Soft Brown", "Grey"))
    add_session(record, p, date(2023, 1, 2), zones=ZONES3, lots=lots)
    add_exposure(record, date(2023, 2, 1))
    add_assessment(record, date(2023, 2, 3), by=p)

    small = _queries_for(app, p, f"/clients/{record.id}", count_queries)
    small_own = _queries_for(app, personas.client_a, "/me", count_queries)
    for n in range(1, 30):
        add_session(record, p, date(2023, 1, 2) + timedelta(days=30 * n), zones=ZONES3, lots=lots)
    for n in range(500):
        add_exposure(record, date(2023, 1, 1) + timedelta(days=2 * n), minutes=30 + n % 90)
    for n in range(20):
        add_assessment(
            record,
            date(2023, 3, 1) + timedelta(days=40 * n),
            by=personas.client_a,
            kind="client_self",
        )
    large = _queries_for(app, p, f"/clients/{record.id}", count_queries)
    large_own = _queries_for(app, personas.client_a, "/me", count_queries)

    assert large == small
    assert large_own == small_own
    # history (sessions, their placements, assessments), audit log and the fade projection
    assert large <= 21
