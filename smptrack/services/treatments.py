"""Treatment sessions and their placements: record, change, delete, read.

Who may record for a client: their practitioner (naming lots from their own catalogue) and the
client themself (naming the pigment in words, for a session their practitioner does not record in
smptrack). A session can be changed or deleted by whoever's side logged it: the practitioner for
the sessions of their practice, the client for the sessions they logged. Every function flushes,
never commits; ``now`` is an aware UTC datetime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain.limits import (
    DEPTH_NOTE_MAX,
    DILUTION_RATIO_MAX,
    DOT_SIZE_MAX,
    DURATION_MINUTES,
    EARLIEST_DATE,
    MACHINE_SETTINGS_MAX,
    MAX_PLACEMENTS,
    NEEDLE_MAX,
    NOTES_MAX,
    PIGMENT_FREE_TEXT_MAX,
)
from smptrack.domain.vocabulary import DEPTHS, DILUTIONS, SESSION_KINDS, ZONES
from smptrack.extensions import db
from smptrack.models import Client, PigmentLot, Placement, TreatmentSession, User
from smptrack.services import access, audit, consents, date_bounds
from smptrack.services.access import Actor
from smptrack.services.catalogue import check_text, is_row_id, own_lots
from smptrack.services.errors import Forbidden, NotFound, ValidationFailed


class ExpiredLotNotConfirmed(ValidationFailed):
    """A placement names a lot that had expired by the session date, and the practitioner has
    not confirmed using it. The message and ``fields["confirm_expired_lot"]`` say which."""


@dataclass(frozen=True)
class PlacementInput:
    zone: str
    pigment_lot_id: int | None
    pigment_free_text: str | None
    dilution: str = "standard"
    dilution_ratio: str = ""
    needle: str = ""
    dot_size: str = ""
    density_worked_pct: int | None = None
    depth: str = "correct"
    depth_note: str = ""
    scar_tissue: bool = False


@dataclass(frozen=True)
class SessionInput:
    performed_on: date
    kind: str
    placements: list[PlacementInput] = field(default_factory=list)
    needle: str = ""
    machine_settings: str = ""
    duration_minutes: int | None = None
    notes: str = ""
    # Whether the client reads the notes and depth notes (issue 13); the practice's stay
    # internal by default, and a client's own session is theirs whatever this says.
    notes_shared: bool = False
    confirm_expired_lot: bool = False
    # Why the session is recorded although the client has no valid consent (issue 12).
    consent_override_reason: str = ""


@dataclass(frozen=True)
class _Checked:
    """A ``SessionInput`` after validation: trimmed text, resolved lots."""

    performed_on: date
    kind: str
    needle: str
    machine_settings: str
    duration_minutes: int | None
    notes: str
    notes_shared: bool
    placements: list[dict]
    expired_lot_confirmed: bool


def client_today(client: Client, now: datetime) -> date:
    """Today's date where the client lives (their record's time zone; UTC if it is unknown)."""
    try:
        zone = ZoneInfo(client.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def may_record_for(actor: Actor, client: Client) -> bool:
    """A practitioner of the client's practice, or the client themself (access policy)."""
    return access.may_record_for(actor, client)


def may_change_session(actor: Actor, treatment_session: TreatmentSession) -> bool:
    """Whoever's side logged it (access policy: ``access.may_change_session``)."""
    return access.may_change_session(actor, client_of(treatment_session), treatment_session)


def client_of(treatment_session: TreatmentSession) -> Client:
    """The session's client record (from the identity map when already loaded)."""
    client = db.session.get(Client, treatment_session.client_id)
    if client is None:  # the foreign key makes this unreachable; never hand back None
        raise NotFound("No such client.")
    return client


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _check(
    actor: Actor,
    client: Client,
    data: SessionInput,
    *,
    now: datetime,
    editing: TreatmentSession | None = None,
) -> _Checked:
    """Validate ``data`` for ``actor`` recording on ``client``'s record.

    Field keys are the input's names; a placement's are ``placements.<index>.<name>``, the index
    counting the placements given. Raises ``ValidationFailed`` with every problem at once, or
    ``ExpiredLotNotConfirmed`` when an unconfirmed expired lot is the only one.
    """
    fields: dict[str, str] = {}
    today = client_today(client, now)
    performed_on = data.performed_on
    if not _is_date(performed_on):
        fields["performed_on"] = "Enter the date of the session."
    elif performed_on > today:
        fields["performed_on"] = "The session date cannot be in the future."
    elif performed_on < EARLIEST_DATE:
        fields["performed_on"] = f"Enter a date from {EARLIEST_DATE.year} onwards."
    else:
        problem = date_bounds.session_date_problem(
            client.id, performed_on, by_practice=actor.role != "client", editing=editing
        )
        if problem is not None:
            fields["performed_on"] = problem
    if data.kind not in SESSION_KINDS:
        fields["kind"] = "Choose the kind of session."
    needle = check_text(fields, "needle", data.needle, label="Needle", max_length=NEEDLE_MAX)
    machine_settings = check_text(
        fields,
        "machine_settings",
        data.machine_settings,
        label="Machine settings",
        max_length=MACHINE_SETTINGS_MAX,
    )
    duration = data.duration_minutes
    if duration is not None and (not _is_int(duration) or duration not in DURATION_MINUTES):
        fields["duration_minutes"] = (
            f"Enter the duration in whole minutes, {DURATION_MINUTES.words()}."
        )
    notes = check_text(
        fields, "notes", data.notes, label="Notes", max_length=NOTES_MAX, multiline=True
    )
    notes_shared = data.notes_shared
    if not isinstance(notes_shared, bool):
        fields["notes_shared"] = "Tick the box to share the notes, or leave it empty."
        notes_shared = False
    confirm = data.confirm_expired_lot
    if not isinstance(confirm, bool):
        fields["confirm_expired_lot"] = "Tick the box or leave it empty."
        confirm = False

    inputs = data.placements
    if not isinstance(inputs, list | tuple) or not inputs:
        fields["placements"] = "Record at least one placement: the zone and its pigment."
        inputs = []
    elif len(inputs) > MAX_PLACEMENTS:
        fields["placements"] = f"A session can hold at most {MAX_PLACEMENTS} placements."
        inputs = []
    wanted_lots = {
        p.pigment_lot_id
        for p in inputs
        if isinstance(p, PlacementInput) and _is_int(p.pigment_lot_id)
    }
    lots = own_lots(actor, wanted_lots)
    placements = []
    expired: list[PigmentLot] = []
    for index, item in enumerate(inputs):
        prefix = f"placements.{index}."
        if not isinstance(item, PlacementInput):
            fields[f"placements.{index}"] = "This placement is not in a form we understand."
            continue
        checked, lot = _check_placement(actor, item, lots, fields, prefix)
        placements.append(checked)
        if lot is not None and _is_date(performed_on) and performed_on > lot.expires_on:
            expired.append(lot)

    expired_message = ""
    if expired and not confirm:
        names = "; ".join(
            f"{lot.pigment.label} lot {lot.lot_number} expired on {lot.expires_on.isoformat()}"
            for lot in dict.fromkeys(expired)
        )
        expired_message = (
            f"{names}, before this session. Tick “I confirm using an expired lot” to record it "
            "anyway, or choose another lot."
        )
    if fields:
        if expired_message:
            fields["confirm_expired_lot"] = expired_message
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    if expired_message:
        raise ExpiredLotNotConfirmed(expired_message, {"confirm_expired_lot": expired_message})
    return _Checked(
        performed_on=performed_on,
        kind=data.kind,
        needle=needle,
        machine_settings=machine_settings,
        duration_minutes=duration,
        notes=notes,
        notes_shared=notes_shared,
        placements=placements,
        expired_lot_confirmed=bool(expired) and confirm,
    )


def _check_placement(
    actor: Actor,
    item: PlacementInput,
    lots: dict[int, PigmentLot],
    fields: dict[str, str],
    prefix: str,
) -> tuple[dict, PigmentLot | None]:
    if item.zone not in ZONES:
        fields[prefix + "zone"] = "Choose the zone from the list."
    lot = None
    free_text = check_text(
        fields,
        prefix + "pigment_free_text",
        item.pigment_free_text,
        label="Pigment",
        max_length=PIGMENT_FREE_TEXT_MAX,
    )
    if actor.role == "practitioner":
        if item.pigment_lot_id is None:
            fields[prefix + "pigment_lot_id"] = "Choose the pigment lot used in this zone."
        elif not _is_int(item.pigment_lot_id) or item.pigment_lot_id not in lots:
            # Another practitioner's lot answers exactly as one that does not exist.
            fields[prefix + "pigment_lot_id"] = "Choose a lot from your own pigment catalogue."
        else:
            lot = lots[item.pigment_lot_id]
        if free_text:
            fields[prefix + "pigment_free_text"] = (
                "Name the pigment by choosing its lot from your catalogue, not in words."
            )
        free_text = ""
    else:
        if item.pigment_lot_id is not None:
            fields[prefix + "pigment_lot_id"] = (
                "Name the pigment in words; catalogue lots are for practitioners."
            )
        elif not free_text and prefix + "pigment_free_text" not in fields:
            fields[prefix + "pigment_free_text"] = (
                "Name the pigment your practitioner used (brand and shade), or “unknown”."
            )
    if item.dilution not in DILUTIONS:
        fields[prefix + "dilution"] = "Choose standard or light dilution."
    ratio = check_text(
        fields,
        prefix + "dilution_ratio",
        item.dilution_ratio,
        label="Dilution ratio",
        max_length=DILUTION_RATIO_MAX,
    )
    needle = check_text(
        fields, prefix + "needle", item.needle, label="Needle", max_length=NEEDLE_MAX
    )
    dot_size = check_text(
        fields, prefix + "dot_size", item.dot_size, label="Dot size", max_length=DOT_SIZE_MAX
    )
    density = item.density_worked_pct
    if density is not None and (not _is_int(density) or not 0 <= density <= 100):
        fields[prefix + "density_worked_pct"] = "Enter the density worked as 0 to 100 %."
    if item.depth not in DEPTHS:
        fields[prefix + "depth"] = "Choose shallow, correct or too deep."
    depth_note = check_text(
        fields,
        prefix + "depth_note",
        item.depth_note,
        label="Depth note",
        max_length=DEPTH_NOTE_MAX,
        multiline=True,
    )
    if not isinstance(item.scar_tissue, bool):
        fields[prefix + "scar_tissue"] = "Tick the box or leave it empty."
    values = {
        "zone": item.zone,
        "pigment_lot": lot,
        "pigment_free_text": free_text or None,
        "dilution": item.dilution,
        "dilution_ratio": ratio,
        "needle": needle,
        "dot_size": dot_size,
        "density_worked_pct": density,
        "depth": item.depth,
        "depth_note": depth_note,
        "scar_tissue": bool(item.scar_tissue),
    }
    return values, lot


def record_session(
    actor: Actor, client: Client, data: SessionInput, *, now: datetime
) -> TreatmentSession:
    """Record a session with its placements on ``client``'s record.

    The practitioner is recorded as having performed it; a client's own log has no performer
    in smptrack. Raises ``Forbidden`` for anyone but the client's practitioner or the client,
    ``ValidationFailed`` (see ``_check``), ``ExpiredLotNotConfirmed``, and
    ``consents.ConsentMissing`` (409) when the practice records for a client without a valid
    consent and gives no ``consent_override_reason``. Future dates (in the
    client's time zone) are refused.
    """
    if not may_record_for(actor, client):
        raise Forbidden("Only the client's practitioner or the client can record a session.")
    checked = _check(actor, client, data, now=now)
    # After the fields' own checks, so the reason is asked for only once the rest is right.
    override = consents.override_reason(actor, client, data.consent_override_reason)
    treatment_session = TreatmentSession(
        client_id=client.id,
        performed_on=checked.performed_on,
        kind=checked.kind,
        performed_by_id=actor.id if actor.role == "practitioner" else None,
        logged_by_id=actor.id,
        logged_at=now,
        needle=checked.needle,
        machine_settings=checked.machine_settings,
        duration_minutes=checked.duration_minutes,
        notes=checked.notes,
        notes_shared=checked.notes_shared,
        expired_lot_confirmed=checked.expired_lot_confirmed,
        consent_override_reason=override,
        consent_override_by_id=actor.id if override else None,
        consent_override_at=now if override else None,
        placements=[Placement(**values) for values in checked.placements],
    )
    db.session.add(treatment_session)
    db.session.flush()
    _audit(actor, "create", treatment_session, now)
    return treatment_session


def update_session(
    actor: Actor, treatment_session: TreatmentSession, data: SessionInput, *, now: datetime
) -> TreatmentSession:
    """Replace the session's details and placements with ``data``.

    Placements are matched by position, so the first ones keep their ids; extra ones are
    added and missing ones removed. Who logged the session and when stay as they were.
    Raises ``Forbidden`` (see ``may_change_session``), ``ValidationFailed`` and
    ``ExpiredLotNotConfirmed``.
    """
    if not may_change_session(actor, treatment_session):
        raise Forbidden("Only the person who logged this session's side can change it.")
    checked = _check(actor, client_of(treatment_session), data, now=now, editing=treatment_session)
    treatment_session.performed_on = checked.performed_on
    treatment_session.kind = checked.kind
    treatment_session.needle = checked.needle
    treatment_session.machine_settings = checked.machine_settings
    treatment_session.duration_minutes = checked.duration_minutes
    treatment_session.notes = checked.notes
    treatment_session.notes_shared = checked.notes_shared
    treatment_session.expired_lot_confirmed = checked.expired_lot_confirmed
    treatment_session.updated_at = now
    existing = list(treatment_session.placements)
    for index, values in enumerate(checked.placements):
        if index < len(existing):
            for name, value in values.items():
                setattr(existing[index], name, value)
        else:
            treatment_session.placements.append(Placement(**values))
    for surplus in existing[len(checked.placements) :]:
        treatment_session.placements.remove(surplus)
    db.session.flush()
    _audit(actor, "update", treatment_session, now)
    return treatment_session


def delete_session(actor: Actor, treatment_session: TreatmentSession, *, now: datetime) -> None:
    """Delete the session and its placements. Raises ``Forbidden`` as ``update_session``."""
    if not may_change_session(actor, treatment_session):
        raise Forbidden("Only the person who logged this session's side can delete it.")
    _audit(actor, "delete", treatment_session, now)
    db.session.delete(treatment_session)
    db.session.flush()


def _audit(actor: Actor, action: str, treatment_session: TreatmentSession, now: datetime) -> None:
    audit.record_event(
        actor,
        action,
        client_id=treatment_session.client_id,
        object_type="treatment_session",
        object_id=treatment_session.id,
        now=now,
    )


def get_session(actor: Actor, session_id: int) -> TreatmentSession:
    """The session ``session_id`` with its placements (and their lots), if ``actor`` may see its
    client's record; ``NotFound`` otherwise (another tenant's session as a missing one)."""
    access.refuse_front_desk(actor)
    if not is_row_id(session_id):
        raise NotFound("No such session.")
    visible = access.visible_clients(actor).with_only_columns(Client.id)
    treatment_session = db.session.scalar(
        sa.select(TreatmentSession)
        .where(TreatmentSession.id == session_id, TreatmentSession.client_id.in_(visible))
        .options(*_placement_loading())
    )
    if treatment_session is None:
        raise access.refused(
            actor, TreatmentSession, session_id, "treatment_session", "No such session."
        )
    return treatment_session


def _placement_loading() -> list:
    return [
        so.selectinload(TreatmentSession.placements)
        .selectinload(Placement.pigment_lot)
        .selectinload(PigmentLot.pigment),
    ]


def sessions_of(client: Client) -> list[TreatmentSession]:
    """The client's sessions, newest first, placements, lots and pigments loaded (4 queries)."""
    return list(
        db.session.scalars(
            sa.select(TreatmentSession)
            .where(TreatmentSession.client_id == client.id)
            .order_by(TreatmentSession.performed_on.desc(), TreatmentSession.id.desc())
            .options(*_placement_loading())
        )
    )


def people_by_id(user_ids: set[int | None]) -> dict[int, User]:
    """The users among ``user_ids`` (to say who performed or logged sessions), in one query."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return {
        user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))
    }


def session_input_from(treatment_session: TreatmentSession) -> SessionInput:
    """The session as it stands, as a ``SessionInput`` (an edit form's or a PATCH's start)."""
    return SessionInput(
        performed_on=treatment_session.performed_on,
        kind=treatment_session.kind,
        placements=[
            PlacementInput(
                zone=p.zone,
                pigment_lot_id=p.pigment_lot_id,
                pigment_free_text=p.pigment_free_text,
                dilution=p.dilution,
                dilution_ratio=p.dilution_ratio,
                needle=p.needle,
                dot_size=p.dot_size,
                density_worked_pct=p.density_worked_pct,
                depth=p.depth,
                depth_note=p.depth_note,
                scar_tissue=p.scar_tissue,
            )
            for p in treatment_session.placements
        ],
        needle=treatment_session.needle,
        machine_settings=treatment_session.machine_settings,
        duration_minutes=treatment_session.duration_minutes,
        notes=treatment_session.notes,
        notes_shared=treatment_session.notes_shared,
        confirm_expired_lot=treatment_session.expired_lot_confirmed,
    )


def record_read(actor: Actor, treatment_session: TreatmentSession, *, now: datetime) -> None:
    """The audit line of reading one session of a client's record."""
    _audit(actor, "read", treatment_session, now)


def record_list_read(actor: Actor, client: Client, *, now: datetime) -> None:
    """The audit line of reading the list of ``client``'s sessions."""
    audit.record_event(
        actor, "read", client_id=client.id, object_type="treatment_session", object_id=None, now=now
    )
