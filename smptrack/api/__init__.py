"""JSON API v1. Authenticated by bearer token only (never the session cookie), so it is
exempt from CSRF without opening a cross-site hole."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from smptrack.api import routes  # noqa: E402,F401
