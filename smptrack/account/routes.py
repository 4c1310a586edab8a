from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_remembered, login_required, login_user

from smptrack import charts
from smptrack.account import bp
from smptrack.account.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmEmailForm,
    CreateTokenForm,
    EndOtherSessionsForm,
    RevokeTokenForm,
    SettingsForm,
)
from smptrack.extensions import db
from smptrack.forms import place_field_errors
from smptrack.links import ASSESSMENT_LINKS, SESSION_LINKS, own_links, row_links
from smptrack.outgoing import external_url
from smptrack.services import access, accounts, email_change, materialised, projections, throttle
from smptrack.services import clients as client_service
from smptrack.services import history as history_service
from smptrack.services import overview as overview_service
from smptrack.services.errors import ServiceError
from smptrack.web import remote_addr, role_required, utc_now


@bp.route("/me")
@role_required("client")
def me():
    """The client's own record and history timeline."""
    client = access.own_client_record(current_user)
    if client is not None:
        # Noted, and written after the response (services.audit): a read does not commit.
        client_service.record_read(current_user, client, now=utc_now())
    history = overview = chart = projection = None
    if client is not None:
        now = utc_now()
        history = history_service.client_history(client)
        today = projections.client_today(client, now)
        projection = materialised.projection_for(client, today)
        chart = charts.chart_for_history(projection, history)
        # The same overview and sections as the client page (services.overview).
        overview = overview_service.client_overview(
            current_user,
            client,
            history,
            pages=overview_service.pages_from(request.args),
            page_size=int(current_app.config["PAGE_SIZE"]),
            today=today,
            now=now,
        )
    return render_template(
        "account/me.html",
        client=client,
        history=history,
        overview=overview,
        chart=chart,
        projection=projection,
        links=own_links(client),
        session_links=row_links(SESSION_LINKS),
        assessment_links=row_links(ASSESSMENT_LINKS),
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
    return _settings_page(form=form, status=422 if form.errors else 200)


def _settings_page(
    *,
    form=None,
    password_form=None,
    token_form=None,
    new_token=None,
    email_form=None,
    status: int = 200,
):
    now = utc_now()
    idle = timedelta(days=int(current_app.config["LOGIN_SESSION_IDLE_DAYS"]))
    page = render_template(
        "account/settings.html",
        form=form or SettingsForm(obj=current_user),
        tokens=accounts.tokens_of(current_user),
        revoke_form=RevokeTokenForm(),
        password_form=password_form or ChangePasswordForm(formdata=None),
        login_sessions=accounts.live_login_sessions(current_user, now, idle),
        current_key_hash=accounts.login_session_key_hash(current_user),
        end_sessions_form=EndOtherSessionsForm(formdata=None),
        token_form=token_form or CreateTokenForm(formdata=None),
        new_token=new_token,
        email_form=email_form or ChangeEmailForm(formdata=None),
    )
    return page, status


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Change one's own password: every other session and API token ends, and the owner is
    mailed. Wrong current passwords count as failed logins of the account (throttled)."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _settings_page(password_form=form, status=422)
    now, address = utc_now(), remote_addr()
    rules = throttle.rules_from_config(current_app.config)
    try:
        throttle.begin_login(rules, email=current_user.email, address=address, now=now)
    except throttle.Throttled as exc:
        db.session.commit()  # the lockout this attempt began
        flash(exc.message, "error")
        page, _ = _settings_page(password_form=form)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    db.session.commit()  # the attempt stays counted if the current password is wrong
    try:
        accounts.change_password(
            current_user,
            current_password=form.current_password.data,
            new_password=form.password.data,
            now=now,
            reset_url=external_url("auth.reset_request"),
        )
    except ServiceError as exc:
        db.session.rollback()
        place_field_errors(form, exc.fields)
        return _settings_page(password_form=form, status=422)
    throttle.login_succeeded(rules, email=current_user.email, address=address, now=now)
    db.session.commit()
    # The session cookie names the old password's fingerprint: issue it afresh for this
    # session (its row stays live), or this browser would be logged out too.
    login_user(current_user._get_current_object(), remember=login_remembered())
    flash(
        "Your password is changed. Every other session and every API token of yours has ended.",
        "success",
    )
    return redirect(url_for("account.settings"))


@bp.route("/account/sessions/end-others", methods=["GET", "POST"])
@login_required
def end_other_sessions():
    """A confirmation page, then the end of every other login session of the account."""
    form = EndOtherSessionsForm()
    if form.validate_on_submit():
        ended = accounts.end_other_login_sessions(current_user, utc_now())
        db.session.commit()
        flash(
            f"Ended {ended} other session{'' if ended == 1 else 's'}. "
            "Only this browser is still logged in.",
            "success",
        )
        return redirect(url_for("account.settings"))
    idle = timedelta(days=int(current_app.config["LOGIN_SESSION_IDLE_DAYS"]))
    others = [
        row
        for row in accounts.live_login_sessions(current_user, utc_now(), idle)
        if row.key_hash != accounts.login_session_key_hash(current_user)
    ]
    return render_template("account/end_sessions.html", form=form, others=others)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    """Make an API token. Its secret is on this one response only (never stored, never in
    the session cookie or a redirect): only its SHA-256 is kept."""
    form = CreateTokenForm()
    if not form.validate_on_submit():
        return _settings_page(token_form=form, status=422)
    now = utc_now()
    limit = timedelta(days=int(current_app.config["API_TOKEN_MAX_AGE_DAYS"]))
    try:
        max_age = accounts.token_max_age(now, form.expires_on.data, limit)
        issued = accounts.issue_api_token(current_user, form.name.data, now, max_age)
    except ServiceError as exc:
        db.session.rollback()
        place_field_errors(form, exc.fields)
        return _settings_page(token_form=form, status=422)
    db.session.commit()
    page, status = _settings_page(new_token=issued)
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_token(token_id: int):
    """A confirmation page, then the revocation. Another login's token answers 404."""
    token = accounts.own_api_token(current_user, token_id)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        accounts.revoke_api_token(current_user, token_id, utc_now())
        db.session.commit()
        flash("The token is revoked; programs using it are now refused.", "success")
        return redirect(url_for("account.settings"))
    return render_template("account/revoke_token.html", form=form, token=token)


@bp.route("/account/email", methods=["POST"])
@login_required
def change_email():
    """Send a confirmation link to the new address; the old one stays until it is used."""
    form = ChangeEmailForm()
    if not form.validate_on_submit():
        return _settings_page(email_form=form, status=422)
    try:
        change = email_change.request_change(
            current_user,
            new_email=form.new_email.data,
            current_password=form.current_password.data,
            now=utc_now(),
            link_for=lambda secret: external_url("account.confirm_email", secret=secret),
        )
    except ServiceError as exc:
        db.session.rollback()
        place_field_errors(form, exc.fields)
        return _settings_page(email_form=form, status=422)
    db.session.commit()
    flash(
        f"We sent a link to {change.new_email}. Your address changes when you open it; "
        "until then you keep using the current one.",
        "success",
    )
    return redirect(url_for("account.settings"))


@bp.route("/account/email/confirm/<secret>", methods=["GET", "POST"])
def confirm_email(secret: str):
    """The emailed link: a page with a button (GET writes nothing, and a mail scanner that
    fetches links cannot use it up), then the change. A bad link answers 404."""
    change = email_change.pending_change(secret, utc_now())
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        try:
            email_change.confirm_change(secret, utc_now())
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("account/confirm_email.html", form=form, change=change), 409
        db.session.commit()
        flash(f"Your email address is now {change.new_email}.", "success")
        return redirect(url_for("account.settings"))
    return render_template("account/confirm_email.html", form=form, change=change)
