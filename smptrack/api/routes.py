from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request, url_for

from smptrack.api import bp
from smptrack.api.auth import api_user, token_required
from smptrack.extensions import db
from smptrack.models import Client, User
from smptrack.services import access, accounts, audit
from smptrack.services import clients as client_service
from smptrack.services.errors import ValidationFailed
from smptrack.web import json_error, remote_addr, utc_now


def _json_object(allowed: set[str]) -> dict[str, Any]:
    """The request body as a JSON object holding only ``allowed`` keys, else ValidationFailed."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object with Content-Type: application/json.")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(
            "Unknown fields.", {name: "This field is not accepted." for name in unknown}
        )
    return data


def _string(data: dict[str, Any], name: str, *, required: bool, max_length: int) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationFailed("Missing field.", {name: "This field is required."})
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise ValidationFailed(
            "Invalid field.", {name: f"Send a string of at most {max_length} characters."}
        )
    return value


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "display_name": user.display_name,
        "time_zone": user.time_zone,
    }


def client_json(client: Client) -> dict[str, Any]:
    return {
        "id": client.id,
        "display_name": client.display_name,
        "email": client.email,
        "time_zone": client.time_zone,
        "practitioner_id": client.practitioner_id,
        "has_login": client.user_id is not None,
        "next_touch_up_on": client.next_touch_up_on.isoformat() if client.next_touch_up_on else None,
        "url": url_for("api.get_client", client_id=client.id),
    }


@bp.post("/tokens")
def create_token():
    data = _json_object({"email", "password", "name"})
    email = _string(data, "email", required=True, max_length=254)
    password = _string(data, "password", required=True, max_length=1024)
    name = _string(data, "name", required=False, max_length=80) or "API token"
    now = utc_now()
    user = accounts.authenticate(email or "", password or "", now)
    if user is None:
        db.session.rollback()
        return json_error(401, "unauthorized", "That email and password do not match an account.")
    days = int(current_app.config["API_TOKEN_MAX_AGE_DAYS"])
    issued = accounts.issue_api_token(user, name, now, timedelta(days=days))
    db.session.commit()
    body = {
        "id": issued.token.id,
        "token": issued.secret,
        "name": issued.token.name,
        "expires_at": issued.token.expires_at.isoformat() if issued.token.expires_at else None,
    }
    return body, 201


@bp.get("/me")
@token_required
def me():
    user = api_user()
    db.session.commit()  # records the token's last use
    return user_json(user)


@bp.get("/clients")
@token_required
def list_clients():
    user = api_user()
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(100, max(1, int(request.args.get("per_page", 25))))
    except ValueError:
        return json_error(400, "bad_request", "page and per_page must be whole numbers.")
    result = client_service.list_clients(
        user, search=request.args.get("q", "")[:100], page=page, per_page=per_page
    )
    db.session.commit()
    return {
        "items": [client_json(c) for c in result.items],
        "page": result.page,
        "per_page": result.per_page,
        "total": result.total,
    }


@bp.post("/clients")
@token_required
def create_client():
    user = api_user()
    access.require_practitioner(user)
    data = _json_object({"display_name", "email", "time_zone", "notes"})
    now = utc_now()
    client = client_service.create_client(
        user,
        display_name=_string(data, "display_name", required=True, max_length=120) or "",
        email=_string(data, "email", required=False, max_length=254),
        time_zone=_string(data, "time_zone", required=False, max_length=64)
        or current_app.config["DEFAULT_TIME_ZONE"],
        notes=_string(data, "notes", required=False, max_length=5000) or "",
        now=now,
    )
    audit.record_event(
        user,
        "create",
        client_id=client.id,
        object_type="client",
        object_id=client.id,
        remote_addr=remote_addr(),
        now=now,
    )
    db.session.commit()
    return client_json(client), 201


@bp.get("/clients/<int:client_id>")
@token_required
def get_client(client_id: int):
    user = api_user()
    client = access.get_client(user, client_id)
    audit.record_event(
        user,
        "read",
        client_id=client.id,
        object_type="client",
        object_id=client.id,
        remote_addr=remote_addr(),
        now=utc_now(),
    )
    db.session.commit()
    return client_json(client)
