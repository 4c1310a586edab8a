"""Reminder pages: the client's reminders and preferences, the practitioner's view of a client's
reminders, the practice's reminder settings, one-click unsubscribe, and /healthz."""

from flask import Blueprint

bp = Blueprint("reminders", __name__)

from smptrack.reminders import routes  # noqa: E402,F401
