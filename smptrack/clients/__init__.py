"""The practitioner's client list and client records."""

from flask import Blueprint

bp = Blueprint("clients", __name__)

from smptrack.clients import routes  # noqa: E402,F401
