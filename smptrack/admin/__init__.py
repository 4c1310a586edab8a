"""Administration: users. An admin sees no client records."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from smptrack.extensions import db
from smptrack.models import User
from smptrack.services import access
from smptrack.web import int_arg, role_required

bp = Blueprint("admin", __name__)


@bp.route("/users")
@role_required("admin")
def users():
    per_page = int(current_app.config["PAGE_SIZE"])
    page = int_arg("page", 1)
    query = access.listable_users(current_user).order_by(User.email)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    pages = max(1, -(-total // per_page))
    return render_template("admin/users.html", users=rows, page=page, pages=pages, total=total)
