"""Export and erasure of a client's data (the client's own right, or their practitioner's duty).

- ``export_client`` gathers everything smptrack holds about one client into one JSON-able dict.
- ``erase_client`` removes the client's rows and uploaded files. Audit lines stay, as the record
  that an erasure happened, but point at nothing: their ``client_id`` becomes NULL and lines the
  client's own login wrote lose the actor and the address.
- ``erase_login`` removes a client's login with its API tokens and login sessions: the client's
  own erasure (``services.erasure.request_own_erasure``, confirmed with their password) runs it
  after erasing the record, or after keeping the practice's treatment record for its retention
  period; ``erase_after_retention`` is the practitioner's erasure run by the sweep at that
  period's end.

Everything here flushes and never commits; the caller owns the transaction and must not record
audit lines naming the erased client after an erasure (add the "erase" line with
``client_id=None``, which ``erase_client`` does itself).

Files are not touched inside the transaction: a file deleted before the commit that forgets it
would be gone for good if the commit failed. Both erasures return an ``Erasure``, and the caller
runs ``finish_erasure`` once it has committed: it deletes the uploaded photos and the ``.eml``
copies of the client's mail in the mail folder, and on SQLite checkpoints the WAL so that the
erased values (already zeroed in the file by ``PRAGMA secure_delete``) leave the WAL file too.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.security import check_password_hash

from smptrack.extensions import db
from smptrack.models import (
    AccountMail,
    ApiToken,
    Appointment,
    AuditEvent,
    CalendarFeed,
    Client,
    Consent,
    ConsentLink,
    FadeAssessment,
    HealthQuestionnaire,
    Invitation,
    LoginSession,
    Photo,
    PigmentLot,
    Placement,
    Reminder,
    ReminderPreference,
    SunExposure,
    TreatmentSession,
    User,
)
from smptrack.services import access, account_mail, audit
from smptrack.services import exposure as exposure_service
from smptrack.services.access import Actor
from smptrack.services.errors import Forbidden, ValidationFailed

log = logging.getLogger(__name__)

EXPORT_FORMAT = "smptrack-client-export"
EXPORT_VERSION = 1

# Never exported: secrets (hashes an attacker could attack offline) and the sender's lease.
_SECRET_COLUMNS = {
    "users": {"password_hash"},
    "api_tokens": {"token_hash"},
    "invitations": {"nonce_hash"},
    "reminders": {"lease_expires_at", "leased_by"},
    # Where the files lie on the server; the archive carries the photos themselves.
    "photos": {"stored_name", "thumb_name"},
}


def may_export_or_erase(actor: Actor, client: Client) -> bool:
    """A practitioner of the client's practice, or the client themself (access policy)."""
    return access.may_export_or_erase(actor, client)


def _require_rights(actor: Actor, client: Client) -> None:
    if not may_export_or_erase(actor, client):
        raise Forbidden("Only the client or their practitioner can do this.")


# --- export ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _columns(row: Any) -> dict[str, Any]:
    """Every column of ``row`` as JSON values, secrets left out; new columns export themselves."""
    table = row.__table__
    hidden = _SECRET_COLUMNS.get(table.name, set())
    mapper = sa.inspect(row).mapper
    return {
        attr.key: _plain(getattr(row, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in hidden
    }


def export_client(actor: Actor, client: Client, *, now: datetime) -> dict[str, Any]:
    """Everything about ``client`` as one JSON-able document.

    ``actor`` is the client's practitioner or the client (else ``Forbidden``); the caller loaded
    ``client`` through the access policy. The "export" audit line is recorded first, so the
    document lists it among the record's audit events. The login's
    details and API tokens (never hashes) are listed only when the client exports their own
    data; the practitioner's copy names the login's email and name.

    The client's own export holds the practice's internal notes too, each with its
    ``notes_shared`` flag (issue 13, README "Notes: internal or shared"): the right of access
    (GDPR Art. 15) covers all personal data about the client, and a practitioner's note on
    their scalp is such data. "Internal" decides what the pages and the API show day to day;
    it is not a way to keep data from its subject.
    """
    _require_rights(actor, client)
    audit.record_event(
        actor, "export", client_id=client.id, object_type="client", object_id=client.id, now=now
    )
    sessions = list(
        db.session.scalars(
            sa.select(TreatmentSession)
            .where(TreatmentSession.client_id == client.id)
            .order_by(TreatmentSession.performed_on, TreatmentSession.id)
            .options(
                so.selectinload(TreatmentSession.placements)
                .selectinload(Placement.pigment_lot)
                .selectinload(PigmentLot.pigment)
            )
        )
    )
    exposures = list(
        db.session.scalars(
            sa.select(SunExposure)
            .where(SunExposure.client_id == client.id)
            .order_by(SunExposure.exposed_on, SunExposure.id)
        )
    )
    practitioner = db.session.get(User, client.practitioner_id) if client.practitioner_id else None
    login = db.session.get(User, client.user_id) if client.user_id else None
    own_export = actor.role == "client" and client.user_id == actor.id
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(),
        "exported_by": {"user_id": actor.id, "role": actor.role},
        "client": _columns(client),
        "practitioner": (
            {
                "id": practitioner.id,
                "display_name": practitioner.display_name,
                "email": practitioner.email,
            }
            if practitioner
            else None
        ),
        "login": _login_json(login, own_export),
        "api_tokens": _tokens(login) if login and own_export else [],
        "sessions": [_session_json(s) for s in sessions],
        "sun_exposures": _exposures_json(client, exposures),
        "assessments": [
            _columns(a) for a in _rows(FadeAssessment, client, FadeAssessment.assessed_on)
        ],
        "photos": [_photo_json(p) for p in _rows(Photo, client, Photo.taken_on)],
        "reminders": [_columns(r) for r in _rows(Reminder, client, Reminder.due_at)],
        "reminder_preferences": [
            _columns(p) for p in _rows(ReminderPreference, client, ReminderPreference.id)
        ],
        "invitations": [_columns(i) for i in _rows(Invitation, client, Invitation.created_at)],
        "appointments": [_columns(a) for a in _rows(Appointment, client, Appointment.starts_at)],
        # Each signature with the exact text it was signed on (versions are never changed).
        "consents": [
            {**_columns(c), "title": c.template.title, "text": c.template.body}
            for c in _rows(Consent, client, Consent.signed_at)
        ],
        "health_questionnaires": [
            _columns(q) for q in _rows(HealthQuestionnaire, client, HealthQuestionnaire.answered_at)
        ],
        "audit_events": _audit_json(client),
    }


def _photo_json(photo: Photo) -> dict[str, Any]:
    """A photo's row, and where its file is inside the export archive."""
    return {**_columns(photo), "file": f"{ARCHIVE_PHOTOS}/photo-{photo.id}.jpg"}


# --- the archive ------------------------------------------------------------------------------

ARCHIVE_DOCUMENT = "smptrack-export.json"
ARCHIVE_PHOTOS = "photos"


def export_archive(document: dict[str, Any], uploads: Path) -> bytes:
    """The export as one zip: ``smptrack-export.json`` (the document ``export_client`` or
    ``export_own_data`` made) and each of its photos as ``photos/photo-<id>.jpg``.

    Stored uncompressed (the photos are JPEG already; any unzip tool reads it). A photo whose
    file is missing on the server is listed with ``"file": null`` rather than failing the
    export. Reads files only inside ``uploads``.
    """
    listed = document.get("photos") or []
    ids = [entry["id"] for entry in listed]
    rows = db.session.execute(sa.select(Photo.id, Photo.stored_name).where(Photo.id.in_(ids)))
    names = dict(rows.all()) if ids else {}
    root = uploads.resolve()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry in listed:
            stored = names.get(entry["id"])
            path = (root / stored).resolve() if stored else None
            if path is None or not path.is_relative_to(root) or not path.is_file():
                log.warning("photo %s has no file to export", entry["id"])
                entry["file"] = None
                continue
            archive.write(path, entry["file"])
        body = json.dumps(document, indent=2, ensure_ascii=False)
        archive.writestr(ARCHIVE_DOCUMENT, body)
    return out.getvalue()


def _login_json(login: User | None, own_export: bool) -> dict[str, Any] | None:
    """The login is the client's own account: its details go to the client alone."""
    if login is None:
        return None
    if own_export:
        return _columns(login)
    return {"email": login.email, "display_name": login.display_name}


def export_own_data(user: User, *, now: datetime) -> dict[str, Any]:
    """A client login's own data: their record as ``export_client`` gives it, or, for a login
    with no record linked yet, the login and its API tokens alone."""
    record = db.session.scalar(sa.select(Client).where(Client.user_id == user.id))
    if record is not None:
        return export_client(user, record, now=now)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(),
        "exported_by": {"user_id": user.id, "role": user.role},
        "client": None,
        "practitioner": None,
        "login": _columns(user),
        "api_tokens": _tokens(user),
        "sessions": [],
        "sun_exposures": [],
        "assessments": [],
        "photos": [],
        "reminders": [],
        "reminder_preferences": [],
        "invitations": [],
        "appointments": [],
        "audit_events": [],
    }


def _rows(model: Any, client: Client, order: Any) -> list[Any]:
    return list(
        db.session.scalars(
            sa.select(model).where(model.client_id == client.id).order_by(order, model.id)
        )
    )


def _tokens(user: User) -> list[dict[str, Any]]:
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    )
    return [_columns(token) for token in tokens]


def _session_json(treatment: TreatmentSession) -> dict[str, Any]:
    document = _columns(treatment)
    placements = []
    for placement in treatment.placements:
        item = _columns(placement)
        lot = placement.pigment_lot
        item["pigment_lot"] = (
            {
                "id": lot.id,
                "lot_number": lot.lot_number,
                "expires_on": lot.expires_on.isoformat(),
                "pigment": {
                    "id": lot.pigment.id,
                    "brand": lot.pigment.brand,
                    "line": lot.pigment.line,
                    "shade": lot.pigment.shade,
                    "base": lot.pigment.base,
                },
            }
            if lot is not None
            else None
        )
        placements.append(item)
    document["placements"] = placements
    return document


def _exposures_json(client: Client, exposures: list[SunExposure]) -> list[dict[str, Any]]:
    """The sun log, each entry with its derived effective dose per treated zone (SED)."""
    zones = exposure_service.treated_zones(client)
    documents = []
    for entry in exposures:
        document = _columns(entry)
        try:
            dose = exposure_service.effective_dose_by_zone(client, entry, zones=zones)
        except (ValidationFailed, ValueError):  # cannot be priced; the raw entry still exports
            dose = None
        document["effective_sed_by_zone"] = (
            {zone: round(sed, 6) for zone, sed in dose.items()} if dose is not None else None
        )
        documents.append(document)
    return documents


def _audit_json(client: Client) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(AuditEvent, User.display_name, User.role)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.client_id == client.id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [
        {**_columns(event), "actor_name": name, "actor_role": role} for event, name, role in rows
    ]


# --- erasure --------------------------------------------------------------------------------


def erasure_summary(client: Client) -> dict[str, int]:
    """How many rows of each kind an erasure of ``client`` would remove (one query)."""
    counts = {
        "sessions": sa.select(sa.func.count(TreatmentSession.id))
        .where(TreatmentSession.client_id == client.id)
        .scalar_subquery(),
        "sun_exposures": sa.select(sa.func.count(SunExposure.id))
        .where(SunExposure.client_id == client.id)
        .scalar_subquery(),
        "assessments": sa.select(sa.func.count(FadeAssessment.id))
        .where(FadeAssessment.client_id == client.id)
        .scalar_subquery(),
        "photos": sa.select(sa.func.count(Photo.id))
        .where(Photo.client_id == client.id)
        .scalar_subquery(),
        "reminders": sa.select(sa.func.count(Reminder.id))
        .where(Reminder.client_id == client.id)
        .scalar_subquery(),
    }
    row = db.session.execute(sa.select(*(q.label(name) for name, q in counts.items()))).one()
    return dict(row._mapping)


@dataclass(frozen=True)
class Folders:
    """Where an erasure finds files: the uploads (photos) and the local mail folder.
    The caller reads them from its configuration (``smptrack.web.folders`` in a request)."""

    uploads: Path
    mail: Path


@dataclass
class Erasure:
    """What an erasure leaves to do once its transaction has committed (``finish_erasure``).

    ``photos``: uploaded files, checked to lie inside ``uploads``. The mail copies are found
    after the commit, so a copy written while the erasure ran is caught too: files in
    ``mail_folder`` whose Message-ID is one of ``message_ids`` (mail this record was sent) or
    whose To or Cc is one of ``addresses`` (the record's addresses that no other record or
    login still uses: a person with a record at two practices keeps the other one's mail).
    """

    uploads: Path
    mail_folder: Path
    photos: list[str] = field(default_factory=list)
    addresses: set[str] = field(default_factory=set)
    message_ids: set[str] = field(default_factory=set)

    def merge(self, other: Erasure) -> None:
        self.photos += other.photos
        self.addresses |= other.addresses
        self.message_ids |= other.message_ids


def mail_addresses_of(client: Client) -> tuple[set[str], set[str]]:
    """Every address this record's mail went to, and the Message-IDs of that mail."""
    addresses = {client.email} if client.email else set()
    message_ids: set[str] = set()
    for email, message_id in db.session.execute(
        sa.select(Reminder.recipient_email, Reminder.message_id).where(
            Reminder.client_id == client.id
        )
    ):
        addresses.add(email)
        if message_id:
            message_ids.add(message_id)
    for email, message_id in db.session.execute(
        sa.select(AccountMail.recipient, AccountMail.message_id).where(
            AccountMail.client_id == client.id
        )
    ):
        addresses.add(email)
        if message_id:
            message_ids.add(message_id)
    addresses |= set(
        db.session.scalars(sa.select(Invitation.email).where(Invitation.client_id == client.id))
    )
    return {a.strip().lower() for a in addresses if a}, message_ids


def still_used(addresses: set[str], client_id: int, login_id: int | None) -> set[str]:
    """The addresses another client record, or a login other than ``login_id``, still has."""
    if not addresses:
        return set()
    others = set(
        db.session.scalars(
            sa.select(sa.func.lower(Client.email)).where(
                sa.func.lower(Client.email).in_(addresses), Client.id != client_id
            )
        )
    )
    logins = sa.select(sa.func.lower(User.email)).where(sa.func.lower(User.email).in_(addresses))
    if login_id is not None:
        logins = logins.where(User.id != login_id)
    return others | set(db.session.scalars(logins))


def erase_client(
    actor: Actor,
    client: Client,
    *,
    now: datetime,
    folders: Folders,
    remote_addr: str | None = None,
) -> Erasure:
    """Remove ``client``'s record, history and uploaded files; keep anonymous audit lines.

    ``actor`` is the client's practitioner or the client (else ``Forbidden``). Deletes the
    sessions and placements, sun log, assessments, photos (and their files under
    ``folders.uploads``), reminders, reminder preferences, invitations and the Client row;
    sets ``client_id`` to NULL on the audit lines about the client, and clears actor and address
    on those the client's own login wrote; then adds one "erase" line naming no one. The client's
    login, if any, stays (``erase_login`` removes it). Pigment lots stay in the
    practitioner's catalogue, but a recall no longer lists this client. Queued account mail
    about the record or to its addresses goes too. Flushes, never commits; returns the
    ``Erasure`` to pass to ``finish_erasure`` after the commit (the photos and mail copies).
    """
    _require_rights(actor, client)
    by_client = actor.role == "client"
    return _erase_record(
        client,
        now=now,
        folders=folders,
        # The client's own erasure names no actor: their login is about to go too.
        actor_id=None if by_client else actor.id,
        keeps_login=not by_client,
        remote_addr=None if by_client else remote_addr,
    )


def erase_after_retention(client: Client, *, now: datetime, folders: Folders) -> Erasure:
    """The practitioner's erasure (as ``erase_client``), run by the retention sweep once the
    client has asked for erasure and the practice's retention period has ended. The same rows,
    files, mail copies and audit rules; the "erase" line names no actor, since no person acted
    (the period ran out). The caller has claimed the row and checked the request and the date
    (``services.erasure``). Flushes, never commits."""
    return _erase_record(
        client, now=now, folders=folders, actor_id=None, keeps_login=True, remote_addr=None
    )


def _erase_record(
    client: Client,
    *,
    now: datetime,
    folders: Folders,
    actor_id: int | None,
    keeps_login: bool,
    remote_addr: str | None,
) -> Erasure:
    client_id = client.id
    login_id = client.user_id
    addresses, message_ids = mail_addresses_of(client)
    if login_id is not None and keeps_login:
        # The practitioner erases the record, not the client's login: its address (and the
        # login's own mail, such as password resets) stays with the login.
        login = db.session.get(User, login_id)
        if login is not None:
            addresses.discard(login.email.lower())
    addresses -= still_used(addresses, client_id, login_id)
    # The photos (services.photos): each file and its thumbnail, deleted after the commit.
    photos: list[str] = []
    for stored, thumb in db.session.execute(
        sa.select(Photo.stored_name, Photo.thumb_name).where(Photo.client_id == client_id)
    ):
        photos += [stored, thumb]
    session_ids = sa.select(TreatmentSession.id).where(TreatmentSession.client_id == client_id)
    _delete(sa.delete(Placement).where(Placement.session_id.in_(session_ids)))
    for model in (
        Photo,
        TreatmentSession,
        SunExposure,
        FadeAssessment,
        Reminder,
        ReminderPreference,
        Invitation,
        AccountMail,
        Consent,
        ConsentLink,
        HealthQuestionnaire,
    ):
        _delete(sa.delete(model).where(model.client_id == client_id))
    # Queued mail to these addresses that names no record (none today; kept for the rule).
    account_mail.forget_recipient(sorted(addresses))
    if login_id is not None:
        db.session.execute(
            sa.update(AuditEvent)
            .where(AuditEvent.client_id == client_id, AuditEvent.actor_id == login_id)
            .values(actor_id=None, remote_addr=None)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.client_id == client_id)
        .values(client_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(client)
    db.session.flush()
    db.session.add(
        AuditEvent(
            occurred_at=now,
            actor_id=actor_id,
            client_id=None,
            action="erase",
            object_type="client",
            object_id=client_id,
            remote_addr=(remote_addr or "")[:45] or None,
        )
    )
    db.session.flush()
    # Audit lines loaded earlier in this request must not be written back with stale values.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, AuditEvent):
            db.session.expire(obj)
    return Erasure(
        uploads=folders.uploads,
        mail_folder=folders.mail,
        photos=photos,
        addresses=addresses,
        message_ids=message_ids,
    )


def finish_erasure(erasure: Erasure) -> None:
    """After the erasure's commit: delete its files and, on SQLite, checkpoint the WAL.

    Never raises for a file: one that cannot be deleted is logged (a photo or mail copy left
    behind is reported, not a reason to undo an erasure that has committed).
    """
    _remove_files(erasure.photos, erasure.uploads)
    _remove_mail_copies(erasure.mail_folder, erasure.addresses, erasure.message_ids)
    checkpoint_wal()


def checkpoint_wal() -> None:
    """SQLite: copy the WAL into the database file and truncate it (``wal_checkpoint(TRUNCATE)``),
    so deleted values do not wait in the WAL for the next automatic checkpoint. Outside any
    transaction (call after the commit). A reader holding an old snapshot makes it partial: the
    next checkpoint finishes it; logged."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.commit()
    busy, _, _ = db.session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    db.session.commit()
    if busy:
        log.warning("WAL checkpoint after an erasure was partial: a reader held the database")


def _delete(statement: sa.Delete) -> None:
    db.session.execute(statement.execution_options(synchronize_session="fetch"))


def _remove_files(paths: list[str], uploads: Path) -> None:
    """Delete each uploaded file that lies inside ``uploads``; never anything outside it."""
    root = uploads.resolve()
    for stored in paths:
        candidate = Path(stored)
        target = (candidate if candidate.is_absolute() else root / candidate).resolve()
        if not target.is_relative_to(root) or target == root:
            log.warning("not deleting %s: outside the upload folder", target)
            continue
        try:
            target.unlink(missing_ok=True)
        except OSError:
            log.exception("could not delete an erased client's file %s", target)
            continue
        # Tidy the folders the file leaves empty (e.g. uploads/clients/12/), never the root.
        parent = target.parent
        while parent != root and parent.is_relative_to(root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def check_own_password(user: User, password: str) -> None:
    """A client's own erasure is confirmed with their password: ``Forbidden`` for a login that
    is not a client's, ``ValidationFailed`` (field ``password``) for a wrong one."""
    if user.role != "client":
        raise Forbidden("Only a client can erase their own account here.")
    if not check_password_hash(user.password_hash, password or ""):
        message = "That is not your password. Nothing was erased."
        raise ValidationFailed(message, {"password": message})


def erase_login(user: User, erasure: Erasure, *, emails: set[str]) -> None:
    """A client's login goes: its API tokens, login sessions and calendar feeds, invitations and
    queued account mail to ``emails`` (the login's and its record's addresses), the actor and
    address on the audit lines it wrote, then the User row. Adds ``emails`` to ``erasure``, so
    ``finish_erasure`` deletes the mail copies sent to them. Flushes, never commits; the caller
    has checked the password and logs the person out."""
    emails = {e.lower() for e in emails if e} | {user.email.lower()}
    db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.actor_id == user.id)
        .values(actor_id=None, remote_addr=None)
        .execution_options(synchronize_session=False)
    )
    for model in (ApiToken, LoginSession, CalendarFeed):
        _delete(sa.delete(model).where(model.user_id == user.id))
    # Invitations addressed to this email (for any record) name the person; they go too.
    _delete(sa.delete(Invitation).where(Invitation.email.in_(emails)))
    # Password resets and notices to this login (they name the person) go too.
    account_mail.forget_recipient(sorted(emails))
    db.session.delete(user)
    db.session.flush()
    # Mail to the login's own address is the person's, whoever else was sent the same.
    erasure.addresses |= emails


def _remove_mail_copies(folder: Path, addresses: set[str], message_ids: set[str]) -> None:
    """Delete the .eml files in ``folder`` sent to one of ``addresses`` (To or Cc) or carrying
    one of ``message_ids``. Only the headers are read.

    Found by a scan of the folder rather than an index: the folder is only the no-SMTP
    default of one machine, an index would be one more place holding the address, and a scan
    also finds copies written before the record knew their Message-ID.
    """
    if not folder.is_dir() or not (addresses or message_ids):
        return
    parser = BytesHeaderParser(policy=policy.default)
    wanted = {address.lower() for address in addresses}
    for path in folder.glob("*.eml"):
        try:
            with path.open("rb") as handle:
                headers = parser.parse(handle)
            recipients = {
                address.addr_spec.lower()
                for name in ("To", "Cc")
                for header in headers.get_all(name) or []
                for address in header.addresses
            }
            message_id = str(headers.get("Message-ID") or "").strip()
        except (OSError, ValueError, AttributeError):
            continue
        if recipients & wanted or message_id in message_ids:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.exception("could not delete an erased client's mail copy %s", path)
