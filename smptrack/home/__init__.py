"""The front door: sends each person to their own starting page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/landing.html")
    if current_user.role == "practitioner":
        return redirect(url_for("clients.index"))
    if current_user.role == "front_desk":
        return redirect(url_for("appointments.index"))
    if current_user.role == "admin":
        return redirect(url_for("admin.users"))
    return redirect(url_for("account.me"))
