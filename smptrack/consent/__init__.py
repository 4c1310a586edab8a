"""Consent (the practice's versioned text, signing from a login or an emailed link, the
printable signed copy) and the health and skin questionnaire (issue 12 items 1 and 2)."""

from flask import Blueprint

bp = Blueprint("consent", __name__)

from smptrack.consent import routes  # noqa: E402,F401 - registers the views on bp
