"""The assessments pages."""

from flask import Blueprint

bp = Blueprint("assessments", __name__)

from smptrack.assessments import routes, zones  # noqa: E402,F401
