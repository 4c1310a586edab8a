"""The practice itself: its details and its members (the owner invites and removes them)."""

from flask import Blueprint

bp = Blueprint("practice", __name__)
