"""The profile facts and the sun log of a client, for the client themself and their practitioner.

Thin: parse the form, call a service, record the audit event, commit once, render or redirect.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from smptrack.exposure import bp
from smptrack.exposure.forms import (
    HAIR_LABELS,
    HAT_LABELS,
    ConfirmDeleteForm,
    ExposureForm,
    ProfileForm,
    QuickExposureForm,
)
from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import access, materialised
from smptrack.services import exposure as sun
from smptrack.services import profile as profiles
from smptrack.services.errors import ServiceError
from smptrack.services.pagination import paginate
from smptrack.web import commit, int_arg, role_required, utc_now


def _load_client(client_id: int) -> Client:
    """The record if it is the viewer's to act for (404 otherwise, via the access policy)."""
    client = access.get_client(current_user, client_id)
    profiles.require_acts_for(current_user, client)
    return client


def _show_service_error(form: FlaskForm, exc: ServiceError) -> None:
    db.session.rollback()
    for name, message in exc.fields.items():
        if name in form._fields:
            form._fields[name].errors = [message]
        else:
            form.form_errors.append(message)
    flash(exc.message, "error")


# --- the client's own shortcuts ---------------------------------------------------------------


def _own_record_or_home():
    client = access.own_client_record(current_user)
    if client is None:
        flash("Your login is not linked to a record yet.", "info")
    return client


@bp.route("/me/sun")
@role_required("client")
def my_sun_log():
    client = _own_record_or_home()
    if client is None:
        return redirect(url_for("account.me"))
    return redirect(url_for("exposure.index", client_id=client.id))


@bp.route("/me/profile")
@role_required("client")
def my_profile():
    client = _own_record_or_home()
    if client is None:
        return redirect(url_for("account.me"))
    return redirect(url_for("exposure.profile", client_id=client.id))


# --- profile ----------------------------------------------------------------------------------


@bp.route("/clients/<int:client_id>/profile", methods=["GET", "POST"])
@role_required("practitioner", "client")
def profile(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    if request.method == "GET":
        form = ProfileForm(obj=profiles.profile_of(client))
        profiles.record_read(current_user, client, now=now)
        db.session.commit()
        return render_template("profile/edit.html", client=client, form=form)
    form = ProfileForm()
    if form.validate_on_submit():
        data = profiles.ProfileInput(
            **{name: form._fields[name].data for name in profiles.PROFILE_FIELDS}
        )
        try:
            profiles.update_profile(current_user, client, data, now=now)
        except ServiceError as exc:
            _show_service_error(form, exc)
        else:
            commit(now)
            flash("Profile saved.", "success")
            return redirect(url_for("exposure.profile", client_id=client.id))
    return render_template("profile/edit.html", client=client, form=form), 422


# --- sun log ----------------------------------------------------------------------------------


def _month_arg(value: str | None) -> date | None:
    """``?month=YYYY-MM`` as the first of that month; anything else is ignored."""
    if not value or len(value) != 7:
        return None
    try:
        chosen = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None
    return chosen if chosen.year >= sun.EARLIEST_DATE.year else None


def _render_log(client: Client, quick_form: QuickExposureForm, now: datetime, status: int = 200):
    zones = sun.treated_zones(client)
    months = materialised.stored_sun_months(client, zones)  # stored by the writes
    per_page = int(current_app.config["PAGE_SIZE"])
    page = paginate(months, int_arg("page", 1), per_page)
    today = profiles.client_today(client, now)
    selected = _month_arg(request.args.get("month"))
    if selected is None:
        selected = months[0].month if months else today.replace(day=1)
    entries = [
        (entry, sun.ambient_dose(entry), sun.effective_dose_by_zone(client, entry, zones=zones))
        for entry in sun.exposures_of(client, year=selected.year, month=selected.month)
    ]
    return (
        render_template(
            "exposure/index.html",
            client=client,
            zones=zones,
            page=page,
            selected=selected,
            entries=entries,
            quick_form=quick_form,
            today=today,
            hair_labels=HAIR_LABELS,
            hat_labels=HAT_LABELS,
        ),
        status,
    )


@bp.route("/clients/<int:client_id>/sun")
@role_required("practitioner", "client")
def index(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    sun.record_log_read(current_user, client, now=now)
    db.session.commit()
    return _render_log(client, QuickExposureForm(formdata=None), now)


@bp.route("/clients/<int:client_id>/sun/quick", methods=["POST"])
@role_required("practitioner", "client")
def quick(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    form = QuickExposureForm()
    if form.validate_on_submit():
        data = sun.ExposureInput(
            exposed_on=profiles.client_today(client, now),
            duration_minutes=form.duration_minutes.data,
            uv_index=form.uv_index.data,
            uv_index_kind="daily_max",
            # The start time only places the sun for an estimate; with a forecast maximum the
            # quick entry keeps its midday reading.
            start_time=form.start_time.data if form.uv_index.data is None else None,
            sky=form.sky.data or None,
            hat=form.hat.data,
        )
        try:
            entry = sun.log_exposure(current_user, client, data, now=now)
        except ServiceError as exc:
            _show_service_error(form, exc)
        else:
            commit(now)
            flash("Today's time outdoors is logged.", "success")
            return redirect(
                url_for("exposure.index", client_id=client.id, month=f"{entry.exposed_on:%Y-%m}")
            )
    else:
        flash("Today's entry was not logged: please correct the highlighted fields.", "error")
    return _render_log(client, form, now, status=422)


@bp.route("/clients/<int:client_id>/sun/new", methods=["GET", "POST"])
@role_required("practitioner", "client")
def new(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    form = ExposureForm(exposed_on=profiles.client_today(client, now))
    form.set_usual_hair_length(client.hair_length)
    if request.method == "GET":
        sun.record_log_read(current_user, client, now=now)
        db.session.commit()
        return render_template("exposure/new.html", client=client, form=form)
    if form.validate_on_submit():
        data = sun.ExposureInput(
            exposed_on=form.exposed_on.data,
            start_time=form.start_time.data,
            duration_minutes=form.duration_minutes.data,
            uv_index=form.uv_index.data,
            uv_index_kind=form.uv_index_kind.data,
            sky=form.sky.data or None,
            hat=form.hat.data,
            sunscreen_spf=form.sunscreen_spf.data,
            sunscreen_applied_at=form.sunscreen_applied_at.data,
            sunscreen_generous=form.sunscreen_generous.data,
            swimming=form.swimming.data,
            hair_length=form.hair_length.data or None,
        )
        try:
            entry = sun.log_exposure(current_user, client, data, now=now)
        except ServiceError as exc:
            _show_service_error(form, exc)
        else:
            commit(now)
            flash("The time outdoors is logged.", "success")
            return redirect(
                url_for("exposure.index", client_id=client.id, month=f"{entry.exposed_on:%Y-%m}")
            )
    return render_template("exposure/new.html", client=client, form=form), 422


@bp.route("/sun/<int:exposure_id>/delete", methods=["GET", "POST"])
@role_required("practitioner", "client")
def delete(exposure_id: int):
    entry = sun.get_exposure(current_user, exposure_id)
    client = _load_client(entry.client_id)
    now = utc_now()
    form = ConfirmDeleteForm()
    if request.method == "POST" and form.validate_on_submit():
        month = f"{entry.exposed_on:%Y-%m}"
        sun.delete_exposure(current_user, exposure_id, now=now)
        commit(now)
        flash("The entry is deleted.", "success")
        return redirect(url_for("exposure.index", client_id=client.id, month=month))
    status = 200 if request.method == "GET" else 422
    sun.record_entry_read(current_user, entry, now=now)
    db.session.commit()
    return (
        render_template(
            "exposure/delete.html",
            client=client,
            entry=entry,
            form=form,
            ambient=sun.ambient_dose(entry),
            doses=sun.effective_dose_by_zone(client, entry),
        ),
        status,
    )
