"""Pages to record, show, change and delete a treatment session with its placements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from smptrack.extensions import db
from smptrack.formdata import refuse_unexpected
from smptrack.forms import choice_list
from smptrack.models import Appointment, Client, TreatmentSession
from smptrack.services import access, catalogue, clients
from smptrack.services import appointments as booking
from smptrack.services import treatments as service
from smptrack.services.errors import ServiceError
from smptrack.treatments import bp
from smptrack.treatments.forms import (
    BLANK_ROWS,
    MAX_ROWS,
    ClientSessionForm,
    DeleteSessionForm,
    PractitionerSessionForm,
)
from smptrack.web import commit, role_required, utc_now

SessionForm = PractitionerSessionForm | ClientSessionForm


def _session_form(**kwargs) -> SessionForm:
    """The form for the viewer's role; a practitioner's lists the lots of their catalogue."""
    if current_user.role != "practitioner":
        return ClientSessionForm(**kwargs)
    form = PractitionerSessionForm(**kwargs)
    choices = choice_list(
        [
            ("", "Choose a lot"),
            *((str(i), label) for i, label in catalogue.lot_choices(current_user)),
        ]
    )
    for entry in form.placements:
        entry.form.pigment_lot_id.choices = choices
    return form


def _row_is_used(row) -> bool:
    return any(getattr(row, name).data not in (None, "", False) for name in row.USED_WHEN_FILLED)


def _placement_input(row) -> service.PlacementInput:
    lot_id = None
    raw_lot = getattr(row, "pigment_lot_id", None)
    if raw_lot is not None and raw_lot.data:
        try:
            lot_id = int(raw_lot.data)
        except (TypeError, ValueError):
            lot_id = -1  # not a lot of anyone's: the service answers "choose from your catalogue"
    free_text = getattr(row, "pigment_free_text", None)
    return service.PlacementInput(
        zone=row.zone.data,
        pigment_lot_id=lot_id,
        pigment_free_text=free_text.data if free_text is not None else None,
        dilution=row.dilution.data,
        dilution_ratio=row.dilution_ratio.data or "",
        needle=row.needle.data or "",
        dot_size=row.dot_size.data or "",
        density_worked_pct=row.density_worked_pct.data,
        depth=row.depth.data,
        depth_note=row.depth_note.data or "",
        scar_tissue=bool(row.scar_tissue.data),
    )


def _session_input(form: SessionForm) -> tuple[service.SessionInput, list[int]]:
    """The form as a ``SessionInput``, skipping blank rows; and each placement's row number."""
    rows = [
        (index, entry.form)
        for index, entry in enumerate(form.placements)
        if _row_is_used(entry.form)
    ]
    data = service.SessionInput(
        performed_on=form.performed_on.data,
        kind=form.kind.data,
        placements=[_placement_input(row) for _, row in rows],
        needle=form.needle.data or "",
        machine_settings=form.machine_settings.data or "",
        duration_minutes=form.duration_minutes.data,
        notes=form.notes.data or "",
        confirm_expired_lot=bool(form.confirm_expired_lot.data),
        consent_override_reason=form.consent_override_reason.data or "",
    )
    return data, [index for index, _ in rows]


def _show_service_errors(form: SessionForm, exc: ServiceError, row_numbers: list[int]) -> None:
    """Put the service's field messages on the form's fields (placements by their row)."""
    for key, message in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "placements" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            row = (
                form.placements.entries[row_numbers[index]].form
                if index < len(row_numbers)
                else None
            )
            target = getattr(row, parts[2], None) if row is not None else None
        elif parts[0] == "placements":
            target = form.placements.entries[0].form.zone
        else:
            target = getattr(form, parts[0], None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors), message]
        else:
        # Only the practitioner's form has the box; a client's own notes are theirs anyway.
        notes_shared=bool(getattr(form, "notes_shared", None) and form.notes_shared.data),
            form.form_errors.append(message)


def _submit(
    form: SessionForm, save: Callable[[service.SessionInput, datetime], TreatmentSession]
) -> TreatmentSession | None:
    """Validate and save a posted session form; None (with messages on the form) if refused.

    Nothing is written unless everything passes: the service's flushes are rolled back.
    """
    valid = form.validate_on_submit()
    if refuse_unexpected(form, request.form) or not valid:
        return None
    data, row_numbers = _session_input(form)
    for index, entry in enumerate(form.placements):
        row = entry.form
        if index not in row_numbers or row.zone.data:
            continue
        row.zone.errors = ["Choose the zone for this placement, or clear the row."]
    if any(entry.form.zone.errors for entry in form.placements):
        return None
    if not data.placements:
        form.placements.entries[0].form.zone.errors = [
            "Record at least one placement: choose its zone and pigment."
        ]
        return None
    try:
        return save(data, utc_now())
    except ServiceError as exc:
        db.session.rollback()
        _show_service_errors(form, exc, row_numbers)
        flash(exc.message, "error")
        return None


def _open_rows(form: SessionForm) -> set[int]:
    """Rows shown expanded: the first, and any holding data or an error."""
    rows = {0}
    for index, entry in enumerate(form.placements):
        if _row_is_used(entry.form) or entry.form.errors:
            rows.add(index)
    return rows


def _render_form(
    form: SessionForm, client: Client, *, editing: TreatmentSession | None, status: int
):
    show_confirmation = bool(
        form.confirm_expired_lot.errors
        or form.confirm_expired_lot.data
        or (editing is not None and editing.expired_lot_confirmed)
    )
    return (
        render_template(
            "treatments/form.html",
            form=form,
            client=client,
            editing=editing,
            open_rows=_open_rows(form),
            show_confirmation=show_confirmation,
            has_lots=current_user.role != "practitioner"
            or bool(form.placements.entries[0].form.pigment_lot_id.choices[1:]),
        ),
        status,
    )


def _after_change(client: Client) -> str:
    if current_user.role == "client":
        return url_for("account.me")
    return url_for("clients.show", client_id=client.id)


def _from_appointment(client: Client) -> Appointment | None:
    """The booked appointment this session is recorded from (``?appointment=<id>``, kept in
    the form's URL so the post carries it too), or None."""
    raw = request.args.get("appointment")
    if raw is None:
        return None
    if not raw.isdigit() or not catalogue.is_row_id(int(raw)):
        abort(404)
    return booking.get_for_session(current_user, int(raw), client)


@bp.route("/clients/<int:client_id>/sessions/new", methods=["GET", "POST"])
@role_required("practitioner", "client")
def new(client_id: int):
    if not catalogue.is_row_id(client_id):
        abort(404)  # beyond a 32-bit key: PostgreSQL would refuse the query itself
    client = access.get_client(current_user, client_id)
    if not service.may_record_for(current_user, client):
        abort(403)
    now = utc_now()
    appointment = _from_appointment(client)
    if request.method == "GET":
        form = _session_form()
        form.performed_on.data = service.client_today(client, now)
        if appointment is not None:
            prefill = booking.prefill_for_session(current_user, appointment)
            form.performed_on.data = prefill["performed_on"]
            form.kind.data = prefill["kind"]
            form.duration_minutes.data = prefill["duration_minutes"]
        clients.record_read(current_user, client, now=now)
        db.session.commit()
        return _render_form(form, client, editing=None, status=200)
    form = _session_form()

    def save(data: service.SessionInput, when: datetime) -> TreatmentSession:
        return service.record_session(current_user, client, data, now=when)

    recorded = _submit(form, save)
    if recorded is None:
        return _render_form(form, client, editing=None, status=422)
    if appointment is not None:
        try:  # the appointment is done, with its session: one unit with the session itself
            booking.mark(current_user, appointment.id, "done", now=now, session_id=recorded.id)
        except ServiceError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            return _render_form(form, client, editing=None, status=422)
    commit(now)
    flash(f"The session of {recorded.performed_on.isoformat()} is recorded.", "success")
    return redirect(url_for("treatments.show", session_id=recorded.id))


@bp.route("/sessions/<int:session_id>")
@role_required("practitioner", "client")
def show(session_id: int):
    treatment_session = service.get_session(current_user, session_id)
    client = service.client_of(treatment_session)
    service.record_read(current_user, treatment_session, now=utc_now())
    db.session.commit()
    people = service.people_by_id(
        {
            treatment_session.performed_by_id,
            treatment_session.logged_by_id,
            treatment_session.consent_override_by_id,
        }
    )
    return render_template(
        "treatments/show.html",
        treatment_session=treatment_session,
        client=client,
        people=people,
        may_change=service.may_change_session(current_user, treatment_session),
    )


def _changeable(session_id: int) -> tuple[TreatmentSession, Client]:
    treatment_session = service.get_session(current_user, session_id)
    if not service.may_change_session(current_user, treatment_session):
        abort(403)
    return treatment_session, service.client_of(treatment_session)


def _form_data(treatment_session: TreatmentSession) -> dict:
    current = service.session_input_from(treatment_session)
    placements = [
        {
            **asdict(p),
            "pigment_lot_id": str(p.pigment_lot_id) if p.pigment_lot_id else "",
            "pigment_free_text": p.pigment_free_text or "",
        }
        for p in current.placements
    ]
    rows = min(MAX_ROWS, max(BLANK_ROWS, len(placements) + 1))
    placements += [{} for _ in range(rows - len(placements))]
    return {**asdict(current), "placements": placements}


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required("practitioner", "client")
def edit(session_id: int):
    treatment_session, client = _changeable(session_id)
    if request.method == "GET":
        form = _session_form(data=_form_data(treatment_session))
        service.record_read(current_user, treatment_session, now=utc_now())
        db.session.commit()
        return _render_form(form, client, editing=treatment_session, status=200)
    form = _session_form()

    def save(data: service.SessionInput, when: datetime) -> TreatmentSession:
        return service.update_session(current_user, treatment_session, data, now=when)

    changed = _submit(form, save)
    if changed is None:
        return _render_form(form, client, editing=treatment_session, status=422)
    commit()
    flash("The session is updated.", "success")
    return redirect(url_for("treatments.show", session_id=changed.id))


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@role_required("practitioner", "client")
def delete(session_id: int):
    treatment_session, client = _changeable(session_id)
    form = DeleteSessionForm()
    now = utc_now()
    if request.method == "POST" and form.validate_on_submit():
        performed_on = treatment_session.performed_on
        service.delete_session(current_user, treatment_session, now=now)
        commit(now)
        flash(f"The session of {performed_on.isoformat()} is deleted.", "success")
        return redirect(_after_change(client))
    service.record_read(current_user, treatment_session, now=now)
    db.session.commit()
    return render_template(
        "treatments/delete.html", form=form, treatment_session=treatment_session, client=client
    ), (422 if form.errors else 200)
