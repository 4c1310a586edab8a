"""The limits of every field, written once: text lengths (in characters) and number ranges.

Models (column lengths, CHECK constraints), forms (``Length``, ``NumberRange``, the help text),
the API's schemas (``maxLength``, ``minimum``/``maximum``) and the services take them from here;
``tests/test_text_rules.py`` checks that columns, forms and the OpenAPI document agree. A change
to a range or a column length needs a migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Range:
    """A closed range of numbers, ``low`` to ``high`` inclusive, in ``unit``."""

    low: int
    high: int
    unit: str = ""

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    def words(self) -> str:
        """'from 1 to 1440' for help text and messages."""
        return f"from {self.low} to {self.high}"


# --- text lengths, in characters -----------------------------------------------------------

DISPLAY_NAME_MAX = 120  # a user's or a client's name
EMAIL_MAX = 254  # RFC 5321's limit on a forward path
TIME_ZONE_MAX = 64  # an IANA name
PASSWORD_MIN = 10
PASSWORD_MAX = 1024  # hashing cost grows with length; no one types more
TOKEN_NAME_MAX = 80
SEARCH_MAX = 100
NOTES_MAX = 5000  # a client's or a session's notes, a practice's aftercare instructions
BRAND_MAX = 80
PIGMENT_LINE_MAX = 80
SHADE_MAX = 80
LOT_NUMBER_MAX = 60
NEEDLE_MAX = 80
MACHINE_SETTINGS_MAX = 200
PIGMENT_FREE_TEXT_MAX = 200
DILUTION_RATIO_MAX = 40
DOT_SIZE_MAX = 40
DEPTH_NOTE_MAX = 500
ASSESSMENT_NOTE_MAX = 2000
AFTERCARE_DAYS_MAX = 60  # "0, 4, 7" as typed on the practice settings page
PRACTICE_NAME_MAX = 120
ADDRESS_MAX = 300
PHONE_MAX = 40
URL_MAX = 500  # a practice's booking link
APPOINTMENT_NOTE_MAX = 1000  # the front desk's note on a booking: not clinical

# --- counts and numbers --------------------------------------------------------------------

MAX_PLACEMENTS = 20  # per treatment session
DURATION_MINUTES = Range(1, 1440, "minutes")  # a session or time outdoors: one day at most
UV_INDEX = Range(0, 20)  # the WHO scale; 20 is beyond any measured value
LATITUDE = Range(-90, 90, "degrees")  # + north
LONGITUDE = Range(-180, 180, "degrees")  # + east
SPF = Range(1, 100)
PERCENT = Range(0, 100, "%")  # shares of outdoor time with a hat or sunscreen
DENSITY_PCT = Range(0, 100, "%")  # percent of the healed result
FITZPATRICK = Range(1, 6)  # skin types I to VI
TOUCH_UP_THRESHOLD_PCT = Range(50, 95, "%")
TOUCH_UP_LEAD_DAYS = Range(0, 365, "days")
WAKING_HOURS_START = Range(0, 23, "hour")
WAKING_HOURS_END = Range(1, 24, "hour")
# Issue 11: the appointment reminder goes this long before the start (a practice setting).
APPOINTMENT_REMINDER_HOURS = Range(24, 48, "hours")
# Issue 13: how long a practice keeps a treatment record after the client asked for erasure,
# counted from the last treatment (a practice setting; domain/retention.py holds the default).
TREATMENT_RECORD_RETENTION_YEARS = Range(1, 25, "years")

# Primary keys are 32-bit on PostgreSQL: a larger id must be "not found", not a database error.
MAX_ROW_ID = 2**31 - 1

# --- dates ---------------------------------------------------------------------------------

# SMP as a technique is younger than this: an earlier session, sun log entry or assessment date
# is a typing mistake (0025 for 2025).
EARLIEST_DATE = date(1990, 1, 1)
# Lots expiring outside these are typing mistakes too.
EARLIEST_EXPIRY = date(1990, 1, 1)
LATEST_EXPIRY = date(2100, 12, 31)
