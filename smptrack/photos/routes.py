"""Photo pages. Thin: load through the access policy, call ``services.photos``, commit once.

The image routes answer the stored JPEG itself: ``image/jpeg``, ``nosniff`` (every answer),
``Content-Disposition`` with a name of our own, and ``private, no-store`` (smptrack.security);
never HTML, whatever was uploaded, since only re-encoded files are ever stored.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import Client, Photo
from smptrack.photos import bp
from smptrack.photos.forms import ConfirmDeleteForm, PhotoForm
from smptrack.security import accepts_upload
from smptrack.services import access, photo_timeline
from smptrack.services import photos as photo_service
from smptrack.services import profile as profiles
from smptrack.services.errors import ServiceError
from smptrack.services.pagination import Page, clamp_page
from smptrack.web import commit, int_arg, role_required, utc_now


def _load_client(client_id: int) -> Client:
    """The record if the viewer may add to it (404 for another's, 403 for the front desk)."""
    client = access.get_client(current_user, client_id)
    if not access.may_add_photo(current_user, client):
        abort(403)
    return client


def _zone_arg() -> tuple[str | None, bool]:
    """The ``zone`` filter of the list: a zone, ``whole`` for the whole scalp, or none."""
    value = request.args.get("zone", "")
    if value == "whole":
        return None, True
    return (value if value in ZONES else None), False


def _form(client: Client) -> PhotoForm:
    form = PhotoForm(taken_on=profiles.client_today(client, utc_now()))
    form.set_links(*photo_service.link_choices(client))
    if request.method == "GET":
        zone = request.args.get("zone", "")
        if zone in ZONES:
            form.zone.data = zone
        for name in ("session_id", "assessment_id"):
            wanted = request.args.get(name, type=int)
            if wanted is not None and any(c.value == wanted for c in form[name].choices):
                form[name].data = wanted
    return form


def _render_index(client: Client, form: PhotoForm, status: int = 200):
    per_page = int(current_app.config["PAGE_SIZE"])
    number = int_arg("page", 1)
    zone, whole = _zone_arg()
    items, total = photo_service.photos_page(
        client, page=number, per_page=per_page, zone=zone, whole_scalp=whole, clamp=True
    )
    return render_template(
        "photos/index.html",
        client=client,
        form=form,
        page=Page(
            items=items, page=clamp_page(number, total, per_page), per_page=per_page, total=total
        ),
        zone_filter="whole" if whole else zone,
        may_delete=lambda p: access.may_delete_photo(current_user, client, p),
    ), status


@bp.get("/me/photos")
@role_required("client")
def my_photos():
    client = access.own_client_record(current_user)
    if client is None:
        flash("Your login is not linked to a record yet.", "info")
        return redirect(url_for("account.me"))
    return redirect(url_for("photos.index", client_id=client.id))


@bp.route("/clients/<int:client_id>/photos", methods=["GET", "POST"])
@role_required("practitioner", "client")
@accepts_upload
def index(client_id: int):
    client = _load_client(client_id)
    now = utc_now()
    form = _form(client)
    if request.method == "GET":
        photo_service.record_read(current_user, client, None, now=now)
        db.session.commit()
        return _render_index(client, form)
    if form.validate_on_submit():
        upload = form.photo.data
        upload.stream.seek(0)  # a retried unit of work reads it again
        try:
            photo_service.add_photo(
                current_user,
                client,
                zone=form.zone.data or None,
                taken_on=form.taken_on.data,
                data=upload.stream,
                now=now,
                session_id=form.session_id.data,
                assessment_id=form.assessment_id.data,
            )
        except ServiceError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                target = form._fields.get(name)
                if target is not None:
                    target.errors = [message]
                else:
                    form.form_errors.append(message)
            flash(exc.message, "error")
        else:
            commit(now)
            flash("The photo is stored.", "success")
            return redirect(url_for("photos.index", client_id=client.id))
    return _render_index(client, form, 422)


def _send(photo: Photo, name: str, *, thumbnail: bool):
    try:
        path = photo_service.file_path(name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    attachment = request.args.get("download") == "1"
    suffix = "-thumbnail" if thumbnail else ""
    response = send_file(
        path,
        mimetype=photo.content_type if photo.content_type.startswith("image/") else "image/jpeg",
        as_attachment=attachment,
        download_name=f"photo-{photo.id}{suffix}.jpg",
        conditional=True,
        etag=True,
        max_age=0,
    )
    # Quoted, and our own name: never the uploader's file name.
    kind = (
        "attachment"
        if response.headers.get("Content-Disposition", "").startswith("attachment")
        else "inline"
    )
    response.headers["Content-Disposition"] = f'{kind}; filename="photo-{photo.id}{suffix}.jpg"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/photos/<int:photo_id>/image")
@role_required("practitioner", "client")
def image(photo_id: int):
    photo = access.get_photo(current_user, photo_id)
    client = db.session.get(Client, photo.client_id)
    photo_service.record_read(current_user, client, photo, now=utc_now())
    return _send(photo, photo.stored_name, thumbnail=False)


@bp.get("/photos/<int:photo_id>/thumbnail")
@role_required("practitioner", "client")
def thumbnail(photo_id: int):
    # No audit line per thumbnail: the page that shows them recorded its read of the record.
    photo = access.get_photo(current_user, photo_id)
    return _send(photo, photo.thumb_name, thumbnail=True)


@bp.route("/photos/<int:photo_id>/delete", methods=["GET", "POST"])
@role_required("practitioner", "client")
def delete(photo_id: int):
    photo = access.get_photo(current_user, photo_id)
    client = db.session.get(Client, photo.client_id)
    if not access.may_delete_photo(current_user, client, photo):
        abort(403, "Only the practice can delete a photo it or another person uploaded.")
    now = utc_now()
    form = ConfirmDeleteForm()
    if request.method == "POST" and form.validate_on_submit():
        photo_service.delete_photo(current_user, photo, now=now)
        commit(now)  # the files go once this has committed (services.photos)
        flash("The photo is deleted.", "success")
        return redirect(url_for("photos.index", client_id=client.id))
    photo_service.record_read(current_user, client, photo, now=now)
    db.session.commit()
    status = 200 if request.method == "GET" else 422
    return render_template("photos/delete.html", client=client, photo=photo, form=form), status


@bp.app_template_global()
def photo_timeline_of(client: Client) -> list[photo_timeline.ZonePhotos]:
    """The client page's photo timeline (templates/photos/_timeline.html): two queries."""
    return photo_timeline.timeline(client)
