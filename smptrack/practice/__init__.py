"""The practice itself: its details and its members (the owner invites and removes them)."""

from flask import Blueprint

bp = Blueprint("practice", __name__)

from smptrack.practice import routes  # noqa: E402,F401 - registers the views on bp
