"""Projecting a client's fade and materialising the result on the client row.

``project_client`` loads one client's inputs in a bounded number of queries (the client, the
sessions with placements, lots and pigments, the sun log, the assessments, the practice's
threshold) and runs ``domain.fade.project``. ``refresh_client`` writes ``next_touch_up_on``, the
window and the model version onto the client.

Materialisation happens in the same transaction as any change of the inputs, whoever makes it
(page, API, CLI, worker): a ``before_flush`` hook notes which clients had an input change
(session, placement, sun exposure, assessment, client factor) and a ``before_commit`` hook
refreshes them just before the commit. Services therefore need not remember to call anything,
and a forgotten call cannot leave a stale touch-up date behind. Bulk ``UPDATE``/``DELETE``
statements bypass the hooks; code that uses them must call ``refresh_client`` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import fade, uv
from smptrack.extensions import db
from smptrack.models import (
    Client,
    FadeAssessment,
    PigmentLot,
    Placement,
    PracticeSettings,
    SunExposure,
    TreatmentSession,
)

log = logging.getLogger(__name__)

STALE_KEY = "smptrack.stale_projections"
NOW_KEY = "smptrack.now"  # a caller (a test, the worker) may fix the clock for the hooks

# Client columns the model reads; a change to any of them makes the projection stale.
FACTOR_COLUMNS = frozenset(
    {
        "fitzpatrick",
        "sebum",
        "retinoid_or_peel_use",
        "swimming",
        "hair_length",
        "latitude_band",
        "lifestyle",
        "usual_hat",
        "usual_hat_pct",
        "usual_sunscreen_spf",
        "usual_sunscreen_pct",
        "usual_sunscreen_generous",
        "sun_log_complete",
        "time_zone",
        "practitioner_id",
    }
)


@dataclass(frozen=True)
class ProjectionInputs:
    client: Client
    factors: fade.ClientFactors
    sessions: list[fade.TreatmentSession]
    exposures: list[uv.Exposure]
    assessments: list[fade.FadeAssessment]
    colour_shift_zones: frozenset[str]
    threshold_density: float


def client_today(client: Client, now: datetime) -> date:
    """The date it is for the client, in their own time zone."""
    try:
        zone = ZoneInfo(client.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def client_factors(client: Client) -> fade.ClientFactors:
    hat_fraction = (client.usual_hat_pct or 0) / 100 if client.usual_hat != "none" else 0.0
    sunscreen_fraction = (client.usual_sunscreen_pct or 0) / 100
    spf = client.usual_sunscreen_spf
    if spf is None:
        sunscreen_fraction = 0.0
    habits = uv.Habits(
        cap_fraction=hat_fraction if client.usual_hat == "cap" else 0.0,
        wide_brim_fraction=hat_fraction if client.usual_hat == "wide_brim" else 0.0,
        sunscreen_fraction=sunscreen_fraction,
        sunscreen_spf=spf if sunscreen_fraction > 0 else None,
        generous_sunscreen=bool(client.usual_sunscreen_generous),
    )
    return fade.ClientFactors(
        fitzpatrick=client.fitzpatrick,
        latitude_band=client.latitude_band,
        lifestyle=client.lifestyle,
        sebum=client.sebum,
        retinoids=bool(client.retinoid_or_peel_use),
        swims_twice_weekly_or_more=client.swimming == "twice_weekly_or_more",
        habits=habits,
        usual_hair_length=client.hair_length,
        sun_log_complete=bool(client.sun_log_complete),
    )


def _exposure(row: SunExposure, usual_hair: str) -> uv.Exposure:
    return uv.Exposure(
        day=row.exposed_on,
        # No start time: assume midday, the conservative choice for a daily-maximum UV index.
        start=row.start_time or datetime.min.time().replace(hour=12),
        duration_minutes=row.duration_minutes,
        uv_index=row.uv_index,
        uv_index_kind=row.uv_index_kind,
        hat=row.hat,
        spf=row.sunscreen_spf,
        sunscreen_applied_at=row.sunscreen_applied_at if row.sunscreen_spf else None,
        generous_sunscreen=bool(row.sunscreen_generous),
        swimming=bool(row.swimming),
        hair_length=row.hair_length or usual_hair,
    )


def load_inputs(client: Client) -> ProjectionInputs:
    """Everything the model needs for ``client``, in five queries whatever the history's size."""
    sessions = db.session.scalars(
        sa.select(TreatmentSession)
        .where(TreatmentSession.client_id == client.id)
        .options(
            so.selectinload(TreatmentSession.placements)
            .selectinload(Placement.pigment_lot)
            .selectinload(PigmentLot.pigment)
        )
        .order_by(TreatmentSession.performed_on, TreatmentSession.id)
    ).all()
    exposures = db.session.scalars(
        sa.select(SunExposure)
        .where(SunExposure.client_id == client.id)
        .order_by(SunExposure.exposed_on)
    ).all()
    assessments = db.session.scalars(
        sa.select(FadeAssessment)
        .where(FadeAssessment.client_id == client.id)
        .order_by(FadeAssessment.assessed_on)
    ).all()
    threshold_pct = None
    if client.practitioner_id is not None:
        threshold_pct = db.session.scalar(
            sa.select(PracticeSettings.touch_up_threshold_pct).where(
                PracticeSettings.practitioner_id == client.practitioner_id
            )
        )
    return ProjectionInputs(
        client=client,
        factors=client_factors(client),
        sessions=[
            fade.TreatmentSession(
                day=s.performed_on,
                kind=s.kind,
                placements=tuple(
                    fade.Placement(
                        zone=p.zone,
                        depth=p.depth,
                        scar_tissue=bool(p.scar_tissue),
                        dilution=p.dilution,
                        pigment_base=p.pigment_lot.pigment.base if p.pigment_lot else None,
                    )
                    for p in s.placements
                ),
            )
            for s in sessions
            if s.placements
        ],
        exposures=[_exposure(e, client.hair_length) for e in exposures],
        assessments=[
            fade.FadeAssessment(
                day=a.assessed_on,
                zone=a.zone,
                density=a.density_pct / 100,
                assessor=a.assessor_kind,
            )
            for a in assessments
        ],
        colour_shift_zones=frozenset(a.zone for a in assessments if a.blur_or_colour_shift),
        threshold_density=(threshold_pct or 70) / 100,
    )


def project_client(client: Client, as_of: date) -> fade.Projection:
    inputs = load_inputs(client)
    return fade.project(
        inputs.factors,
        inputs.sessions,
        inputs.exposures,
        inputs.assessments,
        as_of=as_of,
        threshold_density=inputs.threshold_density,
        colour_shift_zones=inputs.colour_shift_zones,
    )


def refresh_client(client: Client, now: datetime) -> fade.Projection | None:
    """Project ``client`` as of their today and store the result on the row (flushes).

    A projection that cannot be computed (it should not happen: the database's constraints
    match the model's) is logged and leaves the client "not projected" rather than failing the
    change that triggered it.
    """
    try:
        projection = project_client(client, client_today(client, now))
    except ValueError:
        log.exception("fade projection failed for client %s", client.id)
        projection = None
    window = None
    if projection is not None and projection.next_touch_up_zone is not None:
        window = projection.zones[projection.next_touch_up_zone].window
    client.next_touch_up_on = projection.next_touch_up_on if projection else None
    client.touch_up_earliest_on = window.earliest if window else None
    client.touch_up_latest_on = window.latest if window else None
    client.projection_model_version = projection.model_version if projection else None
    return projection


def rebuild_all(
    now: datetime, *, batch_size: int = 200, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every client (after a model upgrade), committing per batch. Returns the count."""
    ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
    total = len(ids)
    for start in range(0, total, batch_size):
        batch = db.session.scalars(
            sa.select(Client).where(Client.id.in_(ids[start : start + batch_size]))
        ).all()
        for client in batch:
            refresh_client(client, now)
        db.session.commit()
        if progress is not None:
            progress(min(start + batch_size, total), total)
    return total


# --- the hooks that keep the materialised projection current ---------------------------------


def _client_ids_touched(session: so.Session, objects: Iterable[object]) -> set[int]:
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, (SunExposure, FadeAssessment, TreatmentSession)):
            client_id = obj.client_id
            if client_id is None:
                state = sa.inspect(obj)
                client_id = state.committed_state.get("client_id")
            if client_id is not None:
                ids.add(client_id)
        elif isinstance(obj, Placement):
            treatment = obj.treatment_session
            if treatment is None and obj.session_id is not None:
                treatment = session.get(TreatmentSession, obj.session_id)
            if treatment is not None and treatment.client_id is not None:
                ids.add(treatment.client_id)
        elif isinstance(obj, Client) and obj.id is not None:
            state = sa.inspect(obj)
            if any(
                state.attrs[name].history.has_changes()
                for name in FACTOR_COLUMNS
                if name in state.attrs
            ):
                ids.add(obj.id)
    return ids


def _note_stale(session: so.Session, flush_context: object, instances: object) -> None:
    touched = _client_ids_touched(session, [*session.new, *session.dirty, *session.deleted])
    new_clients = [c for c in session.new if isinstance(c, Client)]
    stale: set = session.info.setdefault(STALE_KEY, set())
    stale.update(touched)
    # New clients have no id until flushed; keep the objects and resolve after the flush.
    session.info.setdefault(STALE_KEY + ".new", []).extend(new_clients)


def _refresh_stale(session: so.Session) -> None:
    now = session.info.get(NOW_KEY) or datetime.now(UTC)
    for _ in range(3):  # refreshing flushes, which may note nothing new; a bound, not a loop
        session.flush()
        stale: set = session.info.pop(STALE_KEY, set())
        for new_client in session.info.pop(STALE_KEY + ".new", []):
            if new_client.id is not None:
                stale.add(new_client.id)
        if not stale:
            return
        for client_id in sorted(stale):
            client = session.get(Client, client_id)
            if client is not None and client not in session.deleted:
                refresh_client(client, now)


def _forget(session: so.Session, *args: object) -> None:
    session.info.pop(STALE_KEY, None)
    session.info.pop(STALE_KEY + ".new", None)


def install_projection_hooks() -> None:
    """Attach the hooks to every ORM session (idempotent; called by the app factory)."""
    for name, handler in (
        ("before_flush", _note_stale),
        ("before_commit", _refresh_stale),
        ("after_rollback", _forget),
    ):
        if not sa.event.contains(so.Session, name, handler):
            sa.event.listen(so.Session, name, handler)
