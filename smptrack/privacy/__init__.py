"""The privacy pages: a client's data as one JSON download, and erasure (by the client, or by
their practitioner)."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from smptrack.privacy import routes  # noqa: E402,F401
