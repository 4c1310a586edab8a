"""One client's whole history, loaded in a bounded number of queries, and the audit trail's rows.

The client page's sections (services.overview) and its fade chart read every session with its
placements and pigment lots, the sun log summed by month, and the fade assessments; the page
shows a few of each, the chart marks them all. However long the history, loading it
costs three SELECTs: the sessions with their placements, lots, pigments and the names of who
performed and logged them joined, the assessments with their assessors' names, and, when asked
for, the sun log (the monthly doses the writes stored; the client page reads a page of it).
They load columns into small frozen records, not ORM objects: the page only reads them, and a
long history would otherwise build and track hundreds of instances per view.
Nothing here writes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import (
    Client,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    SunDoseMonth,
    TreatmentSession,
    User,
)


class SunMonth:
    """A month of the sun log: entries, minutes outdoors, the ambient dose and the effective dose
    at each treated zone (both in SED, FADE-MODEL §3).

    The per-zone doses are stored as one JSON document per month; a long sun log is paged by
    month on the client page, so a document is decoded only when its month is shown.
    """

    __slots__ = ("_by_zone", "_raw", "_zones", "ambient_sed", "entries", "minutes", "month")

    def __init__(
        self,
        month: date,
        entries: int,
        minutes: int,
        ambient_sed: float = 0.0,
        effective_sed_by_zone: dict[str, float] | None = None,
        *,
        raw_doses: str | dict | None = None,
        zones: Sequence[str] = (),
    ) -> None:
        self.month = month  # the first of the month
        self.entries = entries
        self.minutes = minutes
        self.ambient_sed = ambient_sed
        self._by_zone = effective_sed_by_zone
        self._raw = raw_doses
        self._zones = tuple(zones)

    @property
    def effective_sed_by_zone(self) -> dict[str, float]:
        if self._by_zone is None:
            raw = self._raw
            stored = json.loads(raw) if isinstance(raw, str) else (raw or {})
            self._by_zone = {zone: stored.get(zone, 0.0) for zone in self._zones}
        return self._by_zone

    def __repr__(self) -> str:
        return f"SunMonth({self.month}, entries={self.entries}, minutes={self.minutes})"


class PlacementLine(NamedTuple):
    """One placement as the timeline shows it, its pigment lot's label already joined in."""

    id: int
    zone: str
    scar_tissue: bool
    pigment_label: str | None  # None: no catalogue lot (see pigment_free_text)
    lot_number: str | None
    pigment_free_text: str | None
    dilution: str
    dilution_ratio: str
    needle: str
    dot_size: str
    density_worked_pct: int | None
    depth: str
    depth_note: str


class SessionLine(NamedTuple):
    """One treatment session as the timeline shows it: the columns a page reads, not an ORM
    object (a long history would otherwise build hundreds of tracked instances per view)."""

    id: int
    performed_on: date
    kind: str
    performed_by_id: int | None
    logged_by_id: int | None
    logged_at: datetime
    updated_at: datetime | None
    needle: str
    machine_settings: str
    duration_minutes: int | None
    notes: str
    expired_lot_confirmed: bool
    notes_shared: bool  # the client reads notes and depth notes (access.may_read_notes)
    placements: list[PlacementLine]


class AssessmentLine(NamedTuple):
    """One fade assessment as the timeline shows it."""

    id: int
    assessed_on: date
    zone: str
    density_pct: float
    assessor_kind: str
    assessed_by_id: int | None
    note: str
    blur_or_colour_shift: bool
    created_at: datetime
    notes_shared: bool  # the client reads a practitioner's note (access.may_read_notes)


@dataclass(frozen=True)
class ClientHistory:
    client: Client
    sessions: list[SessionLine]  # newest first, with their placements
    assessments: list[AssessmentLine]  # newest first
    treated_zones: list[str]  # in the order of the zone vocabulary
    people: dict[int, str]  # user id -> display name, for "logged by" and "assessed by"

    @functools.cached_property
    def sun_months(self) -> list[SunMonth]:
        """Every month of the sun log, newest first (one SELECT, on first use). The client
        page reads one page of them instead (services.overview), so it does not load a
        decade of months to show five."""
        return _sun_months(self.client, self.treated_zones)

    @property
    def is_empty(self) -> bool:
        return not (self.sessions or self.assessments or self.sun_months)


_SESSION_COLUMNS = tuple(
    getattr(TreatmentSession, name) for name in SessionLine._fields if name != "placements"
)
_PLACEMENT_COLUMNS = tuple(
    getattr(Placement, name)
    for name in PlacementLine._fields
    if name not in ("pigment_label", "lot_number")
)
_ASSESSMENT_COLUMNS = tuple(getattr(FadeAssessment, name) for name in AssessmentLine._fields)

# Built once: composing a SELECT costs more than running it on a page this size.
_CLIENT_ID = sa.bindparam("client_id")
_PERFORMER = so.aliased(User)
_LOGGER = so.aliased(User)
_ASSESSOR = so.aliased(User)
# The sessions with the names of who performed and who logged each, newest first; then their
# placements with their lots and pigments, in a statement of their own: joined to the sessions,
# every placement row repeated its session's columns, and on SQLite parsing those dates again
# for each placement was a fifth of the client page's own work.
_SESSIONS = (
    sa.select(*_SESSION_COLUMNS, _PERFORMER.display_name, _LOGGER.display_name)
    .outerjoin(_PERFORMER, _PERFORMER.id == TreatmentSession.performed_by_id)
    .outerjoin(_LOGGER, _LOGGER.id == TreatmentSession.logged_by_id)
    .where(TreatmentSession.client_id == _CLIENT_ID)
    .order_by(TreatmentSession.performed_on.desc(), TreatmentSession.id.desc())
)
_PLACEMENTS = (
    sa.select(
        Placement.session_id,
        *_PLACEMENT_COLUMNS,
        Pigment.brand,
        Pigment.line,
        Pigment.shade,
        PigmentLot.lot_number,
    )
    .join(TreatmentSession, TreatmentSession.id == Placement.session_id)
    .outerjoin(PigmentLot, PigmentLot.id == Placement.pigment_lot_id)
    .outerjoin(Pigment, Pigment.id == PigmentLot.pigment_id)
    .where(TreatmentSession.client_id == _CLIENT_ID)
    .order_by(Placement.session_id, Placement.id)
)
_ASSESSMENTS = (
    sa.select(*_ASSESSMENT_COLUMNS, _ASSESSOR.display_name)
    .outerjoin(_ASSESSOR, _ASSESSOR.id == FadeAssessment.assessed_by_id)
    .where(FadeAssessment.client_id == _CLIENT_ID)
    .order_by(FadeAssessment.assessed_on.desc(), FadeAssessment.id.desc())
)
# The per-zone document as text: decoded only for the months a page shows (SunMonth).
_SUN_MONTHS = (
    sa.select(
        SunDoseMonth.month,
        SunDoseMonth.entries,
        SunDoseMonth.minutes,
        SunDoseMonth.ambient_sed,
        sa.cast(SunDoseMonth.effective_sed_by_zone, sa.Text),
    )
    .where(SunDoseMonth.client_id == _CLIENT_ID)
    .order_by(SunDoseMonth.month.desc())
)


def _rows(statement: sa.Select, client_id: int) -> Sequence[sa.Row]:
    # On the session's connection, as plain Core rows: these SELECTs name columns, not
    # entities, so the ORM's result processing would only add per-row work. One fetchall.
    return db.session.connection().execute(statement, {"client_id": client_id}).all()


def client_history(client: Client) -> ClientHistory:
    """Everything on ``client``'s timeline. The caller loaded ``client`` through the access policy.

    Runs a fixed number of queries (three, and one more for ``sun_months`` on first use) whatever
    the number of sessions, placements, sun entries and assessments, and loads columns into
    plain records, not ORM objects.
    """
    sessions: list[SessionLine] = []
    people: dict[int, str] = {}
    session_width = len(_SESSION_COLUMNS)
    for row in _rows(_SESSIONS, client.id):
        line = SessionLine(*row[:session_width], placements=[])
        sessions.append(line)
        performer, logger = row[session_width], row[session_width + 1]
        if performer is not None:
            people[line.performed_by_id] = performer
        if logger is not None:
            people[line.logged_by_id] = logger
    by_id = {line.id: line for line in sessions}
    for (
        session_id,
        placement_id,
        zone,
        scar_tissue,
        free_text,
        dilution,
        dilution_ratio,
        needle,
        dot_size,
        density_worked_pct,
        depth,
        depth_note,
        brand,
        line,
        shade,
        lot_number,
    ) in _rows(_PLACEMENTS, client.id):
        by_id[session_id].placements.append(
            PlacementLine(
                id=placement_id,
                zone=zone,
                scar_tissue=scar_tissue,
                # Pigment.label's rule, on the joined columns.
                pigment_label=(
                    " ".join(part for part in (brand, line, shade) if part)
                    if lot_number is not None
                    else None
                ),
                lot_number=lot_number,
                pigment_free_text=free_text,
                dilution=dilution,
                dilution_ratio=dilution_ratio,
                needle=needle,
                dot_size=dot_size,
                density_worked_pct=density_worked_pct,
                depth=depth,
                depth_note=depth_note,
            )
        )
    assessments = []
    for row in _rows(_ASSESSMENTS, client.id):
        assessment = AssessmentLine(*row[:-1])
        assessments.append(assessment)
        if row[-1] is not None:
            people[assessment.assessed_by_id] = row[-1]
    zones_used = {placement.zone for s in sessions for placement in s.placements}
    treated_zones = [zone for zone in ZONES if zone in zones_used]
    return ClientHistory(
        client=client,
        sessions=sessions,
        assessments=assessments,
        treated_zones=treated_zones,
        people=people,
    )


def _sun_months(client: Client, zones: list[str]) -> list[SunMonth]:
    """The monthly doses the writes stored, newest first, with the dose at each treated zone
    (one query). The per-zone document is read as text and decoded on first use."""
    rows = _rows(_SUN_MONTHS, client.id)
    return [
        SunMonth(month, entries, minutes, ambient_sed, raw_doses=raw, zones=zones)
        for month, entries, minutes, ambient_sed, raw in rows
    ]


# --- the audit trail (its page is read by services.overview) ---------------------------------


class AuditEntry(NamedTuple):
    """The columns of an audit event the access log shows."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: int | None
    remote_addr: str | None


class AuditLine(NamedTuple):
    event: AuditEntry
    actor_name: str | None  # None: the person's login was erased, or the system acted
