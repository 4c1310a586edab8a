"""Secret calendar feed URLs (RFC 5545): a practitioner's, the practice's, a client's."""

from flask import Blueprint

bp = Blueprint("calendar_feeds", __name__)
