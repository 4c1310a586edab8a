from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from smptrack.forms import TimeZoneField


class SettingsForm(FlaskForm):
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    time_zone = TimeZoneField()
    submit = SubmitField("Save")


class RevokeTokenForm(FlaskForm):
    submit = SubmitField("Revoke")
