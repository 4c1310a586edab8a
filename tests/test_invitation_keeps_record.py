"""Issue 13 item 5: accepting an invitation keeps the record's name and time zone and asks for a
password only. Before, the page asked for the name again and put the site's default zone on
both the login and the record, so a client in Sydney got reminders at London's hours.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, User
from tests.conftest import make_client, make_user
from tests.test_invitations import (
    ACCEPT,
    CY_EMAIL,
    CY_PASSWORD,
    Practice,
    accept,
    committed,
    invite_path,
    open_link,
)


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    from tests.conftest import OwnContextClient

    app.test_client_class = OwnContextClient


@pytest.fixture
def practice(app: Flask) -> Practice:
    assert app.config["DEFAULT_TIME_ZONE"] != "Australia/Sydney"
    p = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    q = make_user("practitioner", "quinn@example.org", "Quinn Practitioner")
    cy = make_client(p, "Cy Sydney-Client", time_zone="Australia/Sydney")
    db.session.commit()
    return Practice(p=p, q=q, cy_id=cy.id)


def login_and_record() -> tuple[sa.Row, sa.Row]:
    [login] = committed(sa.select(User.display_name, User.time_zone).where(User.email == CY_EMAIL))
    [record] = committed(sa.select(Client.display_name, Client.time_zone, Client.user_id))
    return login, record


def test_the_page_names_the_record_and_asks_only_for_a_password(
    app: Flask, practice: Practice
) -> None:
    page = open_link(app.test_client(), invite_path(app, practice)).get_data(as_text=True)
    assert "Cy Sydney-Client" in page and "Australia/Sydney" in page
    fields = set(__import__("re").findall(r'name="([a-z_]+)"', page))
    assert {"password", "confirm"} <= fields
    assert not fields & {"display_name", "time_zone"}


def test_the_login_takes_the_records_name_and_zone_and_the_record_keeps_them(
    app: Flask, practice: Practice
) -> None:
    response = accept(app.test_client(), invite_path(app, practice))
    assert response.status_code == 302
    login, record = login_and_record()
    assert tuple(login) == ("Cy Sydney-Client", "Australia/Sydney")
    assert tuple(record[:2]) == ("Cy Sydney-Client", "Australia/Sydney")
    assert record.user_id is not None


def test_a_posted_name_or_zone_changes_nothing(app: Flask, practice: Practice) -> None:
    browser = app.test_client()
    open_link(browser, invite_path(app, practice))
    response = browser.post(
        ACCEPT,
        data={
            "password": CY_PASSWORD,
            "confirm": CY_PASSWORD,
            "display_name": "Someone Else",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 302
    login, record = login_and_record()
    assert tuple(login) == ("Cy Sydney-Client", "Australia/Sydney")
    assert record.time_zone == "Australia/Sydney"


def test_a_record_without_a_valid_zone_gives_the_login_the_default(
    app: Flask, practice: Practice
) -> None:
    db.session.get(Client, practice.cy_id).time_zone = "Mars/Olympus_Mons"
    db.session.commit()
    assert accept(app.test_client(), invite_path(app, practice)).status_code == 302
    login, record = login_and_record()
    assert login.time_zone == app.config["DEFAULT_TIME_ZONE"]
    assert record.time_zone == "Mars/Olympus_Mons", "the record is the practice's to correct"
