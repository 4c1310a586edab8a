"""Forms of the reminder pages."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from smptrack.domain import limits
from smptrack.forms import BaseForm, in_range
from smptrack.services.reminders import KIND_HINTS, KIND_LABELS


class PreferencesForm(BaseForm):
    aftercare = BooleanField(KIND_LABELS["aftercare"], description=KIND_HINTS["aftercare"])
    next_session = BooleanField(KIND_LABELS["next_session"], description=KIND_HINTS["next_session"])
    healed_check = BooleanField(KIND_LABELS["healed_check"], description=KIND_HINTS["healed_check"])
    self_check = BooleanField(KIND_LABELS["self_check"], description=KIND_HINTS["self_check"])
    assessment = BooleanField(KIND_LABELS["assessment"], description=KIND_HINTS["assessment"])
    touch_up = BooleanField(KIND_LABELS["touch_up"], description=KIND_HINTS["touch_up"])
    touch_up_lead_days = IntegerField(
        "Days before the projected touch-up date",
        validators=[
            InputRequired("Enter a number of days."),
            in_range(limits.TOUCH_UP_LEAD_DAYS, "Enter a number of days from 0 to 365."),
        ],
        description="How long before the most likely date the touch-up reminder comes.",
    )
    unsubscribe_all = BooleanField(
        "Stop all reminder emails",
        description="Overrides the choices above until you untick it.",
    )
    submit = SubmitField("Save my reminder choices")


class TouchUpNowForm(BaseForm):
    submit = SubmitField("Send a touch-up invitation now")


def _days(low: int, high: int, label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired("Enter a whole number."),
            NumberRange(low, high, f"Enter a whole number from {low} to {high}."),
        ],
    )


def parse_day_list(raw: str) -> list[int]:
    """ "0, 4, 7" -> [0, 4, 7]; ValueError with a sentence for anything else."""
    parts = [p.strip() for p in (raw or "").replace(";", ",").split(",") if p.strip()]
    if not parts:
        return []
    try:
        return [int(p) for p in parts]
    except ValueError as exc:
        raise ValueError("Write whole days separated by commas, for example 0, 4, 7.") from exc


class PracticeSettingsForm(BaseForm):
    waking_hours_start = _days(0, 23, "Send from (hour, client's local time)")
    waking_hours_end = _days(1, 24, "Send until (hour, client's local time)")
    aftercare = StringField(
        "Aftercare emails on days",
        validators=[
            InputRequired("Enter the days, for example 0, 4, 7."),
            Length(max=limits.AFTERCARE_DAYS_MAX),
        ],
        description="Days after a session, separated by commas (0 is the day itself).",
    )
    healed_check = _days(14, 90, "Healed check on day")
    next_session = _days(5, 90, "Next session of an initial series after (days)")
    next_session_lead = _days(0, 14, "Remind this many days before the next session")
    next_session_min = _days(1, 60, "Warn when series sessions are closer than (days)")
    series_sessions = _days(1, 6, "Sessions in an initial series")
    self_check_months = _days(3, 36, "First self-check after (months), then yearly")
    touch_up_lead = _days(0, 365, "Touch-up reminder this many days before the most likely date")
    touch_up_threshold_pct = IntegerField(
        "A zone is due for a touch-up at (% of its healed density)",
        # Optional: a form without it (an older page still open) keeps the stored threshold.
        validators=[
            Optional(),
            in_range(
                limits.TOUCH_UP_THRESHOLD_PCT,
                f"Enter a whole percentage from {limits.TOUCH_UP_THRESHOLD_PCT.low} to "
                f"{limits.TOUCH_UP_THRESHOLD_PCT.high}.",
            ),
        ],
        description="Higher means touch-ups come sooner. Saving recomputes every client's "
        "touch-up window.",
    )
    appointment_reminder_hours = IntegerField(
        "Appointment reminder, hours before",
        # Optional, as the threshold: an older page still open keeps the stored value.
        validators=[
            Optional(),
            in_range(
                limits.APPOINTMENT_REMINDER_HOURS,
                f"Enter a whole number of hours {limits.APPOINTMENT_REMINDER_HOURS.words()}.",
            ),
        ],
        description="The client is reminded of a booked appointment this long before it, "
        "with the calendar invitation.",
    )
    aftercare_instructions = TextAreaField(
        "Aftercare instructions",
        validators=[Length(max=limits.NOTES_MAX)],
        description="Sent on the day of each session. Say what the client needs; no more.",
    )
    submit = SubmitField("Save reminder settings")

    def validate_aftercare(self, field: StringField) -> None:
        try:
            parse_day_list(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
