"""Fade assessments: list, record and delete, for the client themself and their practitioner.

Thin: parse the form, call a service, record the audit event, commit once, render or redirect.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from smptrack.assessments import bp
from smptrack.assessments.forms import ASSESSOR_LABELS, AssessmentForm, ConfirmDeleteForm
from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import access, photo_timeline
from smptrack.services import assessments as ratings
from smptrack.services import exposure as sun
from smptrack.services import photos as photo_service
from smptrack.services import profile as profiles
from smptrack.services.errors import ServiceError
from smptrack.services.pagination import Page, clamp_page
from smptrack.web import commit, int_arg, role_required, utc_now


def _photo_to_rate(client: Client):
    """The photo named by ``?photo_id=`` ("rate this photo"), which must be of ``client``
    and of one zone: 404 otherwise, as for any photo the viewer may not see."""
    photo_id = request.args.get("photo_id", type=int)
    if photo_id is None:
        return None
    photo = access.get_photo(current_user, photo_id)
    if photo.client_id != client.id or photo.zone is None:
        abort(404)
    return photo


def _load_client(client_id: int) -> Client:
    """The record if it is the viewer's to act for (404 otherwise, via the access policy)."""
    client = access.get_client(current_user, client_id)
    profiles.require_acts_for(current_user, client)
    return client


@bp.route("/me/assessments")
@role_required("client")
def my_assessments():
    client = access.own_client_record(current_user)
    if client is None:
        flash("Your login is not linked to a record yet.", "info")
        return redirect(url_for("account.me"))
    return redirect(url_for("assessments.index", client_id=client.id))


@bp.route("/clients/<int:client_id>/assessments")
@role_required("practitioner", "client")
def index(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    per_page = int(current_app.config["PAGE_SIZE"])
    number = int_arg("page", 1)
    ratings.record_list_read(current_user, client, now=now)
    db.session.commit()
    # Loaded after the commit, which would expire them: each row would then be read again.
    items, total = ratings.assessments_page(client, page=number, per_page=per_page, clamp=True)
    return render_template(
        "assessments/index.html",
        client=client,
        page=Page(
            items=items, page=clamp_page(number, total, per_page), per_page=per_page, total=total
        ),
        labels=ASSESSOR_LABELS,
        may_delete=lambda a: ratings.may_delete(current_user, a),
    )


@bp.route("/clients/<int:client_id>/assessments/new", methods=["GET", "POST"])
@role_required("practitioner", "client")
def new(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    kinds = ratings.assessor_kinds_for(current_user)
    photo = _photo_to_rate(client)
    if photo is not None and current_user.role != "client":
        # A practitioner's rating from the client's photo: FADE-MODEL §6's photo uncertainty.
        kinds = ("practitioner_photo",)
    form = AssessmentForm(
        assessed_on=photo.taken_on if photo else profiles.client_today(client, now),
        zone=photo.zone if photo else request.args.get("zone") or sun.treated_zones(client)[0],
        assessor_kind=kinds[0],
    )
    form.set_assessor_kinds(kinds)
    # The zone's healed baseline beside the photo being rated, or beside its latest photo.
    pair = photo_timeline.pair_for_rating(client, zone=form.zone.data, photo=photo)
    shown = {"client": client, "form": form, "kinds": kinds, "photo": photo, "pair": pair}
    if request.method == "GET":
        ratings.record_list_read(current_user, client, now=now)
        db.session.commit()
        return render_template("assessments/new.html", **shown)
    if form.validate_on_submit():
        data = ratings.AssessmentInput(
            assessed_on=form.assessed_on.data,
            zone=form.zone.data,
            density_pct=form.density_pct.data,
            assessor_kind=form.assessor_kind.data,
            note=form.note.data or "",
            blur_or_colour_shift=form.blur_or_colour_shift.data,
            # A client's page has no box (their own note is theirs): never shared by them.
            notes_shared=bool(form.notes_shared.data) and current_user.role != "client",
        )
        try:
            made = ratings.record_assessment(current_user, client, data, now=now)
            if photo is not None:
                photo_service.link_to_assessment(photo, made)
        except ServiceError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                if name in form._fields:
                    form._fields[name].errors = [message]
                else:
                    form.form_errors.append(message)
            flash(exc.message, "error")
        else:
            commit(now)
            flash("The assessment is recorded.", "success")
            return redirect(url_for("assessments.index", client_id=client.id))
    return render_template("assessments/new.html", **shown), 422


@bp.route("/assessments/<int:assessment_id>/delete", methods=["GET", "POST"])
@role_required("practitioner", "client")
def delete(assessment_id: int):
    assessment = ratings.get_assessment(current_user, assessment_id)
    client = _load_client(assessment.client_id)
    now = utc_now()
    form = ConfirmDeleteForm()
    if not ratings.may_delete(current_user, assessment):
        # Visible (it is on the client's own record) but not theirs to remove: 403, not 404.
        abort(403, "Only your practitioner can remove their own assessment.")
    if request.method == "POST" and form.validate_on_submit():
        ratings.delete_assessment(current_user, assessment_id, now=now)
        commit(now)
        flash("The assessment is deleted.", "success")
        return redirect(url_for("assessments.index", client_id=client.id))
    ratings.record_read(current_user, assessment, now=now)
    db.session.commit()
    status = 200 if request.method == "GET" else 422
    return (
        render_template(
            "assessments/delete.html",
            client=client,
            assessment=assessment,
            form=form,
            labels=ASSESSOR_LABELS,
        ),
        status,
    )
