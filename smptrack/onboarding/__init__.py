"""The first-run checklist and its one-page set-up (issue 13 item 4)."""

from flask import Blueprint

bp = Blueprint("onboarding", __name__)

from smptrack.onboarding import routes  # noqa: E402,F401
