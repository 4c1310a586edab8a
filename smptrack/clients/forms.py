from __future__ import annotations

from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from smptrack.domain import limits
from smptrack.forms import BaseForm, TimeZoneField


class ClientForm(BaseForm):
    display_name = StringField(
        "Name", validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)]
    )
    email = EmailField(
        "Email",
        validators=[Optional(), Length(max=limits.EMAIL_MAX)],
        description="Optional now; needed to invite the client and to send reminders.",
    )
    time_zone = TimeZoneField(description="Reminders reach the client in their own daytime.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=limits.NOTES_MAX)])
    submit = SubmitField("Add client")


class InviteForm(BaseForm):
    email = EmailField("Client's email", validators=[DataRequired(), Length(max=limits.EMAIL_MAX)])
    submit = SubmitField("Send invitation")


class AssignPractitionerForm(BaseForm):
    """Hand the client over to another practitioner of the practice."""

    practitioner_id = SelectField("Assigned practitioner", coerce=int, choices=[])
    submit = SubmitField("Assign")
