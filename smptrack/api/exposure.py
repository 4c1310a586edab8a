"""The sun log."""

from __future__ import annotations

from smptrack.api.common import page_slice
from smptrack.api.registry import operation
from smptrack.api.schemas import ExposureCreate, ExposureOut, ExposurePage, ExposureQuery
from smptrack.models import User
from smptrack.services import access, exposure
from smptrack.services.errors import ValidationFailed
from smptrack.web import utc_now


@operation(
    "GET",
    "/clients/<int:client_id>/sun-exposures",
    summary="A client's sun log, newest first",
    tag="sun exposure",
    query=ExposureQuery,
    response=ExposurePage,
)
def list_exposures(actor: User, client_id: int, query: ExposureQuery) -> ExposurePage:
    """All of it, one `year`, or one `month` of a year."""
    if query.month is not None and query.year is None:
        raise ValidationFailed("Give the year of the month.", {"year": "Give the year too."})
    client = access.get_client(actor, client_id)
    found = exposure.exposures_of(client, year=query.year, month=query.month)
    exposure.record_log_read(actor, client, now=utc_now())
    return ExposurePage(
        items=[
            ExposureOut.model_validate(e) for e in page_slice(found, query.page, query.per_page)
        ],
        page=query.page,
        per_page=query.per_page,
        total=len(found),
    )


@operation(
    "POST",
    "/clients/<int:client_id>/sun-exposures",
    summary="Log time outdoors",
    tag="sun exposure",
    body=ExposureCreate,
    response=ExposureOut,
    status=201,
)
def log_exposure(actor: User, client_id: int, body: ExposureCreate) -> ExposureOut:
    """By the client or their practitioner. `uv_index` is the period's `average` or the day's
    `daily_max` (say which in `uv_index_kind`); times are local wall-clock times. Without a
    UV index, give `sky` and `start_time`: the window's average is estimated from the sun at the
    client's location (FADE-MODEL §11) and the entry says `uv_index_estimated`. The effective
    dose at each zone is derived (FADE-MODEL §3), never sent."""
    client = access.get_client(actor, client_id)
    now = utc_now()
    entry = exposure.log_exposure(
        actor, client, exposure.ExposureInput(**body.model_dump()), now=now
    )
    return ExposureOut.model_validate(entry)
