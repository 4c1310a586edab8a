"""Storing and reading what writes materialise: the projection document and the monthly doses.

``store_projections`` and ``store_sun_doses`` run inside ``projections.refresh_stale`` (the unit of
work's step); ``stored_projection`` and ``stored_sun_months`` are what the pages and the API read,
one SELECT each, whatever the client's history.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from markupsafe import Markup

from smptrack import charts, read_connection
from smptrack.domain import fade
from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import Client, ClientProjection, SunDoseMonth, SunExposure
from smptrack.services import history as history_service


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def encode_projection(projection: fade.Projection, *, native_dates: bool = False) -> dict:
    """The stored document of ``projection``: plain JSON data, dates as ISO strings.

    ``native_dates`` leaves the dates as ``date`` objects for orjson, which writes them as the
    same ISO strings in C: a recompute of every client spends a third of its encoding time on
    ``isoformat`` calls and the per-point lists around them otherwise."""
    day = _same if native_dates else _iso
    return {
        "model_version": projection.model_version,
        "as_of": day(projection.as_of),
        "threshold_density": projection.threshold_density,
        "prior_sigma": projection.prior_sigma,
        "rate_multiplier": list(projection.rate_multiplier),
        "next_touch_up_on": day(projection.next_touch_up_on),
        "next_touch_up_zone": projection.next_touch_up_zone,
        "assumptions": list(projection.assumptions),
        "zones": [_encode_zone(z, day, native_dates) for z in projection.zones.values()],
    }


def _same(value: date | None) -> date | None:
    return value


def _encode_zone(
    z: fade.ZoneProjection, day: Callable[[date | None], object], native_dates: bool
) -> dict:
    w = z.window
    return {
        "zone": z.zone,
        "baseline": day(z.baseline),
        "course_sessions": z.course_sessions,
        "f_bio": z.f_bio,
        "annual_effective_sed": z.annual_effective_sed,
        "rate_per_year": z.rate_per_year,
        "density_now": z.density_now,
        "window": [
            day(w.earliest),
            day(w.most_likely),
            day(w.latest),
            w.earliest_years,
            w.most_likely_years,
            w.latest_years,
        ],
        "p_due_now": z.p_due_now,
        "due_now_override": z.due_now_override,
        "due_now": z.due_now,
        "ignored_healing_ratings": [
            [day(a.day), a.zone, a.density, a.assessor] for a in z.ignored_healing_ratings
        ],
        "review_reasons": list(z.review_reasons),
        "advisory_reasons": list(z.advisory_reasons),
        # A curve point is (day, years, density, p10, p90) in that order, a named tuple: as a
        # plain tuple orjson writes it as the same list, without a Python list per point.
        "curve": (
            list(map(tuple, z.curve))
            if native_dates
            else [
                [p.day.isoformat(), p.years, p.density, p.density_p10, p.density_p90]
                for p in z.curve
            ]
        ),
    }


def decode_projection(doc: dict) -> fade.Projection:
    return fade.Projection(
        model_version=doc["model_version"],
        as_of=date.fromisoformat(doc["as_of"]),
        threshold_density=doc["threshold_density"],
        prior_sigma=doc["prior_sigma"],
        rate_multiplier=tuple(doc["rate_multiplier"]),
        zones={z["zone"]: _decode_zone(z) for z in doc["zones"]},
        next_touch_up_on=_day(doc["next_touch_up_on"]),
        next_touch_up_zone=doc["next_touch_up_zone"],
        assumptions=tuple(doc["assumptions"]),
    )


_point = fade.CurvePoint
_from_iso = date.fromisoformat


def _decode_zone(z: dict) -> fade.ZoneProjection:
    e, m, la, ey, my, ly = z["window"]
    return fade.ZoneProjection(
        zone=z["zone"],
        baseline=date.fromisoformat(z["baseline"]),
        course_sessions=z["course_sessions"],
        f_bio=z["f_bio"],
        annual_effective_sed=z["annual_effective_sed"],
        rate_per_year=z["rate_per_year"],
        density_now=z["density_now"],
        window=fade.TouchUpWindow(
            earliest=date.fromisoformat(e),
            most_likely=date.fromisoformat(m),
            latest=date.fromisoformat(la),
            earliest_years=ey,
            most_likely_years=my,
            latest_years=ly,
        ),
        p_due_now=z["p_due_now"],
        due_now_override=z["due_now_override"],
        due_now=z["due_now"],
        ignored_healing_ratings=tuple(
            fade.FadeAssessment(day=date.fromisoformat(d), zone=zone, density=x, assessor=a)
            for d, zone, x, a in z["ignored_healing_ratings"]
        ),
        review_reasons=tuple(z["review_reasons"]),
        advisory_reasons=tuple(z["advisory_reasons"]),
        # Positional (day, years, density, p10, p90): hundreds of points per zone.
        curve=tuple([_point(_from_iso(d), y, x, lo, hi) for d, y, x, lo, hi in z["curve"]]),
    )


# --- the projection API's answer, built when the projection is stored ----------------------

API_NOTE = "Every date is an estimate, not a guarantee."


def api_answer_data(client_id: int, projection: fade.Projection) -> dict:
    """What ``GET /api/v1/clients/{id}/projection`` answers for ``projection``, as plain data in
    the order of the API's fields (``api.projection.ProjectionOut``, which validates the same
    data for a projection computed on request). Densities and probabilities are rounded to four
    places: the API's precision."""
    return {
        "client_id": client_id,
        "as_of": projection.as_of,
        "model_version": projection.model_version,
        "threshold_density": float(projection.threshold_density),
        "next_touch_up_on": projection.next_touch_up_on,
        "next_touch_up_zone": projection.next_touch_up_zone,
        "zones": [_zone_answer(z) for z in projection.zones.values()],
        "assumptions": list(projection.assumptions),
        "note": API_NOTE,
    }


def _zone_answer(zone: fade.ZoneProjection) -> dict:
    window = zone.window
    return {
        "zone": zone.zone,
        "baseline": zone.baseline,
        "density_now": round(float(zone.density_now), 4),
        "window": {
            "earliest": window.earliest,
            "most_likely": window.most_likely,
            "latest": window.latest,
        },
        "p_due_now": round(float(zone.p_due_now), 4),
        "due_now": zone.due_now,
        "due_now_override": zone.due_now_override,
        "review_reasons": list(zone.review_reasons),
        "blur_colour_advisory": zone.blur_colour_advisory,
        "advisory_reasons": list(zone.advisory_reasons),
        "curve": [
            {
                "date": p.day,
                "density": round(p.density, 4),
                "density_p10": round(p.density_p10, 4),
                "density_p90": round(p.density_p90, 4),
            }
            for p in zone.curve
        ],
    }


def api_answer(client_id: int, projection: fade.Projection) -> str:
    """``api_answer_data`` as the JSON text the API sends: compact, dates as YYYY-MM-DD, the
    bytes pydantic's ``model_dump_json`` writes for the same data (a test holds them equal)."""
    return _encode(api_answer_data(client_id, projection))


# Built once: the projection API runs it on every read.
_STORED_API_ANSWER = sa.select(ClientProjection.api_document).where(
    ClientProjection.client_id == sa.bindparam("client_id"),
    ClientProjection.as_of == sa.bindparam("as_of"),
)


def stored_api_answer(client_id: int, as_of: date) -> str | None:
    """The stored answer of ``client_id``'s projection if it is the one of ``as_of`` (one
    SELECT); None when there is none for that day (the caller builds it, writing nothing).
    Run on the session's connection: a column needs none of the ORM's execution path."""
    return (
        read_connection.connection()
        .execute(_STORED_API_ANSWER, {"client_id": client_id, "as_of": as_of})
        .scalar()
    )


def store_projections(
    projected: Sequence[tuple[Client, fade.Projection | None]], now: datetime
) -> None:
    """Replace the stored projection documents of these clients: one DELETE, one INSERT."""
    if not projected:
        return
    db.session.execute(
        sa.delete(ClientProjection).where(
            ClientProjection.client_id.in_([c.id for c, _ in projected])
        )
    )
    rows = [
        {
            "client_id": client.id,
            "as_of": projection.as_of,
            "model_version": projection.model_version,
            "computed_at": now,
            "document": encode_projection(projection),
            "api_document": api_answer(client.id, projection),
            **_chart_columns(client, projection),
        }
        for client, projection in projected
        if projection is not None
    ]
    if rows:
        db.session.execute(sa.insert(ClientProjection), rows)


def _chart_columns(client: Client, projection: fade.Projection) -> dict[str, str | None]:
    """The client page's chart section for ``projection`` and its key (``fade_section``), drawn
    from the history as this transaction has it (two SELECTs: its sessions and ratings)."""
    history = history_service.client_history(client)
    chart = charts.chart_for_history(projection, history)
    if chart is None:
        return {"chart_html": None, "chart_key": None}
    return {
        "chart_html": str(charts.section_markup(chart, projection)),
        "chart_key": charts.chart_key(history),
    }


class StaleChartError(AssertionError):
    """(In tests) a stored chart section differs from the one its inputs draw now."""


# The stored chart beside the day and the key it was drawn for; not the document (48 kB of
# curves for a five-zone client), which the page then neither reads nor decodes. The check
# (tests) reads the document in the same statement, so it counts the statements a page sends.
_CHART_COLUMNS = (ClientProjection.as_of, ClientProjection.chart_key, ClientProjection.chart_html)
_STORED_CHART = sa.select(*_CHART_COLUMNS).where(
    ClientProjection.client_id == sa.bindparam("client_id")
)
_STORED_CHART_AND_DOCUMENT = sa.select(
    *_CHART_COLUMNS, sa.cast(ClientProjection.document, sa.Text)
).where(ClientProjection.client_id == sa.bindparam("client_id"))


def fade_section(
    client: Client, history: history_service.ClientHistory, today: date, *, check: bool = False
) -> Markup | None:
    """The client page's fade chart section (``charts.section_markup``), or None when no zone
    has been treated. The one the last write stored when it is ``today``'s and its key is the
    key of ``history`` (one SELECT); else drawn here from the stored projection (one SELECT
    more) or, before the daily replan has moved it to ``today``, from one computed in memory
    (as ``projection_for``), writing nothing: the bulk recompute stores no chart, and a renamed
    assessor or a new release changes the key. ``check`` (the tests) draws it anyway and raises
    ``StaleChartError`` if the stored one differs: the staleness check of the stored markup."""
    from smptrack.services import projections

    statement = _STORED_CHART_AND_DOCUMENT if check else _STORED_CHART
    row = db.session.connection().execute(statement, {"client_id": client.id}).first()
    today_row = row is not None and row.as_of == today
    stored = None
    if today_row and row.chart_html is not None and row.chart_key == charts.chart_key(history):
        # Safe: written by _chart_columns from charts.section_markup, which escapes.
        stored = Markup(row.chart_html)  # noqa: S704
        if not check:
            return stored
    if stored is not None:
        projection = decode_projection(_loads(row[3]))
    elif today_row:
        projection = stored_projection(client) or projections.project_client(client, today)
    else:
        projection = projections.project_client(client, today)
    chart = charts.chart_for_history(projection, history)
    drawn = charts.section_markup(chart, projection) if chart is not None else None
    if stored is not None and drawn != stored:
        raise StaleChartError(f"client {client.id}: the stored chart is not the one drawn now")
    return drawn


try:  # the optional fast serialiser (the "postgres" extra): 10x json.dumps on curves
    import orjson

    def _dumps(projection: fade.Projection) -> str:
        return orjson.dumps(encode_projection(projection, native_dates=True)).decode()

    def _encode(data: dict) -> str:
        return orjson.dumps(data).decode()

    _loads = orjson.loads

except ImportError:  # pragma: no cover - the standard library's, same values

    def _dumps(projection: fade.Projection) -> str:
        return json.dumps(encode_projection(projection), separators=(",", ":"))

    def _encode(data: dict) -> str:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=date.isoformat)

    _loads = json.loads


def store_documents(projected: Sequence[tuple[int, fade.Projection | None]], now: datetime) -> None:
    """``store_projections`` by client id, with each document serialised once here and passed
    to the database as JSON text: on SQLite one DELETE and one executemany INSERT per batch; on
    PostgreSQL an UPDATE in place of the stored rows, which leaves unchanged documents alone,
    and an INSERT of the missing ones (``_store_documents_postgresql``).

    The API's answers are left out (NULL): this is the bulk recompute after a model change,
    where they would cost 30 % of its time (0.4 ms of CPU per client here and 0.4 ms in
    PostgreSQL, for ~25 kB more per row). Until the client's next write or the daily replan
    stores them again, the projection API builds its answer from the new document: the same
    answer, a little slower, and never the old model's."""
    if not projected:
        return
    if db.session.connection().dialect.name == "postgresql":
        _store_documents_postgresql(projected, now)
        return
    db.session.execute(
        sa.delete(ClientProjection).where(
            ClientProjection.client_id.in_([cid for cid, _ in projected])
        ),
        execution_options={"synchronize_session": False},
    )
    rows = _document_rows(projected, now)
    if not rows:
        return
    table = ClientProjection.__table__
    db.session.connection().execute(
        table.insert().values(
            client_id=sa.bindparam("client_id"),
            as_of=sa.bindparam("as_of"),
            model_version=sa.bindparam("model_version"),
            computed_at=sa.bindparam("computed_at", type_=table.c.computed_at.type),
            document=sa.bindparam("document", type_=sa.Text),  # serialised once, above
        ),
        rows,
    )


def _document_rows(
    projected: Sequence[tuple[int, fade.Projection | None]], computed_at: object
) -> list[dict[str, object]]:
    """The rows ``store_documents`` writes: each projection's document serialised once."""
    return [
        {
            "client_id": cid,
            "as_of": projection.as_of,
            "model_version": projection.model_version,
            "computed_at": computed_at,
            "document": _dumps(projection),
        }
        for cid, projection in projected
        if projection is not None
    ]


# PostgreSQL: one UPDATE of the stored rows and one INSERT of the missing ones, each an
# executemany (psycopg pipelines it, the statement prepared once). A row whose version, day and
# document text are those already stored is left as it is: its json is not parsed again (the
# json type checks every document it is given, more than half of the write's database CPU),
# nothing is written, and its API answer and chart, drawn from that same projection, stay valid.
# The others are updated in place: no foreign-key check or primary-key entry per row, as a
# DELETE and an INSERT cost. (One statement over arrays of the batch's documents was slower: the
# server builds and copies a 30 MB array, and unnest's tuplestore spills it to disk.)
_UPDATE_DOCUMENT_POSTGRESQL = """
UPDATE client_projections
SET as_of = %(as_of)s, model_version = %(model_version)s, computed_at = %(computed_at)s,
    document = %(document)s::json, api_document = NULL, chart_html = NULL, chart_key = NULL
WHERE client_id = %(client_id)s
  AND (model_version IS DISTINCT FROM %(model_version)s OR as_of IS DISTINCT FROM %(as_of)s
       OR document::text IS DISTINCT FROM %(document)s)
"""
_INSERT_DOCUMENT_POSTGRESQL = """
INSERT INTO client_projections (client_id, as_of, model_version, computed_at, document)
VALUES (%(client_id)s, %(as_of)s, %(model_version)s, %(computed_at)s, %(document)s::json)
"""


def _store_documents_postgresql(
    projected: Sequence[tuple[int, fade.Projection | None]], now: datetime
) -> None:
    connection = db.session.connection()
    stored = set(
        connection.exec_driver_sql(
            "SELECT client_id FROM client_projections WHERE client_id = ANY(%(ids)s::int[])",
            {"ids": [cid for cid, _ in projected]},
        ).scalars()
    )
    gone = [cid for cid, projection in projected if projection is None and cid in stored]
    if gone:
        connection.exec_driver_sql(
            "DELETE FROM client_projections WHERE client_id = ANY(%(ids)s::int[])", {"ids": gone}
        )
    computed_at = ClientProjection.__table__.c.computed_at.type.process_bind_param(
        now, connection.dialect
    )
    rows = _document_rows(projected, computed_at)
    for statement, chosen in (
        (_UPDATE_DOCUMENT_POSTGRESQL, [row for row in rows if row["client_id"] in stored]),
        (_INSERT_DOCUMENT_POSTGRESQL, [row for row in rows if row["client_id"] not in stored]),
    ):
        if chosen:
            connection.exec_driver_sql(statement, chosen)


# The document as text, parsed here by orjson when installed (a fifth of json.loads' time on a
# long history's curves) rather than by the column type's json.loads.
_STORED_DOCUMENT = sa.select(sa.cast(ClientProjection.document, sa.Text)).where(
    ClientProjection.client_id == sa.bindparam("client_id")
)


def stored_projection(client: Client) -> fade.Projection | None:
    """The projection the last write stored (one SELECT); None if none was ever stored."""
    text = db.session.execute(_STORED_DOCUMENT, {"client_id": client.id}).scalar()
    return decode_projection(_loads(text)) if text is not None else None


def projection_for(client: Client, today: date) -> fade.Projection:
    """What the pages and the API show: the stored projection when it is ``today``'s (one
    SELECT). Before the daily replan has moved it to a new day (or for a client stored before
    this table existed) it is computed in memory; a read never writes it."""
    from smptrack.services import projections

    stored = stored_projection(client)
    if stored is not None and stored.as_of == today:
        return stored
    return projections.project_client(client, today)


def store_sun_doses(clients: Sequence[Client]) -> None:
    """Recompute the monthly dose summaries of ``clients`` from their whole sun log."""
    from smptrack.services import exposure

    if not clients:
        return
    ids = [c.id for c in clients]
    logs: dict[int, list[SunExposure]] = defaultdict(list)
    for entry in db.session.scalars(sa.select(SunExposure).where(SunExposure.client_id.in_(ids))):
        logs[entry.client_id].append(entry)
    db.session.execute(sa.delete(SunDoseMonth).where(SunDoseMonth.client_id.in_(ids)))
    rows = [
        {
            "client_id": client.id,
            "month": summary.month,
            "entries": summary.entries,
            "minutes": summary.minutes,
            "ambient_sed": summary.ambient_sed,
            "effective_sed_by_zone": dict(summary.effective_sed_by_zone),
        }
        for client in clients
        for summary in exposure.monthly_summary(client, zones=ZONES, exposures=logs[client.id])
    ]
    if rows:
        db.session.execute(sa.insert(SunDoseMonth), rows)


def stored_sun_months(client: Client, zones: Sequence[str]):
    """The stored monthly summaries, newest first, with the dose at ``zones`` (one SELECT)."""
    from smptrack.services.exposure import MonthSummary

    rows = db.session.scalars(
        sa.select(SunDoseMonth)
        .where(SunDoseMonth.client_id == client.id)
        .order_by(SunDoseMonth.month.desc())
    )
    return [
        MonthSummary(
            month=r.month,
            entries=r.entries,
            minutes=r.minutes,
            ambient_sed=r.ambient_sed,
            effective_sed_by_zone={z: r.effective_sed_by_zone.get(z, 0.0) for z in zones},
        )
        for r in rows
    ]
