"""Treatment sessions with their placements."""

from __future__ import annotations

from dataclasses import replace

from smptrack.api.common import page_slice
from smptrack.api.registry import operation
from smptrack.api.schemas import (
    Deleted,
    PageQuery,
    PlacementIn,
    SessionCreate,
    SessionOut,
    SessionPage,
    SessionPatch,
)
from smptrack.models import TreatmentSession, User
from smptrack.services import access, treatments
from smptrack.web import utc_now


def session_out(treatment_session: TreatmentSession, actor: User) -> SessionOut:
    """The session as ``actor`` may read it: a client meets the practice's internal notes (and
    depth notes) as empty strings, as on the pages (``access.may_read_notes``)."""
    out = SessionOut.model_validate(treatment_session)
    if access.may_read_notes(actor, treatment_session):
        return out
    return out.model_copy(
        update={
            "notes": "",
            "placements": [p.model_copy(update={"depth_note": ""}) for p in out.placements],
        }
    )


def placement_input(placement: PlacementIn) -> treatments.PlacementInput:
    return treatments.PlacementInput(**placement.model_dump())


@operation(
    "GET",
    "/clients/<int:client_id>/sessions",
    summary="A client's sessions, newest first",
    tag="sessions",
    query=PageQuery,
    response=SessionPage,
)
def list_sessions(actor: User, client_id: int, query: PageQuery) -> SessionPage:
    client = access.get_client(actor, client_id)
    found = treatments.sessions_of(client)
    treatments.record_list_read(actor, client, now=utc_now())
    return SessionPage(
        items=[session_out(s, actor) for s in page_slice(found, query.page, query.per_page)],
        page=query.page,
        per_page=query.per_page,
        total=len(found),
    )


@operation(
    "POST",
    "/clients/<int:client_id>/sessions",
    summary="Record a session with its placements",
    tag="sessions",
    body=SessionCreate,
    response=SessionOut,
    status=201,
    errors=(403, 409),
)
def create_session(actor: User, client_id: int, body: SessionCreate) -> SessionOut:
    """By the client's practitioner (each placement names a lot of their own catalogue), or by
    the client themself for a session their practitioner does not record in smptrack (each
    placement names the pigment in `pigment_free_text`). A lot that had expired by the session
    date is refused (422, field `confirm_expired_lot`) unless `confirm_expired_lot` is true.
    Once the practice has published a consent text, a session the practice records for a client
    without a valid consent is refused (409, field `consent_override_reason`) unless
    `consent_override_reason` says why; the reason, who gave it and when are stored."""
    client = access.get_client(actor, client_id)
    now = utc_now()
    data = treatments.SessionInput(
        **body.model_dump(exclude={"placements"}),
        placements=[placement_input(p) for p in body.placements],
    )
    created = treatments.record_session(actor, client, data, now=now)
    return session_out(created, actor)


@operation(
    "GET", "/sessions/<int:session_id>", summary="One session", tag="sessions", response=SessionOut
)
def get_session(actor: User, session_id: int) -> SessionOut:
    found = treatments.get_session(actor, session_id)
    treatments.record_read(actor, found, now=utc_now())
    return session_out(found, actor)


@operation(
    "PATCH",
    "/sessions/<int:session_id>",
    summary="Change a session",
    tag="sessions",
    body=SessionPatch,
    response=SessionOut,
    errors=(403,),
)
def update_session(actor: User, session_id: int, body: SessionPatch) -> SessionOut:
    """Only the fields sent change; `placements`, when sent, replace the session's placements.
    The practitioner changes their practice's sessions, a client the sessions they logged."""
    found = treatments.get_session(actor, session_id)
    now = utc_now()
    current = treatments.session_input_from(found)
    changes = body.model_dump(include=body.model_fields_set - {"placements"})
    data = replace(current, **changes)
    if "placements" in body.model_fields_set:
        data = replace(data, placements=[placement_input(p) for p in body.placements])
    changed = treatments.update_session(actor, found, data, now=now)
    return session_out(changed, actor)


@operation(
    "DELETE",
    "/sessions/<int:session_id>",
    summary="Delete a session and its placements",
    tag="sessions",
    response=Deleted,
    errors=(403,),
)
def delete_session(actor: User, session_id: int) -> Deleted:
    found = treatments.get_session(actor, session_id)
    treatments.delete_session(actor, found, now=utc_now())
    return Deleted(object="treatment_session", id=session_id)
