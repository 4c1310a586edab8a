"""Secret calendar feed URLs (RFC 5545): a practitioner's, the practice's, a client's."""

from flask import Blueprint

bp = Blueprint("calendar_feeds", __name__)

from smptrack.calendar_feeds import routes  # noqa: E402,F401 - registers the views on bp
