"""Flask-Login wiring: how a session cookie becomes ``current_user``."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request, url_for
from flask_login import LoginManager

from smptrack.extensions import db
from smptrack.models import LoginSession, User
from smptrack.services import accounts
from smptrack.web import utc_now

log = logging.getLogger(__name__)


def _record_last_seen(login_session: accounts.LiveLoginSession, now: datetime) -> None:
    """Write ``last_seen_at`` (at most hourly) in a short transaction of its own.

    The user is loaded before the view runs, inside a request that may only read (and so never
    commits) or may fail (and roll back); the request's own transaction is the wrong place.
    A busy database is no reason to refuse the page: the next request tries again.
    """
    try:
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(LoginSession)
                .where(LoginSession.id == login_session.id)
                .values(last_seen_at=now)
            )
    except sa.exc.OperationalError as exc:
        log.warning("could not record a login session's last use: %s", exc)


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please log in to see this page."
    manager.login_message_category = "info"
    # "basic": a session cookie replayed from another browser or network loses its freshness,
    # so sensitive actions (erasure) ask for the password again.
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_id: str) -> User | None:
        """The user of a live login session (``services.accounts.user_for_login_session``),
        from the session cookie or the remember-me cookie alike."""
        now = utc_now()
        idle = timedelta(days=int(current_app.config["LOGIN_SESSION_IDLE_DAYS"]))
        found = accounts.user_for_login_session(session_id, now, idle)
        if found is None:
            return None
        user, login_session = found
        if accounts.touch_due(login_session, now):
            _record_last_seen(login_session, now)
        return user

    @manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect

        from smptrack.web import json_error

        if request.path.startswith("/api/"):
            return json_error(401, "unauthorized", "Log in with a bearer token.")
        flash(manager.login_message, manager.login_message_category)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
