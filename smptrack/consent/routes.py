"""Consent and questionnaire pages. Thin: parse, call services/consents.py or
services/questionnaire.py, commit once, render. Who may: ``services/access.py`` (a role that may
not use a page answers 403; another practice's client or consent answers 404)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from smptrack.consent import bp
from smptrack.consent.forms import (
    ConfirmProfileForm,
    QuestionnaireForm,
    SendLinkForm,
    SignForm,
    TemplateForm,
)
from smptrack.extensions import db
from smptrack.forms import place_field_errors
from smptrack.models import Client
from smptrack.outgoing import external_url
from smptrack.services import access, consents, practices
from smptrack.services import questionnaire as answers_service
from smptrack.services.errors import Forbidden, NotFound, ServiceError
from smptrack.web import commit, remote_addr, role_required, secret_key, utc_now

STAFF = ("practitioner", "front_desk")
SIGNED_IN = ("practitioner", "front_desk", "client")
# As with invitations: the link's token moves into the signed session cookie and the browser goes
# on to a URL without it, so history, logs and Referer headers never hold a live token.
LINK_TOKEN_KEY = "consent_link_token"  # noqa: S105 - a session key, not a secret


def _apply_errors(form, exc: ServiceError) -> None:
    if not place_field_errors(form, exc.fields):
        form.form_errors.append(exc.message)


def _template_id(form: SignForm) -> int | None:
    raw = form.template_id.data or ""
    return int(raw) if raw.isdigit() and len(raw) < 11 else None


# --- the panels other pages include (clients/show.html, account/me.html, the session form) ----


@bp.app_context_processor
def consent_helpers() -> dict:
    """``consent_panel(client)`` for the client pages' included partials: reads only (two or
    three indexed SELECTs), and only what the viewer may see."""

    def consent_panel(client: Client) -> dict | None:
        # The login, not the proxy: the rules below read it a dozen times.
        viewer = current_user._get_current_object()
        if client is None or not viewer.is_authenticated:
            return None
        status = consents.status_shown(client)
        may_answer = access.may_answer_questionnaire(viewer, client)
        latest = answers_service.latest_answers_shown(client) if may_answer else None
        return {
            "client": client,
            "status": status,
            "may_answer": may_answer,
            "answered": latest,
            "flags": answers_service.contraindications(latest),
            "may_send": access.may_send_consent_link(viewer, client),
            "may_sign": access.may_sign_consent_for(viewer, client),
            "needs_override": access.may_manage_practice(viewer, client)
            and status.required
            and not status.valid,
        }

    return {"consent_panel": consent_panel}


# --- the practice's consent text -------------------------------------------------------------


@bp.route("/practice/consent", methods=["GET", "POST"])
@role_required(*STAFF)
def template():
    if not access.may_read_consent_template(current_user):
        raise Forbidden("Only a member of a practice can see its consent text.")
    practice_id = access.practice_id_of(current_user)
    may_edit = access.may_publish_consent_template(current_user)
    if request.method == "POST" and not may_edit:
        raise Forbidden("Only the practice's owner can change its consent text.")
    current = consents.current_template(practice_id)
    form = None
    if may_edit:
        form = TemplateForm()
        if request.method == "GET" and current is not None:
            form.title.data, form.body.data = current.title, current.body
        elif request.method == "GET":
            form.title.data = "Consent to scalp micropigmentation"
    if form is not None and form.validate_on_submit():
        now = utc_now()
        try:
            published = consents.publish_template(
                current_user, title=form.title.data, body=form.body.data, now=now
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            commit(now)
            flash(f"Version {published.version} of the consent text is published.", "success")
            return redirect(url_for("consent.template"), 303)
    status = 422 if form is not None and (form.errors or form.form_errors) else 200
    versions = consents.versions_of(practice_id)
    page = render_template(
        "consent/template.html",
        practice=practices.practice_of(current_user),
        current=current,
        versions=versions,
        people=consents.people_by_id({v.created_by_id for v in versions}),
        form=form,
    )
    return page, status


# --- a client's consent ----------------------------------------------------------------------


def _status_page(client: Client, *, sign_form: SignForm | None = None, status: int = 200):
    consent_status = consents.status_of(client)
    may_sign = access.may_sign_consent_for(current_user, client)
    if may_sign and sign_form is None and consent_status.required and not consent_status.valid:
        sign_form = SignForm(template_id=str(consent_status.current.id))
    may_read = access.may_read_signed_consent(current_user, client)
    return render_template(
        "consent/client.html",
        client=client,
        status=consent_status,
        signed=consents.consents_of(client) if may_read else [],
        may_read=may_read,
        send_form=SendLinkForm() if access.may_send_consent_link(current_user, client) else None,
        sign_form=sign_form if may_sign else None,
        days=consents.LINK_MAX_AGE.days,
    ), status


@bp.route("/clients/<int:client_id>/consent")
@role_required(*SIGNED_IN)
def client_status(client_id: int):
    client = access.get_consent_client(current_user, client_id)
    return _status_page(client)


@bp.route("/clients/<int:client_id>/consent/send", methods=["POST"])
@role_required(*SIGNED_IN)
def send_link(client_id: int):
    client = access.get_consent_client(current_user, client_id)
    if not access.may_send_consent_link(current_user, client):
        raise Forbidden("Only a member of the client's practice can send the signing link.")
    form = SendLinkForm()
    if form.validate_on_submit():
        now = utc_now()
        try:
            link, token = consents.issue_link(
                current_user, client, secret_key=secret_key(), now=now
            )
            url = external_url("consent.link", token=token)
            if url is None:
                raise ServiceError("The link cannot be sent: the site's address is not set.")
            consents.queue_link_mail(link, client, url=url, now=now)
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _status_page(client, status=exc.status if exc.status != 400 else 409)
        commit(now)
        flash(f"The signing link is on its way to {client.email}.", "success")
    return redirect(url_for("consent.client_status", client_id=client.id), 303)


@bp.route("/clients/<int:client_id>/consent/sign", methods=["GET", "POST"])
@role_required("client")
def sign_own(client_id: int):
    client = access.get_consent_client(current_user, client_id)
    if request.method == "GET":
        return _status_page(client)
    form = SignForm()
    if form.validate_on_submit():
        now = utc_now()
        try:
            consents.sign_from_account(
                current_user,
                client,
                typed_name=form.typed_name.data,
                agreed=bool(form.agreed.data),
                template_id=_template_id(form),
                remote_addr=remote_addr(),
                now=now,
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            return _status_page(client, sign_form=form, status=exc.status)
        commit(now)
        flash("Thank you: your consent is signed.", "success")
        return redirect(url_for("consent.client_status", client_id=client.id), 303)
    return _status_page(client, sign_form=form, status=422)


@bp.route("/consents/<int:consent_id>")
@role_required(*SIGNED_IN)
def printable(consent_id: int):
    consent = consents.get_consent(current_user, consent_id)
    client = db.session.get(Client, consent.client_id)
    consents.record_read(current_user, consent, now=utc_now())
    practice = practices.get_practice(client.practice_id) if client.practice_id else None
    zone_name = (practice.time_zone if practice else None) or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone_name, zone = "UTC", ZoneInfo("UTC")
    signed_local = consent.signed_at.astimezone(zone)
    return render_template(
        "consent/printable.html",
        consent=consent,
        client=client,
        practice=practice,
        signed_local=f"{signed_local:%d %B %Y, %H:%M} {signed_local.tzname()} ({zone_name})",
    )


# --- signing from the emailed link -----------------------------------------------------------


@bp.route("/consent/sign/<token>")
def link(token: str):
    try:
        consents.link_for_token(token, secret_key(), utc_now())
    except NotFound as exc:
        return render_template("consent/link_invalid.html", message=exc.message), 404
    session[LINK_TOKEN_KEY] = token
    return redirect(url_for("consent.sign_by_link"), 303)


@bp.route("/consent/sign", methods=["GET", "POST"])
def sign_by_link():
    now = utc_now()
    try:
        open_link = consents.link_for_token(session.get(LINK_TOKEN_KEY, ""), secret_key(), now)
    except NotFound as exc:
        message = (
            exc.message
            if session.pop(LINK_TOKEN_KEY, None)
            else "Open the signing link from your email again."
        )
        return render_template("consent/link_invalid.html", message=message), 404
    client = consents.client_of_link(open_link)
    current = consents.current_template(client.practice_id)
    form = SignForm()
    if request.method == "GET" and current is not None:
        form.template_id.data = str(current.id)
    status = 200
    if form.validate_on_submit():
        try:
            consents.sign_with_link(
                open_link,
                typed_name=form.typed_name.data,
                agreed=bool(form.agreed.data),
                template_id=_template_id(form),
                remote_addr=remote_addr(),
                now=now,
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            commit(now)
            session.pop(LINK_TOKEN_KEY, None)
            return render_template("consent/signed.html", client=client, current=current)
        if current is not None:
            current = consents.current_template(client.practice_id)
            form.template_id.data = str(current.id)
    elif request.method == "POST":
        status = 422
    practice = practices.get_practice(client.practice_id) if client.practice_id else None
    page = render_template(
        "consent/sign_link.html", form=form, client=client, current=current, practice=practice
    )
    return page, status


# --- the health questionnaire ----------------------------------------------------------------


def _questionnaire_client(client_id: int) -> Client:
    client = access.get_client(current_user, client_id)  # 403 front desk, 404 another's
    answers_service.require_may_answer(current_user, client)
    return client


def _answers_input(form: QuestionnaireForm) -> answers_service.AnswersInput:
    raw = form.fitzpatrick.data or ""
    return answers_service.AnswersInput(
        **{name: bool(form[name].data) for name in answers_service.YES_NO_QUESTIONS},
        allergies=form.allergies.data or "",
        fitzpatrick=int(raw) if raw.isdigit() else None,
        notes=form.notes.data or "",
    )


@bp.route("/clients/<int:client_id>/questionnaire", methods=["GET", "POST"])
@role_required("practitioner", "client")
def questionnaire(client_id: int):
    client = _questionnaire_client(client_id)
    now = utc_now()
    latest = answers_service.latest_answers(client)
    if request.method == "GET":
        form = QuestionnaireForm(obj=latest) if latest else QuestionnaireForm()
        if latest is not None:
            form.fitzpatrick.data = str(latest.fitzpatrick) if latest.fitzpatrick else ""
        answers_service.record_read(current_user, client, now=now)
        status = 200
    else:
        form = QuestionnaireForm()
        status = 422
        if form.validate_on_submit():
            try:
                answers = answers_service.record_answers(
                    current_user, client, _answers_input(form), now=now
                )
            except ServiceError as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            else:
                commit(now)
                flash("The answers are saved.", "success")
                if answers_service.profile_offers(client, answers):
                    return redirect(
                        url_for(
                            "consent.questionnaire_profile",
                            client_id=client.id,
                            answers_id=answers.id,
                        ),
                        303,
                    )
                return redirect(url_for("consent.questionnaire", client_id=client.id), 303)
    history = answers_service.history_of(client)
    page = render_template(
        "consent/questionnaire.html",
        client=client,
        form=form,
        latest=latest,
        history=history,
        flags=answers_service.contraindications(latest),
        # The latest answers may still differ from the profile (the offer was declined or left).
        offers=answers_service.profile_offers(client, latest) if latest else [],
        people=consents.people_by_id({a.answered_by_id for a in history}),
        questions=answers_service.YES_NO_QUESTIONS,
        roman=answers_service.ROMAN,
    )
    return page, status


@bp.route(
    "/clients/<int:client_id>/questionnaire/<int:answers_id>/profile", methods=["GET", "POST"]
)
@role_required("practitioner", "client")
def questionnaire_profile(client_id: int, answers_id: int):
    client = _questionnaire_client(client_id)
    answers = answers_service.get_answers(client, answers_id)
    form = ConfirmProfileForm()
    if request.method == "POST" and form.validate_on_submit():
        now = utc_now()
        try:
            changed = answers_service.apply_offers(current_user, client, answers, now=now)
        except ServiceError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            commit(now)  # reprojects the client: the profile is an input of the projection
            flash(
                "The profile is updated and the touch-up estimate recalculated."
                if changed
                else "The profile already agrees with these answers.",
                "success",
            )
            return redirect(url_for("consent.questionnaire", client_id=client.id), 303)
    return render_template(
        "consent/profile_offer.html",
        client=client,
        answers=answers,
        offers=answers_service.profile_offers(client, answers),
        form=form,
    ), (422 if request.method == "POST" else 200)
