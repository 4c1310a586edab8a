"""The privacy pages."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from smptrack.privacy import routes  # noqa: E402,F401
