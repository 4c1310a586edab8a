"""Sessions end when they should (issue 8 item 3): server-side login sessions.

Black-box over HTTP against a running server: cookies copied before a logout are worthless
after it; the account page lists sessions and ends the others; a password change ends the
other sessions and the API tokens and queues the "your password was changed" mail. Then, with
the test client, the rules around it: the reset flow, the hourly "last seen", CSRF rotation.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AccountMail, ApiToken, LoginSession, User
from smptrack.services import accounts
from tests.conftest import PASSWORD, OwnContextClient, log_in, make_user
from tests.live import Browser, LiveServer, running_servers

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def pat(app: Flask) -> User:
    user = make_user("practitioner", "pat@example.com", "Pat Practitioner", time_zone="Asia/Tokyo")
    db.session.commit()
    return user


@pytest.fixture
def server(app: Flask, database_url: str, tmp_path: Path):
    with running_servers(database_url, tmp_path) as servers:
        yield servers[0]


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def is_logged_in(browser: Browser, cookie_header: str | None = None) -> bool:
    headers = {"Cookie": cookie_header} if cookie_header else None
    answer = browser.get("/account", headers=headers)
    if answer.status == 302:
        assert "/auth/login" in (answer.header("Location") or "")
        return False
    assert answer.status == 200, answer.status
    return True


def replayed(server: LiveServer, **cookies: str) -> bool:
    """Whether a fresh browser holding only these cookies (as an attacker who copied them) is
    logged in."""
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return is_logged_in(Browser(server), header)


def log_in_over_http(server: LiveServer, remember: bool = False, agent: str = "Browser A"):
    browser = Browser(server)
    token = browser.csrf_token("/auth/login")
    fields = {"csrf_token": token, "email": "pat@example.com", "password": PASSWORD}
    if remember:
        fields["remember"] = "y"
    answer = browser.request(
        "POST",
        "/auth/login",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": agent},
    )
    assert answer.status == 302, answer.text
    return browser


def post_form(browser: Browser, path: str, fields: dict[str, str], form_path: str):
    return browser.post_form(path, fields, form_path=form_path)


# --- black-box over HTTP ------------------------------------------------------------------


def test_replaying_the_cookies_of_a_logged_out_browser_is_unauthenticated(
    pat: User, server: LiveServer
) -> None:
    browser = log_in_over_http(server, remember=True)
    cookies = browser.cookies()
    assert {"session", "remember_token"} <= set(cookies)
    # Before the logout, each copied cookie alone is a working login (so the checks below can
    # fail): the session cookie, and the remember-me cookie for a browser without a session.
    assert replayed(server, session=cookies["session"])
    assert replayed(server, remember_token=cookies["remember_token"])

    answer = post_form(browser, "/auth/logout", {}, form_path="/account")
    assert answer.status == 302

    assert not is_logged_in(browser)
    assert not replayed(server, session=cookies["session"])
    assert not replayed(server, remember_token=cookies["remember_token"])
    assert not replayed(
        server, session=cookies["session"], remember_token=cookies["remember_token"]
    )
    [row] = committed(sa.select(LoginSession.revoked_at))
    assert row.revoked_at is not None


def test_the_account_page_lists_the_sessions_and_ends_the_others(
    pat: User, server: LiveServer
) -> None:
    laptop = log_in_over_http(server, agent="Laptop Firefox")
    phone = log_in_over_http(server, remember=True, agent="Phone Safari")

    page = laptop.get("/account").text
    assert "Laptop Firefox" in page
    assert "Phone Safari" in page
    assert "(this browser)" in page
    assert "JST" in page, "times are shown in the account's time zone (Asia/Tokyo)"

    confirm = laptop.get("/account/sessions/end-others")
    assert confirm.status == 200
    assert "Phone Safari" in confirm.text
    assert is_logged_in(phone), "a GET ends nothing"
    ended = post_form(laptop, "/account/sessions/end-others", {}, "/account/sessions/end-others")

    assert ended.status == 302
    assert not is_logged_in(phone)
    phone_cookies = phone.cookies()
    assert not replayed(server, remember_token=phone_cookies["remember_token"])
    assert is_logged_in(laptop)
    page = laptop.get("/account").text
    assert "Phone Safari" not in page


def test_ending_the_other_sessions_needs_the_csrf_token(pat: User, server: LiveServer) -> None:
    laptop = log_in_over_http(server)
    phone = log_in_over_http(server, agent="Phone")

    refused = laptop.request(
        "POST",
        "/account/sessions/end-others",
        data=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert refused.status == 400
    assert is_logged_in(phone)


def test_a_password_change_ends_the_other_sessions_and_api_tokens_and_mails_the_owner(
    pat: User, server: LiveServer
) -> None:
    laptop = log_in_over_http(server, remember=True, agent="Laptop")
    phone = log_in_over_http(server, remember=True, agent="Phone")
    issued = laptop.post_json("/api/v1/tokens", {"email": "pat@example.com", "password": PASSWORD})
    assert issued.status == 201
    token = json.loads(issued.text)["token"]
    assert laptop.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status == 200

    changed = post_form(
        laptop,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_path="/account",
    )

    assert changed.status == 302, changed.text
    assert is_logged_in(laptop), "the browser that changed it stays logged in"
    assert not is_logged_in(phone)
    assert not replayed(server, remember_token=phone.cookies()["remember_token"])
    api = laptop.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status == 401
    assert committed(sa.select(ApiToken.revoked_at))[0].revoked_at is not None
    [mail] = committed(
        sa.select(AccountMail.recipient, AccountMail.template, AccountMail.context).where(
            AccountMail.template == "password_changed"
        )
    )
    assert mail.recipient == "pat@example.com"
    context = mail.context
    assert context["how"] == "changed"
    assert context["name"] == "Pat Practitioner"
    # The old password is gone, the new one works.
    fresh = Browser(server)
    assert fresh.log_in("pat@example.com", PASSWORD).status == 401
    assert fresh.log_in("pat@example.com", NEW_PASSWORD).status == 302


def test_a_wrong_current_password_changes_nothing(pat: User, server: LiveServer) -> None:
    laptop = log_in_over_http(server)
    phone = log_in_over_http(server, agent="Phone")

    refused = post_form(
        laptop,
        "/account/password",
        {"current_password": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_path="/account",
    )

    assert refused.status == 422
    assert "That is not your current password." in refused.text
    assert is_logged_in(phone)
    assert committed(sa.select(sa.func.count()).select_from(AccountMail))[0][0] == 0
    assert Browser(server).log_in("pat@example.com", PASSWORD).status == 302


# --- with the test client -----------------------------------------------------------------


def reset_with_link(app: Flask, client: FlaskClient, user: User, password: str):
    token = accounts.make_reset_token(user, app.config["SECRET_KEY"])
    opened = client.get(f"/auth/reset/{token}")
    assert opened.status_code in (302, 303, 200)
    target = opened.headers.get("Location", f"/auth/reset/{token}")
    return client.post(target, data={"password": password, "confirm": password})


def test_a_password_reset_ends_every_session_and_api_token(app: Flask, pat: User) -> None:
    other = log_in(app.test_client(), pat)
    assert other.get("/account").status_code == 200
    accounts.issue_api_token(pat, "script", datetime.now(UTC), timedelta(days=1))
    db.session.commit()

    answer = reset_with_link(app, app.test_client(), pat, NEW_PASSWORD)

    assert answer.status_code == 302
    assert other.get("/account").status_code == 302
    assert all(row.revoked_at is not None for row in committed(sa.select(LoginSession)))
    assert all(row.revoked_at is not None for row in committed(sa.select(ApiToken)))
    [mail] = committed(
        sa.select(AccountMail.context).where(AccountMail.template == "password_changed")
    )
    context = mail.context
    assert context["how"] == "reset"


def test_login_starts_a_fresh_session_with_a_new_csrf_token(app: Flask, pat: User) -> None:
    client = app.test_client()
    client.get("/auth/login")
    with client.session_transaction() as sess:
        sess["csrf_token"] = "a token an attacker planted"
        sess["planted"] = "by an attacker"

    answer = client.post("/auth/login", data={"email": "pat@example.com", "password": PASSWORD})

    assert answer.status_code == 302
    with client.session_transaction() as sess:
        assert sess.get("csrf_token") != "a token an attacker planted"
        assert "planted" not in sess
        assert sess["_user_id"].startswith(f"{pat.id}:")


def test_it_records_where_and_with_what_a_session_began(app: Flask, pat: User) -> None:
    client = app.test_client()
    client.post(
        "/auth/login",
        data={"email": "pat@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.44", "HTTP_USER_AGENT": "\x00\x1b" + "X" * 500},
    )

    [row] = committed(sa.select(LoginSession))
    assert row.remote_addr == "192.0.2.44"
    assert row.user_agent == "X" * 200
    assert row.revoked_at is None
    assert len(row.key_hash) == 64
    with client.session_transaction() as sess:
        key = sess["_user_id"].split(":")[2]
    assert key not in row.key_hash, "only the key's hash is stored"


def test_last_seen_is_written_at_most_once_an_hour(app: Flask, pat: User) -> None:
    client = log_in(app.test_client(), pat)
    [started] = committed(sa.select(LoginSession.last_seen_at))
    for _ in range(3):
        assert client.get("/account").status_code == 200
    assert committed(sa.select(LoginSession.last_seen_at)) == [started], "reads wrote"

    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    db.session.execute(sa.update(LoginSession).values(last_seen_at=two_hours_ago))
    db.session.commit()
    assert client.get("/account").status_code == 200

    [(seen,)] = committed(sa.select(LoginSession.last_seen_at))
    assert seen.replace(tzinfo=UTC) > two_hours_ago + timedelta(hours=1)


def test_a_session_idle_for_longer_than_the_limit_is_over(app: Flask, pat: User) -> None:
    client = log_in(app.test_client(), pat)
    idle_days = int(app.config["LOGIN_SESSION_IDLE_DAYS"])
    db.session.execute(
        sa.update(LoginSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(days=idle_days, minutes=1)
        )
    )
    db.session.commit()

    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    "session_id",
    ["", "1", "1:abc", "1:abc:", "x:y:z", "999:" + "f" * 16 + ":nokey", "1:" + ":" * 500],
)
def test_a_forged_session_id_is_simply_not_logged_in(
    app: Flask, pat: User, session_id: str
) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id

    assert client.get("/account").status_code == 302


def test_the_account_page_shows_only_live_sessions(app: Flask, pat: User) -> None:
    client = log_in(app.test_client(), pat)
    ended = accounts.open_login_session(
        pat, user_agent="Old Tablet", remote_addr="10.0.0.9", remembered=True, now=datetime.now(UTC)
    )
    ended.revoked_at = datetime.now(UTC)
    db.session.commit()

    page = client.get("/account").get_data(as_text=True)

    assert "pytest test client" in page
    assert "Old Tablet" not in page
    assert not re.search(r"End all other sessions", page), "nothing else to end"
