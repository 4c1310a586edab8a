"""Pages to record, show, change and delete a treatment session with its placements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from smptrack.extensions import db
from smptrack.formdata import refuse_unexpected
from smptrack.forms import choice_list
from smptrack.models import Appointment, Client, TreatmentSession
from smptrack.services import access, catalogue, clients, session_start
from smptrack.services import appointments as booking
from smptrack.services import treatments as service
from smptrack.services.errors import ServiceError
from smptrack.treatments import bp, drafts
from smptrack.treatments.forms import (
    BLANK_ROWS,
    MAX_ROWS,
    ClientSessionForm,
    DeleteSessionForm,
    PractitionerSessionForm,
)
from smptrack.treatments.quick_forms import QuickClientSessionForm, QuickPractitionerSessionForm
from smptrack.web import commit, role_required, safe_next, utc_now

SessionForm = PractitionerSessionForm | ClientSessionForm


def _session_form(*, quick: bool = False, **kwargs) -> SessionForm:
    """The form for the viewer's role; a practitioner's lists the lots of their catalogue, each
    with its expiry. ``quick`` (a new session) adds the shared-settings block and, for a
    practitioner, the "add a new lot" button (treatments/quick_forms.py)."""
    if current_user.role != "practitioner":
        return (QuickClientSessionForm if quick else ClientSessionForm)(**kwargs)
    form = (QuickPractitionerSessionForm if quick else PractitionerSessionForm)(**kwargs)
    today = utc_now().astimezone(ZoneInfo(current_user.time_zone or "UTC")).date()
    choices = choice_list(
        [
            ("", "Choose a lot"),
            *((str(i), label) for i, label in session_start.lot_options(current_user, today=today)),
        ]
    )
    for entry in form.placements:
        entry.form.pigment_lot_id.choices = choices
    if quick:
        form.shared.form.pigment_lot_id.choices = choices
    return form


def _row_is_used(row) -> bool:
    return any(getattr(row, name).data not in (None, "", False) for name in row.USED_WHEN_FILLED)


def _shared_is_filled(block) -> bool:
    """Settings typed into the shared block (its lot alone does not count: it may be the lot
    just added, put there for the practitioner to tick the zones)."""
    return any(
        getattr(block, name).data not in (None, "", False)
        for name in block.USED_WHEN_FILLED
        if name not in ("zone", "pigment_lot_id")
    )


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


def _session_input(
    form: SessionForm,
) -> tuple[service.SessionInput, list[session_start.Source]]:
    """The form as a ``SessionInput``, skipping blank rows and expanding the shared-settings
    block into one placement per ticked zone; and where each placement came from."""
    rows = [
        (index, _placement_input(entry.form))
        for index, entry in enumerate(form.placements)
        if _row_is_used(entry.form)
    ]
    shared = getattr(form, "shared", None)
    zones = list(shared.form.zones.data or []) if shared is not None else []
    placements, sources = session_start.expand_shared(
        _placement_input(shared.form) if zones else None, zones, rows
    )
    data = service.SessionInput(
        performed_on=form.performed_on.data,
        kind=form.kind.data,
        placements=placements,
        needle=form.needle.data or "",
        machine_settings=form.machine_settings.data or "",
        duration_minutes=form.duration_minutes.data,
        notes=form.notes.data or "",
        # Only the practitioner's form has the box; a client's own notes are theirs anyway.
        notes_shared=bool(getattr(form, "notes_shared", None) and form.notes_shared.data),
        confirm_expired_lot=bool(form.confirm_expired_lot.data),
        consent_override_reason=form.consent_override_reason.data or "",
    )
    return data, sources


def _show_service_errors(
    form: SessionForm, exc: ServiceError, sources: list[session_start.Source]
) -> None:
    """Put the service's field messages on the form's fields (placements by their row, or on
    the shared block for a ticked zone; its zone's own problem on the zone checkboxes)."""
    for key, message in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "placements" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            source = sources[index] if index < len(sources) else None
            if source is None:
                row = None
            elif source.row is None:
                row = form.shared.form
                if parts[2] == "zone":
                    parts[2] = "zones"
            else:
                row = form.placements.entries[source.row].form
            target = getattr(row, parts[2], None) if row is not None else None
        elif parts[0] == "placements":
            target = form.placements.entries[0].form.zone
        else:
            target = getattr(form, parts[0], None)
        if target is not None and hasattr(target, "errors"):
            if message not in target.errors:  # the shared block's zones share their fields
                target.errors = [*list(target.errors), message]
        else:
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
    data, sources = _session_input(form)
    row_numbers = {source.row for source in sources}
    for index, entry in enumerate(form.placements):
        row = entry.form
        if index not in row_numbers or row.zone.data:
            continue
        row.zone.errors = ["Choose the zone for this placement, or clear the row."]
    shared = getattr(form, "shared", None)
    if shared is not None and not shared.form.zones.data and _shared_is_filled(shared.form):
        shared.form.zones.errors = ["Tick the zones these settings are for, or clear them."]
    if any(entry.form.zone.errors for entry in form.placements) or (
        shared is not None and shared.form.zones.errors
    ):
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
        _show_service_errors(form, exc, sources)
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
            has_last=editing is None and session_start.last_session(client) is not None,
            from_last_url=_new_url(client, **{"from": "last"}),
        ),
        status,
    )


# Query arguments of the new-session form that describe one visit, not the form's context.
_VISIT_ARGS = ("draft", "lot", "from")


def _new_url(client: Client, **extra: str) -> str:
    """This new-session form's URL with its context (``appointment``, ``next``) kept."""
    kept = {name: request.args.getlist(name) for name in request.args if name not in _VISIT_ARGS}
    return url_for("treatments.new", client_id=client.id, **kept, **extra)


def _choose_returned_lot(form: SessionForm) -> None:
    """Put the lot named by ``?lot=`` (one just added from this form) where it was wanted: the
    first used row without a lot, else the shared block. Not one of the viewer's: ignored."""
    raw = request.args.get("lot", "")
    shared = getattr(form, "shared", None)
    if shared is None or raw not in {c.value for c in shared.form.pigment_lot_id.choices[1:]}:
        return
    for entry in form.placements:
        row = entry.form
        if _row_is_used(row) and not row.pigment_lot_id.data:
            row.pigment_lot_id.data = raw
            return
    shared.form.pigment_lot_id.data = raw


def _new_session_form(client: Client, now: datetime) -> SessionForm:
    """The new-session form as a GET opens it: the kept draft (back from adding a lot), the
    last session's copy (``?from=last``), or a blank one, with the kind the history suggests."""
    today = service.client_today(client, now)
    draft = drafts.restore(client.id) if request.args.get("draft") == "1" else None
    if draft is not None:
        form = _session_form(quick=True, formdata=draft)
    elif request.args.get("from") == "last":
        start = session_start.start_from_last(client, performed_on=today)
        if start is None:
            flash("There is no earlier session to start from.", "info")
            form = _session_form(quick=True)
        else:
            form = _session_form(quick=True, data=_form_data_of(start))
    else:
        form = _session_form(quick=True)
    if draft is None:
        form.performed_on.data = today
        form.kind.data = session_start.suggested_kind(client)
    if current_user.role == "practitioner":
        _choose_returned_lot(form)
    return form


def _keep_draft_and_add_lot(form: SessionForm, client: Client):
    """The "Add a new lot…" button: keep what is typed, open the catalogue, come back."""
    if not drafts.keep(client.id, request.form):
        form.form_errors.append(
            "This form holds too much text to keep while you add a lot: save the session first,"
            " then add the lot and change the session."
        )
        return _render_form(form, client, editing=None, status=422)
    return redirect(url_for("catalogue.index", next=_new_url(client, draft="1")))


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
        form = _new_session_form(client, now)
        if appointment is not None:
            prefill = booking.prefill_for_session(current_user, appointment)
            form.performed_on.data = prefill["performed_on"]
            form.kind.data = prefill["kind"]
            form.duration_minutes.data = prefill["duration_minutes"]
        clients.record_read(current_user, client, now=now)
        db.session.commit()
        return _render_form(form, client, editing=None, status=200)
    form = _session_form(quick=True)
    if getattr(form, "add_lot", None) is not None and form.add_lot.data:
        return _keep_draft_and_add_lot(form, client)

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
    drafts.forget()
    flash(f"The session of {recorded.performed_on.isoformat()} is recorded.", "success")
    shown = url_for("treatments.show", session_id=recorded.id)
    return redirect(safe_next(request.args.get("next"), shown))


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
    return _form_data_of(service.session_input_from(treatment_session))


def _form_data_of(current: service.SessionInput) -> dict:
    """A ``SessionInput`` as the session form's ``data``, with blank rows to add more."""
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
