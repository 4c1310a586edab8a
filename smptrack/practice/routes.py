"""The practice's pages: its details (every member sees them, the owner edits), its members
(every member sees who works there; the owner invites, withdraws invitations and removes), and
the invitee's page to join. Thin: parse, call services/members.py, commit once.

Who may: ``services/access.py``. A role that may not use a page answers 403; another
practice's member or invitation answers 404.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from smptrack.extensions import db
from smptrack.outgoing import external_url
from smptrack.practice import bp
from smptrack.practice.forms import (
    InviteMemberForm,
    JoinForm,
    PracticeForm,
    RemoveMemberForm,
    RevokeForm,
)
from smptrack.services import access, practices
from smptrack.services import members as member_service
from smptrack.services.errors import NotFound, ServiceError
from smptrack.web import commit, role_required, secret_key, utc_now

STAFF = ("practitioner", "front_desk")
# As with a client's invitation (smptrack/auth/routes.py): the token moves from the link into the
# signed session cookie and the browser goes on to a URL without it, so logs, history and
# Referer headers never hold a token that still works.
JOIN_TOKEN_KEY = "member_invitation_token"  # noqa: S105 - a session key, not a secret


def _apply_errors(form, exc: ServiceError) -> None:
    """Show a service's field messages on the form, or its message above the form."""
    placed = False
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*list(field.errors), message]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


# --- details ---------------------------------------------------------------------------------


@bp.route("/practice", methods=["GET", "POST"])
@role_required(*STAFF)
def details():
    access.require_member(current_user)
    practice = practices.practice_of(current_user)
    may_edit = access.is_owner(current_user)
    if request.method == "POST":
        access.require_owner(current_user)
    form = PracticeForm(obj=practice) if may_edit else None
    if form is not None and form.validate_on_submit():
        now = utc_now()
        try:
            member_service.update_details(
                current_user,
                member_service.PracticeDetails(
                    name=form.name.data,
                    address=form.address.data,
                    phone=form.phone.data,
                    booking_url=form.booking_url.data,
                    time_zone=form.time_zone.data,
                    mail_from_name=form.mail_from_name.data,
                    reply_to=form.reply_to.data,
                ),
                now,
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            commit(now)
            flash("The practice's details are saved.", "success")
            return redirect(url_for("practice.details"), 303)
    status = 422 if form is not None and (form.errors or form.form_errors) else 200
    page = render_template("practice/details.html", practice=practice, form=form)
    return page, status


# --- members ---------------------------------------------------------------------------------


def _members_page(invite_form: InviteMemberForm | None = None, status: int = 200):
    access.require_member(current_user)
    owner = access.is_owner(current_user)
    if owner and invite_form is None:
        invite_form = InviteMemberForm()
    page = render_template(
        "practice/members.html",
        practice=practices.practice_of(current_user),
        lines=member_service.members_of(current_user),
        invitations=member_service.open_invitations(current_user, utc_now()) if owner else [],
        invite_form=invite_form if owner else None,
        revoke_form=RevokeForm() if owner else None,
        is_owner=owner,
        days=member_service.INVITATION_MAX_AGE.days,
    )
    return page, status


@bp.route("/practice/members")
@role_required(*STAFF)
def members():
    return _members_page()


@bp.route("/practice/members/invite", methods=["POST"])
@role_required(*STAFF)
def invite():
    access.require_owner(current_user)
    form = InviteMemberForm()
    if form.validate_on_submit():
        now = utc_now()
        try:
            invitation, token = member_service.invite_member(
                current_user,
                email=form.email.data,
                display_name=form.display_name.data,
                role=form.role.data,
                secret_key=secret_key(),
                now=now,
            )
            link = external_url("practice.join_link", token=token)
            if link is None:  # no trustworthy address for the link (logged by external_url)
                raise ServiceError("The invitation cannot be sent: the site's address is not set.")
            # Queued with the invitation in one commit; the worker sends it (no SMTP here).
            member_service.queue_invitation_mail(
                invitation, inviter=current_user, link=link, now=now
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            commit(now)
            flash(f"Invitation sent to {invitation.email}.", "success")
            return redirect(url_for("practice.members"), 303)
    return _members_page(form, 422)


@bp.route("/practice/invitations/<int:invitation_id>/revoke", methods=["POST"])
@role_required(*STAFF)
def revoke_invitation(invitation_id: int):
    access.get_member_invitation(current_user, invitation_id)  # 403 / 404 before the form
    form = RevokeForm()
    if form.validate_on_submit():
        now = utc_now()
        invitation = member_service.revoke_invitation(current_user, invitation_id, now)
        commit(now)
        flash(f"The invitation to {invitation.email} is withdrawn.", "success")
    return redirect(url_for("practice.members"), 303)


@bp.route("/practice/members/<int:user_id>/remove", methods=["GET", "POST"])
@role_required(*STAFF)
def remove_member(user_id: int):
    now = utc_now()
    removal = member_service.removal_of(current_user, user_id, now)
    form = RemoveMemberForm()
    form.successor_id.choices = [(user.id, user.display_name) for user in removal.successors]
    status = 200
    if request.method == "POST":
        if removal.problem is not None:
            status = 409
        elif form.validate_on_submit():
            try:
                member_service.remove_member(
                    current_user,
                    user_id,
                    successor_id=form.successor_id.data if removal.clients else None,
                    now=now,
                )
            except ServiceError as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            else:
                commit(now)
                flash(f"{removal.member.display_name} is no longer a member.", "success")
                return redirect(url_for("practice.members"), 303)
        status = 409 if removal.problem else 422
    page = render_template("practice/remove.html", removal=removal, form=form)
    return page, status


# --- joining ---------------------------------------------------------------------------------


def _join_refused(message: str, status: int):
    return render_template("practice/join_invalid.html", message=message), status


@bp.route("/practice/join/<token>")
def join_link(token: str):
    try:
        member_service.invitation_for_token(token, secret_key(), utc_now())
    except NotFound as exc:
        return _join_refused(exc.message, 404)
    session[JOIN_TOKEN_KEY] = token
    return redirect(url_for("practice.join"), 303)


@bp.route("/practice/join", methods=["GET", "POST"])
def join():
    now = utc_now()
    try:
        invitation = member_service.invitation_for_token(
            session.get(JOIN_TOKEN_KEY, ""), secret_key(), now
        )
    except NotFound as exc:
        message = (
            exc.message
            if session.pop(JOIN_TOKEN_KEY, None)
            else "Open the invitation link from your email again."
        )
        return _join_refused(message, 404)
    if current_user.is_authenticated:
        return _join_refused(
            "You are logged in. The invitation makes a new login: log out, then open the link"
            " from your email again.",
            409,
        )
    practice = practices.get_practice(invitation.practice_id)
    form = JoinForm()
    if request.method == "GET":
        form.display_name.data = invitation.display_name
        form.time_zone.data = practice.time_zone or current_app.config["DEFAULT_TIME_ZONE"]
    if form.validate_on_submit():
        try:
            member_service.accept_invitation(
                invitation,
                password=form.password.data,
                display_name=form.display_name.data,
                time_zone=form.time_zone.data,
                now=now,
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            commit(now)
            session.pop(JOIN_TOKEN_KEY, None)
            flash(f"Welcome to {practice.name}. Log in with your new password.", "success")
            return redirect(url_for("auth.login"), 303)
    page = render_template(
        "practice/join.html",
        form=form,
        invitation=invitation,
        practice=practice,
        role_label=member_service.ROLE_LABELS[invitation.role].lower(),
    )
    return page, 422 if (form.errors or form.form_errors) else 200
