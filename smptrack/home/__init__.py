"""The front door: sends each person to their own starting page, and a member's home."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from smptrack.links import url_by_id
from smptrack.services import home as home_service
from smptrack.web import role_required, utc_now

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/landing.html")
    if current_user.role in ("practitioner", "front_desk"):
        return redirect(url_for("home.dashboard"))
    if current_user.role == "admin":
        return redirect(url_for("admin.users"))
    return redirect(url_for("account.me"))


@bp.route("/home")
@role_required("practitioner", "front_desk")
def dashboard():
    """A practice member's home: today's appointments and what waits to be acted on."""
    # Forbidden (403) for a practitioner login without a practice; reads only, no commit.
    home = home_service.practice_home(current_user, utc_now())
    return render_template(
        "home/dashboard.html",
        home=home,
        client_url=url_by_id("clients.show", "client_id"),
        reminders_url=url_by_id("reminders.client_index", "client_id"),
        consent_url=url_by_id("consent.client_status", "client_id"),
        appointment_url=url_by_id("appointments.show", "appointment_id"),
    )
