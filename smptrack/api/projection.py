"""The fade projection of one client, and the practitioner's due list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask import url_for
from pydantic import AfterValidator, Field, PrivateAttr

from smptrack.api.common import record
from smptrack.api.registry import operation
from smptrack.api.schemas import PageQuery, QueryDate, QueryModel, ResponseModel
from smptrack.domain import limits
from smptrack.models import User
from smptrack.services import access, due, materialised, projections
from smptrack.web import utc_now


class CurvePointOut(ResponseModel):
    date: date
    density: float = Field(description="Posterior median density, 0..1 of the healed result.")
    density_p10: float = Field(description="Lower edge of the 80 % band (the faded side).")
    density_p90: float = Field(description="Upper edge of the 80 % band.")


class WindowOut(ResponseModel):
    earliest: date = Field(description="P10 date on which density reaches the threshold.")
    most_likely: date = Field(description="P50 date.")
    latest: date = Field(description="P90 date.")


class ZoneProjectionOut(ResponseModel):
    zone: str
    baseline: date = Field(description="Healed baseline: last session treating the zone + 28 days.")
    density_now: float
    window: WindowOut
    p_due_now: float = Field(ge=0, le=1, description="Posterior probability the zone is due now.")
    due_now: bool
    due_now_override: bool = Field(description="A practitioner rating at or below the threshold.")
    review_reasons: list[str]
    blur_colour_advisory: bool
    advisory_reasons: list[str]
    curve: list[CurvePointOut] = Field(description="Monthly points from the baseline.")


_LATEST_AS_OF = date(2100, 12, 31)


def _within_model_dates(value: date) -> date:
    # The model's dates start where SMP does; far beyond the curve's horizon it says nothing.
    # (A check, not Field(ge=...): JSON Schema has no date bounds, so the range is in words.)
    if not limits.EARLIEST_DATE <= value <= _LATEST_AS_OF:
        raise ValueError(f"Give a date from {limits.EARLIEST_DATE} to {_LATEST_AS_OF}.")
    return value


AsOfDate = Annotated[QueryDate, AfterValidator(_within_model_dates)]


class ProjectionQuery(QueryModel):
    as_of: AsOfDate | None = Field(
        None,
        description=(
            f"Project as of this day (YYYY-MM-DD, {limits.EARLIEST_DATE} to {_LATEST_AS_OF}; "
            "default the client's today in their time zone). A past day uses only the sessions, "
            "sun log and ratings dated on or before it and recorded by the end of it (why was "
            "that reminder sent?); a future day moves the clock forward with no new data. "
            "Computed on request; nothing is stored."
        ),
    )


class ProjectionOut(ResponseModel):
    client_id: int
    as_of: date = Field(description="The day projected: the client's today unless `as_of` said.")
    model_version: str
    threshold_density: float
    next_touch_up_on: date | None = Field(description="The earliest zone's most likely date.")
    next_touch_up_zone: str | None
    zones: list[ZoneProjectionOut]
    assumptions: list[str] = Field(description="What the model assumed, in plain words.")
    note: str = "Every date is an estimate, not a guarantee."


class DueQuery(PageQuery, QueryModel):
    before: QueryDate = Field(description="List clients whose window opens before this date.")


class DueClientOut(ResponseModel):
    client_id: int
    display_name: str
    zone: str | None
    most_likely: date
    earliest: date | None
    latest: date | None
    status: list[str] = Field(
        description="Any of `due now`, `review flag`, `blur/colour advisory`."
    )
    url: str


class DuePage(ResponseModel):
    before: date
    items: list[DueClientOut]
    page: int
    per_page: int
    total: int


class _StoredProjectionOut(ProjectionOut):
    """A ``ProjectionOut`` whose JSON was written when the projection was stored
    (``materialised.api_answer``): the answer is sent as it is, not decoded, validated and
    encoded again per request. Only ``model_dump_json`` is used on it (``registry.render``)."""

    _answer: str = PrivateAttr(default="")

    @classmethod
    def of(cls, answer: str) -> _StoredProjectionOut:
        out = cls.model_construct()
        out._answer = answer
        return out

    def model_dump_json(self, **kwargs: Any) -> str:  # type: ignore[override]
        return self._answer


@operation(
    "GET",
    "/clients/<int:client_id>/projection",
    summary="The client's fade projection and touch-up window per zone",
    tag="projection",
    query=ProjectionQuery,
    response=ProjectionOut,
    identity_only=True,
)
def get_projection(actor: access.Actor, client_id: int, query: ProjectionQuery) -> ProjectionOut:
    """Per treated zone: the touch-up window (P10, P50, P90), P(due now), flags and the monthly
    curve; the assumptions used and the model version. Estimates, not guarantees."""
    # A row of the record's columns: today's stored answer needs only its id and time zone.
    # The ORM record is loaded only to compute a projection (another day, or none stored).
    client = access.get_client_row(actor, client_id)
    now = utc_now()
    today = projections.client_today(client, now)
    stored = projection = None
    if query.as_of in (None, today):
        # The answer stored with today's projection, else built from the projection (which
        # ``projection_for`` computes in memory when none of today's is stored).
        stored = materialised.stored_api_answer(client.id, today)
        if stored is None:
            projection = materialised.projection_for(access.get_client(actor, client_id), today)
    else:
        as_of_record = access.get_client(actor, client_id)
        projection = projections.project_client_as_of(as_of_record, query.as_of, now)
    record(
        actor, "read", client_id=client.id, object_type="projection", object_id=client.id, now=now
    )
    if stored is not None:
        return _StoredProjectionOut.of(stored)
    return ProjectionOut.model_validate(materialised.api_answer_data(client.id, projection))


@operation(
    "GET",
    "/due",
    summary="Your clients due for a touch-up before a date",
    tag="projection",
    query=DueQuery,
    response=DuePage,
    roles=("practitioner",),
)
def list_due(actor: User, query: DueQuery) -> DuePage:
    """Clients whose window opens before ``before`` (or who are due now), by most likely date."""
    found = due.due_clients(actor, query.before, page=query.page, per_page=query.per_page)
    return DuePage(
        before=query.before,
        items=[
            DueClientOut(
                client_id=c.id,
                display_name=c.display_name,
                zone=c.next_touch_up_zone,
                most_likely=c.next_touch_up_on,
                earliest=c.touch_up_earliest_on,
                latest=c.touch_up_latest_on,
                status=due.status_words(c),
                url=url_for("api.get_client", client_id=c.id),
            )
            for c in found.items
        ],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )
