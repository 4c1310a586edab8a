"""Booking: the practice's schedule, and booking, moving, cancelling and marking appointments."""

from flask import Blueprint

bp = Blueprint("appointments", __name__)

from smptrack.appointments import routes  # noqa: E402,F401 - registers the views on bp
