"""The exposure pages."""

from flask import Blueprint

bp = Blueprint("exposure", __name__)

from smptrack.exposure import routes  # noqa: E402,F401
