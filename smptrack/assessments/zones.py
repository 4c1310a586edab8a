"""The multi-zone assessment page: one form rates every treated zone at once (issue 13 item 4).

Thin: parse the rows, call ``services.zone_ratings``, commit once, redirect; a refusal renders
every row again with its message and writes nothing.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    RadioField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import FieldList, FormField
from wtforms.validators import InputRequired, Optional

from smptrack.assessments import bp
from smptrack.assessments.forms import ASSESSOR_LABELS
from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.formdata import refuse_unexpected
from smptrack.forms import BaseForm, RowForm, choice_list
from smptrack.services import access, zone_ratings
from smptrack.services import assessments as ratings
from smptrack.services import exposure as sun
from smptrack.services import profile as profiles
from smptrack.services.errors import ServiceError
from smptrack.web import commit, role_required, utc_now


class ZoneRowForm(RowForm):
    zone = HiddenField()
    density_pct = FloatField(
        "Density (% of the healed result)",
        validators=[Optional()],
        description="Leave empty to skip this zone.",
    )
    blur_or_colour_shift = BooleanField("Blurred dots or a blue/grey colour shift")
    note = TextAreaField("Note")


class ZoneRatingsForm(BaseForm):
    assessed_on = DateField("Date of the assessment", validators=[InputRequired("Enter the date.")])
    assessor_kind = RadioField("Assessed")
    notes_shared = BooleanField(
        "Share the notes with the client",
        description="Left unticked, the notes stay internal to the practice.",
    )
    rows = FieldList(FormField(ZoneRowForm), max_entries=len(ZONES))
    submit = SubmitField("Record the ratings")


def _rating_of(row: ZoneRowForm) -> zone_ratings.ZoneRating:
    return zone_ratings.ZoneRating(
        zone=row.zone.data or "",
        density_pct=row.density_pct.data,
        note=row.note.data or "",
        blur_or_colour_shift=bool(row.blur_or_colour_shift.data),
    )


def _show_errors(form: ZoneRatingsForm, exc: ServiceError) -> None:
    for key, message in exc.fields.items():
        parts = key.split(".")
        target = None
        if parts[0] == "rows" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(form.rows.entries):
                row = form.rows.entries[index].form
                # A zone's own problem (unknown, rated twice) is shown by its density.
                target = getattr(row, "density_pct" if parts[2] == "zone" else parts[2], None)
        elif parts[0] != "rows":
            target = getattr(form, parts[0], None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors), message]
        else:
            form.form_errors.append(message)


@bp.route("/clients/<int:client_id>/assessments/zones", methods=["GET", "POST"])
@role_required("practitioner", "client")
def rate_zones(client_id: int):
    client = access.get_client(current_user, client_id)
    profiles.require_acts_for(current_user, client)
    now = utc_now()
    kinds = ratings.assessor_kinds_for(current_user)
    zones = sun.treated_zones(client)
    if request.method == "GET":
        form = ZoneRatingsForm(
            data={
                "assessed_on": profiles.client_today(client, now),
                "assessor_kind": kinds[0],
                "rows": [{"zone": zone} for zone in zones],
            }
        )
    else:
        form = ZoneRatingsForm()
    form.assessor_kind.choices = choice_list((kind, ASSESSOR_LABELS[kind]) for kind in kinds)
    status = 200
    if request.method == "POST":
        status = 422
        valid = form.validate_on_submit()
        if not refuse_unexpected(form, request.form) and valid:
            try:
                made = zone_ratings.record_zone_ratings(
                    current_user,
                    client,
                    assessed_on=form.assessed_on.data,
                    assessor_kind=form.assessor_kind.data,
                    ratings=[_rating_of(entry.form) for entry in form.rows],
                    # A client's own notes are theirs: their page has no box.
                    notes_shared=bool(form.notes_shared.data) and current_user.role != "client",
                    now=now,
                )
            except ServiceError as exc:
                db.session.rollback()
                _show_errors(form, exc)
                flash(exc.message, "error")
            else:
                commit(now)
                flash(
                    f"{len(made)} rating{'' if len(made) == 1 else 's'} recorded.",
                    "success",
                )
                return redirect(url_for("assessments.index", client_id=client.id))
    else:
        ratings.record_list_read(current_user, client, now=now)
    return render_template("assessments/zones.html", client=client, form=form, kinds=kinds), status
