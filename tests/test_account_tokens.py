"""API tokens made and revoked on the account page (issue 13 item 8): the secret is shown on
the one response that made it, only its SHA-256 is stored, and revoking asks first."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import ApiToken
from tests.conftest import OwnContextClient, Personas, log_in


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def tokens() -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(
                    ApiToken.id,
                    ApiToken.name,
                    ApiToken.token_hash,
                    ApiToken.expires_at,
                    ApiToken.revoked_at,
                ).order_by(ApiToken.id)
            )
        )


def secret_on(html: str) -> str | None:
    match = re.search(r'id="new-token-secret"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else None


def test_a_token_is_made_shown_once_and_stored_only_as_its_hash(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p)
    response = client.post("/account/tokens", data={"name": "Bookkeeping script"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = secret_on(response.get_data(as_text=True))
    assert secret and "shown only" in response.get_data(as_text=True)

    [row] = tokens()
    assert row.name == "Bookkeeping script"
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(value) for value in row}
    assert row.expires_at - datetime.now(UTC) > timedelta(days=364)

    later = client.get("/account").get_data(as_text=True)
    assert secret not in later and "Bookkeeping script" in later
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_a_chosen_expiry_is_kept_and_a_past_or_too_far_one_refused(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p)
    in_ten_days = (datetime.now(UTC) + timedelta(days=10)).date()
    ok = client.post(
        "/account/tokens", data={"name": "Short", "expires_on": in_ten_days.isoformat()}
    )
    assert ok.status_code == 200
    assert tokens()[0].expires_at.date() == in_ten_days
    for day, words in [("2020-01-01", "after today"), ("2099-01-01", "at most")]:
        refused = client.post("/account/tokens", data={"name": "Bad", "expires_on": day})
        assert refused.status_code == 422
        assert words in refused.get_data(as_text=True)
        assert secret_on(refused.get_data(as_text=True)) is None
    assert len(tokens()) == 1


def test_revoking_asks_first_then_revokes_and_another_logins_token_is_not_found(
    client: FlaskClient, personas: Personas
) -> None:
    log_in(client, personas.practitioner_p)
    client.post("/account/tokens", data={"name": "Old script"})
    [row] = tokens()
    asked = client.get(f"/account/tokens/{row.id}/revoke")
    assert asked.status_code == 200 and "Revoke the token" in asked.get_data(as_text=True)
    assert tokens()[0].revoked_at is None, "the confirmation page revokes nothing"
    done = client.post(f"/account/tokens/{row.id}/revoke")
    assert done.status_code == 302
    assert tokens()[0].revoked_at is not None

    other = OwnContextClient(client.application)
    log_in(other, personas.practitioner_q)
    assert other.get(f"/account/tokens/{row.id}/revoke").status_code == 404
