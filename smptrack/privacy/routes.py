from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from smptrack.extensions import db
from smptrack.privacy import bp
from smptrack.privacy.forms import EraseClientForm, EraseOwnAccountForm, RetentionForm
from smptrack.services import access, clients, erasure, exports
from smptrack.services.errors import ValidationFailed
from smptrack.templating import long_date
from smptrack.web import commit, folders, int_arg, remote_addr, role_required, utc_now


def _download(document: dict[str, Any], name: str, now: datetime) -> Response:
    """A zip of the JSON document and the photo files (``exports.export_archive``)."""
    body = exports.export_archive(document, folders().uploads)
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{now:%Y-%m-%d}.zip"'
    # Personal data: no shared or browser cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/clients/<int:client_id>/export")
@role_required("practitioner")
def export_client(client_id: int):
    client = access.get_client(current_user, client_id)
    access.require_practice_of(current_user, client)
    now = utc_now()
    document = exports.export_client(current_user, client, now=now)
    db.session.commit()
    return _download(document, f"smptrack-client-{client_id}", now)


@bp.get("/me/export")
@role_required("client")
def export_own():
    now = utc_now()
    document = exports.export_own_data(current_user._get_current_object(), now=now)
    db.session.commit()
    return _download(document, "smptrack-my-data", now)


@bp.route("/clients/<int:client_id>/erase", methods=["GET", "POST"])
@role_required("practitioner")
def erase_client(client_id: int):
    client = access.get_client(current_user, client_id)
    access.require_practice_of(current_user, client)
    form = EraseClientForm()
    if form.validate_on_submit():
        typed = " ".join(form.confirm_name.data.split()).casefold()
        if typed == " ".join(client.display_name.split()).casefold():
            erasure = exports.erase_client(
                current_user, client, now=utc_now(), folders=folders(), remote_addr=remote_addr()
            )
            commit()
            exports.finish_erasure(erasure)  # files only once the rows are gone for good
            # No name in the message: the flash travels in the session cookie.
            flash("The client's record, history and files are erased.", "success")
            return redirect(url_for("clients.index"))
        form.confirm_name.errors = [
            "That is not the client's name as recorded. Nothing was erased."
        ]
    if form.errors:
        summary = exports.erasure_summary(client)
        return render_template(
            "privacy/erase_client.html", client=client, form=form, summary=summary
        ), 422
    clients.record_read(current_user, client, now=utc_now())
    summary = exports.erasure_summary(client)
    db.session.commit()
    return render_template("privacy/erase_client.html", client=client, form=form, summary=summary)


@bp.route("/me/erase", methods=["GET", "POST"])
@role_required("client")
def erase_own():
    form = EraseOwnAccountForm()
    now = utc_now()
    if form.validate_on_submit():
        try:
            done = erasure.request_own_erasure(
                current_user._get_current_object(), form.password.data, now=now, folders=folders()
            )
        except ValidationFailed as exc:
            db.session.rollback()
            form.password.errors = [exc.fields.get("password", exc.message)]
        else:
            logout_user()
            commit()
            exports.finish_erasure(done.erasure)  # files only once the rows are gone for good
            if done.kept_until is not None:
                flash(
                    "Your account and your own data are erased. Your practice keeps your "
                    f"treatment record until {long_date(done.kept_until)}; then it is erased "
                    "too. Nothing more will be sent to you.",
                    "success",
                )
            else:
                flash("Your account and everything smptrack held about you are erased.", "success")
            return redirect(url_for("home.index"))
    user = current_user._get_current_object()
    record = access.own_client_record(user)
    summary = exports.erasure_summary(record) if record is not None else None
    plan = erasure.plan_own_erasure(user, today=now.date())
    status = 422 if form.errors else 200
    if record is not None and not form.errors:
        clients.record_read(user, record, now=now)
        db.session.commit()
    return render_template(
        "privacy/erase_own.html", form=form, record=record, summary=summary, plan=plan
    ), status


# --- The practice's view: erasure requests and the retention period --------------------------


@bp.get("/practice/erasure-requests")
@role_required("practitioner")
def erasure_requests():
    page = erasure.requests_of(
        current_user,
        page=int_arg("page", 1),
        per_page=int(current_app.config.get("PAGE_SIZE") or 25),
    )
    years = erasure.retention_years_of(current_user.practice_id)
    return render_template(
        "privacy/requests.html",
        page=page,
        form=RetentionForm(years=years),
        years=years,
        may_set=access.is_owner(current_user),
    )


@bp.post("/practice/erasure-requests/retention")
@role_required("practitioner")
def set_retention():
    access.require_owner(current_user)
    form = RetentionForm()
    if form.validate_on_submit():
        try:
            erasure.set_retention_years(current_user, form.years.data)
        except ValidationFailed as exc:
            db.session.rollback()
            form.years.errors = [exc.fields.get("years", exc.message)]
        else:
            db.session.commit()
            flash(
                f"Treatment records are now kept for {form.years.data} years after the last "
                "treatment.",
                "success",
            )
            return redirect(url_for("privacy.erasure_requests"))
    page = erasure.requests_of(
        current_user, page=1, per_page=int(current_app.config.get("PAGE_SIZE") or 25)
    )
    years = erasure.retention_years_of(current_user.practice_id)  # the stored one, not the typo
    return render_template(
        "privacy/requests.html", page=page, form=form, years=years, may_set=True
    ), 422
