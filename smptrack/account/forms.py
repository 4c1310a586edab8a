from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from smptrack.domain import limits
from smptrack.forms import BaseForm, TimeZoneField


class SettingsForm(BaseForm):
    display_name = StringField(
        "Your name", validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)]
    )
    time_zone = TimeZoneField()
    submit = SubmitField("Save")


class RevokeTokenForm(BaseForm):
    submit = SubmitField("Revoke")
