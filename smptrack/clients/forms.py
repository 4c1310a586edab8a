from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from smptrack.forms import TimeZoneField


class ClientForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[Optional(), Length(max=254)],
        description="Optional now; needed to invite the client and to send reminders.",
    )
    time_zone = TimeZoneField(description="Reminders reach the client in their own daytime.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Add client")


class InviteForm(FlaskForm):
    email = EmailField("Client's email", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Send invitation")
