"""Client invitations: practitioner P invites the client of a record that has no login yet.

The link is emailed once, works once, stops working when expired or superseded, and only P can
send it. A client who already has a login links the record to it instead of making another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smptrack.extensions import db
from smptrack.models import Client, Invitation, User
from tests.conftest import PASSWORD, OwnContextClient, log_in, make_client, make_user, sent_messages
from tests.outbox import send_account_mail

CY_EMAIL = "cy@example.com"
CY_PASSWORD = "cy's own passphrase"
ACCEPT = "/auth/invite/accept"  # where the emailed link leads once its token is in the session


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@dataclass
class Practice:
    p: User
    q: User
    cy_id: int  # P's record of Cy, with no login


@pytest.fixture
def practice(app: Flask) -> Practice:
    p = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    q = make_user("practitioner", "quinn@example.org", "Quinn Practitioner")
    cy = make_client(p, "Cy Client")
    db.session.commit()
    return Practice(p=p, q=q, cy_id=cy.id)


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def count(model: type) -> int:
    return committed(sa.select(sa.func.count()).select_from(model))[0][0]


def cy_record() -> sa.Row:
    [row] = committed(sa.select(Client.id, Client.user_id, Client.email, Client.display_name))
    return row


def invite(app: Flask, practitioner: User, client_id: int, email: str = CY_EMAIL):
    browser = log_in(app.test_client(), practitioner)
    return browser.post(f"/clients/{client_id}/invite", data={"email": email})


def link_of(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", text)
    return link


def invite_path(app: Flask, practice: Practice, email: str = CY_EMAIL) -> str:
    """P invites Cy; the path of the link in the one new message."""
    before = {message["Message-ID"] for message in sent_messages(app)}
    response = invite(app, practice.p, practice.cy_id, email)
    assert response.status_code == 302
    send_account_mail(app)
    # By Message-ID, not position: files written in the same second sort in random order.
    [message] = [m for m in sent_messages(app) if m["Message-ID"] not in before]
    assert message["To"] == email
    return urlsplit(link_of(message)).path


def open_link(browser: FlaskClient, path: str) -> TestResponse:
    """Open the emailed link: it moves its token into the session and redirects to the
    token-less page, which is returned (or the link's own answer when it refused the token)."""
    opened = browser.get(path)
    if opened.status_code != 303:
        return opened
    assert urlsplit(opened.headers["Location"]).path == ACCEPT
    return browser.get(ACCEPT)


def accept(browser: FlaskClient, path: str, password: str = CY_PASSWORD):
    """Accept with a password only: the name and time zone come from the record (issue 13)."""
    opened = open_link(browser, path)
    if opened.status_code != 200:
        return opened
    return browser.post(ACCEPT, data={"password": password, "confirm": password})


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


# --- sending ---------------------------------------------------------------------------------


def test_it_emails_one_invitation_link_to_the_address_given(app: Flask, practice: Practice) -> None:
    response = invite(app, practice.p, practice.cy_id, "  Cy@Example.com ")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/clients/{practice.cy_id}"
    assert sent_messages(app) == [], "queued in the request, sent by the worker"
    assert send_account_mail(app).sent == 1
    [message] = sent_messages(app)
    assert message["To"] == CY_EMAIL
    assert "Pat Practitioner" in message["Subject"]
    link = link_of(message)
    assert re.fullmatch(r"http://smptrack\.test/auth/invite/[\w.-]{20,}", link)
    assert f'href="{link}"' in message.get_body(preferencelist=("html",)).get_content()
    [invitation] = committed(
        sa.select(Invitation.client_id, Invitation.email, Invitation.accepted_at)
    )
    assert tuple(invitation) == (practice.cy_id, CY_EMAIL, None)
    assert cy_record().email == CY_EMAIL
    # Only a hash of the link's secret is kept: the link's token is nowhere in the row.
    token = link.rsplit("/", 1)[1]
    row = committed(sa.select(Invitation.__table__))[0]
    assert not any(token in str(value) for value in row)


def test_it_lets_no_other_practitioner_invite_the_client(app: Flask, practice: Practice) -> None:
    response = invite(app, practice.q, practice.cy_id, "someone@example.net")

    assert response.status_code == 404
    assert "Cy Client" not in page_text(response)
    send_account_mail(app)
    assert sent_messages(app) == []
    assert count(Invitation) == 0
    assert cy_record().email is None


def test_it_refuses_to_invite_a_staff_address(app: Flask, practice: Practice) -> None:
    response = invite(app, practice.p, practice.cy_id, "quinn@example.org")

    assert response.status_code == 302
    send_account_mail(app)
    assert sent_messages(app) == []
    assert count(Invitation) == 0


# --- accepting -------------------------------------------------------------------------------


def test_it_shows_an_anonymous_visitor_the_form_to_choose_a_password(
    app: Flask, practice: Practice
) -> None:
    path = invite_path(app, practice)

    response = open_link(app.test_client(), path)

    assert response.status_code == 200
    page = page_text(response)
    assert CY_EMAIL in page
    assert 'name="password"' in page
    assert 'name="display_name"' not in page and 'name="time_zone"' not in page


def test_it_creates_a_client_login_linked_to_the_record_and_logs_them_in(
    app: Flask, practice: Practice
) -> None:
    path = invite_path(app, practice)
    browser = app.test_client()

    response = accept(browser, path)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/me"
    [user] = committed(sa.select(User).where(User.email == CY_EMAIL))
    assert user.role == "client"
    assert user.display_name == "Cy Client", "the record's name"
    assert user.email_verified_at is not None, "the link reached this address"
    assert cy_record().user_id == user.id
    [accepted_at] = committed(sa.select(Invitation.accepted_at))[0]
    assert accepted_at is not None
    me = browser.get("/me")
    assert me.status_code == 200
    assert "Cy Client" in page_text(me)
    assert "Pat Practitioner" in page_text(me)


def test_it_refuses_the_same_link_a_second_time(app: Flask, practice: Practice) -> None:
    path = invite_path(app, practice)
    assert accept(app.test_client(), path).status_code == 302

    again = app.test_client().get(path)
    replay = accept(app.test_client(), path)

    for response in (again, replay):
        assert response.status_code == 404
        assert "already been used" in page_text(response)
    assert count(User) == 3


def test_it_refuses_a_tampered_link(app: Flask, practice: Practice) -> None:
    path = invite_path(app, practice)
    prefix, token = path.rsplit("/", 1)
    payload, signature = token.rsplit(".", 1)
    middle = len(signature) // 2  # not the end: the last character carries padding bits
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B")
    bad_paths = [
        f"{prefix}/{payload}.{flipped}{signature[middle + 1 :]}",
        f"{prefix}/{payload}",
        f"{prefix}/{token}x",
    ]

    for bad in bad_paths:
        response = accept(app.test_client(), bad)
        assert response.status_code == 404, bad
        assert "not valid" in page_text(response)
    assert count(User) == 2
    assert cy_record().user_id is None


def test_it_refuses_an_expired_invitation(app: Flask, practice: Practice) -> None:
    path = invite_path(app, practice)
    db.session.execute(
        sa.update(Invitation).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.session.commit()

    shown = app.test_client().get(path)
    posted = accept(app.test_client(), path)

    for response in (shown, posted):
        assert response.status_code == 404
        assert "expired" in page_text(response)
    assert count(User) == 2
    assert cy_record().user_id is None


def test_it_retires_the_earlier_link_when_the_client_is_invited_again(
    app: Flask, practice: Practice
) -> None:
    first = invite_path(app, practice)
    second = invite_path(app, practice, "cy.new@example.com")
    assert first != second

    assert app.test_client().get(first).status_code == 404
    assert accept(app.test_client(), first).status_code == 404
    assert count(User) == 2
    assert accept(app.test_client(), second).status_code == 302
    [user_id] = committed(sa.select(User.id).where(User.email == "cy.new@example.com"))[0]
    assert cy_record().user_id == user_id


def test_it_refuses_a_too_short_password_and_creates_no_login(
    app: Flask, practice: Practice
) -> None:
    path = invite_path(app, practice)

    response = accept(app.test_client(), path, password="short")

    assert response.status_code != 302
    assert re.search(r"\b10\b", page_text(response))
    assert count(User) == 2
    assert cy_record().user_id is None
    assert open_link(app.test_client(), path).status_code == 200, "the link works after a typo"


# --- an address that already has a client login ------------------------------------------------


def test_it_links_the_record_to_an_existing_client_login_after_they_log_in(
    app: Flask, practice: Practice
) -> None:
    cy = make_user("client", CY_EMAIL, "Cy Already")
    db.session.commit()
    path = invite_path(app, practice)
    browser = app.test_client()

    asked = open_link(browser, path)
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    assert urlsplit(login_url).path == "/auth/login"
    [notice] = re.findall(r'<p class="flash[^"]*">(.*?)</p>', page_text(browser.get(login_url)))
    assert "already have a login" in notice

    logged_in = browser.post(login_url, data={"email": CY_EMAIL, "password": PASSWORD})
    assert urlsplit(logged_in.headers["Location"]).path in (path, ACCEPT)
    offer = open_link(browser, path)
    assert offer.status_code == 200
    assert "Link this record to my login" in page_text(offer)
    assert cy_record().user_id is None, "nothing is linked before they agree"

    linked = browser.post(ACCEPT)

    assert urlsplit(linked.headers["Location"]).path == "/me"
    assert cy_record().user_id == cy.id
    assert count(User) == 3, "no second login was made"
    assert "Cy Client" in page_text(browser.get("/me"))
    assert app.test_client().get(path).status_code == 404, "the link is used up"


def test_it_does_not_link_the_record_to_a_login_with_another_address(
    app: Flask, practice: Practice
) -> None:
    other = make_user("client", "someone.else@example.com", "Someone Else")
    db.session.commit()
    path = invite_path(app, practice)
    browser = log_in(app.test_client(), other)

    assert open_link(browser, path).status_code == 200
    response = browser.post(ACCEPT)

    assert response.status_code == 200
    assert "address the invitation was sent to" in page_text(response)
    assert cy_record().user_id is None
    assert committed(sa.select(Invitation.accepted_at))[0][0] is None
