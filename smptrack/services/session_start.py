"""Where a new session's form starts from, so recording one takes few steps (issue 13 item 4).

- ``suggested_kind``: the kind the history makes likely (``initial`` for a first session, the
  series' ``build_up`` while the practice's initial series runs, then ``touch_up``).
- ``start_from_last``: the last session's placements and settings, for "Start from last session"
  (everything but the date and the notes).
- ``expand_shared``: one set of settings applied to several zones, with per-zone rows that
  override it (the form's "same settings for these zones" block, expanded on the server so it
  works without JavaScript).
- ``lot_options``: the lots a practitioner chooses from, each labelled with its expiry and
  flagged when expired by the session's date.

Reads only; nothing here writes or flushes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from smptrack.domain import protocol
from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import Client, PigmentLot, PracticeSettings, TreatmentSession
from smptrack.services import catalogue
from smptrack.services.access import Actor
from smptrack.services.treatments import PlacementInput, SessionInput, session_input_from

# The placement settings a per-zone row inherits from the shared block when it leaves them
# blank. Dilution and depth are selects that always carry a value, so a row's own one wins.
INHERITED_WHEN_BLANK = (
    "pigment_lot_id",
    "pigment_free_text",
    "dilution_ratio",
    "needle",
    "dot_size",
    "density_worked_pct",
)


def suggested_kind(client: Client) -> str:
    """The kind of ``client``'s next session: ``initial`` when they have none, ``build_up``
    while their initial series runs (fewer sessions than the practice's ``series_sessions``
    since the latest ``initial``, domain/protocol.py), else ``touch_up``. A default only."""
    facts = [
        protocol.SessionFact(row.id, row.performed_on, row.kind)
        for row in db.session.execute(
            sa.select(
                TreatmentSession.id, TreatmentSession.performed_on, TreatmentSession.kind
            ).where(TreatmentSession.client_id == client.id)
        )
    ]
    if not facts:
        return "initial"
    settings = None
    if client.practice_id is not None:
        settings = db.session.scalar(
            sa.select(PracticeSettings).where(PracticeSettings.practice_id == client.practice_id)
        )
    offsets = protocol.Offsets.from_mapping(settings.reminder_offsets if settings else None)
    position = protocol.series_position(facts)
    if 0 < position < offsets.series_sessions:
        return "build_up"
    return "touch_up"


def last_session(client: Client) -> TreatmentSession | None:
    """``client``'s latest session (by date, then id), placements loaded, or None."""
    return db.session.scalar(
        sa.select(TreatmentSession)
        .where(TreatmentSession.client_id == client.id)
        .order_by(TreatmentSession.performed_on.desc(), TreatmentSession.id.desc())
        .limit(1)
    )


def start_from_last(client: Client, *, performed_on: date) -> SessionInput | None:
    """A new session's input copied from ``client``'s last one, or None when they have none.

    Copied: every placement (zone, lot or pigment words, dilution and ratio, needle, dot size,
    density, depth, scar flag) and the session's needle, machine settings and duration. Not
    copied: the date (``performed_on`` instead), the notes (the session's and each depth
    note: they describe that day), the expired-lot confirmation and the consent override
    (each is a decision about that session). The kind is ``suggested_kind``, not the last one's:
    the session after an initial one is a build-up, not a second initial.
    """
    previous = last_session(client)
    if previous is None:
        return None
    copied = session_input_from(previous)
    return replace(
        copied,
        performed_on=performed_on,
        kind=suggested_kind(client),
        notes="",
        confirm_expired_lot=False,
        consent_override_reason="",
        placements=[replace(p, depth_note="") for p in copied.placements],
    )


@dataclass(frozen=True)
class Source:
    """Where an expanded placement came from on the form: a per-zone row (``row`` its index)
    or the shared block (``row`` None), so a refusal is shown beside the right fields."""

    row: int | None
    zone: str


def expand_shared(
    shared: PlacementInput | None,
    zones: Iterable[str],
    rows: Sequence[tuple[int, PlacementInput]],
) -> tuple[list[PlacementInput], list[Source]]:
    """The placements of a form with a "same settings for these zones" block.

    Each zone of ``zones`` (in vocabulary order, once each; unknown ones are kept for the
    service to refuse) gets ``shared`` with that zone. A per-zone row (``rows``: its form
    index and input) for a zone in ``zones`` overrides the shared settings for that zone: its
    own values win, and the fields of ``INHERITED_WHEN_BLANK`` it leaves blank come from
    ``shared``. Rows for other zones (or none) follow as they are. Returns the placements and,
    for each, its ``Source``.
    """
    wanted = list(dict.fromkeys(zones))
    if shared is None:
        wanted = []
    order = {zone: index for index, zone in enumerate(ZONES)}
    wanted.sort(key=lambda zone: order.get(zone, len(order)))
    overrides: dict[str, tuple[int, PlacementInput]] = {}
    rest: list[tuple[int, PlacementInput]] = []
    for index, row in rows:
        if row.zone in wanted and row.zone not in overrides:
            overrides[row.zone] = (index, row)
        else:
            rest.append((index, row))
    placements: list[PlacementInput] = []
    sources: list[Source] = []
    for zone in wanted:
        assert shared is not None  # wanted is empty without it
        if zone in overrides:
            index, row = overrides[zone]
            inherited = {
                name: getattr(shared, name)
                for name in INHERITED_WHEN_BLANK
                if getattr(row, name) in (None, "")
            }
            placements.append(replace(row, **inherited))
            sources.append(Source(index, zone))
        else:
            placements.append(replace(shared, zone=zone))
            sources.append(Source(None, zone))
    for index, row in rest:
        placements.append(row)
        sources.append(Source(index, row.zone))
    return placements, sources


def lot_label(lot: PigmentLot, *, today: date) -> str:
    """ "Lot A123 · expires 2027-03 · Brand Line Shade", with "(expired)" once past.

    The lot number and expiry come first so a narrow select never cuts them off; the expiry is
    shown to the month, as printed on most bottles, while "expired" follows the exact date (the
    rule of the expired-lot confirmation, services/treatments.py)."""
    words = f"Lot {lot.lot_number} · expires {lot.expires_on:%Y-%m}"
    if lot.expires_on < today:
        words += " (expired)"
    return f"{words} · {lot.pigment.label}"


def lot_options(actor: Actor, *, today: date) -> list[tuple[int, str]]:
    """(lot id, label) for every lot of ``actor``'s catalogue, unexpired ones first."""
    lots = [lot for pigment in catalogue.list_pigments(actor) for lot in pigment.lots]
    lots.sort(key=lambda lot: lot.expires_on < today)  # stable: catalogue order within each
    return [(lot.id, lot_label(lot, today=today)) for lot in lots]
