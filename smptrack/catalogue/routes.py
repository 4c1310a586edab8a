"""The pigment catalogue: pigments and lots (the recall pages of a lot are in ``recall.py``)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from smptrack.catalogue import bp
from smptrack.catalogue.forms import LotForm, PigmentForm
from smptrack.extensions import db
from smptrack.formdata import refuse_unexpected
from smptrack.services import catalogue as service
from smptrack.services.errors import ServiceError
from smptrack.services.pagination import Page
from smptrack.web import int_arg, role_required, safe_next, utc_now


def _show_errors(form, exc: ServiceError) -> None:
    for name, message in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors), message]
        else:
            form.form_errors.append(message)
    flash(exc.message, "error")


def _page_of(items: list, page: int) -> Page:
    per_page = int(current_app.config["PAGE_SIZE"])
    pages = max(1, -(-len(items) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return Page(
        items=items[start : start + per_page], page=page, per_page=per_page, total=len(items)
    )


@bp.route("/pigments/", methods=["GET", "POST"])
@role_required("practitioner")
def index():
    form = PigmentForm()
    status = 200
    if request.method == "POST":
        status = 422
        valid = form.validate_on_submit()
        if not refuse_unexpected(form, request.form) and valid:
            data = service.PigmentInput(
                brand=form.brand.data,
                line=form.line.data or "",
                shade=form.shade.data,
                base=form.base.data,
            )
            try:
                pigment = service.create_pigment(current_user, data, now=utc_now())
            except ServiceError as exc:
                db.session.rollback()
                _show_errors(form, exc)
                status = exc.status
            else:
                db.session.commit()
                flash(f"{pigment.label} is in your catalogue. Add its lot next.", "success")
                return redirect(
                    url_for("catalogue.pigment", pigment_id=pigment.id, **_return_arg())
                )
    page = _page_of(service.list_pigments(current_user), int_arg("page", 1))
    return render_template(
        "catalogue/index.html", form=form, page=page, return_arg=_return_arg()
    ), status


def _return_arg() -> dict[str, str]:
    """``{"next": ...}`` while a lot is being added from a session form (issue 13 item 4), so
    the pigment and lot pages pass it on; empty when absent or not a path on this site."""
    target = safe_next(request.args.get("next"), "")
    return {"next": target} if target else {}


def _back_with_lot(target: str, lot_id: int) -> str:
    """``target`` (a safe local path) with ``lot=<lot_id>`` added to its query."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lot"]
    query.append(("lot", str(lot_id)))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def _render_pigment(pigment_id: int, form: LotForm, status: int):
    pigment = service.get_pigment(current_user, pigment_id)
    return (
        render_template(
            "catalogue/pigment.html",
            pigment=pigment,
            form=form,
            today=utc_now().date(),
            return_arg=_return_arg(),
        ),
        status,
    )


@bp.route("/pigments/<int:pigment_id>")
@role_required("practitioner")
def pigment(pigment_id: int):
    return _render_pigment(pigment_id, LotForm(), 200)


@bp.route("/pigments/<int:pigment_id>/lots", methods=["POST"])
@role_required("practitioner")
def add_lot(pigment_id: int):
    service.get_pigment(current_user, pigment_id)  # another catalogue's pigment: 404 first
    form = LotForm()
    valid = form.validate_on_submit()
    status = 422
    if not refuse_unexpected(form, request.form) and valid:
        data = service.LotInput(lot_number=form.lot_number.data, expires_on=form.expires_on.data)
        try:
            lot = service.add_lot(current_user, pigment_id, data, now=utc_now())
        except ServiceError as exc:
            db.session.rollback()
            _show_errors(form, exc)
            status = exc.status
        else:
            db.session.commit()
            flash(f"Lot {lot.lot_number} is added.", "success")
            back = _return_arg().get("next")
            if back:  # added from a session form: back to its draft, with this lot chosen
                return redirect(_back_with_lot(back, lot.id))
            return redirect(url_for("catalogue.pigment", pigment_id=pigment_id))
    return _render_pigment(pigment_id, form, status)
