"""The treatments pages."""

from flask import Blueprint

bp = Blueprint("treatments", __name__)

from smptrack.treatments import routes  # noqa: E402,F401
