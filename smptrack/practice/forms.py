"""The practice's forms: its details, an invitation, a removal, and joining."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from smptrack.domain import limits
from smptrack.forms import BaseForm, StrictForm, TimeZoneField, choice_list
from smptrack.services.members import INVITABLE_ROLES, ROLE_LABELS


class PracticeForm(StrictForm):
    name = StringField("Practice name", validators=[Length(max=limits.PRACTICE_NAME_MAX)])
    address = TextAreaField("Address", validators=[Length(max=limits.ADDRESS_MAX)])
    phone = StringField("Phone", validators=[Length(max=limits.PHONE_MAX)])
    booking_url = StringField(
        "Booking link",
        validators=[Length(max=limits.URL_MAX)],
        description="Your online booking page (https://…): it goes into touch-up reminders.",
    )
    time_zone = TimeZoneField(
        description="Appointments are booked and shown in this time zone.",
    )
    mail_from_name = StringField(
        "Mail comes from",
        validators=[Length(max=limits.PRACTICE_NAME_MAX)],
        description="The sender's name on reminders to your clients.",
    )
    reply_to = EmailField(
        "Replies go to",
        validators=[Length(max=limits.EMAIL_MAX)],
        description="When a client answers a reminder, the reply goes to this address.",
    )
    submit = SubmitField("Save practice details")


class InviteMemberForm(StrictForm):
    display_name = StringField(
        "Their name", validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)]
    )
    email = EmailField("Their email", validators=[DataRequired(), Length(max=limits.EMAIL_MAX)])
    role = SelectField(
        "Role", choices=choice_list((role, ROLE_LABELS[role]) for role in INVITABLE_ROLES)
    )
    submit = SubmitField("Send invitation")


class RevokeForm(BaseForm):
    submit = SubmitField("Withdraw")


class RemoveMemberForm(StrictForm):
    successor_id = SelectField("Who takes over their clients", coerce=int, validate_choice=False)
    submit = SubmitField("Remove from the practice")


class JoinForm(StrictForm):
    display_name = StringField(
        "Your name", validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)]
    )
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
        description=f"At least {limits.PASSWORD_MIN} characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    time_zone = TimeZoneField()
    submit = SubmitField("Join the practice")
