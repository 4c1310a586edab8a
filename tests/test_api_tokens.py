"""API tokens: issued for the right password, stored only as a SHA-256, accepted as a bearer
token and nothing else, refused once revoked, with the API's one JSON error shape."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from smptrack.extensions import db
from smptrack.models import ApiToken, User
from tests.conftest import PASSWORD, OwnContextClient, log_in, make_user


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


@pytest.fixture
def pat(app: Flask) -> User:
    user = make_user("practitioner", "pat@example.com", "Pat Practitioner")
    db.session.commit()
    return user


def token_rows() -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(sa.select(ApiToken.__table__)))


def issue(
    app: Flask, email: str = "pat@example.com", password: str = PASSWORD, **extra: object
) -> TestResponse:
    return app.test_client().post(
        "/api/v1/tokens", json={"email": email, "password": password, **extra}
    )


def issued_secret(app: Flask) -> str:
    response = issue(app, name="my script")
    assert response.status_code == 201
    return response.get_json()["token"]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_json_error(response: TestResponse, status: int | None = None) -> dict:
    """The API's one error shape; ``status`` exact, or any 4xx when None."""
    if status is None:
        assert 400 <= response.status_code < 500
    else:
        assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_it_issues_a_token_for_the_right_password(app: Flask, pat: User) -> None:
    response = issue(app, email=" PAT@example.com", name="my script")

    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("smp_")
    assert len(body["token"]) >= 40, "enough randomness to be unguessable"
    assert body["name"] == "my script"
    [row] = token_rows()
    assert row.user_id == pat.id
    assert row.id == body["id"]
    assert row.revoked_at is None


def test_it_issues_a_different_token_each_time(app: Flask, pat: User) -> None:
    assert issued_secret(app) != issued_secret(app)
    assert len(token_rows()) == 2


def test_it_stores_only_the_sha256_of_the_token(app: Flask, pat: User) -> None:
    secret = issued_secret(app)

    [row] = token_rows()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) for value in row), "the raw token is in the table"


def test_it_tells_the_token_owner_who_they_are(app: Flask, pat: User) -> None:
    make_user("practitioner", "other@example.org")
    db.session.commit()
    secret = issued_secret(app)

    response = app.test_client().get("/api/v1/me", headers=bearer(secret))

    assert response.status_code == 200
    assert response.get_json()["email"] == "pat@example.com"
    assert response.get_json()["id"] == pat.id
    [row] = token_rows()
    assert row.last_used_at is not None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer smp_not-a-token-we-issued"},
        {"Authorization": "Basic cGF0QGV4YW1wbGUuY29tOnBhc3N3b3Jk"},
    ],
    ids=["none", "empty", "unknown", "basic"],
)
def test_it_refuses_a_request_without_a_valid_bearer_token(
    app: Flask, pat: User, headers: dict[str, str]
) -> None:
    issued_secret(app)

    response = app.test_client().get("/api/v1/me", headers=headers)

    error = assert_json_error(response, 401)
    assert "pat@example.com" not in response.get_data(as_text=True)
    assert error["code"]


def test_it_refuses_a_revoked_token(app: Flask, pat: User) -> None:
    secret = issued_secret(app)
    [row] = token_rows()
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200

    revoked = log_in(app.test_client(), pat).post(f"/account/tokens/{row.id}/revoke")

    assert revoked.status_code == 302
    assert token_rows()[0].revoked_at is not None
    response = app.test_client().get("/api/v1/me", headers=bearer(secret))
    assert_json_error(response, 401)
    assert "pat@example.com" not in response.get_data(as_text=True)


def test_it_lets_nobody_else_revoke_a_token(app: Flask, pat: User) -> None:
    other = make_user("practitioner", "other@example.org")
    db.session.commit()
    secret = issued_secret(app)
    [row] = token_rows()

    response = log_in(app.test_client(), other).post(f"/account/tokens/{row.id}/revoke")

    assert response.status_code == 404
    assert token_rows()[0].revoked_at is None
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_it_refuses_an_expired_token(app: Flask, pat: User) -> None:
    secret = issued_secret(app)
    db.session.execute(
        sa.update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()

    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer(secret)), 401)


def test_it_refuses_the_token_of_a_deactivated_user(app: Flask, pat: User) -> None:
    secret = issued_secret(app)
    db.session.execute(sa.update(User).where(User.id == pat.id).values(active=False))
    db.session.commit()

    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer(secret)), 401)


def test_it_does_not_accept_a_session_cookie_on_the_api(app: Flask, pat: User) -> None:
    browser = log_in(app.test_client(), pat)
    assert browser.get("/account").status_code == 200, "the cookie does log in to the pages"

    response = browser.get("/api/v1/me")

    assert_json_error(response, 401)
    assert "pat@example.com" not in response.get_data(as_text=True)


def test_it_refuses_a_wrong_password_and_issues_no_token(app: Flask, pat: User) -> None:
    wrong_password = issue(app, password="not the password")
    unknown_email = issue(app, email="nobody@example.com")

    assert_json_error(wrong_password, 401)
    assert_json_error(unknown_email, 401)
    assert wrong_password.get_json() == unknown_email.get_json()
    assert token_rows() == []


def test_it_issues_no_token_to_a_deactivated_user(app: Flask) -> None:
    make_user("practitioner", "gone@example.com", active=False)
    db.session.commit()

    assert_json_error(issue(app, email="gone@example.com"), 401)
    assert token_rows() == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('["pat@example.com", "correct horse battery"]', "application/json"),
        ('"pat@example.com"', "application/json"),
        ("null", "application/json"),
        ('{"email": "pat@example.com", "password": ', "application/json"),
        (
            "email=pat%40example.com&password=correct+horse+battery",
            "application/x-www-form-urlencoded",
        ),
        ('{"email": "pat@example.com", "password": "correct horse battery"}', "text/plain"),
    ],
    ids=["list", "string", "null", "truncated", "form", "not-declared-json"],
)
def test_it_refuses_a_body_that_is_not_a_json_object(
    app: Flask, pat: User, body: str, content_type: str
) -> None:
    response = app.test_client().post(
        "/api/v1/tokens", data=body, headers={"Content-Type": content_type}
    )

    error = assert_json_error(response)
    assert error["message"]
    assert token_rows() == []


@pytest.mark.parametrize(
    "extra",
    [{"role": "admin"}, {"user_id": 1}, {"expires_at": "2999-01-01T00:00:00Z"}],
    ids=["role", "user_id", "expires_at"],
)
def test_it_refuses_extra_fields_and_names_them(
    app: Flask, pat: User, extra: dict[str, object]
) -> None:
    response = issue(app, **extra)

    error = assert_json_error(response)
    assert set(error["fields"]) == set(extra)
    assert token_rows() == []


@pytest.mark.parametrize(
    "body",
    [
        {"email": "pat@example.com"},
        {"password": PASSWORD},
        {"email": ["pat@example.com"], "password": PASSWORD},
        {"email": "pat@example.com", "password": 12345678901},
        {"email": "pat@example.com", "password": PASSWORD, "name": "x" * 81},
    ],
    ids=["no-password", "no-email", "email-list", "password-number", "name-too-long"],
)
def test_it_refuses_missing_or_mistyped_fields(
    app: Flask, pat: User, body: dict[str, object]
) -> None:
    response = app.test_client().post("/api/v1/tokens", json=body)

    assert_json_error(response)
    assert token_rows() == []


def test_it_shows_only_the_prefix_of_a_token_on_the_account_page(app: Flask, pat: User) -> None:
    secret = issued_secret(app)

    page = log_in(app.test_client(), pat).get("/account").get_data(as_text=True)

    assert "my script" in page
    assert secret[:8] in page
    assert secret not in page


def test_it_issues_tokens_without_a_csrf_token_but_revokes_only_with_one(
    app: Flask, pat: User
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    secret = issued_secret(app)  # a program has no form to take a CSRF token from
    [row] = token_rows()

    forged = log_in(app.test_client(), pat).post(f"/account/tokens/{row.id}/revoke")

    assert forged.status_code == 400
    assert token_rows()[0].revoked_at is None
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200
