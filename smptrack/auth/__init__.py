"""Sign up, log in and out, password reset, invitation acceptance."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from smptrack.auth import routes  # noqa: E402,F401 - registers the views on bp
