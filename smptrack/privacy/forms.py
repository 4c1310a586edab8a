from __future__ import annotations

from wtforms import IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from smptrack.domain import limits
from smptrack.forms import BaseForm, in_range


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


_YEARS = limits.TREATMENT_RECORD_RETENTION_YEARS


class RetentionForm(BaseForm):
    """The practice owner sets how long a treatment record is kept after an erasure request."""

    years = IntegerField(
        "Keep the treatment record for (years after the last treatment)",
        validators=[
            InputRequired(message=f"Enter a whole number of years {_YEARS.words()}."),
            in_range(_YEARS, f"Enter a whole number of years {_YEARS.words()}."),
        ],
        description=(
            "Set the period the law where you practise asks of you; it applies to every "
            "pending request, and each record is erased automatically when it ends."
        ),
    )
    submit = SubmitField("Save the retention period")
