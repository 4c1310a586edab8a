"""The practitioner's due list: who will want a touch-up, and when."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from smptrack.links import url_by_id
from smptrack.services import due
from smptrack.web import int_arg, role_required, utc_now

bp = Blueprint("due", __name__)

DEFAULT_HORIZON_DAYS = 90


@bp.route("/due")
@role_required("practitioner")
def index():
    today = utc_now().date()
    error = None
    raw = request.args.get("before", "")
    try:
        before = date.fromisoformat(raw) if raw else today + timedelta(days=DEFAULT_HORIZON_DAYS)
    except ValueError:
        before = today + timedelta(days=DEFAULT_HORIZON_DAYS)
        error = "Enter the date as YYYY-MM-DD, for example 2027-03-31."
    page = due.due_clients(
        current_user,
        before,
        page=int_arg("page", 1),
        per_page=int(current_app.config["PAGE_SIZE"]),
        clamp=True,
    )
    status = 422 if error else 200
    return render_template(
        "due/index.html",
        page=page,
        before=before,
        error=error,
        client_url=url_by_id("clients.show", "client_id"),
    ), status
