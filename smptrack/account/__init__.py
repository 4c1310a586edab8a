"""A person's own pages: the client's home, and account settings for everyone."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from smptrack.account import routes  # noqa: E402,F401
