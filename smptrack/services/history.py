"""One client's whole history, loaded in a bounded number of queries, and the audit trail.

The history page shows every session with its placements and pigment lots, the sun log summed by
month, and the fade assessments, merged into one timeline. However long the history, loading it
costs a fixed handful of SELECTs: sessions, then placements, lots and pigments by ``selectinload``
(one IN query each), assessments, the sun log (the monthly doses the writes stored, one query),
and the names of the people who recorded things (one query). Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.domain.vocabulary import ZONES
from smptrack.extensions import db
from smptrack.models import (
    AuditEvent,
    Client,
    FadeAssessment,
    PigmentLot,
    Placement,
    TreatmentSession,
    User,
)
from smptrack.services import materialised
from smptrack.services.pagination import Page

T = TypeVar("T")


@dataclass(frozen=True)
class SunMonth:
    """A month of the sun log: entries, minutes outdoors, the ambient dose and the effective dose
    at each treated zone (both in SED, FADE-MODEL §3)."""

    month: date  # the first of the month
    entries: int
    minutes: int
    ambient_sed: float = 0.0
    effective_sed_by_zone: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelineEvent:
    """A dated thing on the timeline: a treatment session or a fade assessment."""

    on: date
    kind: str  # "session" or "assessment"
    item: TreatmentSession | FadeAssessment


@dataclass(frozen=True)
class HistoryMonth:
    """One month of the timeline: its sun summary (if anything was logged) and its events, newest
    first."""

    month: date
    sun: SunMonth | None
    events: list[TimelineEvent]


@dataclass(frozen=True)
class ClientHistory:
    client: Client
    sessions: list[TreatmentSession]  # newest first, placements, lots and pigments loaded
    assessments: list[FadeAssessment]  # newest first
    sun_months: list[SunMonth]  # newest first
    months: list[HistoryMonth]  # the merged timeline, newest first
    treated_zones: list[str]  # in the order of the zone vocabulary
    people: dict[int, str]  # user id -> display name, for "logged by" and "assessed by"

    @property
    def is_empty(self) -> bool:
        return not (self.sessions or self.assessments or self.sun_months)


def client_history(client: Client) -> ClientHistory:
    """Everything on ``client``'s timeline. The caller loaded ``client`` through the access policy.

    Runs a fixed number of queries whatever the number of sessions, placements, sun entries and
    assessments.
    """
    sessions = list(
        db.session.scalars(
            sa.select(TreatmentSession)
            .where(TreatmentSession.client_id == client.id)
            .order_by(TreatmentSession.performed_on.desc(), TreatmentSession.id.desc())
            .options(
                so.selectinload(TreatmentSession.placements)
                .selectinload(Placement.pigment_lot)
                .selectinload(PigmentLot.pigment)
            )
        )
    )
    assessments = list(
        db.session.scalars(
            sa.select(FadeAssessment)
            .where(FadeAssessment.client_id == client.id)
            .order_by(FadeAssessment.assessed_on.desc(), FadeAssessment.id.desc())
        )
    )
    zones_used = {placement.zone for s in sessions for placement in s.placements}
    treated_zones = [zone for zone in ZONES if zone in zones_used]
    sun_months = _sun_months(client, treated_zones)
    people = _names(
        {s.logged_by_id for s in sessions}
        | {s.performed_by_id for s in sessions}
        | {a.assessed_by_id for a in assessments}
    )
    return ClientHistory(
        client=client,
        sessions=sessions,
        assessments=assessments,
        sun_months=sun_months,
        months=_merge(sessions, assessments, sun_months),
        treated_zones=treated_zones,
        people=people,
    )


def _sun_months(client: Client, zones: list[str]) -> list[SunMonth]:
    """The sun log by month, newest first, with the dose at each treated zone (one query)."""
    return [
        SunMonth(
            month=summary.month,
            entries=summary.entries,
            minutes=summary.minutes,
            ambient_sed=summary.ambient_sed,
            effective_sed_by_zone=dict(summary.effective_sed_by_zone),
        )
        for summary in materialised.stored_sun_months(client, zones)
    ]


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _merge(
    sessions: Sequence[TreatmentSession],
    assessments: Sequence[FadeAssessment],
    sun_months: Sequence[SunMonth],
) -> list[HistoryMonth]:
    events: dict[date, list[TimelineEvent]] = defaultdict(list)
    for treatment in sessions:
        events[treatment.performed_on.replace(day=1)].append(
            TimelineEvent(on=treatment.performed_on, kind="session", item=treatment)
        )
    for assessment in assessments:
        events[assessment.assessed_on.replace(day=1)].append(
            TimelineEvent(on=assessment.assessed_on, kind="assessment", item=assessment)
        )
    sun = {month.month: month for month in sun_months}
    months = sorted(set(events) | set(sun), reverse=True)
    # On one day the assessment follows the session it rates; newest first puts it on top.
    order = {"assessment": 1, "session": 0}
    return [
        HistoryMonth(
            month=month,
            sun=sun.get(month),
            events=sorted(
                events.get(month, []),
                key=lambda e: (e.on, order[e.kind], e.item.id),
                reverse=True,
            ),
        )
        for month in months
    ]


# --- the client list ------------------------------------------------------------------------


def last_sessions(client_ids: Sequence[int]) -> dict[int, date]:
    """The date of each client's latest session, for a page of the client list (one query)."""
    if not client_ids:
        return {}
    rows = db.session.execute(
        sa.select(TreatmentSession.client_id, sa.func.max(TreatmentSession.performed_on))
        .where(TreatmentSession.client_id.in_(list(client_ids)))
        .group_by(TreatmentSession.client_id)
    )
    return {client_id: last for client_id, last in rows}


# --- the audit trail ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    event: AuditEvent
    actor_name: str | None  # None: the person's login was erased, or the system acted


def audit_page(client_id: int, *, page: int, per_page: int) -> Page[AuditLine]:
    """One page of the audit events about ``client_id``, newest first, with who acted (2 queries).

    The caller has checked that the viewer runs this client's practice.
    """
    where = AuditEvent.client_id == client_id
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(where)) or 0
    per_page = max(1, per_page)
    last = max(1, -(-total // per_page))
    page = min(max(1, page), last)
    rows = db.session.execute(
        sa.select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(where)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [AuditLine(event=event, actor_name=name) for event, name in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)
