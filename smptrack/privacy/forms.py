from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class EraseClientForm(FlaskForm):
    """A practitioner confirms by typing the client's name, so one slip cannot erase a record."""

    confirm_name = StringField(
        "Type the client's name to confirm",
        validators=[DataRequired(message="Type the client's name to confirm."), Length(max=120)],
    )
    submit = SubmitField("Erase this client for good")


class EraseOwnAccountForm(FlaskForm):
    """A client confirms with their password."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Enter your password to confirm."), Length(max=1024)],
        description="We ask for it so that no one else at this device can erase your data.",
    )
    submit = SubmitField("Erase my account and data")
