from __future__ import annotations

from wtforms import DateField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

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


class CreateTokenForm(BaseForm):
    name = StringField(
        "Token name",
        validators=[DataRequired("Name the token."), Length(max=limits.TOKEN_NAME_MAX)],
        description="Say which program uses it, so you know what to revoke later.",
    )
    expires_on = DateField(
        "Expires on (optional)",
        validators=[Optional()],
        description="Leave empty for the longest allowed, one year.",
    )
    submit = SubmitField("Create token")


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


class ChangeEmailForm(BaseForm):
    new_email = EmailField(
        "New email address",
        validators=[DataRequired("Enter the new address."), Length(max=limits.EMAIL_MAX)],
        description="We send a link to it; your address changes when you open the link.",
    )
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)]
    )
    submit = SubmitField("Send the confirmation link")


class ConfirmEmailForm(BaseForm):
    submit = SubmitField("Use this address")
