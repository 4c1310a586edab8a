from __future__ import annotations

from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

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


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)]
    )
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )
    submit = SubmitField("Change password")


class EndOtherSessionsForm(BaseForm):
    submit = SubmitField("End all other sessions")
