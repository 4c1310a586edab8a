"""Bearer-token authentication for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from smptrack.models import User
from smptrack.services import accounts
from smptrack.web import json_error, utc_now


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = accounts.user_for_api_token(bearer_secret() or "", utc_now())
        if user is None:
            response = json_error(401, "unauthorized", "Send a valid bearer token.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="smptrack"'
            return response
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def api_user() -> User:
    return g.api_user
