"""The client list, the due list and every page's frame, built once and filled in per request
(issue 9): the prebuilt statements list what ``access.visible_clients`` lets each persona see, in
the same order and pages, and the cached menu is the viewer's own, under any mount point."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import access, due
from smptrack.services import clients as client_service
from smptrack.templating import long_date
from tests.conftest import PERSONA_NAMES, OwnContextClient, Personas, log_in, make_client

ACTORS = [name for name in PERSONA_NAMES if name != "anonymous"]
NAMES = ["ada", "Bram", "bram", "Cleo", "dora", "Eli", "Fenna", "Gus"]


@pytest.fixture
def roster(personas: Personas) -> list[Client]:
    """Practitioner P's clients besides Ada: touch-up dates spread, some missing, one email that
    matches a search for "xyz", names that differ only in case; and due flags on a few."""
    made = []
    for n, name in enumerate(NAMES):
        record = make_client(
            personas.practitioner_p,
            f"{name} Roster",
            email=f"{name.lower()}{n}@xyz.test" if n % 3 == 0 else None,
            next_touch_up_on=date(2027, 1, 1) + timedelta(days=40 * (n % 4)) if n % 4 else None,
        )
        if record.next_touch_up_on is not None:
            record.touch_up_earliest_on = record.next_touch_up_on - timedelta(days=30)
            record.touch_up_latest_on = record.next_touch_up_on + timedelta(days=30)
            record.touch_up_due_now = n == 5
            record.projection_review_flag = n == 6
        made.append(record)
    db.session.commit()
    return made


def _reference_listing(actor, search: str, sort: str) -> list[int]:
    """The whole list the ORM way, from ``visible_clients``: what every page must slice."""
    query, _, _ = client_service._listing(actor, search, sort, 1, 1)
    return list(db.session.scalars(query.with_only_columns(Client.id, maintain_column_froms=True)))


@pytest.mark.parametrize("sort", client_service.SORTS)
@pytest.mark.parametrize("search", ["", "roster", "XYZ", "nobody"])
@pytest.mark.parametrize("actor_name", ACTORS)
def test_the_list_pages_are_the_clients_visible_clients_gives_in_order(
    personas: Personas, roster: list[Client], actor_name: str, search: str, sort: str
) -> None:
    actor = personas.by_name(actor_name)
    expected = _reference_listing(actor, search, sort)
    listed: list[int] = []
    for number in range(1, 6):
        page = client_service.list_client_lines(
            actor, search=search, sort=sort, page=number, per_page=3
        )
        assert page.total == len(expected)
        if number <= page.pages:
            assert page.page == number
            listed.extend(line.id for line in page.items)
    assert listed == expected
    if actor_name in ("practitioner_p", "colleague_p") and search == "":
        assert len(expected) == len(NAMES) + 1  # the roster and Ada


def test_a_page_past_the_end_shows_the_last_page(personas: Personas, roster: list[Client]) -> None:
    page = client_service.list_client_lines(personas.practitioner_p, page=99, per_page=4)
    assert (page.page, page.pages, len(page.items)) == (3, 3, 1)


def test_the_list_rows_carry_their_last_session(
    app: Flask, personas: Personas, roster: list[Client]
) -> None:
    from tests.test_history import add_session

    add_session(roster[0], personas.practitioner_p, date(2025, 4, 2))
    add_session(roster[0], personas.practitioner_p, date(2026, 5, 3))
    db.session.commit()
    lines = client_service.list_client_lines(personas.practitioner_p, search="ada roster").items
    assert [(line.id, line.last_session_on) for line in lines] == [(roster[0].id, date(2026, 5, 3))]
    page = log_in(app.test_client(), personas.practitioner_p).get("/clients/?q=ada+roster")
    assert "3 May 2026" in page.get_data(as_text=True)


@pytest.mark.parametrize("before", [date(2027, 1, 1), date(2027, 3, 1), date(2040, 1, 1)])
@pytest.mark.parametrize("actor_name", ["practitioner_p", "colleague_p", "practitioner_q"])
def test_the_due_list_is_the_visible_clients_whose_window_opens_before_the_date(
    personas: Personas, roster: list[Client], actor_name: str, before: date
) -> None:
    actor = personas.by_name(actor_name)
    reference = access.visible_clients(actor).where(
        Client.next_touch_up_on.is_not(None),
        sa.or_(Client.touch_up_earliest_on < before, Client.touch_up_due_now.is_(True)),
    )
    expected = list(
        db.session.scalars(
            reference.order_by(Client.next_touch_up_on, Client.display_name, Client.id)
        )
    )
    listed = []
    for number in (1, 2, 3):
        listed.extend(due.due_clients(actor, before, page=number, per_page=2).items)
    assert [line.id for line in listed] == [c.id for c in expected]
    for line, record in zip(listed, expected, strict=True):
        assert line.status == tuple(due.status_words(record))
        assert line.touch_up_latest_on == record.touch_up_latest_on


def test_the_due_page_tags_each_status(
    app: Flask, personas: Personas, roster: list[Client]
) -> None:
    html = (
        log_in(app.test_client(), personas.practitioner_p)
        .get("/due?before=2027-01-01")
        .get_data(as_text=True)
    )
    assert '<span class="tag tag-due-now">due now</span>' in html  # due now whatever the date
    assert '<span class="tag tag-review-flag">review flag</span>' not in html  # opens later


def _menu(html: str) -> list[tuple[str, str]]:
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', nav)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_every_menu_link_opens_for_the_viewer(app: Flask, personas: Personas, persona: str) -> None:
    browser = log_in(app.test_client(), personas.by_name(persona))
    html = browser.get("/account" if persona != "anonymous" else "/auth/login").get_data(
        as_text=True
    )
    menu = _menu(html)
    assert ("/account" in dict(menu)) == (persona != "anonymous")
    assert ('action="/auth/logout"' in html) == (persona != "anonymous")
    for href, label in menu:
        response = browser.get(href)
        # A page may send its viewer on (a client's sun log to the step it needs first), never
        # refuse them or ask them to sign in.
        assert response.status_code in (200, 302, 303), (persona, label, href)
        assert "/auth/login" not in response.headers.get("Location", ""), (persona, label)


def test_the_menu_follows_the_role_and_the_mount_point(app: Flask, personas: Personas) -> None:
    app.test_client_class = OwnContextClient  # two viewers: neither may see the other's menu
    practitioner = log_in(app.test_client(), personas.practitioner_p)
    client = log_in(app.test_client(), personas.client_a)
    plain = _menu(practitioner.get("/account").get_data(as_text=True))
    assert [label for _, label in plain][:2] == ["Clients", "Due"]
    own = _menu(client.get("/me").get_data(as_text=True))
    assert own[0] == ("/me", "My record") and "Clients" not in dict(own).values()
    assert _menu(practitioner.get("/account").get_data(as_text=True)) == plain
    signed_out = app.test_client()
    at_root = signed_out.get("/auth/login").get_data(as_text=True)
    mounted = signed_out.get("/auth/login", base_url="http://localhost/studio").get_data(
        as_text=True
    )
    assert _menu(at_root) == [("/auth/login", "Log in"), ("/auth/signup", "Sign up")]
    assert _menu(mounted) == [("/studio" + href, label) for href, label in _menu(at_root)]
    assert 'href="/studio/static/style.css"' in mounted and 'href="/studio/"' in mounted
    assert 'href="/static/style.css"' in signed_out.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("day", "words"),
    [(date(2026, 3, 5), "5 March 2026"), (date(2027, 12, 31), "31 December 2027"), (None, "")],
)
def test_a_long_date_is_day_month_year(day: date | None, words: str) -> None:
    assert long_date(day) == words
    assert long_date(day) == words  # the cached answer too
