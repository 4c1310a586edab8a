from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from smptrack.clients import bp
from smptrack.clients.forms import AssignPractitionerForm, ClientForm, InviteForm
from smptrack.extensions import db
from smptrack.links import (
    ASSESSMENT_LINKS,
    SESSION_LINKS,
    own_links,
    practice_links,
    row_links,
    url_by_id,
)
from smptrack.outgoing import external_url
from smptrack.services import access, account_mail, accounts, audit, materialised, projections
from smptrack.services import clients as client_service
from smptrack.services import history as history_service
from smptrack.services import overview as overview_service
from smptrack.services.errors import ServiceError
from smptrack.web import commit, int_arg, remote_addr, role_required, secret_key, utc_now


@bp.route("/")
@role_required("practitioner")
def index():
    search = request.args.get("q", "")[:100]
    sort = request.args.get("sort", "name")
    if sort not in client_service.SORTS:
        sort = "name"
    page = client_service.list_client_lines(
        current_user,
        search=search,
        sort=sort,
        page=int_arg("page", 1),
        per_page=int(current_app.config["PAGE_SIZE"]),
    )
    return render_template(
        "clients/index.html",
        page=page,
        search=search,
        sort=sort,
        client_url=url_by_id("clients.show", "client_id"),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("practitioner")
def new():
    form = ClientForm()
    duplicate = None  # the record whose email this one repeats, named on the page
    if request.method == "GET":
        form.time_zone.data = current_user.time_zone or current_app.config["DEFAULT_TIME_ZONE"]
    if form.validate_on_submit():
        now = utc_now()
        try:
            client = client_service.create_client(
                current_user,
                display_name=form.display_name.data,
                email=form.email.data,
                time_zone=form.time_zone.data,
                notes=form.notes.data or "",
                confirm_duplicate=bool(form.confirm_duplicate.data),
                now=now,
            )
        except client_service.DuplicateClient as exc:
            db.session.rollback()
            form.email.errors = [exc.message]
            duplicate = exc.existing
        except ServiceError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                if hasattr(form, name):
                    getattr(form, name).errors = [message]
            flash(exc.message, "error")
        else:
            commit(now)
            flash(f"{client.display_name} is added.", "success")
            return redirect(url_for("clients.show", client_id=client.id))
    status = 422 if form.errors else 200
    return render_template("clients/new.html", form=form, duplicate=duplicate), status


@bp.route("/<int:client_id>")
@role_required("practitioner", "client", "admin")
def show(client_id: int):
    """The client's record and history timeline; for their practitioner, also the access log."""
    # The login itself, not the request-local proxy: the access rules below ask about it a
    # few dozen times, and each look through the proxy costs a context lookup.
    viewer = current_user._get_current_object()
    client = access.get_client(viewer, client_id)
    now = utc_now()
    client_service.record_read(viewer, client, now=now)
    # No commit: a read's audit line is written after the response (services.audit), and a
    # commit here would expire the client and the user and load both again.
    history = history_service.client_history(client)
    today = projections.client_today(client, now)
    # Stored with the projection when the last write drew it; the tests check it is the one
    # its inputs draw now.
    chart_html = materialised.fade_section(client, history, today, check=current_app.testing)
    manages = access.may_manage_practice(viewer, client)
    invite_form = InviteForm(email=client.email) if manages and not client.user_id else None
    assign_form = _handover_form(viewer, client) if manages else None
    # The overview and its sections, each paged by its own parameter (services.overview says
    # why one URL with a page parameter per section rather than a URL per section).
    overview = overview_service.client_overview(
        viewer,
        client,
        history,
        pages=overview_service.pages_from(request.args),
        page_size=int(current_app.config["PAGE_SIZE"]),
        today=today,
        now=now,
    )
    return render_template(
        "clients/show.html",
        client=client,
        history=history,
        overview=overview,
        chart_html=chart_html,
        invite_form=invite_form,
        assign_form=assign_form,
        links=practice_links(client) if manages else own_links(client),
        session_links=row_links(SESSION_LINKS),
        assessment_links=row_links(ASSESSMENT_LINKS),
    )


def _handover_form(viewer, client) -> AssignPractitionerForm | None:
    """The client page's hand-over form, when the practice has another practitioner to hand
    over to (the choices as two columns: the page only shows them; the POST below validates
    against ``_assign_form``'s)."""
    choices = overview_service.handover_choices(viewer)
    if len(choices) < 2:
        return None
    form = AssignPractitionerForm(practitioner_id=client.practitioner_id)
    form.practitioner_id.choices = choices
    return form


def _assign_form(client, formdata=None) -> AssignPractitionerForm | None:
    """The hand-over form, when the practice has another practitioner to hand over to."""
    practitioners = client_service.practitioners_of_practice(current_user)
    if len(practitioners) < 2 and formdata is None:
        return None
    form = AssignPractitionerForm(formdata=formdata, practitioner_id=client.practitioner_id)
    form.practitioner_id.choices = [(p.id, p.display_name) for p in practitioners]
    return form


@bp.route("/<int:client_id>/practitioner", methods=["POST"])
@role_required("practitioner")
def assign_practitioner(client_id: int):
    client = access.get_client(current_user, client_id)
    access.require_practice_of(current_user, client)
    form = _assign_form(client, formdata=request.form)
    if not form.validate_on_submit():
        flash("Choose one of the practice's practitioners.", "error")
        return redirect(url_for("clients.show", client_id=client.id)), 303
    now = utc_now()
    practitioner = client_service.assign_practitioner(
        current_user, client, form.practitioner_id.data, now=now
    )
    commit(now)
    flash(f"{client.display_name} is now assigned to {practitioner.display_name}.")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/<int:client_id>/invite", methods=["POST"])
@role_required("practitioner")
def invite(client_id: int):
    client = access.get_client(current_user, client_id)
    access.require_practice_of(current_user, client)
    form = InviteForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("clients.show", client_id=client.id))
    now = utc_now()
    hours = int(current_app.config["INVITE_MAX_AGE_HOURS"])
    try:
        invitation, token = accounts.invite_client(
            client, form.email.data, current_user, secret_key(), now, timedelta(hours=hours)
        )
        link = external_url("auth.invite_link", token=token)
        if link is None:  # no trustworthy address for the link (logged by external_url)
            raise ServiceError("The invitation cannot be sent: the site's address is not set.")
        # Queued with the invitation in one commit; the worker sends it (no SMTP here).
        account_mail.enqueue(
            to=invitation.email,
            subject=f"{current_user.display_name} invites you to smptrack",
            template="invite",
            context={
                "name": client.display_name,
                "practitioner": current_user.display_name,
                "link": link,
                "hours": hours,
            },
            now=now,
            client_id=client.id,
            expires_at=invitation.expires_at,
        )
        audit.record_event(
            current_user,
            "invite",
            client_id=client.id,
            object_type="invitation",
            object_id=invitation.id,
            remote_addr=remote_addr(),
            now=now,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("clients.show", client_id=client.id))
    commit(now)
    flash(f"Invitation sent to {invitation.email}.", "success")
    return redirect(url_for("clients.show", client_id=client.id))
