"""The practice's model page: its current constants, a refit on demand, adopt and revert
(FADE-MODEL §10, issue 10 item 8). Practitioners only; a version of another practice is 404.

Thin: parse, call services/refit.py and services/model_versions.py, commit once. The refit runs
in the request for a practice of up to ``IN_REQUEST_LIMIT`` rated clients (a few seconds); a
larger practice is told to run ``smptrack model refit --practice ID``, where a progress bar and
no request timeout apply.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import BooleanField, SubmitField

from smptrack.domain import fade
from smptrack.extensions import db
from smptrack.forms import BaseForm
from smptrack.models import Client, FadeAssessment
from smptrack.services import access, model_versions, refit
from smptrack.services.errors import ServiceError
from smptrack.web import commit, role_required, utc_now

bp = Blueprint("practice_model", __name__)

# About 13 s per 1,000 clients in bench/refit.py: up to 1,000 rated clients stays within a
# request's patience; above it the CLI runs the same refit.
IN_REQUEST_LIMIT = 1000


class ActionForm(BaseForm):
    """A POST with only its CSRF token (run a refit)."""

    submit = SubmitField("Run the refit now")


class ConfirmForm(BaseForm):
    confirm = BooleanField("Yes, rebuild every projection of my practice with these constants")
    submit = SubmitField("Confirm")


def _counts(practice_id: int) -> tuple[int, int]:
    clients = db.session.scalar(sa.select(sa.func.count()).where(Client.practice_id == practice_id))
    rated = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(FadeAssessment.client_id)))
        .join(Client, Client.id == FadeAssessment.client_id)
        .where(Client.practice_id == practice_id)
    )
    return clients or 0, rated or 0


def _page(status: int = 200, **extra):
    access.require_practitioner(current_user)
    current = model_versions.current_version(current_user.practice_id)
    clients, rated = _counts(current_user.practice_id)
    return render_template(
        "practice_model/index.html",
        current=current,
        constants=model_versions.constants_of(current),
        defaults=fade.DEFAULT_CONSTANTS,
        versions=model_versions.history(current_user.practice_id),
        clients=clients,
        rated=rated,
        limit=IN_REQUEST_LIMIT,
        label=model_versions.label,
        form=extra.pop("form", None) or ActionForm(),
        **extra,
    ), status


@bp.route("/practice/model")
@role_required("practitioner")
def index():
    return _page()


@bp.route("/practice/model/refit", methods=["POST"])
@role_required("practitioner")
def run_refit():
    # Refitting, adopting and reverting change every client's projection: the owner's call.
    access.require_owner(current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(422, form=form, error="The form expired; please try again.")
    _, rated = _counts(current_user.practice_id)
    if rated > IN_REQUEST_LIMIT:
        return _page(
            422,
            error=(
                f"Your practice has {rated} rated clients, more than this page refits while you "
                f"wait ({IN_REQUEST_LIMIT}). Run `smptrack model refit --practice "
                f"{current_user.practice_id}` on the server instead."
            ),
        )
    now = utc_now()
    try:
        result = refit.run(current_user.practice_id, now)
    except ServiceError as exc:
        return _page(422, error=exc.message)
    version = model_versions.propose(current_user.practice_id, result, now, created_by=current_user)
    commit(now)
    return redirect(url_for("practice_model.version", version_id=version.id))


@bp.route("/practice/model/versions/<int:version_id>")
@role_required("practitioner")
def version(version_id: int):
    found = model_versions.get_version(current_user, version_id)
    return render_template(
        "practice_model/version.html",
        version=found,
        summary=found.fit_summary or {},
        defaults=fade.DEFAULT_CONSTANTS,
        label=model_versions.label,
        form=ConfirmForm(),
    )


@bp.route("/practice/model/versions/<int:version_id>/adopt", methods=["GET", "POST"])
@role_required("practitioner")
def adopt(version_id: int):
    found = model_versions.get_version(current_user, version_id)
    access.require_owner(current_user)
    form = ConfirmForm()
    clients, _ = _counts(current_user.practice_id)
    status = 200
    if form.validate_on_submit():
        if form.confirm.data:
            now = utc_now()
            try:
                count = model_versions.adopt(found, now)
            except ServiceError as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
                return _confirm_page("adopt", found, form, clients, 422)
            commit(now)
            flash(f"Adopted {model_versions.label(found)}; {count} clients' projections rebuilt.")
            return redirect(url_for("practice_model.index"))
        form.confirm.errors = ["Tick the box to confirm."]
        status = 422
    elif form.is_submitted():
        status = 422
    return _confirm_page("adopt", found, form, clients, status)


def _confirm_page(action: str, version, form: ConfirmForm, clients: int, status: int):
    """The confirmation step of adopting or reverting: what changes, and a box to tick."""
    target = (
        url_for("practice_model.adopt", version_id=version.id)
        if action == "adopt"
        else url_for("practice_model.revert")
    )
    return render_template(
        "practice_model/confirm.html",
        action=action,
        version=version,
        summary=version.fit_summary or {},
        form=form,
        clients=clients,
        label=model_versions.label,
        target=target,
    ), status


@bp.route("/practice/model/revert", methods=["GET", "POST"])
@role_required("practitioner")
def revert():
    access.require_owner(current_user)
    current = model_versions.current_version(current_user.practice_id)
    if current is None:
        flash("Your practice already uses the documented default constants.")
        return redirect(url_for("practice_model.index"))
    form = ConfirmForm()
    clients, _ = _counts(current_user.practice_id)
    status = 200
    if form.validate_on_submit():
        if form.confirm.data:
            now = utc_now()
            previous, count = model_versions.revert(current_user.practice_id, now)
            commit(now)
            flash(
                f"Back to {model_versions.label(previous)}; {count} clients' projections rebuilt."
            )
            return redirect(url_for("practice_model.index"))
        form.confirm.errors = ["Tick the box to confirm."]
        status = 422
    elif form.is_submitted():
        status = 422
    return _confirm_page("revert", current, form, clients, status)
