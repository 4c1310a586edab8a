from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from smptrack import charts
from smptrack.account import bp
from smptrack.account.forms import RevokeTokenForm, SettingsForm
from smptrack.extensions import db
from smptrack.links import assessment_links, own_links, session_links
from smptrack.services import access, accounts, audit, projections
from smptrack.services import history as history_service
from smptrack.services.errors import ServiceError
from smptrack.services.pagination import paginate
from smptrack.web import int_arg, remote_addr, role_required, utc_now


@bp.route("/me")
@role_required("client")
def me():
    """The client's own record and history timeline."""
    client = access.own_client_record(current_user)
    if client is not None:
        audit.record_event(
            current_user,
            "read",
            client_id=client.id,
            object_type="client",
            object_id=client.id,
            remote_addr=remote_addr(),
            now=utc_now(),
        )
        db.session.commit()
    history = months = chart = projection = None
    if client is not None:
        history = history_service.client_history(client)
        months = paginate(history.months, int_arg("page", 1), int(current_app.config["PAGE_SIZE"]))
        projection = projections.project_client(client, projections.client_today(client, utc_now()))
        chart = charts.chart_for_history(projection, history)
    return render_template(
        "account/me.html",
        client=client,
        history=history,
        months=months,
        chart=chart,
        projection=projection,
        links=own_links(client),
        session_links=session_links,
        assessment_links=assessment_links,
    )


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            accounts.check_time_zone(form.time_zone.data)
        except ServiceError as exc:
            form.time_zone.errors = [exc.message]
        else:
            current_user.display_name = form.display_name.data.strip()
            current_user.time_zone = form.time_zone.data
            db.session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("account.settings"))
    return render_template(
        "account/settings.html",
        form=form,
        tokens=accounts.tokens_of(current_user),
        revoke_form=RevokeTokenForm(),
    )


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    form = RevokeTokenForm()
    if form.validate_on_submit():
        accounts.revoke_api_token(current_user, token_id, utc_now())
        db.session.commit()
        flash("The token is revoked; programs using it are now refused.", "success")
    return redirect(url_for("account.settings"))
