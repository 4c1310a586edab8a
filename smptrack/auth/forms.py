from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from smptrack.forms import TimeZoneField, choice_list


class SignUpForm(FlaskForm):
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
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=10, max=1024)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    time_zone = TimeZoneField()
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Email me a reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=10, max=1024)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Set password")


class AcceptInviteForm(FlaskForm):
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), Length(min=10, max=1024)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    time_zone = TimeZoneField()
    submit = SubmitField("Create my login")


class LinkInviteForm(FlaskForm):
    submit = SubmitField("Link this record to my login")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")
