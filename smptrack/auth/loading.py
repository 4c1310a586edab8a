"""Flask-Login wiring: how a session cookie becomes ``current_user``."""

from __future__ import annotations

import hmac

from flask import request, url_for
from flask_login import LoginManager

from smptrack.extensions import db
from smptrack.models import User


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please log in to see this page."
    manager.login_message_category = "info"
    # "basic": a session cookie replayed from another browser or network loses its freshness,
    # so sensitive actions (erasure) ask for the password again.
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, fingerprint = (session_id or "").partition(":")
        try:
            user = db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or not hmac.compare_digest(fingerprint, user.password_fingerprint):
            return None  # the password changed since this session began
        return user

    @manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect

        from smptrack.web import json_error

        if request.path.startswith("/api/"):
            return json_error(401, "unauthorized", "Log in with a bearer token.")
        flash(manager.login_message, manager.login_message_category)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
