"""Photos: a client's list and upload (multipart), one photo's details, its image, deletion."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from flask import Response, send_file, url_for
from pydantic import ConfigDict, Field

from smptrack.api.registry import operation
from smptrack.api.schemas import MAX_ID, PageQuery, QueryModel, ResponseModel, Zone
from smptrack.extensions import db
from smptrack.models import Client, User
from smptrack.services import access, photos
from smptrack.services.errors import NotFound
from smptrack.web import utc_now


class PhotoOut(ResponseModel):
    id: int
    client_id: int
    zone: Zone | None = Field(description="The zone, or null for the whole scalp.")
    taken_on: date
    session_id: int | None
    assessment_id: int | None
    uploaded_by_id: int | None
    width: int
    height: int
    size_bytes: int
    content_type: Literal["image/jpeg"]
    created_at: datetime
    image_url: str = Field(description="The photo itself (JPEG), with the same bearer token.")
    thumbnail_url: str = Field(description="A thumbnail of at most 480 pixels a side.")


class PhotoPage(ResponseModel):
    items: list[PhotoOut]
    page: int
    per_page: int
    total: int


class PhotoUpload(QueryModel):
    """The text parts of a photo upload (its `photo` part is the file). Form fields are text,
    so the date and ids are converted from their text, as query arguments are."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    taken_on: date = Field(description="The day the photo was taken (not in the future).")
    zone: Zone | None = Field(None, description="The zone; leave out for the whole scalp.")
    session_id: int | None = Field(None, ge=1, le=MAX_ID, description="A session of the client.")
    assessment_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="An assessment of the client."
    )


class PhotoDeleted(ResponseModel):
    """What was deleted."""

    object: Literal["photo"]
    id: int


def photo_out(photo: Any) -> PhotoOut:
    return PhotoOut.model_validate(
        {
            **{key: getattr(photo, key) for key in PhotoOut.model_fields if hasattr(photo, key)},
            "image_url": url_for("api.photo_image", photo_id=photo.id),
            "thumbnail_url": url_for("api.photo_thumbnail", photo_id=photo.id),
        }
    )


@operation(
    "GET",
    "/clients/<int:client_id>/photos",
    summary="A client's photos, newest first",
    tag="photos",
    query=PageQuery,
    response=PhotoPage,
    errors=(403,),
)
def list_photos(actor: User, client_id: int, query: PageQuery) -> PhotoPage:
    """For the client themself or a practitioner of their practice (the front desk: 403)."""
    client = access.get_client(actor, client_id)
    items, total = photos.photos_page(client, page=query.page, per_page=query.per_page)
    photos.record_read(actor, client, None, now=utc_now())
    return PhotoPage(
        items=[photo_out(p) for p in items], page=query.page, per_page=query.per_page, total=total
    )


@operation(
    "POST",
    "/clients/<int:client_id>/photos",
    summary="Upload a photo of one zone or the whole scalp",
    tag="photos",
    form=PhotoUpload,
    files=("photo",),
    response=PhotoOut,
    status=201,
    errors=(403,),
)
def upload_photo(actor: User, client_id: int, body: PhotoUpload, files: dict) -> PhotoOut:
    """`multipart/form-data` with the image as the `photo` part: JPEG, PNG, WebP or HEIC, told
    by its bytes (never its name or declared type), up to 15 MB and 40 megapixels. It is stored
    re-encoded as JPEG without EXIF, GPS or other metadata, under a name of our own. A refused
    file answers 422 with a message saying why."""
    client = access.get_client(actor, client_id)
    upload = files.get("photo")
    if upload is None:
        raise photos.PhotoRefused("Send the photo as a file part named `photo`.")
    upload.stream.seek(0)  # a retried unit of work reads it again
    created = photos.add_photo(
        actor,
        client,
        zone=body.zone,
        taken_on=body.taken_on,
        data=upload.stream,
        now=utc_now(),
        session_id=body.session_id,
        assessment_id=body.assessment_id,
    )
    return photo_out(created)


@operation(
    "GET",
    "/photos/<int:photo_id>",
    summary="One photo's details",
    tag="photos",
    response=PhotoOut,
    errors=(403,),
)
def get_photo(actor: User, photo_id: int) -> PhotoOut:
    photo = access.get_photo(actor, photo_id)
    client = db.session.get(Client, photo.client_id)
    photos.record_read(actor, client, photo, now=utc_now())
    return photo_out(photo)


@operation(
    "DELETE",
    "/photos/<int:photo_id>",
    summary="Delete a photo and its files",
    tag="photos",
    response=PhotoDeleted,
    errors=(403,),
)
def delete_photo(actor: User, photo_id: int) -> PhotoDeleted:
    """A practitioner of the client's practice, or the client for a photo they uploaded. The
    files go once the deletion has committed."""
    photo = access.get_photo(actor, photo_id)
    photos.delete_photo(actor, photo, now=utc_now())
    return PhotoDeleted(object="photo", id=photo_id)


def _file(photo: Any, name: str, suffix: str) -> Response:
    try:
        path = photos.file_path(name)
    except ValueError as exc:
        raise NotFound("No such photo.") from exc
    if not path.is_file():
        raise NotFound("The photo's file is missing.")
    response = send_file(
        path,
        mimetype="image/jpeg",
        download_name=f"photo-{photo.id}{suffix}.jpg",
        conditional=False,
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


@operation(
    "GET",
    "/photos/<int:photo_id>/image",
    summary="The photo itself (JPEG)",
    tag="photos",
    response=None,
    produces="image/jpeg",
    errors=(403,),
)
def photo_image(actor: User, photo_id: int) -> Response:
    """`Content-Disposition: inline`, `nosniff`, never cached by a shared cache."""
    photo = access.get_photo(actor, photo_id)
    client = db.session.get(Client, photo.client_id)
    photos.record_read(actor, client, photo, now=utc_now())
    return _file(photo, photo.stored_name, "")


@operation(
    "GET",
    "/photos/<int:photo_id>/thumbnail",
    summary="The photo's thumbnail (JPEG, at most 480 pixels a side)",
    tag="photos",
    response=None,
    produces="image/jpeg",
    errors=(403,),
)
def photo_thumbnail(actor: User, photo_id: int) -> Response:
    photo = access.get_photo(actor, photo_id)
    return _file(photo, photo.thumb_name, "-thumbnail")
