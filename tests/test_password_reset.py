"""Password reset: the mail, the same answer for unknown addresses, and a link that works once,
unaltered and in time."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from werkzeug.security import check_password_hash, generate_password_hash

from smptrack.extensions import db
from smptrack.models import User
from tests.conftest import PASSWORD, OwnContextClient, log_in, make_user, sent_messages
from tests.outbox import send_account_mail

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def rae(app: Flask) -> User:
    user = make_user("client", "rae@example.com", "Rae Client")
    db.session.commit()
    return user


def stored_hash(user_id: int) -> str:
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(User.password_hash).where(User.id == user_id))


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html)


def can_log_in(app: Flask, email: str, password: str) -> bool:
    response = app.test_client().post("/auth/login", data={"email": email, "password": password})
    return response.status_code == 302


def reset_link(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", text)
    return link


def request_reset(app: Flask, email: str) -> str:
    """Ask for a reset link and return the path it points to."""
    before = {message["Message-ID"] for message in sent_messages(app)}
    response = app.test_client().post("/auth/reset", data={"email": email})
    assert response.status_code == 302
    send_account_mail(app)
    # By Message-ID, not position: files written in the same second sort in random order.
    [message] = [m for m in sent_messages(app) if m["Message-ID"] not in before]
    return urlsplit(reset_link(message)).path


def choose_password(client: FlaskClient, path: str, password: str):
    """Open the emailed link (which moves its token into the session and redirects to the
    token-less form), then send the form; the link's answer if it refused the token."""
    opened = client.get(path)
    if urlsplit(opened.headers.get("Location", "")).path != "/auth/reset/new":
        return opened
    return client.post("/auth/reset/new", data={"password": password, "confirm": password})


@contextmanager
def clock_set_back(seconds: int) -> Iterator[None]:
    """Sign tokens as if it were ``seconds`` ago (the signer's documented override point)."""
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time()) - seconds  # type: ignore[method-assign]
    try:
        yield
    finally:
        TimestampSigner.get_timestamp = original  # type: ignore[method-assign]


def test_it_emails_one_reset_link_to_a_known_address(app: Flask, rae: User) -> None:
    response = app.test_client().post("/auth/reset", data={"email": " RAE@example.com"})

    assert response.status_code == 302
    assert sent_messages(app) == [], "queued in the request, sent by the worker"
    assert send_account_mail(app).sent == 1
    [message] = sent_messages(app)
    assert message["To"] == "rae@example.com"
    assert "reset" in message["Subject"].lower()
    assert "password" in message["Subject"].lower()
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = reset_link(message)
    assert re.fullmatch(r"http://smptrack\.test/auth/reset/[\w.-]{20,}", link)
    assert link in text
    assert f'href="{link}"' in html
    assert "Rae Client" in text


def test_it_answers_an_unknown_address_as_a_known_one_and_sends_nothing(
    app: Flask, rae: User
) -> None:
    known_browser, unknown_browser = app.test_client(), app.test_client()
    known = known_browser.post("/auth/reset", data={"email": "rae@example.com"})
    send_account_mail(app)
    assert len(sent_messages(app)) == 1

    unknown = unknown_browser.post("/auth/reset", data={"email": "nobody@example.com"})

    send_account_mail(app)
    assert len(sent_messages(app)) == 1, "no mail for an address without an account"
    assert unknown.status_code == known.status_code
    assert unknown.headers["Location"] == known.headers["Location"]
    known_flashes = flashes(known_browser.get(known.headers["Location"]).get_data(as_text=True))
    unknown_flashes = flashes(
        unknown_browser.get(unknown.headers["Location"]).get_data(as_text=True)
    )
    assert known_flashes == unknown_flashes
    assert len(known_flashes) == 1


def test_it_sends_no_reset_mail_to_an_inactive_account(app: Flask) -> None:
    make_user("client", "gone@example.com", active=False)
    db.session.commit()

    response = app.test_client().post("/auth/reset", data={"email": "gone@example.com"})

    assert response.status_code == 302
    assert send_account_mail(app).sent == 0
    assert sent_messages(app) == []


def test_it_sets_the_new_password_and_retires_the_old_one(app: Flask, rae: User) -> None:
    path = request_reset(app, "rae@example.com")
    browser = app.test_client()

    opened = browser.get(path)
    assert opened.status_code == 303
    assert urlsplit(opened.headers["Location"]).path == "/auth/reset/new"
    form = browser.get("/auth/reset/new")
    assert form.status_code == 200
    assert 'name="password"' in form.get_data(as_text=True)
    response = browser.post(
        "/auth/reset/new", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert check_password_hash(stored_hash(rae.id), NEW_PASSWORD)
    assert can_log_in(app, "rae@example.com", NEW_PASSWORD)
    assert not can_log_in(app, "rae@example.com", PASSWORD)


def test_it_refuses_a_too_short_new_password_and_keeps_the_old_one(app: Flask, rae: User) -> None:
    path = request_reset(app, "rae@example.com")

    response = choose_password(app.test_client(), path, "short")

    assert response.status_code != 302
    assert re.search(r"\b10\b", response.get_data(as_text=True))
    assert check_password_hash(stored_hash(rae.id), PASSWORD)


def test_it_refuses_the_same_link_a_second_time(app: Flask, rae: User) -> None:
    path = request_reset(app, "rae@example.com")
    assert choose_password(app.test_client(), path, NEW_PASSWORD).status_code == 302
    hash_after_first_use = stored_hash(rae.id)

    browser = app.test_client()
    again = browser.get(path)
    replay = choose_password(browser, path, "an attacker's passphrase")

    for response in (again, replay):
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/auth/reset"
    assert "used" in " ".join(flashes(browser.get("/auth/reset").get_data(as_text=True)))
    assert stored_hash(rae.id) == hash_after_first_use
    assert can_log_in(app, "rae@example.com", NEW_PASSWORD)


def test_it_retires_every_earlier_link_once_the_password_changes(app: Flask, rae: User) -> None:
    with clock_set_back(60):
        first = request_reset(app, "rae@example.com")
    second = request_reset(app, "rae@example.com")
    assert first != second

    assert choose_password(app.test_client(), second, NEW_PASSWORD).status_code == 302
    assert choose_password(app.test_client(), first, "an older link's pass").status_code == 302

    assert can_log_in(app, "rae@example.com", NEW_PASSWORD)
    assert not can_log_in(app, "rae@example.com", "an older link's pass")


def changed_in_the_middle(text: str) -> str:
    # The middle, not the end: the last base64 character of a signature carries padding bits.
    middle = len(text) // 2
    return text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]


def tampered(path: str) -> list[str]:
    prefix, token = path.rsplit("/", 1)
    payload, stamp, signature = token.rsplit(".", 2)
    return [
        f"{prefix}/{payload}.{stamp}.{changed_in_the_middle(signature)}",
        f"{prefix}/{changed_in_the_middle(payload)}.{stamp}.{signature}",
        f"{prefix}/{payload}.{changed_in_the_middle(stamp)}.{signature}",
        f"{prefix}/{token}x",
        f"{prefix}/{payload}",
    ]


def test_it_refuses_a_tampered_link(app: Flask, rae: User) -> None:
    path = request_reset(app, "rae@example.com")

    for bad in tampered(path):
        assert bad != path
        browser = app.test_client()
        response = choose_password(browser, bad, NEW_PASSWORD)
        assert response.status_code == 302, bad
        assert urlsplit(response.headers["Location"]).path == "/auth/reset", bad
        assert "not valid" in " ".join(flashes(browser.get("/auth/reset").get_data(as_text=True)))
    assert check_password_hash(stored_hash(rae.id), PASSWORD)


@pytest.mark.parametrize(("age_minutes", "works"), [(-30, True), (+30, False)])
def test_it_accepts_a_link_only_within_its_lifetime(
    app: Flask, rae: User, age_minutes: int, works: bool
) -> None:
    """A link issued half an hour before (or after) its configured lifetime ran out."""
    lifetime_seconds = int(app.config["PASSWORD_RESET_MAX_AGE_HOURS"]) * 3600
    with clock_set_back(lifetime_seconds + age_minutes * 60):
        path = request_reset(app, "rae@example.com")

    browser = app.test_client()
    response = choose_password(browser, path, NEW_PASSWORD)

    assert response.status_code == 302
    if works:
        assert urlsplit(response.headers["Location"]).path == "/auth/login"
        assert can_log_in(app, "rae@example.com", NEW_PASSWORD)
    else:
        assert urlsplit(response.headers["Location"]).path == "/auth/reset"
        assert "expired" in " ".join(flashes(browser.get("/auth/reset").get_data(as_text=True)))
        assert check_password_hash(stored_hash(rae.id), PASSWORD)


def test_it_tells_in_the_mail_how_long_the_link_lasts(app: Flask, rae: User) -> None:
    app.config["PASSWORD_RESET_MAX_AGE_HOURS"] = 5

    app.test_client().post("/auth/reset", data={"email": "rae@example.com"})
    send_account_mail(app)

    [message] = sent_messages(app)
    assert "5 hours" in message.get_body(preferencelist=("plain",)).get_content()


def test_it_builds_the_link_from_the_configured_base_url_not_the_request(
    app: Flask, rae: User
) -> None:
    app.config["BASE_URL"] = "https://smp.example.com/"

    app.test_client().post(
        "/auth/reset", data={"email": "rae@example.com"}, headers={"Host": "evil.example"}
    )
    send_account_mail(app)

    [message] = sent_messages(app)
    assert reset_link(message).startswith("https://smp.example.com/auth/reset/")


def test_it_never_puts_a_forged_host_in_a_reset_link(app: Flask, rae: User) -> None:
    app.config["SERVER_NAME"] = None  # as in a default deployment

    app.test_client().post(
        "/auth/reset", data={"email": "rae@example.com"}, headers={"Host": "evil.example"}
    )
    send_account_mail(app)

    links = [reset_link(message) for message in sent_messages(app)]
    assert links == [] or all("evil.example" not in link for link in links)


def test_a_new_password_ends_sessions_started_with_the_old_one(app: Flask, rae: User) -> None:
    other_device = log_in(app.test_client(), rae)
    assert other_device.get("/account").status_code == 200
    rae.password_hash = generate_password_hash("a brand new password")
    db.session.commit()
    response = other_device.get("/account")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
