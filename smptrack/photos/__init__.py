"""The photo pages: a client's photos and their upload, the image itself, deletion, and the
photo timeline the client page includes."""

from flask import Blueprint

bp = Blueprint("photos", __name__)

from smptrack.photos import routes  # noqa: E402,F401
