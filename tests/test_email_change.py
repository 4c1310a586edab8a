"""Changing one's email address (issue 13 item 8): a single-use, expiring link to the new
address (only its hash stored), the old address in force until it is used and told afterwards,
and an address another login uses refused without saying whose."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AccountMail, EmailChange, User
from smptrack.services import email_change
from smptrack.services.errors import NotFound, ValidationFailed
from tests.conftest import PASSWORD, OwnContextClient, Personas, log_in


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient
    app.config["BASE_URL"] = "https://smptrack.test"


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def email_of(user_id: int) -> str:
    return committed(sa.select(User.email).where(User.id == user_id))[0][0]


def mails(template: str) -> list[sa.Row]:
    return committed(
        sa.select(AccountMail.recipient, AccountMail.context).where(
            AccountMail.template == template
        )
    )


def ask(client: FlaskClient, new: str, password: str = PASSWORD):
    return client.post("/account/email", data={"new_email": new, "current_password": password})


def secret_in(link: str) -> str:
    return re.search(r"/account/email/confirm/([^/?#]+)$", link).group(1)


def test_the_link_goes_to_the_new_address_and_the_old_one_stays_until_it_is_used(
    client: FlaskClient, personas: Personas
) -> None:
    p = personas.practitioner_p
    log_in(client, p)
    assert ask(client, "Pat.New@Practice-P.test").status_code == 302
    assert email_of(p.id) == "p@practice-p.test", "unchanged until confirmed"
    [(to, context)] = mails("email_change_confirm")
    assert to == "pat.new@practice-p.test"
    secret = secret_in(context["link"])
    [(stored,)] = committed(sa.select(EmailChange.token_hash))
    assert stored == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored

    page = client.get(f"/account/email/confirm/{secret}")
    assert page.status_code == 200 and "pat.new@practice-p.test" in page.get_data(as_text=True)
    assert email_of(p.id) == "p@practice-p.test", "opening the link writes nothing"
    assert client.post(f"/account/email/confirm/{secret}").status_code == 302
    assert email_of(p.id) == "pat.new@practice-p.test"
    [(old_to, notice)] = mails("email_changed")
    assert old_to == "p@practice-p.test" and notice["new_email"] == "pat.new@practice-p.test"

    assert client.post(f"/account/email/confirm/{secret}").status_code == 404, "single use"
    assert client.get(f"/account/email/confirm/{secret}").status_code == 404


def test_an_expired_link_is_refused_and_changes_nothing(personas: Personas) -> None:
    p = personas.practitioner_p
    now = datetime.now(UTC)
    links: list[str] = []
    email_change.request_change(
        p,
        new_email="later@practice-p.test",
        current_password=PASSWORD,
        now=now,
        link_for=lambda secret: links.append(secret) or secret,
    )
    db.session.commit()
    with pytest.raises(NotFound):
        email_change.confirm_change(links[0], now + email_change.LINK_LIFETIME + timedelta(1))
    db.session.rollback()
    assert email_of(p.id) == "p@practice-p.test"


def test_an_address_another_login_uses_is_refused_without_saying_whose(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p)
    response = ask(client, "q@practice-q.test")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cannot be used" in html and "Quinn" not in html
    assert mails("email_change_confirm") == []


def test_a_wrong_current_password_is_refused(client: FlaskClient, personas: Personas) -> None:
    log_in(client, personas.practitioner_p)
    response = ask(client, "new@practice-p.test", password="not the password")
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    assert committed(sa.select(EmailChange.id)) == []


def test_an_address_taken_between_request_and_confirmation_is_refused(
    personas: Personas,
) -> None:
    p = personas.practitioner_p
    links: list[str] = []
    now = datetime.now(UTC)
    email_change.request_change(
        p,
        new_email="contested@example.com",
        current_password=PASSWORD,
        now=now,
        link_for=lambda secret: links.append(secret) or secret,
    )
    personas.practitioner_q.email = "contested@example.com"
    db.session.commit()
    with pytest.raises(ValidationFailed):
        email_change.confirm_change(links[0], now)
