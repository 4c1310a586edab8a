"""Tokens and the token's owner."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from smptrack.api.registry import Unauthorized, operation
from smptrack.api.schemas import TokenCreate, TokenOut, UserOut
from smptrack.extensions import db
from smptrack.models import User
from smptrack.services import access, accounts, throttle
from smptrack.web import remote_addr, utc_now


@operation(
    "POST",
    "/tokens",
    summary="Issue a bearer token for an email and password",
    tag="accounts",
    body=TokenCreate,
    response=TokenOut,
    status=201,
    errors=(401, 429),
    authenticated=False,
)
def create_token(body: TokenCreate) -> TokenOut:
    """The token is shown once; only its SHA-256 is stored. List and revoke tokens on the
    account page. A wrong email and a wrong password get the same answer. Failed attempts are
    throttled per account and per client address, as on the login form: 429 with
    ``Retry-After`` (seconds)."""
    now, address = utc_now(), remote_addr()
    rules = throttle.rules_from_config(current_app.config)
    try:
        throttle.begin_login(rules, email=body.email, address=address, now=now)
    except throttle.Throttled:
        db.session.commit()  # the lockout this attempt began
        raise
    # Committed before the password is checked, so the failure stays counted (the registry
    # rolls back a refused request).
    db.session.commit()
    user = accounts.authenticate(body.email, body.password, now)
    if user is None:
        raise Unauthorized("That email and password do not match an account.")
    throttle.login_succeeded(rules, email=body.email, address=address, now=now)
    days = int(current_app.config["API_TOKEN_MAX_AGE_DAYS"])
    issued = accounts.issue_api_token(user, body.name or "", now, timedelta(days=days))
    return TokenOut(
        id=issued.token.id,
        token=issued.secret,
        name=issued.token.name,
        expires_at=issued.token.expires_at,
    )


@operation("GET", "/me", summary="The token's owner", tag="accounts", response=UserOut)
def me(actor: User) -> UserOut:
    own = access.own_client_record(actor)
    return UserOut(
        id=actor.id,
        email=actor.email,
        role=actor.role,
        display_name=actor.display_name,
        time_zone=actor.time_zone,
        client_id=own.id if own is not None else None,
    )
