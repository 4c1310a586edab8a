"""The sun log: a client's time outdoors, and the UV dose it puts into each treated zone.

The dose is never typed in. Each entry is turned into ``smptrack.domain.uv.Exposure`` and priced
by ``uv.effective_sed`` (FADE-MODEL §3) for every zone the client has pigment in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from smptrack.domain import sky, uv
from smptrack.domain.limits import DURATION_MINUTES, EARLIEST_DATE, SPF, UV_INDEX
from smptrack.domain.vocabulary import HAIR_LENGTHS, HATS, UV_INDEX_KINDS, ZONES
from smptrack.extensions import db
from smptrack.models import Client, Placement, SunExposure, TreatmentSession
from smptrack.services import audit
from smptrack.services.access import Actor, refused, visible_clients
from smptrack.services.errors import ValidationFailed
from smptrack.services.profile import client_today, require_acts_for

# A daily maximum with no start time is read as a window overlapping midday (0.7 x max rather
# than 0.4 x max): the conservative reading, which errs towards an early check, never a late one.
ASSUMED_START = time(12, 0)
# The audit trail's name for an entry of the sun log, and for the log as a whole.
OBJECT = "sun_exposure"
LOG_OBJECT = "sun_log"


@dataclass(frozen=True)
class ExposureInput:
    """One stretch of time outdoors as a person reports it.

    ``uv_index`` is the period's average (``uv_index_kind="average"``) or the day's maximum
    (``"daily_max"``); clock times are local wall-clock times on ``exposed_on``;
    ``hair_length=None`` means the client's usual hair length.
    """

    exposed_on: date
    duration_minutes: int
    uv_index: float | None
    uv_index_kind: str = "daily_max"
    start_time: time | None = None
    hat: str = "none"
    sunscreen_spf: int | None = None
    sunscreen_applied_at: time | None = None
    sunscreen_generous: bool = False
    swimming: bool = False
    hair_length: str | None = None
    # With no UV index: the sky the client saw (``sky.SKIES``); the index is then estimated
    # from the sun at the client's location over [start_time, start_time + duration].
    sky: str | None = None


@dataclass(frozen=True)
class MonthSummary:
    """The logged entries of one month: totals, ambient dose and effective dose per zone (SED)."""

    month: date  # the first of the month
    entries: int
    minutes: int
    ambient_sed: float
    effective_sed_by_zone: dict[str, float] = field(default_factory=dict)


def validate_exposure(client: Client, data: ExposureInput, *, now: datetime) -> ExposureInput:
    """``data`` checked against the rules; raises ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    today = client_today(client, now)
    if not isinstance(data.exposed_on, date) or isinstance(data.exposed_on, datetime):
        errors["exposed_on"] = "Enter the date as YYYY-MM-DD."
    elif data.exposed_on > today:
        errors["exposed_on"] = "The date is in the future; log time outdoors once it has happened."
    elif data.exposed_on < EARLIEST_DATE:
        errors["exposed_on"] = f"Enter a date from {EARLIEST_DATE.year} onwards."
    if not _is_int(data.duration_minutes) or data.duration_minutes not in DURATION_MINUTES:
        errors["duration_minutes"] = (
            f"Enter the minutes outdoors, {DURATION_MINUTES.words()} (a whole day)."
        )
    if data.uv_index is None:
        if data.sky not in sky.SKIES:
            errors["sky"] = "Without a UV index, say what the sky was like."
        if data.start_time is None:
            errors["start_time"] = "Without a UV index, give the time you went out."
    elif not _is_number(data.uv_index) or data.uv_index not in UV_INDEX:
        errors["uv_index"] = f"Enter a UV index {UV_INDEX.words()} (the forecast gives it)."
    elif data.sky is not None:
        errors["sky"] = "Give the UV index or the sky, not both."
    if data.uv_index_kind not in UV_INDEX_KINDS:
        errors["uv_index_kind"] = (
            "Say whether the UV index is the period's average or the day's maximum."
        )
    if data.start_time is not None and not isinstance(data.start_time, time):
        errors["start_time"] = "Enter the start time as HH:MM."
    if data.hat not in HATS:
        errors["hat"] = "Choose no hat, a cap or a wide brim."
    spf = data.sunscreen_spf
    if spf is not None and (not _is_int(spf) or spf not in SPF):
        errors["sunscreen_spf"] = f"Enter an SPF {SPF.words()}, or leave it empty if none was used."
    if data.sunscreen_applied_at is not None:
        if not isinstance(data.sunscreen_applied_at, time):
            errors["sunscreen_applied_at"] = "Enter the time as HH:MM."
        elif spf is None:
            errors.setdefault(
                "sunscreen_spf", "Give the sunscreen's SPF, or clear the time it was applied."
            )
        elif data.start_time is None:
            errors.setdefault(
                "start_time",
                "Give the start time too, so the sunscreen's two hours can be placed in it.",
            )
    if data.sunscreen_generous and spf is None:
        errors.setdefault(
            "sunscreen_spf", "Give the sunscreen's SPF, or untick 'applied generously'."
        )
    for name in ("sunscreen_generous", "swimming"):
        if not isinstance(getattr(data, name), bool):
            errors[name] = "Answer yes or no."
    if data.hair_length is not None and data.hair_length not in HAIR_LENGTHS:
        errors["hair_length"] = "Choose a hair length from the list."
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    return data


def log_exposure(
    actor: Actor, client: Client, data: ExposureInput, *, now: datetime
) -> SunExposure:
    """Add one entry to ``client``'s sun log, by the client themself or their practitioner.

    Refuses a date in the future in the client's time zone. Raises NotFound (not the actor's
    client) or ValidationFailed (nothing is written). Flushes, never commits.
    """
    require_acts_for(actor, client)
    data = validate_exposure(client, data, now=now)
    estimated = data.uv_index is None
    if estimated:
        data = replace(data, uv_index=estimate_uv_index(client, data), uv_index_kind="average")
    assert data.uv_index is not None
    entry = SunExposure(
        client_id=client.id,
        exposed_on=data.exposed_on,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
        uv_index=float(data.uv_index),
        uv_index_kind=data.uv_index_kind,
        sky=data.sky,
        uv_index_estimated=estimated,
        hat=data.hat,
        sunscreen_spf=data.sunscreen_spf,
        sunscreen_applied_at=data.sunscreen_applied_at,
        sunscreen_generous=data.sunscreen_generous,
        swimming=data.swimming,
        # The hair length at the time is part of the record: a later change of the usual
        # length must not rewrite the dose of days already logged.
        hair_length=data.hair_length or client.hair_length,
        logged_by_id=actor.id,
        created_at=now,
    )
    # Price it once now: anything the domain refuses is a validation error, not a 500 later.
    _domain_exposure(entry)
    db.session.add(entry)
    db.session.flush()
    audit.record_event(
        actor, "create", client_id=client.id, object_type=OBJECT, object_id=entry.id, now=now
    )
    return entry


def location_of(client: Client) -> sky.Location | None:
    """The client's own coordinates, else those the tz database gives their time zone; None
    when neither is known (a zone such as UTC has no place)."""
    if client.latitude is not None and client.longitude is not None:
        return sky.Location(client.latitude, client.longitude)
    return sky.default_location(client.time_zone or "UTC")


def estimate_uv_index(client: Client, data: ExposureInput) -> float:
    """The window's average UV index estimated from the sun and the sky (FADE-MODEL §11).

    The local clock times are placed in the client's time zone and converted to UTC (so a
    window across a DST change has its true length). Capped at the UV index limit: under thin
    ozone the formula can exceed what ``uv.Exposure`` accepts. Raises ValidationFailed when
    the client has no location to put the sun over.
    """
    location = location_of(client)
    if location is None:
        raise ValidationFailed(
            "We cannot estimate the UV index without knowing where you are.",
            {"sky": "Give the UV index, or set your location or time zone in the profile."},
        )
    assert data.start_time is not None and data.sky is not None
    zone = ZoneInfo(client.time_zone or "UTC")
    start = datetime.combine(data.exposed_on, data.start_time, tzinfo=zone).astimezone(UTC)
    end = start + timedelta(minutes=data.duration_minutes)
    average = sky.uv_index_average_from_sky(start, end, location, data.sky)  # type: ignore[arg-type]
    return round(min(average, float(UV_INDEX.high)), 2)


def get_exposure(actor: Actor, exposure_id: int) -> SunExposure:
    """The sun log entry ``exposure_id`` if its client is the actor's to act for, else NotFound."""
    entry = db.session.scalar(
        sa.select(SunExposure)
        .join(Client, Client.id == SunExposure.client_id)
        .where(SunExposure.id == exposure_id)
        .where(Client.id.in_(visible_clients(actor).with_only_columns(Client.id)))
    )
    if entry is None:
        raise refused(actor, SunExposure, exposure_id, "sun_exposure", "No such sun log entry.")
    return entry


def delete_exposure(actor: Actor, exposure_id: int, *, now: datetime) -> SunExposure:
    """Remove one entry (the client themself or their practitioner). Returns the removed row.

    Raises NotFound for another tenant's entry. Flushes, never commits.
    """
    entry = get_exposure(actor, exposure_id)
    db.session.delete(entry)
    db.session.flush()
    audit.record_event(
        actor, "delete", client_id=entry.client_id, object_type=OBJECT, object_id=entry.id, now=now
    )
    return entry


def exposures_of(
    client: Client, *, year: int | None = None, month: int | None = None
) -> list[SunExposure]:
    """The client's entries, newest first; all of them, one year, or one month of one year."""
    query = sa.select(SunExposure).where(SunExposure.client_id == client.id)
    if year is not None:
        if month is None:
            first, after = date(year, 1, 1), date(year + 1, 1, 1)
        else:
            first = date(year, month, 1)
            after = _next_month(first)
        query = query.where(SunExposure.exposed_on >= first, SunExposure.exposed_on < after)
    query = query.order_by(
        SunExposure.exposed_on.desc(), SunExposure.start_time.desc(), SunExposure.id.desc()
    )
    return list(db.session.scalars(query))


def treated_zones(client: Client) -> list[str]:
    """Zones the client has pigment in (from their placements), in vocabulary order.

    Every zone when nothing is recorded yet, so a new client's log still shows a dose.
    """
    found = set(
        db.session.scalars(
            sa.select(Placement.zone)
            .join(TreatmentSession, TreatmentSession.id == Placement.session_id)
            .where(TreatmentSession.client_id == client.id)
            .distinct()
        )
    )
    return [zone for zone in ZONES if zone in found] or list(ZONES)


def to_domain_exposure(exposure: SunExposure) -> uv.Exposure:
    """A stored entry as the UV model's ``Exposure`` (for the projection too)."""
    return _domain_exposure(exposure)


def effective_dose_by_zone(
    client: Client, exposure: SunExposure, *, zones: Sequence[str] | None = None
) -> dict[str, float]:
    """Effective SED at the pigment of each treated zone for one entry (FADE-MODEL §3).

    ``zones`` defaults to ``treated_zones(client)`` (one query); pass it when pricing many entries.
    """
    zones = treated_zones(client) if zones is None else zones
    skin = uv.skin_sed(_domain_exposure(exposure), client.fitzpatrick)
    return {zone: skin * uv.zone_transmission(zone, exposure.hat) for zone in zones}


def ambient_dose(exposure: SunExposure) -> float:
    """Ambient erythemal dose of one entry in SED (0.9 x average UVI x hours)."""
    return uv.ambient_sed(_domain_exposure(exposure))


def monthly_summary(
    client: Client,
    *,
    zones: Sequence[str] | None = None,
    exposures: Iterable[SunExposure] | None = None,
) -> list[MonthSummary]:
    """Per month with entries, newest first: entries, minutes, ambient and effective SED per zone.

    Two queries at most (the treated zones and the whole log), whatever the log's length; pass
    ``zones`` and ``exposures`` when the caller has them already.
    """
    zones = treated_zones(client) if zones is None else list(zones)
    exposures = exposures_of(client) if exposures is None else exposures
    months: dict[date, dict] = {}
    for entry in exposures:
        key = entry.exposed_on.replace(day=1)
        totals = months.setdefault(
            key, {"entries": 0, "minutes": 0, "ambient": 0.0, "zones": dict.fromkeys(zones, 0.0)}
        )
        domain = _domain_exposure(entry)
        skin = uv.skin_sed(domain, client.fitzpatrick)
        totals["entries"] += 1
        totals["minutes"] += entry.duration_minutes
        totals["ambient"] += uv.ambient_sed(domain)
        for zone in zones:
            totals["zones"][zone] += skin * uv.zone_transmission(zone, entry.hat)
    return [
        MonthSummary(
            month=key,
            entries=totals["entries"],
            minutes=totals["minutes"],
            ambient_sed=totals["ambient"],
            effective_sed_by_zone=totals["zones"],
        )
        for key, totals in sorted(months.items(), reverse=True)
    ]


def _domain_exposure(entry: SunExposure) -> uv.Exposure:
    try:
        return uv.Exposure(
            day=entry.exposed_on,
            start=entry.start_time or ASSUMED_START,
            duration_minutes=entry.duration_minutes,
            uv_index=entry.uv_index,
            uv_index_kind=entry.uv_index_kind,  # type: ignore[arg-type]
            hat=entry.hat,  # type: ignore[arg-type]
            spf=entry.sunscreen_spf,
            sunscreen_applied_at=entry.sunscreen_applied_at,
            generous_sunscreen=bool(entry.sunscreen_generous),
            swimming=bool(entry.swimming),
            hair_length=entry.hair_length,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise ValidationFailed(f"This sun log entry cannot be priced: {exc}") from exc


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def record_log_read(actor: Actor, client: Client, *, now: datetime) -> None:
    """The audit line of reading ``client``'s sun log (a month of it, or all)."""
    audit.record_event(
        actor, "read", client_id=client.id, object_type=LOG_OBJECT, object_id=None, now=now
    )


def record_entry_read(actor: Actor, entry: SunExposure, *, now: datetime) -> None:
    """The audit line of reading one entry of a sun log."""
    audit.record_event(
        actor, "read", client_id=entry.client_id, object_type=OBJECT, object_id=entry.id, now=now
    )
