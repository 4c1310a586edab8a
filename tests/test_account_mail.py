"""Account mail (password resets, invitations): the request only queues a row; the worker's
sweep delivers it to a real SMTP server (aiosmtpd on 127.0.0.1) exactly once, retries it from
the backoff table while the server is down, and forgets the link once it has left.

Time is a parameter of every sweep, so backoff delays are walked through, not waited for.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import AccountMail, User
from smptrack.sending import scheduler
from smptrack.sending.account_mail import AccountMailSender
from smptrack.services import account_mail
from smptrack.services.errors import ValidationFailed
from tests.conftest import OwnContextClient, log_in, make_client, make_user
from tests.smtp_server import SmtpServer, free_port, running_server

BACKOFF = [60, 120]  # seconds before attempts 2 and 3; the mail fails after the third


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def sending_config() -> dict:
    # Account mail has no unsubscribe links (no BASE_URL) and fails after its third attempt.
    return {"MAIL_FROM": "smptrack <no-reply@smp.example>", "REMINDER_BACKOFF_SECONDS": BACKOFF}


@pytest.fixture
def rae(app: Flask) -> User:
    user = make_user("client", "rae@example.com", "Rae Client")
    db.session.commit()
    return user


def rows() -> list[AccountMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AccountMail).order_by(AccountMail.id)))


def sweep(app: Flask, at: datetime) -> None:
    with app.app_context():
        AccountMailSender(app).send_due(lambda: at)


def link_in(text: str) -> str:
    [link] = re.findall(r"https?://\S+", text)
    return link


def test_a_reset_request_queues_one_row_and_talks_to_no_mail_server(
    sending: Flask, smtp: SmtpServer, rae: User
) -> None:
    response = sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})

    assert response.status_code == 302
    assert smtp.greetings == 0, "the request opened no SMTP connection"
    [row] = rows()
    assert (row.recipient, row.template, row.status, row.attempts) == (
        "rae@example.com",
        "password_reset",
        "pending",
        0,
    )
    assert row.context["name"] == "Rae Client"
    assert "/auth/reset/" in row.context["link"]


def test_the_sender_delivers_a_reset_exactly_once_and_forgets_its_link(
    sending: Flask, smtp: SmtpServer, rae: User
) -> None:
    sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    [queued] = rows()
    link = queued.context["link"]
    now = datetime.now(UTC)

    sweep(sending, now)
    sweep(sending, now + timedelta(minutes=5))

    assert smtp.count() == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["rae@example.com"]
    message = received.message
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert link_in(text) == link
    assert "Rae Client" in text
    [row] = rows()
    assert row.status == "sent"
    assert row.attempts == 1
    assert row.message_id == message["Message-ID"]
    assert row.sent_at is not None
    assert row.context == {}, "the reset link does not outlive its delivery"
    assert row.lease_expires_at is None and row.leased_by is None


def test_an_invitation_is_queued_with_its_record_and_delivered(
    sending: Flask, smtp: SmtpServer
) -> None:
    p = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    cy = make_client(p, "Cy Client")
    db.session.commit()

    response = log_in(sending.test_client(), p).post(
        f"/clients/{cy.id}/invite", data={"email": "cy@example.com"}
    )

    assert response.status_code == 302
    assert smtp.greetings == 0
    [row] = rows()
    assert (row.client_id, row.recipient, row.template) == (cy.id, "cy@example.com", "invite")
    sweep(sending, datetime.now(UTC))
    [received] = smtp.received
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Cy Client" in text and "Pat Practitioner" in text
    assert "/auth/invite/" in link_in(text)
    assert rows()[0].context == {}


def test_with_the_server_down_it_retries_after_the_backoff_and_delivers_once_it_is_back(
    sending: Flask, rae: User
) -> None:
    port = free_port()
    sending.config["SMTP_PORT"] = port  # nothing listens there yet: connection refused
    sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    now = datetime.now(UTC)

    sweep(sending, now)

    [row] = rows()
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_error.startswith("Attempt 1/3 failed")
    assert row.next_attempt_at == now.replace(microsecond=now.microsecond) + timedelta(seconds=60)
    assert row.context["link"], "the link is kept while the mail is still to go"

    with running_server(port) as server:
        sweep(sending, now + timedelta(seconds=30))  # before its retry time: left alone
        assert server.count() == 0
        sweep(sending, now + timedelta(seconds=61))
        sweep(sending, now + timedelta(seconds=300))

        assert server.count() == 1
    [row] = rows()
    assert (row.status, row.attempts, row.context) == ("sent", 2, {})


def test_it_gives_up_after_the_backoff_table_and_forgets_the_link(
    sending: Flask, rae: User
) -> None:
    sending.config["SMTP_PORT"] = free_port()
    sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    now = datetime.now(UTC)

    for seconds in (0, 61, 61 + 121):
        sweep(sending, now + timedelta(seconds=seconds))

    [row] = rows()
    assert row.status == "failed"
    assert row.attempts == 3
    assert row.last_error.startswith("Gave up after 3 attempts")
    assert row.context == {}


def test_a_link_that_expired_in_the_queue_is_not_sent(
    sending: Flask, smtp: SmtpServer, rae: User
) -> None:
    sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    hours = int(sending.config["PASSWORD_RESET_MAX_AGE_HOURS"])

    sweep(sending, datetime.now(UTC) + timedelta(hours=hours, minutes=1))

    assert smtp.count() == 0
    [row] = rows()
    assert row.status == "failed"
    assert "expired" in row.last_error
    assert row.context == {}


def test_a_sender_that_died_mid_message_is_reaped_and_the_mail_sent_again(
    sending: Flask, smtp: SmtpServer, rae: User
) -> None:
    sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    now = datetime.now(UTC)
    with sending.app_context():
        dead = AccountMailSender(sending, name="dead-sender")
        assert dead.claim(now) is not None  # ... and the process dies here
    assert rows()[0].status == "sending"

    with sending.app_context():
        sender = AccountMailSender(sending)
        assert sender.reap(now + timedelta(seconds=60)) == 0, "its lease has not expired yet"
        assert sender.reap(now + timedelta(seconds=121)) == 1
        sender.send_due(lambda: now + timedelta(seconds=122))

    assert smtp.count() == 1
    assert rows()[0].status == "sent"


def test_the_worker_sweep_sends_account_mail_without_waiting_for_waking_hours(
    sending: Flask, smtp: SmtpServer, rae: User
) -> None:
    sending.config["REMINDER_RESPECT_WAKING_HOURS"] = True
    sending.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    three_in_the_morning = datetime.now(UTC).replace(hour=3)

    scheduler.run_once(sending, clock=lambda: max(three_in_the_morning, datetime.now(UTC)))

    assert smtp.count() == 1


def test_enqueue_refuses_a_context_that_is_not_json_and_a_header_with_a_line_break(
    app: Flask, rae: User
) -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValidationFailed):
        account_mail.enqueue(
            to="a@example.com", subject="s", template="t", context={"u": rae}, now=now
        )
    with pytest.raises(ValidationFailed):
        account_mail.enqueue(
            to="a@example.com\r\nBcc: x@example.com", subject="s", template="t", context={}, now=now
        )
    assert rows() == []
