"""The client page's overview and its sections (issue 13 item 3): the next touch-up in words,
the latest rating, the next appointment and the flags on top; sessions, sun, assessments,
reminders and record access below, each paged by its own parameter and clamped to its range."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import projections
from smptrack.services.overview import SECTION_ROWS, pages_from, touch_up_words
from tests.conftest import Personas
from tests.test_history import add_assessment, add_exposure, add_session, page_text, visit
from tests.test_home import book_today

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("most_likely", "due_now", "words"),
    [
        (date(2027, 5, 1), False, "Touch-up due in about 5 months (May 2027)"),
        (date(2027, 1, 5), False, "Touch-up due in about 5 weeks (January 2027)"),
        (date(2026, 12, 9), False, "Touch-up due within two weeks (December 2026)"),
        (date(2029, 6, 1), False, "Touch-up due in about 2½ years (June 2029)"),
        (date(2030, 12, 1), False, "Touch-up due in about 4 years (December 2030)"),
        (date(2026, 11, 1), False, "Touch-up due now (most likely date November 2026)"),
        # The model's own "due now" wins over a date still ahead.
        (date(2027, 5, 1), True, "Touch-up due now (most likely date May 2027)"),
    ],
)
def test_the_next_touch_up_reads_in_words(most_likely: date, due_now: bool, words: str) -> None:
    assert touch_up_words(most_likely, TODAY, due_now=due_now) == words


def test_nothing_projected_has_no_words() -> None:
    assert touch_up_words(None, TODAY) is None


@pytest.mark.parametrize(
    ("args", "pages"),
    [
        ({"sessions_page": "2", "sun_page": "3"}, {"sessions": 2, "sun": 3}),
        ({"sessions_page": "banana", "sun_page": "-4", "events_page": "0"}, {"events": 1}),
        ({"reminders_page": "99999999"}, {"reminders": 10_000}),
        ({"page": "2", "sessions_page": "²"}, {}),
    ],
)
def test_each_section_reads_its_own_page_parameter(args: dict, pages: dict) -> None:
    assert pages_from(args) == pages


def a_long_history(personas: Personas, *, sessions: int = 7, months: int = 8) -> None:
    p, record = personas.practitioner_p, personas.record_a
    for n in range(sessions):
        add_session(
            record,
            p,
            date(2024, 1, 1) + timedelta(days=10 * n),
            kind="initial" if n == 0 else "touch_up",
        )
    for n in range(months):
        add_exposure(record, date(2024, 1, 15) + timedelta(days=31 * n))
    add_assessment(record, date(2024, 3, 1), density=97, by=p)
    add_assessment(record, date(2024, 6, 1), zone="crown", density=88, by=p)
    projections.refresh_stale(datetime.now(UTC))  # the unit of work's step
    db.session.commit()


def section(text: str, heading: str, following: str) -> str:
    start = text.index(heading, text.index("Projected fade"))
    return text[start : text.index(following, start)]


def test_the_page_opens_on_the_overview_with_latest_rating_next_appointment_and_flags(
    app: Flask, personas: Personas
) -> None:
    a_long_history(personas)
    record = personas.record_a
    appointment = book_today(record, personas.practitioner_p, hour=23)
    db.session.execute(
        sa.update(Client)
        .where(Client.id == record.id)
        .values(
            next_touch_up_on=date.today() + timedelta(days=152),
            touch_up_due_now=False,
            projection_review_flag=True,
        )
    )
    db.session.commit()

    response = visit(app, personas.practitioner_p, f"/clients/{record.id}")

    text = page_text(response)
    overview = text[text.index("Overview") : text.index("Projected fade")]
    assert "Touch-up due in about 5 months" in overview
    assert "Crown at 88 % of the healed result, 1 June 2024" in overview
    assert "asks for a review" in overview
    assert "Consent:" in overview  # the consent panel is part of the overview
    html = response.get_data(as_text=True)
    if appointment.starts_at > datetime.now(UTC):  # booked at 23:00 today: still ahead
        assert f'href="/appointments/{appointment.id}"' in html
        assert "touch up session with Pat Practitioner" in overview
    # The overview comes before the sections.
    assert text.index("Overview") < text.index("Projected fade") < text.index("sessions, newest")


def test_each_section_shows_a_few_rows_and_pages_on_its_own(app: Flask, personas: Personas) -> None:
    a_long_history(personas, sessions=7, months=8)
    path = f"/clients/{personas.record_a.id}"
    p = personas.practitioner_p

    first = page_text(visit(app, p, path))
    second = page_text(visit(app, p, f"{path}?sessions_page=2"))

    sessions = section(first, "7 sessions, newest first", "of sun log")
    assert sessions.count(": Touch up session") == SECTION_ROWS
    assert ": Initial session" not in sessions
    assert "Page 1 of 2" in sessions
    later = section(second, "7 sessions, newest first", "of sun log")
    assert " 1 January 2024: Initial session" in later
    assert later.count(": Touch up session") == 1
    # The sun section did not move: still its newest months, on its own first page.
    sun_first = section(first, "8 months of sun log", "Log sun exposure")
    sun_second = section(second, "8 months of sun log", "Log sun exposure")
    assert sun_first == sun_second
    assert "August 2024" in sun_first and "January 2024" not in sun_first


def test_a_pager_keeps_the_other_sections_pages(app: Flask, personas: Personas) -> None:
    a_long_history(personas)
    record_id = personas.record_a.id

    html = visit(app, personas.practitioner_p, f"/clients/{record_id}?sessions_page=2").get_data(
        as_text=True
    )

    # The sun pager's "Older" link keeps sessions on page 2.
    assert f"/clients/{record_id}?sessions_page=2&amp;sun_page=2#sun-heading" in html


def test_a_page_past_the_end_shows_the_last_page_of_that_section(
    app: Flask, personas: Personas
) -> None:
    a_long_history(personas, sessions=7, months=8)
    path = f"/clients/{personas.record_a.id}"

    text = page_text(visit(app, personas.practitioner_p, f"{path}?sessions_page=99&sun_page=99"))

    sessions = section(text, "7 sessions, newest first", "of sun log")
    assert "Page 2 of 2" in sessions and " 1 January 2024: Initial session" in sessions
    sun = section(text, "8 months of sun log", "Log sun exposure")
    assert "Page 2 of 2" in sun and "January 2024" in sun
    assert "Page 99" not in text


def test_the_client_sees_the_same_sections_on_their_own_page_without_the_access_log(
    app: Flask, personas: Personas
) -> None:
    a_long_history(personas)

    text = page_text(visit(app, personas.client_a, "/me?sessions_page=2"))

    assert "Overview" in text and "Crown at 88 %" in text
    assert "1 January 2024: Initial session" in text
    assert "Record access" not in text
