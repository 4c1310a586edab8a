from __future__ import annotations

from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from smptrack.domain import limits
from smptrack.forms import BaseForm


class EraseClientForm(BaseForm):
    """A practitioner confirms by typing the client's name, so one slip cannot erase a record."""

    confirm_name = StringField(
        "Type the client's name to confirm",
        validators=[
            DataRequired(message="Type the client's name to confirm."),
            Length(max=limits.DISPLAY_NAME_MAX),
        ],
    )
    submit = SubmitField("Erase this client for good")


class EraseOwnAccountForm(BaseForm):
    """A client confirms with their password."""

    password = PasswordField(
        "Your password",
        validators=[
            DataRequired(message="Enter your password to confirm."),
            Length(max=limits.PASSWORD_MAX),
        ],
        description="We ask for it so that no one else at this device can erase your data.",
    )
    submit = SubmitField("Erase my account and data")
