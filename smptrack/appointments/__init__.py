"""Booking: the practice's schedule, and booking, moving, cancelling and marking appointments."""

from flask import Blueprint

bp = Blueprint("appointments", __name__)
