"""Every page and API read answers in a bounded number of SQL statements whatever the client's
history (issue 9): the statements of each GET route of the url_map are counted, with SQLAlchemy's
``before_cursor_execute``, for a client with a short history and again once the same client has
a long one (3 -> 30 sessions, 20 -> 500 sun entries, 3 -> 12 assessments, 2 -> 10 reminders). The
bound is exact: the same number of statements, route by route and persona by persona. A query per
row (an N+1) makes the long history's count grow with the rows and fails the test.

The routes and their paths come from the access matrix (tests/access_cases/), which must name
every route of the url_map (``test_every_route_has_a_row_in_the_matrix``), so a new read route is
counted here without a new row. Each is asked by every persona the matrix expects a 200 from
(routes no persona gets a 200 from, such as emailed links and redirects, are not counted).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import Client, Reminder, User
from smptrack.services import accounts, projections
from tests.conftest import PERSONA_NAMES, Personas, log_in, make_client, statements_sent
from tests.test_access_matrix import CASES, _placeholders
from tests.test_history import ZONES3, add_assessment, add_exposure, add_session, make_lot

READS = [case for case in CASES if case.method == "GET"]
HISTORY_START = date(2023, 1, 2)


def grow_history(
    record: Client,
    practitioner: User,
    *,
    sessions: tuple[int, int],
    sun_entries: tuple[int, int],
    assessments: tuple[int, int],
    reminders: tuple[int, int],
) -> None:
    """Add the rows numbered ``range(*n)`` of each kind to ``record``, dated along one timeline,
    then run the unit of work's step (stored doses and projection) and commit."""
    lots = tuple(
        make_lot(practitioner, shade, f"L-{shade}-{sessions[0]}")
        for shade in ("Ash", "Brown", "Grey")
    )
    for n in range(*sessions):
        add_session(
            record,
            practitioner,
            HISTORY_START + timedelta(days=30 * n),
            kind="initial" if n == 0 else "touch_up",
            zones=ZONES3,
            lots=lots,
        )
    for n in range(*sun_entries):
        add_exposure(record, HISTORY_START + timedelta(days=2 * n), minutes=30 + n % 90)
    for n in range(*assessments):
        add_assessment(
            record, HISTORY_START + timedelta(days=45 * n + 40), by=practitioner, density=95 - n
        )
    for n in range(*reminders):
        db.session.add(
            Reminder(
                client_id=record.id,
                recipient_email="a@clients.test",
                kind="aftercare",
                due_at=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=n),
                dedupe_key=f"sql-count:{record.id}:{n}",
                payload={},
            )
        )
    db.session.flush()
    projections.refresh_stale(datetime.now(UTC))
    db.session.commit()


def count_every_read(
    app: Flask, browsers: dict[str, FlaskClient], bearers: dict[str, str], values: dict[str, int]
) -> dict[tuple[str, str], int]:
    """(route, persona) -> statements of the second of two requests (the first may write a
    session's or token's hourly last use; the second shows the steady state)."""
    counts: dict[tuple[str, str], int] = {}
    for case in READS:
        path = case.path.format(**values)
        for persona in PERSONA_NAMES:
            if case.expect[persona] != 200:
                continue
            bearer = bearers.get(persona) if case.json else None
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            browser = browsers["anonymous" if case.json else persona]
            for _attempt in ("warm", "count"):
                # Its own app context per request, as in production (a fresh session and g).
                with app.app_context(), statements_sent() as statements:
                    response = browser.get(path, headers=headers)
                assert response.status_code == 200, (path, persona, response.status_code)
            counts[(f"GET {case.rule}", persona)] = len(statements)
    return counts


def test_every_read_runs_as_many_statements_for_a_long_history_as_for_a_short_one(
    app: Flask, personas: Personas
) -> None:
    values = _placeholders(personas)  # the rows each area's paths name, of client A's record
    p, record = personas.practitioner_p, personas.record_a
    now = datetime.now(UTC)
    users = {name: personas.by_name(name) for name in PERSONA_NAMES}
    bearers = {
        name: accounts.issue_api_token(user, "count", now=now, max_age=timedelta(days=1)).secret
        for name, user in users.items()
        if user is not None
    }
    db.session.commit()
    browsers = {name: log_in(app.test_client(), user) for name, user in users.items()}

    grow_history(
        record, p, sessions=(0, 3), sun_entries=(0, 20), assessments=(0, 3), reminders=(0, 2)
    )
    short = count_every_read(app, browsers, bearers, values)
    grow_history(
        record, p, sessions=(3, 30), sun_entries=(20, 500), assessments=(3, 12), reminders=(2, 10)
    )
    long = count_every_read(app, browsers, bearers, values)

    grew = {key: (short[key], long[key]) for key in short if long[key] != short[key]}
    assert grew == {}, "statements (short history, long history) of the routes that grew"
    # Every read of one client's record was counted: the routes that grow with a history.
    counted_routes = {route for route, _ in short}
    record_reads = {
        f"GET {rule.rule}"
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and "<int:client_id>" in rule.rule
    }
    assert record_reads - counted_routes == set()
    assert len(record_reads) >= 15
    assert {"GET /me", "GET /clients/", "GET /due"} <= counted_routes
    assert {persona for _, persona in short} >= {"practitioner_p", "client_a"}


def test_a_members_home_runs_as_many_statements_for_a_busy_practice_as_for_an_empty_one(
    app: Flask, personas: Personas
) -> None:
    """Issue 13 item 2: every block of /home is a LIMITed list and one COUNT, so a practice with
    a due client, a failed reminder, an unsigned consent and activity in every block costs the
    same statements as one with twenty of each."""
    from tests.test_home import a_busy_practice, due, failed_reminder

    users = {"practitioner_p": personas.practitioner_p, "front_desk_p": personas.front_desk_p}
    browsers = {name: log_in(app.test_client(), user) for name, user in users.items()}

    def count() -> dict[str, int]:
        counts = {}
        for name, browser in browsers.items():
            for _attempt in ("warm", "count"):
                with app.app_context(), statements_sent() as statements:
                    response = browser.get("/home")
                assert response.status_code == 200
            counts[name] = len(statements)
        return counts

    empty = count()
    a_busy_practice(personas)
    busy = count()
    for n in range(20):
        record = make_client(personas.practitioner_p, f"Due {n:02}", email=f"d{n}@clients.test")
        due(record, date.today() - timedelta(days=n), date.today() - timedelta(days=300))
        failed_reminder(record, f"550 number {n}")
    db.session.commit()
    busier = count()

    assert busy == busier
    # Without a consent text there is no unsigned block to list (its two statements fewer).
    assert {name: n + 2 for name, n in empty.items()} == busy
    # P owns the practice: the first-run checklist (onboarding) asks its three steps' state.
    assert busy["practitioner_p"] <= 16 and busy["front_desk_p"] <= 6
