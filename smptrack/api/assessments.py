"""Fade assessments."""

from __future__ import annotations

from smptrack.api.registry import operation
from smptrack.api.schemas import AssessmentCreate, AssessmentOut, AssessmentPage, PageQuery
from smptrack.models import FadeAssessment, User
from smptrack.services import access, assessments
from smptrack.web import utc_now


def assessment_out(assessment: FadeAssessment, actor: User) -> AssessmentOut:
    """The assessment as ``actor`` may read it: an internal practitioner's note is empty for
    the client, as on the pages (``access.may_read_notes``)."""
    out = AssessmentOut.model_validate(assessment)
    if access.may_read_notes(actor, assessment):
        return out
    return out.model_copy(update={"note": ""})


@operation(
    "GET",
    "/clients/<int:client_id>/assessments",
    summary="A client's fade assessments, newest first",
    tag="assessments",
    query=PageQuery,
    response=AssessmentPage,
)
def list_assessments(actor: User, client_id: int, query: PageQuery) -> AssessmentPage:
    client = access.get_client(actor, client_id)
    items, total = assessments.assessments_page(client, page=query.page, per_page=query.per_page)
    assessments.record_list_read(actor, client, now=utc_now())
    return AssessmentPage(
        items=[assessment_out(a, actor) for a in items],
        page=query.page,
        per_page=query.per_page,
        total=total,
    )


@operation(
    "POST",
    "/clients/<int:client_id>/assessments",
    summary="Record a density estimate for one zone",
    tag="assessments",
    body=AssessmentCreate,
    response=AssessmentOut,
    status=201,
)
def record_assessment(actor: User, client_id: int, body: AssessmentCreate) -> AssessmentOut:
    """`density_pct` is the percent of the healed result. A client records `client_self`
    (the default for a client); a practitioner `practitioner_in_person` (their default) or
    `practitioner_photo`."""
    client = access.get_client(actor, client_id)
    now = utc_now()
    values = body.model_dump()
    if values["assessor_kind"] is None:
        values["assessor_kind"] = assessments.assessor_kinds_for(actor)[0]
    created = assessments.record_assessment(
        actor, client, assessments.AssessmentInput(**values), now=now
    )
    return assessment_out(created, actor)
