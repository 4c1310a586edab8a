from __future__ import annotations

from datetime import timedelta

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from smptrack.auth import bp
from smptrack.auth.forms import (
    AcceptInviteForm,
    LinkInviteForm,
    LoginForm,
    LogoutForm,
    NewPasswordForm,
    ResetRequestForm,
    SignUpForm,
)
from smptrack.extensions import db
from smptrack.forms import place_field_errors
from smptrack.outgoing import external_url
from smptrack.services import account_mail, accounts, throttle
from smptrack.services.errors import NotFound, ServiceError
from smptrack.web import commit, remote_addr, safe_next, secret_key, utc_now


def _home() -> str:
    return url_for("home.index")


def _apply_errors(form, exc: ServiceError) -> None:
    """Show a service's field messages on the form, or the message as a flash."""
    if not place_field_errors(form, exc.fields):
        flash(exc.message, "error")


def _rules() -> throttle.Rules:
    return throttle.rules_from_config(current_app.config)


def _throttled(exc: throttle.Throttled, template: str, **context):
    """The form again, with the throttle's message, as 429 with ``Retry-After``."""
    flash(exc.message, "error")
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _open_login_session(user, *, remember: bool) -> None:
    """Before the commit: the ``LoginSession`` row whose key the cookies will carry."""
    accounts.open_login_session(
        user,
        user_agent=request.user_agent.string,
        remote_addr=remote_addr(),
        remembered=remember,
        now=utc_now(),
    )


def _log_in(user, *, remember: bool) -> None:
    """After the commit: log ``user`` in on a fresh session (nothing carried over from before
    the login, so no fixation) with a new CSRF token."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's cache
    login_user(user, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(_home())
    form = SignUpForm()
    if request.method == "GET":
        form.time_zone.data = current_app.config["DEFAULT_TIME_ZONE"]
        if request.args.get("role") in ("client", "practitioner"):
            form.role.data = request.args["role"]
    if form.validate_on_submit():
        try:
            throttle.count_signup(_rules(), address=remote_addr(), now=utc_now())
        except throttle.Throttled as exc:
            db.session.commit()  # the lockout this attempt began
            return _throttled(exc, "auth/signup.html", form=form)
        db.session.commit()  # counted, whatever becomes of the sign-up
        try:
            user = accounts.sign_up(
                email=form.email.data,
                password=form.password.data,
                role=form.role.data,
                display_name=form.display_name.data,
                time_zone=form.time_zone.data,
                now=utc_now(),
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            _open_login_session(user, remember=False)
            commit()
            _log_in(user, remember=False)
            flash("Welcome to smptrack. Your account is ready.", "success")
            return redirect(_home())
    return render_template("auth/signup.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home())
    form = LoginForm()
    if form.validate_on_submit():
        now, rules, address = utc_now(), _rules(), remote_addr()
        try:
            throttle.begin_login(rules, email=form.email.data, address=address, now=now)
        except throttle.Throttled as exc:
            db.session.commit()  # the lockout this attempt began
            return _throttled(exc, "auth/login.html", form=form)
        # Committed before the password is checked: a failure stays counted, and a burst of
        # parallel guesses cannot all pass the throttle before any of them is counted.
        db.session.commit()
        user = accounts.authenticate(form.email.data, form.password.data, now)
        if user is None:
            db.session.rollback()
            # The same words whether the email is unknown or the password wrong.
            flash("That email and password do not match an account.", "error")
            return render_template("auth/login.html", form=form), 401
        remember = bool(form.remember.data)
        throttle.login_succeeded(rules, email=form.email.data, address=address, now=now)
        _open_login_session(user, remember=remember)
        db.session.commit()
        _log_in(user, remember=remember)
        return redirect(safe_next(request.args.get("next"), _home()))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        # Revoked, not just forgotten by this browser: a copy of its cookies is worthless too.
        accounts.end_login_session(current_user, utc_now())
        db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            throttle.count_reset_request(
                _rules(), email=form.email.data, address=remote_addr(), now=utc_now()
            )
        except throttle.Throttled as exc:
            db.session.commit()  # the lockout this attempt began
            return _throttled(exc, "auth/reset_request.html", form=form)
        db.session.commit()
        user = accounts.find_user_by_email(form.email.data)
        if user is not None and user.active:
            _queue_reset_mail(user)
        # Same answer either way: this page must not tell who has an account.
        flash(
            "If an account uses that address, we have emailed it a link to set a new password.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


def _queue_reset_mail(user) -> None:
    """Put the reset mail in the outbox and commit; the worker sends it. No SMTP here, so a
    known address answers as fast as an unknown one, and a mail server that is down loses
    nothing."""
    token = accounts.make_reset_token(user, secret_key())
    link = external_url("auth.reset_link", token=token)
    if link is None:  # no trustworthy address for the link (logged by external_url)
        return
    hours = int(current_app.config["PASSWORD_RESET_MAX_AGE_HOURS"])
    now = utc_now()
    account_mail.enqueue(
        to=user.email,
        subject="Reset your smptrack password",
        template="password_reset",
        context={"name": user.display_name, "link": link, "hours": hours},
        now=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.commit()


# Links with a secret token: the token is moved into the (signed, HttpOnly) session cookie on
# the first hit and the browser is sent on to a URL without it, so access logs, the browser
# history and Referer headers never hold a token that still works. (The log filter in
# smptrack/logfilter.py also blanks it on that first line.) The form pages have no token in
# their URL, so they keep the site's referrer policy, which CSRFProtect's HTTPS Referer check
# needs.
RESET_TOKEN_KEY = "reset_token"  # noqa: S105 - a session key, not a secret
INVITE_TOKEN_KEY = "invite_token"  # noqa: S105 - a session key, not a secret


def _reset_user():
    max_age = int(current_app.config["PASSWORD_RESET_MAX_AGE_HOURS"]) * 3600
    return accounts.user_for_reset_token(session.get(RESET_TOKEN_KEY, ""), secret_key(), max_age)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_link(token: str):
    max_age = int(current_app.config["PASSWORD_RESET_MAX_AGE_HOURS"]) * 3600
    try:
        accounts.user_for_reset_token(token, secret_key(), max_age)
    except NotFound as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.reset_request"))
    session[RESET_TOKEN_KEY] = token
    return redirect(url_for("auth.reset_password"), 303)


@bp.route("/reset/new", methods=["GET", "POST"])
def reset_password():
    if not session.get(RESET_TOKEN_KEY):
        flash("Open the link in your reset email, or ask for a new one.", "error")
        return redirect(url_for("auth.reset_request"))
    try:
        user = _reset_user()
    except NotFound as exc:
        session.pop(RESET_TOKEN_KEY, None)
        flash(exc.message, "error")
        return redirect(url_for("auth.reset_request"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(
                user,
                form.password.data,
                now=utc_now(),
                reset_url=external_url("auth.reset_request"),
            )
            # Whoever holds the mailed link owns the mailbox: lift a stranger's lockout.
            throttle.password_was_reset(_rules(), email=user.email)
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            db.session.commit()
            session.pop(RESET_TOKEN_KEY, None)
            flash("Your password is changed. Log in with it now.", "success")
            return redirect(url_for("auth.login"))
    page = render_template("auth/reset_password.html", form=form)
    return page, 422 if form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite_link(token: str):
    try:
        accounts.invitation_for_token(token, secret_key(), utc_now())
    except NotFound as exc:
        page = render_template("auth/invite_invalid.html", message=exc.message)
        return page, 404
    session[INVITE_TOKEN_KEY] = token
    return redirect(url_for("auth.accept_invite"), 303)


@bp.route("/invite/accept", methods=["GET", "POST"])
def accept_invite():
    now = utc_now()
    try:
        invitation = accounts.invitation_for_token(
            session.get(INVITE_TOKEN_KEY, ""), secret_key(), now
        )
    except NotFound as exc:
        message = (
            exc.message
            if session.pop(INVITE_TOKEN_KEY, None)
            else "Open the invitation link from your email again."
        )
        page = render_template("auth/invite_invalid.html", message=message)
        return page, 404
    if current_user.is_authenticated:
        return _link_existing(invitation)
    if accounts.find_user_by_email(invitation.email) is not None:
        flash("You already have a login. Log in, then open the invitation link again.", "info")
        return redirect(url_for("auth.login", next=url_for("auth.accept_invite")))
    form = AcceptInviteForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(
                invitation,
                password=form.password.data,
                default_time_zone=current_app.config["DEFAULT_TIME_ZONE"],
                now=now,
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            _open_login_session(user, remember=False)
            commit()
            session.pop(INVITE_TOKEN_KEY, None)
            _log_in(user, remember=False)
            flash("Your login is ready and linked to your record.", "success")
            return redirect(url_for("account.me"))
    record = accounts.invited_record(invitation)
    page = render_template(
        "auth/accept_invite.html", form=form, invitation=invitation, record=record
    )
    return page, 422 if form.errors else 200


def _link_existing(invitation):
    form = LinkInviteForm()
    if form.validate_on_submit():
        try:
            accounts.link_existing_login(invitation, current_user, utc_now())
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            commit()
            session.pop(INVITE_TOKEN_KEY, None)
            flash("Your practitioner's record is now linked to your login.", "success")
            return redirect(url_for("account.me"))
    return render_template("auth/link_invite.html", form=form, invitation=invitation)
