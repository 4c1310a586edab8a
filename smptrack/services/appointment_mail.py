"""What the client is mailed when a booking is made, moved or cancelled (issue 11 item 4).

STUB: the interface ``services/appointments.py`` calls; a helper fills it in.
"""

from __future__ import annotations

from datetime import datetime

from smptrack.models import Appointment


def on_booked(appointment: Appointment, now: datetime) -> None:
    """Plan the appointment's reminder (with its .ics) for a new booking."""


def on_changed(appointment: Appointment, now: datetime) -> None:
    """The booking moved (``sequence`` already raised): replan its reminder and resend."""


def on_cancelled(appointment: Appointment, now: datetime) -> None:
    """Cancel its pending reminder and send the METHOD:CANCEL mail once."""
