"""The practice's schedule, and the pages that book, move, cancel and mark an appointment.

Thin: parse the form, call ``services.appointments``, commit once, render or redirect. Who may
do what is the access policy's (through the service); a refused write rolls back, so nothing
is written, and the form comes back with the message beside its field (422).
"""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from smptrack.appointments import bp
from smptrack.appointments.forms import (
    KIND_LABELS,
    STATUS_LABELS,
    BookForm,
    CancelForm,
    MarkForm,
    MoveForm,
)
from smptrack.extensions import db
from smptrack.forms import choice_list
from smptrack.models import Appointment
from smptrack.services import access
from smptrack.services import appointments as service
from smptrack.services.errors import ServiceError
from smptrack.web import commit, role_required, utc_now

MEMBERS = ("practitioner", "front_desk")
DEFAULT_START = time(10, 0)
VIEWS = ("day", "week")


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS}


def _show_service_error(form: FlaskForm, error: ServiceError) -> None:
    """The refusal beside its field (or above the form), after undoing any flushed write."""
    db.session.rollback()
    placed = False
    for name, message in error.fields.items():
        if name in form._fields:
            form._fields[name].errors = [*form._fields[name].errors, message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)
    flash(error.message, "error")


def _id_or_none(raw: object) -> int | None:
    """A posted or queried id; junk, or one no key can hold, is None (the service then answers
    "No such ...")."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= access.MAX_ROW_ID else None


def _day_arg(value: str | None) -> date | None:
    """``?day=YYYY-MM-DD``; junk, or a year so far off that a week beside it overflows, is
    ignored."""
    try:
        chosen = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return chosen if chosen is not None and 1900 <= chosen.year <= 9000 else None


# --- the schedule -----------------------------------------------------------------------------


@bp.route("/appointments")
@login_required
def index():
    now = utc_now()
    zone = service.practice_zone(current_user)  # Forbidden (403) for anyone but a member
    today = now.astimezone(zone).date()
    chosen = _day_arg(request.args.get("day")) or today
    view = request.args.get("view") if request.args.get("view") in VIEWS else "week"
    practitioner_id = _id_or_none(request.args.get("practitioner"))
    first = chosen if view == "day" else chosen - timedelta(days=chosen.weekday())
    days = 1 if view == "day" else 7
    rows = service.schedule(
        current_user, first_day=first, days=days, practitioner_id=practitioner_id
    )
    by_day: dict[date, list[Appointment]] = {first + timedelta(days=i): [] for i in range(days)}
    for appointment in rows:
        start, _ = service.local_span(appointment)
        by_day.setdefault(start.date(), []).append(appointment)
    return render_template(
        "appointments/index.html",
        by_day=by_day,
        count=len(rows),
        first=first,
        days=days,
        view=view,
        today=today,
        zone=zone.key,
        practitioner_id=practitioner_id,
        practitioners=service.practitioners(current_user),
        previous_day=first - timedelta(days=days),
        next_day=first + timedelta(days=days),
        span=service.local_span,
        sees_clinical=access.sees_clinical(current_user),
        **_labels(),
    )


# --- booking ----------------------------------------------------------------------------------


def _book_form(**kwargs) -> BookForm:
    form = BookForm(**kwargs)
    form.client_id.choices = choice_list(
        [("", "Choose a client")]
        + [(str(c.id), c.display_name) for c in service.bookable_clients(current_user)]
    )
    form.practitioner_id.choices = choice_list(
        (str(u.id), u.display_name) for u in service.practitioners(current_user)
    )
    return form


def _render_book(form: BookForm, status: int):
    return render_template(
        "appointments/new.html", form=form, zone=service.practice_zone(current_user).key
    ), status


@bp.route("/appointments/new", methods=["GET", "POST"])
@role_required(*MEMBERS)
def new():
    access.require_may_book(current_user)
    now = utc_now()
    if request.method == "GET":
        form = _book_form()
        form.day.data = service.today_in_practice(current_user, now)
        form.start.data = DEFAULT_START
        form.minutes.data = service.DEFAULT_MINUTES
        if access.sees_clinical(current_user):
            form.practitioner_id.data = str(current_user.id)
        client_id = _id_or_none(request.args.get("client"))
        if client_id is not None:
            client = access.get_directory_client(current_user, client_id)
            form.client_id.data = str(client.id)
            form.kind.data = service.suggested_kind(current_user, client)
            if client.practitioner_id is not None:
                form.practitioner_id.data = str(client.practitioner_id)
        return _render_book(form, 200)
    form = _book_form()
    if not form.validate_on_submit():
        return _render_book(form, 422)
    try:
        appointment = service.book(
            current_user,
            client_id=_id_or_none(form.client_id.data),  # type: ignore[arg-type]
            practitioner_id=_id_or_none(form.practitioner_id.data),  # type: ignore[arg-type]
            day=form.day.data,
            start=form.start.data,
            minutes=form.minutes.data,
            kind=form.kind.data,
            note=form.note.data or "",
            now=now,
        )
    except ServiceError as error:
        _show_service_error(form, error)
        return _render_book(form, 422)
    commit(now)
    start, _ = service.local_span(appointment)
    flash(f"Booked for {start:%A} {start.day} {start:%B} at {start:%H:%M}.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment.id))


@bp.route("/appointments/<int:appointment_id>")
@role_required(*MEMBERS, "client")
def show(appointment_id: int):
    appointment = access.get_appointment(current_user, appointment_id)
    member = access.may_book(current_user)
    return render_template(
        "appointments/show.html",
        appointment=appointment,
        span=service.local_span(appointment),
        minutes=service.minutes_of(appointment),
        member=member,
        sees_clinical=access.sees_clinical(current_user),
        cancel_form=CancelForm(),
        mark_form=MarkForm() if member else None,
        **_labels(),
    )


# --- changing a booking -----------------------------------------------------------------------


def _move_form(appointment: Appointment, **kwargs) -> MoveForm:
    form = MoveForm(**kwargs)
    form.practitioner_id.choices = choice_list(
        (str(u.id), u.display_name) for u in service.practitioners(current_user)
    )
    return form


def _render_move(form: MoveForm, appointment: Appointment, status: int):
    return render_template(
        "appointments/move.html",
        form=form,
        appointment=appointment,
        span=service.local_span(appointment),
        zone=appointment.time_zone,
    ), status


@bp.route("/appointments/<int:appointment_id>/move", methods=["GET", "POST"])
@role_required(*MEMBERS)
def move(appointment_id: int):
    appointment = access.get_bookable_appointment(current_user, appointment_id)
    start, _ = service.local_span(appointment)
    minutes = service.minutes_of(appointment)
    if request.method == "GET":
        form = _move_form(
            appointment,
            data={
                "practitioner_id": str(appointment.practitioner_id),
                "day": start.date(),
                "start": start.time().replace(second=0, microsecond=0, tzinfo=None),
                "minutes": minutes,
            },
        )
        return _render_move(form, appointment, 200)
    form = _move_form(appointment)
    if not form.validate_on_submit():
        return _render_move(form, appointment, 422)
    now = utc_now()
    chosen_start: time = form.start.data
    # None chosen keeps the practitioner; junk is no one's id, and the service answers "No such
    # practitioner".
    chosen_practitioner = (
        (_id_or_none(form.practitioner_id.data) or -1)
        if form.practitioner_id.raw_data and form.practitioner_id.raw_data[0]
        else appointment.practitioner_id
    )
    try:
        # Only what changed is passed: a new day alone keeps the wall-clock time (the service
        # moves it with ``booking.moved_to``), whatever the clocks did in between.
        service.move(
            current_user,
            appointment.id,
            day=form.day.data if form.day.data != start.date() else None,
            start=chosen_start if chosen_start != start.time().replace(tzinfo=None) else None,
            minutes=form.minutes.data if form.minutes.data != minutes else None,
            practitioner_id=(
                None if chosen_practitioner == appointment.practitioner_id else chosen_practitioner
            ),
            now=now,
        )
    except ServiceError as error:
        _show_service_error(form, error)
        appointment = access.get_bookable_appointment(current_user, appointment_id)
        return _render_move(form, appointment, 422)
    commit(now)
    flash("The appointment is moved.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@role_required(*MEMBERS)
def cancel(appointment_id: int):
    appointment = access.get_bookable_appointment(current_user, appointment_id)
    form = CancelForm()
    if request.method == "POST" and form.validate_on_submit():
        now = utc_now()
        try:
            service.cancel(current_user, appointment.id, now=now)
        except ServiceError as error:
            _show_service_error(form, error)
            appointment = access.get_bookable_appointment(current_user, appointment_id)
        else:
            commit(now)
            flash("The appointment is cancelled.", "success")
            return redirect(url_for("appointments.show", appointment_id=appointment_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "appointments/cancel.html",
        form=form,
        appointment=appointment,
        span=service.local_span(appointment),
        **_labels(),
    ), status


@bp.route("/appointments/<int:appointment_id>/mark", methods=["POST"])
@role_required(*MEMBERS)
def mark(appointment_id: int):
    access.get_bookable_appointment(current_user, appointment_id)  # 404 before any 422
    form = MarkForm()
    if not form.validate_on_submit():
        for message in [*form.status.errors, *form.form_errors]:
            flash(message, "error")
        return _after_refused_mark(appointment_id)
    now = utc_now()
    try:
        service.mark(current_user, appointment_id, form.status.data, now=now)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _after_refused_mark(appointment_id)
    commit(now)
    flash(f"Marked {STATUS_LABELS[form.status.data].lower()}.", "success")
    return redirect(url_for("appointments.show", appointment_id=appointment_id))


def _after_refused_mark(appointment_id: int):
    """The detail page again, with the refusal flashed and a 422 (nothing was written)."""
    response = show(appointment_id)
    return response, 422
