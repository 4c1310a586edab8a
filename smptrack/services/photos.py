"""Photos of a client's scalp: accepting an upload, storing its files, finding and deleting them.

- ``store_photo`` accepts an upload (``smptrack.images``: magic bytes, limits, re-encoding,
  metadata stripped, thumbnail), writes its two files into the upload folder and adds the
  ``Photo`` row to the session. It checks no access: its callers (``add_photo`` for pages and
  the API, the follow-up link's page) decide who may.
- Files and the transaction: a file is written before the commit that records it, under a
  temporary name renamed into place, and deleted again if that transaction rolls back; a
  deleted photo's files go only after the commit that forgets it (``delete_photo``). Both are
  hooks on the database session (``_after_commit`` and ``_after_rollback`` below), so every
  caller gets them, the retried units of ``smptrack.retry`` included.
- Everything stays under ``<upload folder>/photos/<client id>/`` with names from
  ``secrets.token_hex``; nothing the uploader sent (file name, declared type) is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from smptrack import images
from smptrack.domain.limits import EARLIEST_DATE
from smptrack.domain.vocabulary import ZONE_LABELS, ZONES
from smptrack.extensions import db
from smptrack.models import Client, FadeAssessment, Photo, TreatmentSession, User
from smptrack.services import access, audit
from smptrack.services.access import Actor
from smptrack.services.errors import Forbidden, ValidationFailed
from smptrack.services.pagination import clamp_page
from smptrack.services.profile import client_today

log = logging.getLogger(__name__)

OBJECT = "photo"  # in the audit trail
FOLDER = "photos"  # inside the upload folder
# Session.info keys: files written by this transaction, and files it deletes once committed.
_WRITTEN = "smptrack.photos.written"
_DOOMED = "smptrack.photos.doomed"


class PhotoRefused(ValidationFailed):
    """The upload is not accepted; ``message`` says what to fix (field ``photo``)."""

    def __init__(self, message: str, field: str = "photo") -> None:
        super().__init__(message, {field: message})


# --- configuration ----------------------------------------------------------------------------


def upload_folder() -> Path:
    """The configured upload folder (``UPLOAD_FOLDER``, else ``instance/uploads``), as
    ``smptrack.web.folders`` finds it for an erasure."""
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def limits() -> images.Limits:
    config = current_app.config
    return images.Limits(
        max_bytes=int(config["PHOTO_MAX_BYTES"]),
        max_pixels=int(config["PHOTO_MAX_PIXELS"]),
        thumb_px=int(config["PHOTO_THUMB_PX"]),
    )


# --- accepting and storing --------------------------------------------------------------------


def _read_upload(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (so a refusal can say so)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    return data.read(max_bytes + 1)


def _check_links(
    client: Client, session_id: int | None, assessment_id: int | None
) -> dict[str, str]:
    """The session and assessment a photo belongs to must be this client's."""
    errors: dict[str, str] = {}
    if session_id is not None:
        owner = db.session.scalar(
            sa.select(TreatmentSession.client_id).where(TreatmentSession.id == session_id)
        )
        if owner != client.id:
            errors["session_id"] = "That session is not one of this client's."
    if assessment_id is not None:
        owner = db.session.scalar(
            sa.select(FadeAssessment.client_id).where(FadeAssessment.id == assessment_id)
        )
        if owner != client.id:
            errors["assessment_id"] = "That assessment is not one of this client's."
    return errors


def check_details(
    client: Client,
    *,
    zone: str | None,
    taken_on: date,
    now: datetime,
    session_id: int | None = None,
    assessment_id: int | None = None,
) -> None:
    """The photo's details (not its bytes); raises ``ValidationFailed`` naming each bad field."""
    errors: dict[str, str] = {}
    if zone is not None and zone not in ZONES:
        errors["zone"] = "Choose a zone from the list, or the whole scalp."
    if not isinstance(taken_on, date) or isinstance(taken_on, datetime):
        errors["taken_on"] = "Enter the date as YYYY-MM-DD."
    elif taken_on > client_today(client, now):
        errors["taken_on"] = "The date is in the future; enter the day the photo was taken."
    elif taken_on < EARLIEST_DATE:
        errors["taken_on"] = f"Enter a date from {EARLIEST_DATE.year} onwards."
    errors.update(_check_links(client, session_id, assessment_id))
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)


def store_photo(
    client: Client,
    *,
    zone: str | None,
    taken_on: date,
    data: bytes | BinaryIO,
    uploaded_by: User | None,
    now: datetime,
    session_id: int | None = None,
    assessment_id: int | None = None,
) -> Photo:
    """Accept (magic bytes, limits, re-encode, strip metadata, thumbnail), write the files and
    add the Photo row to the db session (no commit; no access check — callers decide who may).

    ``zone`` None is the whole scalp. Raises ``PhotoRefused`` for the bytes and
    ``ValidationFailed`` for the details, having written nothing. Flushes, so the row has its id.
    """
    check_details(
        client,
        zone=zone,
        taken_on=taken_on,
        now=now,
        session_id=session_id,
        assessment_id=assessment_id,
    )
    rules = limits()
    try:
        clean = images.accept(_read_upload(data, rules.max_bytes), rules)
    except images.NotAnImage as exc:
        raise PhotoRefused(str(exc)) from exc
    folder = Path(FOLDER) / str(client.id)
    stem = secrets.token_hex(16)
    stored_name = (folder / f"{stem}{images.EXTENSION}").as_posix()
    thumb_name = (folder / f"{stem}.thumb{images.EXTENSION}").as_posix()
    _write(stored_name, clean.image)
    _write(thumb_name, clean.thumb)
    photo = Photo(
        client_id=client.id,
        zone=zone,
        taken_on=taken_on,
        session_id=session_id,
        assessment_id=assessment_id,
        uploaded_by_id=uploaded_by.id if uploaded_by is not None else None,
        stored_name=stored_name,
        thumb_name=thumb_name,
        width=clean.width,
        height=clean.height,
        size_bytes=len(clean.image),
        content_type=clean.content_type,
        created_at=now,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def file_path(name: str) -> Path:
    """The absolute path of a stored file, refusing any name that leads out of the folder."""
    root = upload_folder().resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root / FOLDER):
        raise ValueError(f"{name!r} is not a photo file inside the upload folder")
    return target


def _write(name: str, content: bytes) -> None:
    """Write ``content`` to a temporary name beside the target, then rename it into place (a
    reader never sees half a file); remembered so that a rollback deletes it again."""
    target = file_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with temporary.open("xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_WRITTEN, []).append(target)


# --- the session's hooks: files follow the transaction ---------------------------------------


@sa.event.listens_for(so.Session, "after_commit")
def _after_commit(session: so.Session) -> None:
    session.info.pop(_WRITTEN, None)
    doomed = session.info.pop(_DOOMED, None)
    if doomed:
        remove_files(doomed)


@sa.event.listens_for(so.Session, "after_rollback")
def _after_rollback(session: so.Session) -> None:
    session.info.pop(_DOOMED, None)
    written = session.info.pop(_WRITTEN, None)
    if written:
        remove_files(written)


def remove_files(paths: Iterable[Path]) -> None:
    """Delete photo files (absolute paths already checked by ``file_path``), and the client's
    folder once it is empty. Logs, never raises: a leftover file is reported, not fatal."""
    for target in paths:
        try:
            target.unlink(missing_ok=True)
        except OSError:
            log.exception("could not delete the photo file %s", target)
            continue
        with contextlib.suppress(OSError):  # photos/<client id>/, once it is empty
            target.parent.rmdir()


def forget_files_after_commit(photos: Iterable[Photo]) -> None:
    """Delete these photos' files once the current transaction commits (not before: a failed
    commit must not lose them)."""
    doomed = db.session.info.setdefault(_DOOMED, [])
    for photo in photos:
        for name in (photo.stored_name, photo.thumb_name):
            try:
                doomed.append(file_path(name))
            except ValueError:
                log.warning("photo %s names a file outside the upload folder: %r", photo.id, name)


# --- the access-checked operations for pages and the API ------------------------------------


def add_photo(
    actor: Actor,
    client: Client,
    *,
    zone: str | None,
    taken_on: date,
    data: bytes | BinaryIO,
    now: datetime,
    session_id: int | None = None,
    assessment_id: int | None = None,
) -> Photo:
    """``store_photo`` for ``actor``, who must be allowed to add photos to ``client``
    (``Forbidden`` otherwise; the caller loaded ``client`` through the access policy)."""
    if not access.may_add_photo(actor, client):
        raise Forbidden("Only the client or a practitioner of their practice can add photos.")
    uploader = actor if isinstance(actor, User) else db.session.get(User, actor.id)
    photo = store_photo(
        client,
        zone=zone,
        taken_on=taken_on,
        data=data,
        uploaded_by=uploader,
        now=now,
        session_id=session_id,
        assessment_id=assessment_id,
    )
    audit.record_event(
        actor, "create", client_id=client.id, object_type=OBJECT, object_id=photo.id, now=now
    )
    return photo


def delete_photo(actor: Actor, photo: Photo, *, now: datetime) -> None:
    """Remove ``photo`` (its files go after the commit); ``Forbidden`` unless ``actor`` may."""
    client = db.session.get(Client, photo.client_id)
    if client is None or not access.may_delete_photo(actor, client, photo):
        raise Forbidden("Only a practitioner of the client's practice can delete this photo.")
    photo_id = photo.id
    forget_files_after_commit([photo])
    db.session.delete(photo)
    db.session.flush()
    audit.record_event(
        actor, "delete", client_id=client.id, object_type=OBJECT, object_id=photo_id, now=now
    )


def photos_page(
    client: Client,
    *,
    page: int,
    per_page: int,
    zone: str | None = None,
    whole_scalp=False,
    clamp: bool = False,
) -> tuple[list[Photo], int]:
    """One page of ``client``'s photos, newest first (of one zone, or of the whole scalp when
    ``whole_scalp``), and how many there are in all."""
    where = [Photo.client_id == client.id]
    if whole_scalp:
        where.append(Photo.zone.is_(None))
    elif zone is not None:
        where.append(Photo.zone == zone)
    total = db.session.scalar(sa.select(sa.func.count(Photo.id)).where(*where)) or 0
    items = db.session.scalars(
        sa.select(Photo)
        .where(*where)
        .order_by(Photo.taken_on.desc(), Photo.id.desc())
        .limit(per_page)
        # ``clamp``: a page read by a person, which shows ``clamp_page``'s page past the end.
        .offset(((clamp_page(page, total, per_page) if clamp else max(1, page)) - 1) * per_page)
    )
    return list(items), total


def record_read(actor: Actor, client: Client, photo: Photo | None, *, now: datetime) -> None:
    """The audit line of a read: of one photo, or of the client's list of photos."""
    audit.record_event(
        actor,
        "read",
        client_id=client.id,
        object_type=OBJECT,
        object_id=photo.id if photo is not None else None,
        now=now,
    )


def link_to_assessment(photo: Photo, assessment: FadeAssessment) -> None:
    """A rating made from this photo: the photo now belongs to that assessment."""
    if photo.client_id != assessment.client_id:
        raise ValidationFailed("That photo is not of this client.", {"photo_id": "Not found."})
    photo.assessment_id = assessment.id
    db.session.flush()


def link_choices(client: Client, limit: int = 50) -> tuple[list[tuple[int, str]], ...]:
    """The client's latest sessions and assessments a new photo may belong to, as (id, words)."""
    sessions = db.session.execute(
        sa.select(TreatmentSession.id, TreatmentSession.performed_on, TreatmentSession.kind)
        .where(TreatmentSession.client_id == client.id)
        .order_by(TreatmentSession.performed_on.desc(), TreatmentSession.id.desc())
        .limit(limit)
    ).all()
    ratings = db.session.execute(
        sa.select(
            FadeAssessment.id,
            FadeAssessment.assessed_on,
            FadeAssessment.zone,
            FadeAssessment.density_pct,
        )
        .where(FadeAssessment.client_id == client.id)
        .order_by(FadeAssessment.assessed_on.desc(), FadeAssessment.id.desc())
        .limit(limit)
    ).all()
    return (
        [(i, f"{day:%d %b %Y}, {kind.replace('_', ' ')}") for i, day, kind in sessions],
        [
            (i, f"{day:%d %b %Y}, {ZONE_LABELS.get(zone, zone)} {density:.0f} %")
            for i, day, zone, density in ratings
        ],
    )
