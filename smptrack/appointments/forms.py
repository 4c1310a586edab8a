"""Forms of the booking pages. Choices of client and practitioner are set per request from the
practice; the service checks the chosen ids, so a crafted id gets the service's own message."""

from __future__ import annotations

from wtforms import DateField, IntegerField, SelectField, SubmitField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from smptrack.domain import limits
from smptrack.domain.vocabulary import SESSION_KINDS
from smptrack.forms import SESSION_KIND_LABELS, BaseForm, StrictForm, choice_list

KIND_LABELS = SESSION_KIND_LABELS
STATUS_LABELS = {
    "booked": "Booked",
    "cancelled": "Cancelled",
    "done": "Done",
    "no_show": "No-show",
}
# The longest session the form offers is the domain's: twelve hours.
MAX_MINUTES = 12 * 60


def _id_select(label: str) -> SelectField:
    # validate_choice=False: an id outside the list reaches the service, which answers
    # "No such client" rather than WTForms' "Not a valid choice".
    return SelectField(label, choices=[], validate_choice=False, coerce=str)


def _minutes(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[InputRequired(message="Give the length in minutes.")],
        description="A session of SMP usually takes 2 to 4 hours (120 to 240 minutes).",
        render_kw={"inputmode": "numeric", "min": 5, "max": MAX_MINUTES, "step": 5},
    )


class BookForm(StrictForm):
    client_id = _id_select("Client")
    practitioner_id = _id_select("Practitioner")
    day = DateField("Date", validators=[InputRequired(message="Enter the date.")])
    start = TimeField("Starts at", validators=[InputRequired(message="Enter the start time.")])
    minutes = _minutes("Length (minutes)")
    kind = SelectField(
        "Kind of session", choices=choice_list((k, KIND_LABELS[k]) for k in SESSION_KINDS)
    )
    note = TextAreaField(
        "Note for the front desk",
        validators=[Optional(strip_whitespace=False), Length(max=limits.APPOINTMENT_NOTE_MAX)],
        description="Not clinical: everyone in the practice sees it (“prefers mornings”).",
    )
    submit = SubmitField("Book")


class MoveForm(StrictForm):
    practitioner_id = _id_select("Practitioner")
    day = DateField("Date", validators=[InputRequired(message="Enter the date.")])
    start = TimeField("Starts at", validators=[InputRequired(message="Enter the start time.")])
    minutes = _minutes("Length (minutes)")
    submit = SubmitField("Move")


class CancelForm(BaseForm):
    submit = SubmitField("Cancel this appointment")


class MarkForm(StrictForm):
    status = SelectField(
        "Mark as",
        choices=choice_list([("done", "Done"), ("no_show", "No-show")]),
        validators=[InputRequired(message="Mark it done or no-show.")],
    )
    submit = SubmitField("Mark")
