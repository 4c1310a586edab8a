"""The photo timeline: per zone, the healed baseline photo beside the latest one.

A zone's healed baseline is FADE-MODEL §1's: the latest session that treated it + 28 days. Its
baseline photo is the first photo of the zone taken on or after that day (a touch-up moves it
on); a zone no session treated takes its first photo. The whole scalp (``zone`` None) counts
from the latest session of any zone. Two queries, whatever the history's length: the last
session date per zone, and the client's photos (a few columns each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from smptrack.domain.constants import constant
from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import Client, Photo, Placement, TreatmentSession

HEALED_AFTER = timedelta(days=constant("healed_baseline_days"))


@dataclass(frozen=True)
class PhotoRef:
    id: int
    zone: str | None
    taken_on: date
    width: int
    height: int


@dataclass(frozen=True)
class ZonePhotos:
    """One zone's row of the timeline. ``baseline`` None: no photo since the zone healed."""

    zone: str | None  # None: the whole scalp
    healed_on: date | None  # None: no session treated it
    baseline: PhotoRef | None
    latest: PhotoRef
    count: int

    @property
    def comparable(self) -> bool:
        return self.baseline is not None and self.baseline.id != self.latest.id


# Built once with bound parameters: every client page reads the photos, and composing a
# SELECT cost more than running it (the client's photos are a few rows on its index).
_CLIENT_ID = sa.bindparam("client_id")
_PHOTOS = (
    sa.select(Photo.id, Photo.zone, Photo.taken_on, Photo.width, Photo.height)
    .where(Photo.client_id == _CLIENT_ID)
    .order_by(Photo.taken_on, Photo.id)
)
_LAST_SESSION_BY_ZONE = (
    sa.select(Placement.zone, sa.func.max(TreatmentSession.performed_on))
    .join(TreatmentSession, TreatmentSession.id == Placement.session_id)
    .where(TreatmentSession.client_id == _CLIENT_ID)
    .group_by(Placement.zone)
)


def _healed_dates(client_id: int) -> dict[str | None, date]:
    rows = db.session.execute(_LAST_SESSION_BY_ZONE, {"client_id": client_id}).all()
    healed = {zone: last + HEALED_AFTER for zone, last in rows}
    if healed:
        healed[None] = max(healed.values())
    return healed


def timeline(client: Client) -> list[ZonePhotos]:
    """The client's zones that have photos, in the vocabulary's order, whole scalp first."""
    photos = db.session.execute(_PHOTOS, {"client_id": client.id}).all()
    if not photos:
        return []
    healed = _healed_dates(client.id)
    by_zone: dict[str | None, list[PhotoRef]] = {}
    for row in photos:
        by_zone.setdefault(row.zone, []).append(PhotoRef(*row))
    rows = []
    for zone in (None, *ZONES):
        found = by_zone.get(zone)
        if not found:
            continue
        healed_on = healed.get(zone)
        if healed_on is None:
            baseline = found[0]
        else:
            baseline = next((p for p in found if p.taken_on >= healed_on), None)
        rows.append(
            ZonePhotos(
                zone=zone,
                healed_on=healed_on,
                baseline=baseline,
                latest=found[-1],
                count=len(found),
            )
        )
    return rows


def for_zone(client: Client, zone: str | None) -> ZonePhotos | None:
    """One zone's baseline and latest (the assessment form shows them side by side)."""
    return next((row for row in timeline(client) if row.zone == zone), None)


def pair_for_rating(client: Client, *, zone: str | None, photo: Photo | None) -> ZonePhotos | None:
    """What the assessment form shows: the zone's healed baseline beside the photo being rated
    (``photo``), or beside the zone's latest photo."""
    row = for_zone(client, photo.zone if photo is not None else zone)
    if row is None or photo is None:
        return row
    rated = PhotoRef(photo.id, photo.zone, photo.taken_on, photo.width, photo.height)
    baseline = row.baseline
    if baseline is not None and baseline.taken_on > rated.taken_on:
        baseline = None  # the photo predates the zone's latest healing: no baseline for it
    return ZonePhotos(
        zone=row.zone, healed_on=row.healed_on, baseline=baseline, latest=rated, count=row.count
    )
