"""The owner's first run: the checklist on the home page (a context processor, so the home view
needs no change) and /welcome, one form for the practice name, the first pigment and lot and
the first client, which then opens the first session's form with the lot chosen. Saving that
session shows the client's page with its projection: five page loads from sign-up.
"""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms import DateField, EmailField, RadioField, StringField, SubmitField
from wtforms.validators import Length, Optional

from smptrack.domain import limits
from smptrack.domain.vocabulary import PIGMENT_BASES
from smptrack.extensions import db
from smptrack.formdata import refuse_unexpected
from smptrack.forms import BaseForm, TimeZoneField, choice_list
from smptrack.onboarding import bp
from smptrack.services import access, catalogue
from smptrack.services import onboarding as service
from smptrack.services.errors import ServiceError
from smptrack.web import commit, role_required, utc_now


def _text(label: str, max_length: int, description: str = "") -> StringField:
    return StringField(
        label,
        validators=[Optional(strip_whitespace=False), Length(max=max_length)],
        description=description,
    )


class WelcomeForm(BaseForm):
    practice_name = _text(
        "Name of your practice", limits.PRACTICE_NAME_MAX, "Your clients see it in reminders."
    )
    pigment_brand = _text("Brand", limits.BRAND_MAX)
    pigment_line = _text("Line", limits.PIGMENT_LINE_MAX, "The brand's range, if it has several.")
    pigment_shade = _text("Shade", limits.SHADE_MAX)
    pigment_base = RadioField(
        "Base",
        choices=choice_list((b, b.replace("_", " ").capitalize()) for b in PIGMENT_BASES),
        default="carbon",
    )
    lot_lot_number = _text("Lot number", limits.LOT_NUMBER_MAX, "As printed on the bottle.")
    lot_expires_on = DateField("Lot expires on", validators=[Optional()])
    client_display_name = _text("Client's name", limits.DISPLAY_NAME_MAX)
    client_email = EmailField(
        "Client's email",
        validators=[Optional(), Length(max=limits.EMAIL_MAX)],
        description="Optional now; needed to invite them and send reminders.",
    )
    client_time_zone = TimeZoneField("Client's time zone")
    submit = SubmitField("Save and record the first session")


SECTIONS = {
    "practice": ("practice_name",),
    "lot": (
        "pigment_brand",
        "pigment_line",
        "pigment_shade",
        "pigment_base",
        "lot_lot_number",
        "lot_expires_on",
    ),
    "client": ("client_display_name", "client_email", "client_time_zone"),
}


@bp.app_context_processor
def _checklist() -> dict:
    """``checklist`` for templates/onboarding/_checklist.html on the home pages only (a few
    queries; other pages never pay for it). The home view may pass its own instead."""
    # Mail is rendered outside any request (the scheduler's sender): no home page there.
    if not has_request_context() or request.blueprint != "home":
        return {}
    if not current_user.is_authenticated:
        return {}
    return {"checklist": service.checklist_for(current_user)}


def _steps_open() -> dict[str, bool]:
    checklist = service.checklist_for(current_user)
    done = {step.key: step.done for step in checklist.steps} if checklist else {}
    return {key: not done.get(key, False) for key in ("practice", "lot", "client")}


@bp.route("/welcome", methods=["GET", "POST"])
@role_required("practitioner")
def welcome():
    access.require_owner(current_user)
    open_steps = _steps_open()
    form = WelcomeForm()
    # A step already done is not asked again: its fields leave the form (and are refused).
    for step, names in SECTIONS.items():
        if not open_steps[step]:
            for name in names:
                delattr(form, name)
    if request.method == "GET" and open_steps["client"]:
        form.client_time_zone.data = (
            current_user.time_zone or current_app.config["DEFAULT_TIME_ZONE"]
        )
    status = 200
    if request.method == "POST":
        status = 422
        valid = form.validate_on_submit()
        if not refuse_unexpected(form, request.form) and valid:
            now = utc_now()
            data = service.SetUp(
                practice_name=form.practice_name.data or "" if open_steps["practice"] else None,
                pigment=catalogue.PigmentInput(
                    form.pigment_brand.data or "",
                    form.pigment_line.data or "",
                    form.pigment_shade.data or "",
                    form.pigment_base.data,
                )
                if open_steps["lot"]
                else None,
                lot_number=form.lot_lot_number.data or "" if open_steps["lot"] else "",
                lot_expires_on=form.lot_expires_on.data if open_steps["lot"] else None,
                client_name=form.client_display_name.data or "" if open_steps["client"] else None,
                client_email=form.client_email.data or None if open_steps["client"] else None,
                client_time_zone=form.client_time_zone.data if open_steps["client"] else "UTC",
            )
            try:
                made = service.set_up(current_user, data, now=now)
            except ServiceError as exc:
                db.session.rollback()
                for name, message in exc.fields.items():
                    target = getattr(form, name, None)
                    if target is not None and hasattr(target, "errors"):
                        target.errors = [*list(target.errors), message]
                    else:
                        form.form_errors.append(message)
                flash(exc.message, "error")
            else:
                commit(now)
                flash("Your practice is set up. Record the first session next.", "success")
                checklist = service.checklist_for(current_user)
                client_id = made.client_id or (checklist.first_client_id if checklist else None)
                if client_id is None:
                    return redirect(url_for("home.index"))
                args = {"next": url_for("clients.show", client_id=client_id)}
                if made.lot_id is not None:
                    args["lot"] = str(made.lot_id)
                return redirect(url_for("treatments.new", client_id=client_id, **args))
    return render_template("onboarding/welcome.html", form=form, open_steps=open_steps), status
