"""The recall pages of a lot: who received it (page and CSV) and the notice to each client.

Thin: the grouping, the notice and its rules live in ``services.recall``. Practitioners only
(the front desk, clients and admins get 403); another practice's lot answers 404.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from smptrack.catalogue import bp
from smptrack.catalogue.recall_forms import RecallNoticeForm
from smptrack.domain import text as text_rule
from smptrack.extensions import db
from smptrack.services import recall as service
from smptrack.services.errors import Conflict, ServiceError
from smptrack.services.pagination import paginate
from smptrack.web import int_arg, role_required, utc_now

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


@bp.route("/lots/<int:lot_id>/recall")
@role_required("practitioner")
def recall(lot_id: int):
    """The clients who received the lot, one row each, with how to reach them."""
    lot, clients = service.recall_clients(current_user, lot_id)
    page = paginate(clients, int_arg("page", 1), int(current_app.config["PAGE_SIZE"]))
    # Noted, and written after the response (services.audit): a read does not commit.
    service.record_trace_read(current_user, page.items, lot.id, now=utc_now())
    return render_template(
        "catalogue/recall.html",
        lot=lot,
        page=page,
        clients=len(clients),
        reachable=sum(1 for entry in clients if entry.email),
        placements=sum(entry.placements for entry in clients),
        last_notice=service.last_notice_at(current_user, lot.id),
    )


@bp.route("/lots/<int:lot_id>/recall.csv")
@role_required("practitioner")
def recall_csv(lot_id: int):
    lot, clients = service.recall_clients(current_user, lot_id)
    service.record_trace_read(current_user, clients, lot.id, now=utc_now(), as_csv=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(service.CSV_HEADER)
    for row in service.csv_rows(clients):
        writer.writerow([csv_safe(cell) for cell in row])
    safe_number = text_rule.filename_part(lot.lot_number, str(lot.id))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="recall-lot-{safe_number}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _seen_last(raw: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.route("/lots/<int:lot_id>/recall/notify", methods=["GET", "POST"])
@role_required("practitioner")
def recall_notify(lot_id: int):
    """Write (GET), preview (POST with ``preview``), then send (POST with ``send``)."""
    lot, clients = service.recall_clients(current_user, lot_id)
    last = service.last_notice_at(current_user, lot.id)
    form = RecallNoticeForm()
    if not form.is_submitted():
        form.message.data = service.default_message(current_user, lot)
    status, step = 200, "write"
    if form.is_submitted() and form.edit.data:
        pass  # back from the preview to the message, as typed
    elif form.validate_on_submit():
        step = "preview"
        if form.send.data:
            try:
                result = service.notify(
                    current_user,
                    lot.id,
                    form.message.data,
                    seen_last=_seen_last(form.seen_last.data),
                    confirmed_again=bool(form.send_again.data),
                    now=utc_now(),
                )
            except Conflict as exc:
                flash(exc.message, "error")
                status = 409
            except ServiceError as exc:
                form.message.errors = [*form.message.errors, exc.message]
                status, step = 422, "write"
            else:
                db.session.commit()
                flash(
                    f"Recall notice queued for {result.sent_to} "
                    f"client{'' if result.sent_to == 1 else 's'}."
                    + (
                        f" {result.unreachable} without an email address: reach them another way."
                        if result.unreachable
                        else ""
                    ),
                    "success",
                )
                return redirect(url_for("catalogue.recall", lot_id=lot.id))
        else:
            try:
                form.message.data = service.check_message(form.message.data)
            except ServiceError as exc:
                form.message.errors = [*form.message.errors, exc.message]
                status, step = 422, "write"
    elif form.is_submitted():
        status = 422
    if step == "preview":
        # The preview names every recipient: it reads their records.
        service.record_trace_read(current_user, clients, lot.id, now=utc_now())
    form.seen_last.data = last.isoformat() if last else ""
    form.send_again.data = False
    return render_template(
        "catalogue/recall_notify.html",
        lot=lot,
        form=form,
        step=step,
        recipients=[entry for entry in clients if entry.email],
        unreachable=[entry for entry in clients if not entry.email],
        last_notice=last,
    ), status
