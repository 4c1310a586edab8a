"""A practice's pigment catalogue: pigments, their lots, and the recall trace of a lot.

Only practitioners see a catalogue, their practice's. A pigment or lot of another practice's
catalogue raises ``NotFound``, exactly as one that does not exist.
Every function flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import text as text_rule
from smptrack.domain.limits import (
    BRAND_MAX,
    EARLIEST_EXPIRY,
    LATEST_EXPIRY,
    LOT_NUMBER_MAX,
    MAX_ROW_ID,
    PIGMENT_LINE_MAX,
    SHADE_MAX,
)
from smptrack.domain.vocabulary import PIGMENT_BASES
from smptrack.extensions import db
from smptrack.models import Client, Pigment, PigmentLot, Placement, TreatmentSession
from smptrack.services import audit
from smptrack.services.access import (
    Actor,
    practice_id_of,
    refused,
    require_practitioner,
    sees_clinical,
)
from smptrack.services.errors import Conflict, NotFound, ValidationFailed


@dataclass(frozen=True)
class PigmentInput:
    brand: str
    line: str
    shade: str
    base: str


@dataclass(frozen=True)
class LotInput:
    lot_number: str
    expires_on: date


@dataclass(frozen=True)
class RecallRow:
    """One placement of a recalled lot: who received it, in which session and zone."""

    client_id: int
    client_name: str
    client_email: str | None
    session_id: int
    performed_on: date
    zone: str
    placement_id: int


def is_row_id(value: object) -> bool:
    """True for an int (not a bool) that a primary key column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW_ID


def check_text(
    fields: dict[str, str],
    name: str,
    value: object,
    *,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """``value`` trimmed, or a message in ``fields[name]`` (and "" returned) when it is unfit."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = f"{label} must be text."
        return ""
    # Judged before trimming: str.strip() would quietly eat some control characters.
    problem = text_rule.problem(value, multiline=multiline)
    if problem is not None:
        fields[name] = problem
        return ""
    text = value.strip()
    if multiline:
        text = text_rule.normalise_newlines(text)
    if required and not text:
        fields[name] = f"Enter the {label.lower()}."
    elif len(text) > max_length:
        fields[name] = f"{label} can be at most {max_length:,} characters."
    return text


def list_pigments(actor: Actor) -> list[Pigment]:
    """``actor``'s catalogue with each pigment's lots loaded, by brand, line and shade."""
    require_practitioner(actor)
    return list(
        db.session.scalars(
            _own_pigments(actor)
            .options(so.selectinload(Pigment.lots))
            .order_by(
                sa.func.lower(Pigment.brand),
                sa.func.lower(Pigment.line),
                sa.func.lower(Pigment.shade),
                Pigment.id,
            )
        )
    )


def _own_pigments(actor: Actor) -> sa.Select[tuple[Pigment]]:
    return sa.select(Pigment).where(Pigment.practice_id == practice_id_of(actor))


def create_pigment(actor: Actor, data: PigmentInput, *, now: datetime) -> Pigment:
    """Add a pigment to ``actor``'s catalogue.

    Raises ``ValidationFailed`` (fields brand, line, shade, base) and ``Conflict`` when the
    catalogue already holds the same brand, line and shade.
    """
    require_practitioner(actor)
    fields: dict[str, str] = {}
    brand = check_text(
        fields, "brand", data.brand, label="Brand", max_length=BRAND_MAX, required=True
    )
    line = check_text(fields, "line", data.line, label="Line", max_length=PIGMENT_LINE_MAX)
    shade = check_text(
        fields, "shade", data.shade, label="Shade", max_length=SHADE_MAX, required=True
    )
    if data.base not in PIGMENT_BASES:
        fields["base"] = "Choose the pigment's base: carbon, iron oxide or mixed."
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    duplicate = db.session.scalar(
        _own_pigments(actor).where(
            sa.func.lower(Pigment.brand) == brand.lower(),
            sa.func.lower(Pigment.line) == line.lower(),
            sa.func.lower(Pigment.shade) == shade.lower(),
        )
    )
    if duplicate is not None:
        raise Conflict(
            "This pigment is already in your catalogue.",
            {"shade": f"{duplicate.label} is already in your catalogue; add a lot to it instead."},
        )
    pigment = Pigment(
        practice_id=practice_id_of(actor),
        brand=brand,
        line=line,
        shade=shade,
        base=data.base,
        created_at=now,
    )
    db.session.add(pigment)
    db.session.flush()
    return pigment


def get_pigment(actor: Actor, pigment_id: int) -> Pigment:
    """A pigment of ``actor``'s catalogue, with its lots; ``NotFound`` otherwise."""
    require_practitioner(actor)
    if not is_row_id(pigment_id):
        raise NotFound("No such pigment in your catalogue.")
    pigment = db.session.scalar(
        _own_pigments(actor).where(Pigment.id == pigment_id).options(so.selectinload(Pigment.lots))
    )
    if pigment is None:
        raise refused(actor, Pigment, pigment_id, "pigment", "No such pigment in your catalogue.")
    return pigment


def get_lot(actor: Actor, lot_id: int) -> PigmentLot:
    """A lot of ``actor``'s catalogue, with its pigment; ``NotFound`` otherwise."""
    require_practitioner(actor)
    if not is_row_id(lot_id):
        raise NotFound("No such lot in your catalogue.")
    lot = db.session.scalar(
        sa.select(PigmentLot)
        .join(PigmentLot.pigment)
        .where(PigmentLot.id == lot_id, Pigment.practice_id == practice_id_of(actor))
        .options(so.contains_eager(PigmentLot.pigment))
    )
    if lot is None:
        raise refused(actor, PigmentLot, lot_id, "pigment_lot", "No such lot in your catalogue.")
    return lot


def own_lots(actor: Actor, lot_ids: set[int]) -> dict[int, PigmentLot]:
    """The lots among ``lot_ids`` that are in ``actor``'s catalogue (others are simply absent)."""
    lot_ids = {lot_id for lot_id in lot_ids if is_row_id(lot_id)}
    if not lot_ids or not sees_clinical(actor):
        return {}
    lots = db.session.scalars(
        sa.select(PigmentLot)
        .join(PigmentLot.pigment)
        .where(PigmentLot.id.in_(lot_ids), Pigment.practice_id == practice_id_of(actor))
        .options(so.contains_eager(PigmentLot.pigment))
    )
    return {lot.id: lot for lot in lots}


def lot_label(lot: PigmentLot) -> str:
    return f"{lot.pigment.label}, lot {lot.lot_number} (expires {lot.expires_on.isoformat()})"


def lot_choices(actor: Actor) -> list[tuple[int, str]]:
    """(lot id, label) for every lot of ``actor``'s catalogue, for a form's select."""
    return [(lot.id, lot_label(lot)) for pigment in list_pigments(actor) for lot in pigment.lots]


def add_lot(actor: Actor, pigment_id: int, data: LotInput, *, now: datetime) -> PigmentLot:
    """Add a lot to one of ``actor``'s pigments.

    Raises ``NotFound`` for another catalogue's pigment, ``ValidationFailed`` (lot_number,
    expires_on) and ``Conflict`` for a lot number the pigment already has. An expiry in the past
    is accepted: practitioners record the lots of past sessions too.
    """
    pigment = get_pigment(actor, pigment_id)
    fields: dict[str, str] = {}
    lot_number = check_text(
        fields,
        "lot_number",
        data.lot_number,
        label="Lot number",
        max_length=LOT_NUMBER_MAX,
        required=True,
    )
    expires_on = data.expires_on
    if not isinstance(expires_on, date) or isinstance(expires_on, datetime):
        fields["expires_on"] = "Enter the expiry date printed on the bottle."
    elif not EARLIEST_EXPIRY <= expires_on <= LATEST_EXPIRY:
        fields["expires_on"] = (
            f"Enter an expiry between {EARLIEST_EXPIRY.year} and {LATEST_EXPIRY.year}."
        )
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    if any(lot.lot_number.lower() == lot_number.lower() for lot in pigment.lots):
        raise Conflict(
            "This lot is already recorded.",
            {"lot_number": f"Lot {lot_number} of {pigment.label} is already recorded."},
        )
    lot = PigmentLot(pigment=pigment, lot_number=lot_number, expires_on=expires_on, created_at=now)
    db.session.add(lot)
    db.session.flush()
    return lot


def recall_trace(actor: Actor, lot_id: int) -> list[RecallRow]:
    """Every placement of lot ``lot_id``: the client, the session and the zone that received it.

    ``NotFound`` unless the lot is in ``actor``'s catalogue. The trace follows the lot, not the
    client's current practitioner: a recall must reach everyone who received the pigment, and
    only the lot's owner can have placed it (record_session refuses other catalogues' lots).
    Ordered by session date, then client name. One query, whatever the number of placements.
    """
    lot = get_lot(actor, lot_id)
    rows = db.session.execute(
        sa.select(
            Client.id,
            Client.display_name,
            Client.email,
            TreatmentSession.id,
            TreatmentSession.performed_on,
            Placement.zone,
            Placement.id,
        )
        .select_from(Placement)
        .join(TreatmentSession, Placement.session_id == TreatmentSession.id)
        .join(Client, TreatmentSession.client_id == Client.id)
        .where(Placement.pigment_lot_id == lot.id)
        .order_by(
            TreatmentSession.performed_on,
            sa.func.lower(Client.display_name),
            TreatmentSession.id,
            Placement.id,
        )
    )
    return [RecallRow(*row) for row in rows]


def record_recall_read(
    actor: Actor, rows: list[RecallRow], lot_id: int, *, now: datetime, as_csv: bool = False
) -> None:
    """One audit line per client among ``rows``: a recall trace reads their records. The page
    and the API record ``recall_trace``; the CSV download ``recall_trace_csv``."""
    object_type = "recall_trace_csv" if as_csv else "recall_trace"
    for client_id in dict.fromkeys(row.client_id for row in rows):
        audit.record_event(
            actor, "read", client_id=client_id, object_type=object_type, object_id=lot_id, now=now
        )
