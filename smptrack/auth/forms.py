from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from smptrack.domain import limits
from smptrack.forms import BaseForm, TimeZoneField, choice_list


class SignUpForm(BaseForm):
    role = RadioField(
        "I am",
        choices=choice_list(
            [
                ("practitioner", "A practitioner: I keep my clients' records"),
                ("client", "A client: I keep my own record"),
            ]
        ),
        default="practitioner",
        validators=[DataRequired()],
    )
    display_name = StringField(
        "Your name", validators=[DataRequired(), Length(max=limits.DISPLAY_NAME_MAX)]
    )
    email = EmailField("Email", validators=[DataRequired(), Length(max=limits.EMAIL_MAX)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    time_zone = TimeZoneField()
    submit = SubmitField("Create account")


class LoginForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=limits.EMAIL_MAX)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)]
    )
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class ResetRequestForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=limits.EMAIL_MAX)])
    submit = SubmitField("Email me a reset link")


class NewPasswordForm(BaseForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Set password")


class AcceptInviteForm(BaseForm):
    # The name and time zone come from the practice's record (issue 13): only a password here.
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Create my login")


class LinkInviteForm(BaseForm):
    submit = SubmitField("Link this record to my login")


class LogoutForm(BaseForm):
    submit = SubmitField("Log out")
