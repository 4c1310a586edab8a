"""The catalogue pages."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from smptrack.catalogue import recall, routes  # noqa: E402,F401
