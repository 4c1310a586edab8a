"""Sign-up, log in, log out, remember me, the post-login ``next`` and CSRF on the login form.

Outcomes are read from committed rows (through a connection of their own, so a view that forgot
to commit fails here), from cookies and Location headers, and from the text of the pages.
Addresses are on example.com: the email validator refuses special-use names such as ``.test``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash
from werkzeug.test import TestResponse

from smptrack.extensions import db
from smptrack.models import Client, User
from tests.conftest import PASSWORD, OwnContextClient, make_user

HOST = "smptrack.test"  # the SERVER_NAME of the test config


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def committed(statement: sa.Executable) -> list[sa.Row]:
    """Rows as another connection sees them: only what the request committed."""
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def count_users() -> int:
    return committed(sa.select(sa.func.count()).select_from(User))[0][0]


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html)


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html)
    return match.group(1) if match else ""


def sign_up(client: FlaskClient, **overrides: str):
    form = {
        "role": "practitioner",
        "display_name": "Pat Practitioner",
        "email": "pat@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "time_zone": "Europe/London",
    }
    form.update(overrides)
    return client.post("/auth/signup", data=form)


def log_in_with_form(client: FlaskClient, email: str, password: str, **extra: str):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/account")
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/auth/login"
        return False
    assert response.status_code == 200
    return True


# --- sign-up ---------------------------------------------------------------------------------


def test_it_signs_up_a_practitioner_and_logs_them_in(app: Flask, client: FlaskClient) -> None:
    response = sign_up(client)

    assert response.status_code == 302
    rows = committed(sa.select(User.email, User.role, User.display_name))
    assert [tuple(r) for r in rows] == [("pat@example.com", "practitioner", "Pat Practitioner")]
    assert committed(sa.select(Client.id)) == [], "a practitioner gets no client record"
    clients_page = client.get("/clients/")
    assert clients_page.status_code == 200
    assert "No clients yet" in clients_page.get_data(as_text=True)


def test_it_signs_up_a_client_with_a_record_of_their_own(app: Flask, client: FlaskClient) -> None:
    response = sign_up(client, role="client", display_name="Cleo Client", email="cleo@example.com")

    assert response.status_code == 302
    [user] = committed(sa.select(User.id, User.role).where(User.email == "cleo@example.com"))
    assert user.role == "client"
    [record] = committed(sa.select(Client.user_id, Client.practitioner_id, Client.display_name))
    assert record.user_id == user.id
    assert record.practitioner_id is None
    me = client.get("/me")
    assert me.status_code == 200
    page = me.get_data(as_text=True)
    assert "Cleo Client" in page
    assert "No record linked yet" not in page


def test_it_stores_the_email_trimmed_and_in_lower_case(app: Flask, client: FlaskClient) -> None:
    sign_up(client, email="  Foo@Example.COM ")

    assert [r.email for r in committed(sa.select(User.email))] == ["foo@example.com"]


@pytest.mark.parametrize("second_email", ["FOO@example.com", "foo@EXAMPLE.com", " foo@example.com"])
def test_it_refuses_a_second_sign_up_with_the_same_email_in_another_case(
    app: Flask, second_email: str
) -> None:
    assert sign_up(app.test_client(), email="foo@example.com").status_code == 302

    other_browser = app.test_client()
    response = sign_up(other_browser, role="client", display_name="Copy Cat", email=second_email)

    assert response.status_code in (409, 422)
    page = response.get_data(as_text=True)
    assert field_error(page, "email") or flashes(page), "the refusal is explained on the page"
    assert count_users() == 1
    assert committed(sa.select(Client.id)) == []
    assert not is_logged_in(other_browser)


def test_it_stores_a_password_hash_and_not_the_password(app: Flask, client: FlaskClient) -> None:
    sign_up(client)

    [stored] = [r.password_hash for r in committed(sa.select(User.password_hash))]
    assert PASSWORD not in stored
    assert stored.split(":", 1)[0] in ("scrypt", "pbkdf2")
    assert check_password_hash(stored, PASSWORD)
    assert not check_password_hash(stored, PASSWORD + "x")


@pytest.mark.parametrize("role", ["practitioner", "client"])
def test_it_refuses_a_too_short_password_and_writes_nothing(
    app: Flask, client: FlaskClient, role: str
) -> None:
    response = sign_up(client, role=role, password="short1", confirm="short1")

    assert response.status_code == 422
    assert re.search(r"\b10\b", field_error(response.get_data(as_text=True), "password"))
    assert count_users() == 0
    assert committed(sa.select(Client.id)) == []
    assert not is_logged_in(client)


def test_it_refuses_a_confirmation_that_differs(app: Flask, client: FlaskClient) -> None:
    response = sign_up(client, confirm=PASSWORD + " typo")

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "confirm")
    assert count_users() == 0


# --- log in and out --------------------------------------------------------------------------


@pytest.fixture
def pat(app: Flask) -> User:
    user = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    db.session.commit()
    return user


def test_it_logs_in_with_the_right_password(app: Flask, client: FlaskClient, pat: User) -> None:
    assert not is_logged_in(client)

    response = log_in_with_form(client, "  PAT@example.com ", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)
    assert "pat@example.com" in client.get("/account").get_data(as_text=True)
    [row] = committed(sa.select(User.last_login_at).where(User.id == pat.id))
    assert row.last_login_at is not None


def test_it_answers_a_wrong_password_and_an_unknown_email_identically(
    app: Flask, pat: User
) -> None:
    wrong_password = log_in_with_form(app.test_client(), "pat@example.com", "not the password")
    unknown_email = log_in_with_form(app.test_client(), "nobody@example.com", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 401
    wrong_page = wrong_password.get_data(as_text=True)
    unknown_page = unknown_email.get_data(as_text=True)
    assert flashes(wrong_page) == flashes(unknown_page)
    assert len(flashes(wrong_page)) == 1
    # Apart from the address typed back into the form, the two pages are the same page.
    assert wrong_page.replace("pat@example.com", "@") == unknown_page.replace(
        "nobody@example.com", "@"
    )


def test_it_refuses_an_inactive_user(app: Flask, client: FlaskClient) -> None:
    make_user("practitioner", "gone@example.com", active=False)
    db.session.commit()

    response = log_in_with_form(client, "gone@example.com", PASSWORD)

    assert response.status_code == 401
    assert flashes(response.get_data(as_text=True))
    assert not is_logged_in(client)


@pytest.mark.parametrize("remembered", [False, True], ids=["session", "remember-cookie"])
def test_it_logs_out_a_user_who_is_deactivated_while_logged_in(
    app: Flask, client: FlaskClient, pat: User, remembered: bool
) -> None:
    log_in_with_form(
        client, "pat@example.com", PASSWORD, **({"remember": "y"} if remembered else {})
    )
    assert is_logged_in(client)
    if remembered:
        client.delete_cookie("session", domain=HOST)

    db.session.execute(sa.update(User).where(User.id == pat.id).values(active=False))
    db.session.commit()

    assert not is_logged_in(client)
    assert client.get("/clients/").status_code == 302


def remember_cookie(response: TestResponse) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("remember_token="):
            return header
    return None


def test_it_sets_a_remember_cookie_when_asked_and_it_outlives_the_session(
    app: Flask, client: FlaskClient, pat: User
) -> None:
    response = log_in_with_form(client, "pat@example.com", PASSWORD, remember="y")

    header = remember_cookie(response)
    assert header is not None
    assert "HttpOnly" in header
    assert "Expires=" in header, "a remember cookie that dies with the browser remembers nothing"
    # The browser is closed: the session cookie is gone, the remember cookie stays.
    client.delete_cookie("session", domain=HOST)
    assert client.get_cookie("remember_token", domain=HOST) is not None
    assert is_logged_in(client)


def test_it_sets_no_remember_cookie_when_not_asked(
    app: Flask, client: FlaskClient, pat: User
) -> None:
    response = log_in_with_form(client, "pat@example.com", PASSWORD)

    assert response.status_code == 302
    assert remember_cookie(response) is None
    assert client.get_cookie("remember_token", domain=HOST) is None
    client.delete_cookie("session", domain=HOST)
    assert not is_logged_in(client)


def test_it_ends_the_session_and_forgets_the_device_on_logout(
    app: Flask, client: FlaskClient, pat: User
) -> None:
    log_in_with_form(client, "pat@example.com", PASSWORD, remember="y")
    assert is_logged_in(client)

    response = client.post("/auth/logout")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert client.get_cookie("remember_token", domain=HOST) is None
    assert not is_logged_in(client)


def test_it_does_not_log_out_on_a_get(app: Flask, client: FlaskClient, pat: User) -> None:
    log_in_with_form(client, "pat@example.com", PASSWORD)

    assert client.get("/auth/logout").status_code == 405
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("next_value", "followed"),
    [
        ("/clients/", True),
        ("/account?tab=tokens", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("http:/evil", False),
        ("javascript:alert(1)", False),
        ("evil.example", False),
    ],
)
def test_it_follows_next_only_to_a_path_on_this_site(
    app: Flask, client: FlaskClient, pat: User, next_value: str, followed: bool
) -> None:
    response = client.post(
        f"/auth/login?next={quote(next_value, safe='')}",
        data={"email": "pat@example.com", "password": PASSWORD},
    )

    assert response.status_code == 302
    location = response.headers["Location"]
    if followed:
        assert location == next_value
    else:
        assert location == "/", f"{next_value!r} must fall back to the home page"
        assert "evil" not in location


def test_it_sends_a_visitor_back_to_the_page_they_asked_for(
    app: Flask, client: FlaskClient, pat: User
) -> None:
    asked = client.get("/account")
    login_url = asked.headers["Location"]
    assert urlsplit(login_url).path == "/auth/login"

    response = client.post(login_url, data={"email": "pat@example.com", "password": PASSWORD})

    assert response.headers["Location"] == "/account"


# --- CSRF -------------------------------------------------------------------------------------


def test_it_refuses_a_login_post_without_a_csrf_token(
    app: Flask, client: FlaskClient, pat: User
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True

    form_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', form_page)
    assert token is not None, "the login form carries a csrf_token input"

    refused = log_in_with_form(client, "pat@example.com", PASSWORD)
    assert refused.status_code == 400
    assert not is_logged_in(client)
    [row] = committed(sa.select(User.last_login_at).where(User.id == pat.id))
    assert row.last_login_at is None

    # The same browser with the token from the page gets in: the token was what was missing.
    accepted = log_in_with_form(client, "pat@example.com", PASSWORD, csrf_token=token.group(1))
    assert accepted.status_code == 302
    assert is_logged_in(client)
