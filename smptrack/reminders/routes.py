"""Reminder pages. Thin: parse, call services/reminders.py, record the audit event, commit once."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from smptrack.domain import protocol
from smptrack.extensions import csrf, db
from smptrack.reminders import bp
from smptrack.reminders.forms import (
    PracticeSettingsForm,
    PreferencesForm,
    TouchUpNowForm,
    parse_day_list,
)
from smptrack.services import access, reminder_facts, reminder_preferences
from smptrack.services import heartbeats as heartbeat_service
from smptrack.services import practice_settings as practice_service
from smptrack.services import reminders as service
from smptrack.services import unsubscribe as unsubscribe_service
from smptrack.services.errors import ServiceError
from smptrack.templating import local_datetime
from smptrack.web import int_arg, role_required, secret_key, utc_now


def _labels() -> dict:
    return {"kind_labels": service.KIND_LABELS, "status_labels": service.STATUS_LABELS}


def _show_errors(form, exc: ServiceError) -> None:
    for name, message in exc.fields.items():
        if hasattr(form, name):
            getattr(form, name).errors = [message]
        else:
            form.form_errors.append(message)
    if not exc.fields:
        form.form_errors.append(exc.message)


# --- The client's own reminders and preferences -----------------------------------------------


@bp.route("/me/reminders", methods=["GET", "POST"])
@role_required("client")
def mine():
    client = access.own_client_record(current_user)
    if client is None:
        return render_template("reminders/mine.html", client=None, form=None, **_labels())
    prefs = reminder_facts.preferences_of(client)
    form = PreferencesForm()
    if request.method == "GET":
        for kind in protocol.CHOSEN_KINDS:
            getattr(form, kind).data = kind in prefs.kinds
        form.touch_up_lead_days.data = (
            prefs.touch_up_lead
            if prefs.touch_up_lead is not None
            else reminder_facts.practice_protocol(client.practice_id).offsets.touch_up_lead
        )
        form.unsubscribe_all.data = prefs.unsubscribed_all
    status = 200
    if form.validate_on_submit():
        data = reminder_preferences.PreferencesInput(
            kinds=frozenset(k for k in protocol.CHOSEN_KINDS if getattr(form, k).data),
            touch_up_lead_days=form.touch_up_lead_days.data,
            unsubscribe_all=form.unsubscribe_all.data,
        )
        try:
            reminder_preferences.update_preferences(current_user, client, data, now=utc_now())
        except ServiceError as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash("Your reminder choices are saved.", "success")
            return redirect(url_for("reminders.mine"))
    if request.method == "POST":
        status = 422  # bad input: re-render with the messages, write nothing
    else:
        service.record_read(current_user, client, now=utc_now())
        db.session.commit()
    return render_template(
        "reminders/mine.html",
        client=client,
        form=form,
        upcoming=service.upcoming_of(client),
        history=service.history_of(
            client,
            page=int_arg("page", 1),
            per_page=int(current_app.config["PAGE_SIZE"]),
            clamp=True,
        ),
        **_labels(),
    ), status


# --- A client's reminders, for their practitioner (and the client) ----------------------------


@bp.route("/clients/<int:client_id>/reminders")
@role_required("practitioner", "client")
def client_index(client_id: int):
    client = access.get_client(current_user, client_id)
    manages = access.may_manage_practice(current_user, client)
    service.record_read(current_user, client, now=utc_now())
    db.session.commit()
    return render_template(
        "reminders/client.html",
        client=client,
        manages=manages,
        touch_up_form=TouchUpNowForm() if manages else None,
        upcoming=service.upcoming_of(client),
        history=service.history_of(
            client,
            page=int_arg("page", 1),
            per_page=int(current_app.config["PAGE_SIZE"]),
            clamp=True,
        ),
        failed=service.failed_count(client),
        prefs=reminder_facts.preferences_of(client),
        warnings=service.series_warnings(client) if manages else [],
        **_labels(),
    )


@bp.route("/clients/<int:client_id>/reminders/touch-up", methods=["POST"])
@role_required("practitioner")
def send_touch_up(client_id: int):
    client = access.get_client(current_user, client_id)
    form = TouchUpNowForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("reminders.client_index", client_id=client.id))
    try:
        reminder = service.send_touch_up_now(current_user, client, now=utc_now())
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        flash(exc.message, "error")
        return redirect(url_for("reminders.client_index", client_id=client.id))
    db.session.commit()
    if reminder.due_at <= utc_now():
        flash("The touch-up invitation is queued and goes out within a minute.", "success")
    else:
        flash(
            "It is night where the client is: the touch-up invitation goes out at "
            f"{local_datetime(reminder.due_at)}.",
            "success",
        )
    return redirect(url_for("reminders.client_index", client_id=client.id))


# --- The practice's reminder settings ---------------------------------------------------------


@bp.route("/practice/reminders", methods=["GET", "POST"])
@role_required("practitioner")
def practice_settings():
    form = PracticeSettingsForm()
    if request.method == "GET":
        practice = reminder_facts.practice_protocol(current_user.practice_id)
        for name, value in practice.offsets.as_mapping().items():
            getattr(form, name).data = (
                ", ".join(str(d) for d in value) if name == "aftercare" else value
            )
        form.waking_hours_start.data = practice.hours.start
        form.waking_hours_end.data = practice.hours.end
        form.aftercare_instructions.data = practice.aftercare_instructions
        stored = practice_service.practice_input_of(current_user)
        form.touch_up_threshold_pct.data = stored.touch_up_threshold_pct
        form.appointment_reminder_hours.data = stored.appointment_reminder_hours
        return render_template("reminders/practice.html", form=form, defaults=_defaults())
    if form.validate_on_submit():
        data = practice_service.PracticeInput(
            waking_hours_start=form.waking_hours_start.data,
            waking_hours_end=form.waking_hours_end.data,
            aftercare=parse_day_list(form.aftercare.data),
            healed_check=form.healed_check.data,
            next_session=form.next_session.data,
            next_session_lead=form.next_session_lead.data,
            next_session_min=form.next_session_min.data,
            series_sessions=form.series_sessions.data,
            self_check_months=form.self_check_months.data,
            touch_up_lead=form.touch_up_lead.data,
            aftercare_instructions=form.aftercare_instructions.data or "",
            touch_up_threshold_pct=form.touch_up_threshold_pct.data,
            appointment_reminder_hours=form.appointment_reminder_hours.data,
        )
        try:
            _, count = practice_service.update_practice_settings(current_user, data, now=utc_now())
        except ServiceError as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(
                f"Reminder settings saved; {count} client{'' if count == 1 else 's'} replanned.",
                "success",
            )
            return redirect(url_for("reminders.practice_settings"))
    return render_template("reminders/practice.html", form=form, defaults=_defaults()), 422


def _defaults() -> dict:
    values = dict(protocol.DEFAULT_OFFSETS)
    values["aftercare"] = ", ".join(str(d) for d in values["aftercare"])
    values["waking_hours"] = "%02d:00–%02d:00" % protocol.DEFAULT_WAKING_HOURS  # noqa: UP031
    values["touch_up_threshold_pct"] = 70
    return values


# --- One-click unsubscribe (RFC 8058) ---------------------------------------------------------


@bp.route("/reminders/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # authenticated by the signed token; mail providers POST without a form token
def unsubscribe(token: str):
    """GET asks for confirmation and changes nothing (link scanners prefetch GETs); POST
    unsubscribes, without a login: the RFC 8058 one-click body or our own confirmation form."""
    client, kind = unsubscribe_service.read_unsubscribe_token(secret_key(), token)
    if request.method == "GET":
        return render_template(
            "reminders/unsubscribe.html",
            token=token,
            kind=kind,
            already=reminder_facts.is_unsubscribed(client, kind),
            **_labels(),
        )
    scope = reminder_facts.ALL_KINDS if request.form.get("scope") == "all" else kind
    now = utc_now()
    cancelled = unsubscribe_service.unsubscribe(client, scope, now=now)
    db.session.commit()
    return render_template(
        "reminders/unsubscribed.html", kind=scope, cancelled=cancelled, **_labels()
    )


# --- Health -----------------------------------------------------------------------------------


@bp.route("/healthz")
def healthz():
    """The database and the scheduler: 200 when both are well, 503 otherwise (JSON)."""
    now = datetime.now(UTC)
    body: dict = {"status": "ok"}
    try:
        db.session.execute(sa.text("SELECT 1"))
        body["database"] = {"ok": True}
    except Exception as exc:  # any failure here means "the database is down"
        db.session.rollback()
        body["database"] = {"ok": False, "error": type(exc).__name__}
        body["status"] = "unhealthy"
        return jsonify(body), 503
    quiet_after = float(
        current_app.config.get("HEALTHZ_SCHEDULER_QUIET_SECONDS")
        or heartbeat_service.DEFAULT_QUIET_SECONDS
    )
    beats = heartbeat_service.heartbeats()
    sweeps = {}
    for name in heartbeat_service.HEARTBEATS:
        row = beats.get(name)
        sweeps[name] = (
            {
                "last_run": row.beat_at.isoformat(),
                "age_seconds": round((now - row.beat_at).total_seconds()),
            }
            if row is not None
            else {"last_run": None, "age_seconds": None}
        )
    sending = beats.get(heartbeat_service.HEARTBEAT_SEND)
    quiet = sending is None or (now - sending.beat_at).total_seconds() > quiet_after
    body["scheduler"] = {
        "ok": not quiet,
        "quiet_after_seconds": quiet_after,
        "sweeps": sweeps,
    }
    if quiet:
        body["status"] = "unhealthy"
        body["scheduler"]["problem"] = (
            "The send sweep has never run: start `smptrack scheduler` or `smptrack serve`."
            if sending is None
            else "The send sweep has not run recently: is `smptrack scheduler` running?"
        )
    db.session.rollback()
    return jsonify(body), (503 if quiet else 200)
