from __future__ import annotations

from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TextAreaField
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
    # Shown once the email matched another record (issue 13): ticking it adds this one anyway.
    confirm_duplicate = BooleanField("Yes, add another client with this email")
    submit = SubmitField("Add client")


class InviteForm(BaseForm):
    email = EmailField("Client's email", validators=[DataRequired(), Length(max=limits.EMAIL_MAX)])
    submit = SubmitField("Send invitation")


class AssignPractitionerForm(BaseForm):
    """Hand the client over to another practitioner of the practice."""

    practitioner_id = SelectField("Assigned practitioner", coerce=int, choices=[])
    submit = SubmitField("Assign")
