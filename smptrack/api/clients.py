"""Client records: list, create, read, change the profile, erase, export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import sqlalchemy as sa
from flask import Response, current_app

from smptrack.api.registry import operation
from smptrack.api.schemas import (
    ClientCreate,
    ClientOut,
    ClientPage,
    ClientPatch,
    ClientQuery,
    Deleted,
)
from smptrack.links import url_by_id
from smptrack.models import Client, User
from smptrack.services import access, exports, profile
from smptrack.services import clients as client_service
from smptrack.web import folders, remote_addr, utc_now


def client_out(client: Client | sa.Row, actor: access.Actor) -> ClientOut:
    """The record (an ORM row or a row of its columns) as ``actor`` may read it: the practice's
    notes on the record are internal, so a client reads them as an empty string
    (``access.may_read_record_notes``)."""
    url = url_by_id("api.get_client", "client_id")(client.id)
    return ClientOut.of(client, url, notes=access.may_read_record_notes(actor))


@operation(
    "GET",
    "/clients",
    summary="The clients you may see",
    tag="clients",
    query=ClientQuery,
    response=ClientPage,
)
def list_clients(actor: User, query: ClientQuery) -> ClientPage:
    """A practitioner sees their practice's clients, a client their own record. Paginated."""
    found = client_service.list_clients(
        actor, search=query.q, sort=query.sort, page=query.page, per_page=query.per_page
    )
    return ClientPage(
        items=[client_out(c, actor) for c in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )


@operation(
    "POST",
    "/clients",
    summary="Add a client to your practice",
    tag="clients",
    body=ClientCreate,
    response=ClientOut,
    status=201,
    errors=(409,),
    roles=("practitioner",),
)
def create_client(actor: User, body: ClientCreate) -> Callable[[], ClientOut]:
    now = utc_now()
    client = client_service.create_client(
        actor,
        display_name=body.display_name,
        email=body.email,
        time_zone=body.time_zone or current_app.config["DEFAULT_TIME_ZONE"],
        notes=body.notes,
        confirm_duplicate=body.confirm_duplicate,
        now=now,
    )
    return lambda: client_out(client, actor)  # after the commit, which refreshes the projection


@operation(
    "GET",
    "/clients/<int:client_id>",
    summary="One client",
    tag="clients",
    response=ClientOut,
    identity_only=True,
)
def get_client(actor: access.Actor, client_id: int) -> ClientOut:
    # A row of the record's columns, not an ORM instance: the answer only shows it.
    client = access.get_client_row(actor, client_id)
    client_service.record_read(actor, client, now=utc_now())
    return client_out(client, actor)


@operation(
    "PATCH",
    "/clients/<int:client_id>",
    summary="Change a client's profile facts",
    tag="clients",
    body=ClientPatch,
    response=ClientOut,
)
def update_client(actor: User, client_id: int, body: ClientPatch) -> Callable[[], ClientOut]:
    """The facts the fade model reads (skin type, habits, latitude band, time zone...). Only the
    fields sent change. The client themself or their practitioner. The answer shows the
    projected touch-up date recomputed from the new facts."""
    client = access.get_client(actor, client_id)
    now = utc_now()
    changes = body.model_dump(include=body.model_fields_set)
    profile.update_profile(actor, client, replace(profile.profile_of(client), **changes), now=now)
    return lambda: client_out(client, actor)  # after the commit, which refreshes the projection


@operation(
    "DELETE",
    "/clients/<int:client_id>",
    summary="Erase a client and all their data",
    tag="clients",
    response=Deleted,
    roles=("practitioner",),
)
def erase_client(actor: User, client_id: int) -> Deleted:
    """Removes the record, its history and uploaded files; the audit trail keeps only an
    anonymous line. Cannot be undone. A client erases their own account on the account page,
    confirming it with their password."""
    client = access.get_client(actor, client_id)
    access.require_practice_of(actor, client)
    erasure = exports.erase_client(
        actor, client, now=utc_now(), folders=folders(), remote_addr=remote_addr()
    )

    def after_commit() -> Deleted:
        exports.finish_erasure(erasure)  # files only once the rows are gone for good
        return Deleted(object="client", id=client_id)

    return after_commit


@operation(
    "GET",
    "/clients/<int:client_id>/export",
    summary="Everything about a client: a zip of one JSON document and the photos",
    tag="clients",
    response=None,
    produces="application/zip",
)
def export_client(actor: User, client_id: int) -> Response:
    """For the client themself or their practitioner. The zip holds `smptrack-export.json`
    (every record, as before) and `photos/photo-<id>.jpg` for each photo the document lists
    (each entry's `file` names it)."""
    client = access.get_client(actor, client_id)
    now = utc_now()
    document = exports.export_client(actor, client, now=now)
    response = Response(
        exports.export_archive(document, folders().uploads), mimetype="application/zip"
    )
    name = f"smptrack-client-{client_id}-{now:%Y-%m-%d}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
