"""Projecting a client's fade and materialising the result on the client row.

``project_client`` loads one client's inputs in a bounded number of queries (the client, the
sessions with placements, lots and pigments, the sun log, the assessments, the practice's
threshold) and runs ``domain.fade.project``. ``refresh_client`` writes ``next_touch_up_on``, the
window and the model version onto the client.

Materialisation is an explicit step of the unit of work: the request, CLI command or worker step
that changed a model input calls ``refresh_stale(now)`` by name, with its own clock, just before
it commits (pages and API through ``web.commit``). A ``before_flush`` tracker only notes which
clients had an input change (session, placement, sun exposure, assessment, client factor); it
computes nothing. Failures propagate: the request answers an error and rolls back rather than
committing a stale projection. In TESTING mode ``install_commit_check`` makes a commit inside a
request that leaves a noted client unrefreshed fail loudly, so a forgotten call site is found by
the suite. Bulk ``UPDATE``/``DELETE`` statements bypass the tracker; code that uses them must
call ``refresh_client`` itself.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain import fade, uv
from smptrack.extensions import db
from smptrack.models import (
    Client,
    FadeAssessment,
    Pigment,
    PigmentLot,
    Placement,
    PracticeSettings,
    SunExposure,
    TreatmentSession,
)

log = logging.getLogger(__name__)

STALE_KEY = "smptrack.stale_projections"


class StaleProjectionError(AssertionError):
    """A commit (in TESTING mode) would have left a client's projection stale."""


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
        "practice_id",
        # Not a model input, but the reminders replanned with the projection go to it.
        "email",
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
    # The practice's current model version (FADE-MODEL §10), else the documented constants.
    constants: fade.ModelConstants = fade.DEFAULT_CONSTANTS


def _zone(client: Client) -> ZoneInfo:
    try:
        return ZoneInfo(client.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def client_today(client: Client, now: datetime) -> date:
    """The date it is for the client, in their own time zone."""
    return now.astimezone(_zone(client)).date()


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


def _exposure(row: tuple, usual_hair: str) -> uv.Exposure:
    # Positional unpacking: this runs once per logged exposure, thousands of times per client.
    (_, day, start, minutes, uv_index, kind, hat, spf, applied_at, generous, swimming, hair) = row
    return uv.Exposure(
        day=day,
        # No start time: assume midday, the conservative choice for a daily-maximum UV index.
        start=start or _MIDDAY,
        duration_minutes=minutes,
        uv_index=uv_index,
        uv_index_kind=kind,
        hat=hat,
        spf=spf,
        sunscreen_applied_at=applied_at if spf else None,
        generous_sunscreen=bool(generous),
        swimming=bool(swimming),
        hair_length=hair or usual_hair,
    )


_MIDDAY = time(12, 0)


def load_inputs(client: Client) -> ProjectionInputs:
    """Everything the model needs for ``client`` (see ``load_inputs_many``)."""
    return load_inputs_many([client])[client.id]


def load_inputs_many(
    clients: Sequence[Client], *, known_by: tuple[date, datetime] | None = None
) -> dict[int, ProjectionInputs]:
    """The model's inputs for several clients in four queries, whatever their histories' size.

    Rows are read as plain columns, not ORM objects: a client with a few thousand sun entries
    would otherwise spend most of its projection time building objects it never changes.

    ``known_by=(day, instant)`` keeps only what the app knew then: sessions, exposures and
    assessments dated on or before ``day`` *and* recorded (``logged_at``/``created_at``, UTC)
    before ``instant``, so that a record back-dated later does not rewrite history.
    """
    ids = [c.id for c in clients]
    session_known = exposure_known = assessment_known = sa.true()
    if known_by is not None:
        day, instant = known_by
        session_known = sa.and_(
            TreatmentSession.performed_on <= day, TreatmentSession.logged_at < instant
        )
        exposure_known = sa.and_(SunExposure.exposed_on <= day, SunExposure.created_at < instant)
        assessment_known = sa.and_(
            FadeAssessment.assessed_on <= day, FadeAssessment.created_at < instant
        )
    placements: dict[int, list[sa.Row]] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            TreatmentSession.client_id,
            TreatmentSession.id.label("session_id"),
            TreatmentSession.performed_on,
            TreatmentSession.kind,
            Placement.zone,
            Placement.depth,
            Placement.scar_tissue,
            Placement.dilution,
            Pigment.base,
        )
        .join(Placement, Placement.session_id == TreatmentSession.id)
        .outerjoin(PigmentLot, PigmentLot.id == Placement.pigment_lot_id)
        .outerjoin(Pigment, Pigment.id == PigmentLot.pigment_id)
        .where(TreatmentSession.client_id.in_(ids), session_known)
        .order_by(TreatmentSession.performed_on, TreatmentSession.id, Placement.id)
    ):
        placements[row.client_id].append(row)
    exposures: dict[int, list[tuple]] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            SunExposure.client_id,
            SunExposure.exposed_on,
            SunExposure.start_time,
            SunExposure.duration_minutes,
            SunExposure.uv_index,
            SunExposure.uv_index_kind,
            SunExposure.hat,
            SunExposure.sunscreen_spf,
            SunExposure.sunscreen_applied_at,
            SunExposure.sunscreen_generous,
            SunExposure.swimming,
            SunExposure.hair_length,
        )
        .where(SunExposure.client_id.in_(ids), exposure_known)
        # A fixed order: same-day doses are summed in it, and float sums depend on the order.
        .order_by(SunExposure.client_id, SunExposure.exposed_on, SunExposure.id)
    ):
        exposures[row[0]].append(row)
    assessments: dict[int, list[sa.Row]] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            FadeAssessment.client_id,
            FadeAssessment.assessed_on,
            FadeAssessment.zone,
            FadeAssessment.density_pct,
            FadeAssessment.assessor_kind,
            FadeAssessment.blur_or_colour_shift,
        )
        .where(FadeAssessment.client_id.in_(ids), assessment_known)
        .order_by(FadeAssessment.assessed_on, FadeAssessment.id)
    ):
        assessments[row.client_id].append(row)
    practices = {c.practice_id for c in clients if c.practice_id is not None}
    thresholds = (
        dict(
            db.session.execute(
                sa.select(
                    PracticeSettings.practice_id, PracticeSettings.touch_up_threshold_pct
                ).where(PracticeSettings.practice_id.in_(practices))
            ).all()
        )
        if practices
        else {}
    )
    from smptrack.services.model_versions import constants_by_practice

    constants = constants_by_practice(practices)
    return {
        client.id: _inputs(
            client,
            placements[client.id],
            exposures[client.id],
            assessments[client.id],
            thresholds.get(client.practice_id),
            constants.get(client.practice_id, fade.DEFAULT_CONSTANTS),
        )
        for client in clients
    }


def _inputs(
    client: Client,
    placement_rows: list[sa.Row],
    exposure_rows: list[tuple],
    assessment_rows: list[sa.Row],
    threshold_pct: int | None,
    constants: fade.ModelConstants = fade.DEFAULT_CONSTANTS,
) -> ProjectionInputs:
    sessions: list[fade.TreatmentSession] = []
    current: list[sa.Row] = []
    for row in placement_rows:  # ordered by session: group consecutive rows
        if current and current[0].session_id != row.session_id:
            sessions.append(_session(current))
            current = []
        current.append(row)
    if current:
        sessions.append(_session(current))
    return ProjectionInputs(
        client=client,
        factors=client_factors(client),
        sessions=sessions,
        exposures=[_exposure(e, client.hair_length) for e in exposure_rows],
        assessments=[
            fade.FadeAssessment(
                day=a.assessed_on,
                zone=a.zone,
                density=a.density_pct / 100,
                assessor=a.assessor_kind,
            )
            for a in assessment_rows
        ],
        colour_shift_zones=frozenset(a.zone for a in assessment_rows if a.blur_or_colour_shift),
        threshold_density=(threshold_pct or 70) / 100,
        constants=constants,
    )


def _session(rows: list[sa.Row]) -> fade.TreatmentSession:
    return fade.TreatmentSession(
        day=rows[0].performed_on,
        kind=rows[0].kind,
        placements=tuple(
            fade.Placement(
                zone=r.zone,
                depth=r.depth,
                scar_tissue=bool(r.scar_tissue),
                dilution=r.dilution,
                pigment_base=r.base,
            )
            for r in rows
        ),
    )


def project_client(
    client: Client, as_of: date, inputs: ProjectionInputs | None = None
) -> fade.Projection:
    inputs = inputs or load_inputs(client)
    return fade.project(
        inputs.factors,
        inputs.sessions,
        inputs.exposures,
        inputs.assessments,
        as_of=as_of,
        threshold_density=inputs.threshold_density,
        colour_shift_zones=inputs.colour_shift_zones,
        constants=inputs.constants,
    )


def project_client_as_of(client: Client, as_of: date, now: datetime) -> fade.Projection:
    """The projection as it stood (or will stand) on ``as_of``, computed in memory; writes nothing.

    A past ``as_of`` (before the client's today at ``now``) uses only the records dated on or
    before it and recorded by the end of that day in the client's time zone: what the app knew
    when it planned that day's reminders. Today or a future date uses everything recorded so
    far, with the clock moved forward. The practice's threshold is today's (settings keep no
    history). Raises ValueError if the model cannot project the inputs.
    """
    if as_of >= client_today(client, now):
        return project_client(client, as_of)
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=_zone(client))
    inputs = load_inputs_many([client], known_by=(as_of, end_of_day.astimezone(UTC)))[client.id]
    return project_client(client, as_of, inputs)


def refresh_client(
    client: Client,
    now: datetime,
    inputs: ProjectionInputs | None = None,
    *,
    store_document: bool = True,
) -> fade.Projection | None:
    """Project ``client`` as of their today and store the result on the row (and, unless a
    batch stores them together with ``materialised.store_projections``, the document).

    A projection that cannot be computed (it should not happen: the database's constraints
    match the model's) raises: the change that triggered it rolls back rather than committing a
    stale touch-up date.
    """
    from smptrack.services.materialised import store_projections

    projection: fade.Projection | None = project_client(client, client_today(client, now), inputs)
    if store_document:
        store_projections([(client, projection)], now)
    for name, value in row_values(projection).items():
        setattr(client, name, value)
    return projection


def row_values(projection: fade.Projection | None) -> dict[str, object]:
    """What the client row materialises from ``projection`` (the due list's and the reminder
    planner's columns), by column name. The one place both rebuild paths take them from."""
    window = None
    if projection is not None and projection.next_touch_up_zone is not None:
        window = projection.zones[projection.next_touch_up_zone].window
    zones = list(projection.zones.values()) if projection else []
    return {
        "next_touch_up_on": projection.next_touch_up_on if projection else None,
        "next_touch_up_zone": projection.next_touch_up_zone if projection else None,
        # An override ("due now" from a practitioner's rating) brings the date forward to
        # today; keep earliest <= most likely on the row too.
        "touch_up_earliest_on": (
            min(window.earliest, projection.next_touch_up_on) if window and projection else None
        ),
        "touch_up_latest_on": window.latest if window else None,
        "touch_up_due_now": any(z.due_now for z in zones),
        "projection_review_flag": any(z.needs_review for z in zones),
        "projection_blur_advisory": any(z.blur_colour_advisory for z in zones),
        "projection_model_version": projection.model_version if projection else None,
    }


def rebuild_all(
    now: datetime, *, batch_size: int = 200, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every client (after a model upgrade), committing per batch: the projection
    by the bulk path (``recompute_clients``) and, since an upgrade may price the sun log
    differently, the monthly doses. Returns the count."""
    from smptrack.services.materialised import store_sun_doses

    ids = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
    total = len(ids)
    for start in range(0, total, batch_size):
        batch_ids = ids[start : start + batch_size]
        with collector_paused():
            recompute_clients(batch_ids, now)
            batch = db.session.scalars(sa.select(Client).where(Client.id.in_(batch_ids))).all()
            store_sun_doses(batch)
        db.session.commit()
        if progress is not None:
            progress(min(start + batch_size, total), total)
    return total


# --- the fast recompute: every client after a model change, in bulk --------------------------

# The client columns the model and the materialised rows need: rows, not ORM objects.
_CLIENT_COLUMNS = (
    Client.id,
    Client.practice_id,
    Client.time_zone,
    Client.fitzpatrick,
    Client.sebum,
    Client.retinoid_or_peel_use,
    Client.swimming,
    Client.hair_length,
    Client.latitude_band,
    Client.lifestyle,
    Client.usual_hat,
    Client.usual_hat_pct,
    Client.usual_sunscreen_spf,
    Client.usual_sunscreen_pct,
    Client.usual_sunscreen_generous,
    Client.sun_log_complete,
)


def recompute_clients(ids: Sequence[int], now: datetime) -> int:
    """Re-project the clients ``ids`` (with their practice's current constants) and rewrite
    their materialised projection: the client row's columns and the stored document.

    The path for a model change at scale: the inputs of the whole batch in a handful of
    queries, read as rows rather than ORM objects; ``fade.project`` itself (clients without
    ratings take its closed-form prior); and two bulk writes, the client rows and the documents
    (on PostgreSQL the rows in one statement and the documents updated in place, each skipping
    a client whose stored values are already these: a repeated recompute writes nothing). The
    monthly sun doses
    are left alone: no model constant enters them. Reminders are not replanned here (the daily
    replan, or ``model_versions.rebuild_practice`` for one practice, does). Flushes nothing of
    the ORM session's own; the caller commits. Returns the number of clients written."""
    from smptrack.services.materialised import store_documents

    if not ids:
        return 0
    rows = db.session.execute(sa.select(*_CLIENT_COLUMNS).where(Client.id.in_(list(ids)))).all()
    loaded = load_inputs_many(rows)  # type: ignore[arg-type]  # rows carry the same names
    projected = [
        (row.id, project_client(row, client_today(row, now), loaded[row.id]))  # type: ignore[arg-type]
        for row in rows
    ]
    values = [{"client_id": cid, **row_values(projection)} for cid, projection in projected]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            _UPDATE_ROWS_POSTGRESQL,
            {name: [v[name] for v in values] for name in ("client_id", *_ROW_COLUMNS)},
        )
    else:
        clients = Client.__table__  # Core: an executemany, no ORM bookkeeping per row
        connection.execute(
            clients.update()
            .where(clients.c.id == sa.bindparam("client_id"))
            .values({name: sa.bindparam(name) for name in _ROW_COLUMNS}),
            values,
        )
    store_documents(projected, now)
    return len(projected)


_ROW_COLUMNS = tuple(row_values(None))
# PostgreSQL: the batch's rows as one array per column, one statement whatever the batch's size
# (an executemany is one UPDATE per client, each with its executor start-up). A row already holding
# these values is not written: no dead tuple, no WAL for an unchanged client. Its columns are
# _ROW_COLUMNS (a test holds them equal).
_UPDATE_ROWS_POSTGRESQL = """
UPDATE clients AS c
SET next_touch_up_on = v.next_touch_up_on, next_touch_up_zone = v.next_touch_up_zone,
    touch_up_earliest_on = v.touch_up_earliest_on, touch_up_latest_on = v.touch_up_latest_on,
    touch_up_due_now = v.touch_up_due_now, projection_review_flag = v.projection_review_flag,
    projection_blur_advisory = v.projection_blur_advisory,
    projection_model_version = v.projection_model_version
FROM unnest(
    %(client_id)s::int[], %(next_touch_up_on)s::date[], %(next_touch_up_zone)s::text[],
    %(touch_up_earliest_on)s::date[], %(touch_up_latest_on)s::date[],
    %(touch_up_due_now)s::boolean[], %(projection_review_flag)s::boolean[],
    %(projection_blur_advisory)s::boolean[], %(projection_model_version)s::text[]
) AS v(client_id, next_touch_up_on, next_touch_up_zone, touch_up_earliest_on, touch_up_latest_on,
       touch_up_due_now, projection_review_flag, projection_blur_advisory,
       projection_model_version)
WHERE c.id = v.client_id
  AND (c.next_touch_up_on, c.next_touch_up_zone, c.touch_up_earliest_on, c.touch_up_latest_on,
       c.touch_up_due_now, c.projection_review_flag, c.projection_blur_advisory,
       c.projection_model_version)
  IS DISTINCT FROM
      (v.next_touch_up_on, v.next_touch_up_zone, v.touch_up_earliest_on, v.touch_up_latest_on,
       v.touch_up_due_now, v.projection_review_flag, v.projection_blur_advisory,
       v.projection_model_version)
"""


def recompute_range(
    now: datetime,
    *,
    first_id: int = 0,
    last_id: int | None = None,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """``recompute_clients`` over the clients with ids in [first_id, last_id], committing per
    batch. Disjoint ranges can run in separate processes, each with its own connection."""
    query = sa.select(Client.id).where(Client.id >= first_id).order_by(Client.id)
    if last_id is not None:
        query = query.where(Client.id <= last_id)
    ids = db.session.scalars(query).all()
    done = 0
    for start in range(0, len(ids), batch_size):
        with collector_paused():
            done += recompute_clients(ids[start : start + batch_size], now)
        db.session.commit()
        if progress is not None:
            progress(done, len(ids))
    return done


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector held off for one batch of the recompute.

    A batch builds a few hundred thousand short-lived objects (curve points, rows, documents)
    that reference counting frees; the collector would walk them over and over as they pile up,
    a third of the batch's CPU time. It runs again once the batch is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- the unit of work's step that keeps the materialised projection current -------------------


def refresh_stale(now: datetime, session: so.Session | None = None) -> list[int]:
    """Re-project and replan every client whose inputs changed in this transaction (flushes).

    The explicit step a request, CLI command or worker step runs just before it commits, with
    its own ``now``. Replanning belongs here so that a recorded session creates its aftercare
    and next-session reminders in the same transaction. Nothing is swallowed: an error
    propagates to the caller, which rolls back. Returns the ids refreshed.
    """
    from smptrack.services.materialised import store_projections, store_sun_doses
    from smptrack.services.reminders import plan_reminders

    session = session or db.session()
    done: list[int] = []
    for _ in range(3):  # refreshing flushes, which may note nothing new; a bound, not a loop
        session.flush()
        stale = _pop_stale(session)
        if not stale:
            return done
        clients = [
            c
            for c in session.scalars(sa.select(Client).where(Client.id.in_(sorted(stale)))).all()
            # A record kept only for the practice's retention duty (issue 13) is not projected:
            # its client asked for erasure and is never reminded or listed as due again.
            if c not in session.deleted and c.erasure_requested_at is None
        ]
        loaded = load_inputs_many(clients) if clients else {}
        projected = []
        for client in clients:
            projected.append(
                (client, refresh_client(client, now, loaded[client.id], store_document=False))
            )
            plan_reminders(client, now)
            done.append(client.id)
        store_projections(projected, now)
        store_sun_doses(clients)
    session.flush()
    if pending_stale(session):
        raise RuntimeError("projection refresh did not settle after three rounds")
    return done


def pending_stale(session: so.Session) -> set[int]:
    """The clients noted stale and not yet refreshed (new clients once they have an id)."""
    stale = set(session.info.get(STALE_KEY, ()))
    stale.update(c.id for c in session.info.get(STALE_KEY + ".new", ()) if c.id is not None)
    return stale


def _pop_stale(session: so.Session) -> set[int]:
    stale = pending_stale(session)
    _forget(session)
    return stale


# --- the tracker: notes which clients' inputs changed; computes nothing ------------------------


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


def _forget(session: so.Session, *args: object) -> None:
    session.info.pop(STALE_KEY, None)
    session.info.pop(STALE_KEY + ".new", None)


def install_stale_tracking() -> None:
    """Note stale clients on every flush; forget them when the transaction ends (idempotent)."""
    for name, handler in (
        ("before_flush", _note_stale),
        ("after_commit", _forget),
        ("after_rollback", _forget),
    ):
        if not sa.event.contains(so.Session, name, handler):
            sa.event.listen(so.Session, name, handler)


def _assert_nothing_stale(session: so.Session) -> None:
    from flask import current_app, has_request_context

    if not has_request_context() or not current_app.testing:
        return
    session.flush()
    stale = pending_stale(session)
    if stale:
        raise StaleProjectionError(
            f"commit would leave the projection of clients {sorted(stale)} stale: "
            "call projections.refresh_stale(now) (web.commit) before committing"
        )


def install_commit_check() -> None:
    """TESTING only: a commit in a request that leaves a noted client unrefreshed raises."""
    if not sa.event.contains(so.Session, "before_commit", _assert_nothing_stale):
        sa.event.listen(so.Session, "before_commit", _assert_nothing_stale)
